package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/wenzhou/danbao/internal/format"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// compensationMetric is the result document's compensation-rate metric.
const compensationMetric = "compensation_rate"

// printCompensation prints, for danbao run, each guarantor's mean
// compensation rate (compensation paid / guarantees released) by year
// against the compensation_rate_max target, with the lowest probability
// that the target holds, and a verdict on the county guarantors: how many
// pass the target on average in some year, and the worst. Nothing is
// printed when the document has no ledger metrics.
func printCompensation(w io.Writer, d *sim.Document, guarantors []models.Guarantor) {
	if len(d.Years) == 0 || d.Years[0].Metrics == nil {
		return
	}
	thr, pLow := math.NaN(), map[string]sim.Number{}
	for _, t := range d.Targets {
		if t.ID != models.TargetCompRateMax {
			continue
		}
		thr = float64(t.Threshold)
		if cur, ok := pLow[t.Scope]; !ok || t.PHold < cur {
			pLow[t.Scope] = t.PHold
		}
	}
	mean := func(scope string, y int) float64 {
		q, ok := d.Years[y].Metrics[scope][compensationMetric]
		if !ok {
			return math.NaN()
		}
		return float64(q.Mean)
	}
	target := "no target"
	if !math.IsNaN(thr) {
		target = "target ≤ " + pctRate(thr)
	}
	fmt.Fprintf(w, "\nCompensation rate (compensation paid / guarantees released; %s): mean by year\n", target)
	head := []string{"  guarantor", "level"}
	for y := range d.Years {
		head = append(head, "year "+strconv.Itoa(y+1))
	}
	head = append(head, "lowest P(hold)")
	t := newTextTable(head...)
	row := func(scope, level string) {
		r := []string{"  " + scope, level}
		for y := range d.Years {
			r = append(r, pctVersus(mean(scope, y), thr))
		}
		p, ok := pLow[scope]
		if !ok {
			p = sim.Number(math.NaN())
		}
		t.add(append(r, num(p, 3))...)
	}
	for _, g := range guarantors {
		row(g.GuarantorID, g.Level)
	}
	row(sim.CityScope, "")
	t.print(w, 2)
	if math.IsNaN(thr) {
		return
	}

	// Verdict on the county guarantors: their worst year on average.
	var n, above int
	worst, worstG, worstY := math.Inf(-1), "", 0
	best, bestG := math.Inf(1), ""
	for _, g := range guarantors {
		if g.Level != models.LevelCounty {
			continue
		}
		n++
		peak, peakY := math.Inf(-1), 0
		for y := range d.Years {
			if v := mean(g.GuarantorID, y); v > peak {
				peak, peakY = v, y+1
			}
		}
		if peak > thr {
			above++
		}
		if peak > worst {
			worst, worstG, worstY = peak, g.GuarantorID, peakY
		}
		if peak < best {
			best, bestG = peak, g.GuarantorID
		}
	}
	switch {
	case n == 0:
	case above == 0:
		fmt.Fprintf(w, "  County guarantors stay within the %s target on average in every year: highest %s (%s, year %d).\n",
			pctRate(thr), pctRate(worst), worstG, worstY)
	default:
		fmt.Fprintf(w, "  County guarantors above the %s target: %d of %d average more than it in their worst year "+
			"(worst years from %s at %s to %s at %s in year %d, %.1f× the target).\n",
			pctRate(thr), above, n, pctRate(best), bestG, pctRate(worst), worstG, worstY, worst/thr)
	}
}

// pctRate formats a rate as a percentage with one decimal: 0.0523 → "5.2 %".
func pctRate(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	return strconv.FormatFloat(100*r, 'f', 1, 64) + " %"
}

// pctVersus is pctRate with as many more decimals as keep a rate on its
// side of the threshold thr (format.PctVersus): 4.96 % against 5 % is not "5.0 %".
func pctVersus(r, thr float64) string {
	if math.IsNaN(thr) {
		return pctRate(r)
	}
	return format.PctVersus(r, thr, 1)
}

// targetColumns are the per-guarantor targets of the summary matrix, in order.
var targetColumns = []struct{ id, head string }{
	{models.TargetLeverageMin, "leverage≥5"},
	{models.TargetLeverageMax, "leverage≤cap"},
	{models.TargetCompRateMax, "comp.rate≤5%"},
	{models.TargetFeeMax, "fee<1%"},
	{models.TargetCapitalMin, "capital≥min"},
	{models.TargetConcentrationMax, "concentration"},
}

// mark is ✓ when a target holds with at least 95 % probability (the finance
// bureau's confidence), ✗ when it fails more often than it holds, and ~ in
// between.
func mark(p float64) string {
	switch {
	case p >= 0.95:
		return "✓"
	case p < 0.5:
		return "✗"
	}
	return "~"
}

// printTargetMatrix prints every guarantor's (and the city's) targets by
// year: ✓/~/✗ and P(hold), one cell per target with the years side by side.
func printTargetMatrix(w io.Writer, d *sim.Document) {
	if len(d.Targets) == 0 {
		return
	}
	type key struct{ id, scope string }
	p := map[key][]float64{}
	var scopes []string
	seen := map[string]bool{}
	for _, t := range d.Targets {
		k := key{t.ID, t.Scope}
		if p[k] == nil {
			p[k] = make([]float64, d.HorizonYears)
			for i := range p[k] {
				p[k][i] = math.NaN()
			}
		}
		if t.Year >= 1 && t.Year <= d.HorizonYears {
			// Two results share an id when the target has two
			// definitions (concentration: borrower and group): the cell
			// shows the lower P(hold).
			if v := p[k][t.Year-1]; math.IsNaN(v) || float64(t.PHold) < v {
				p[k][t.Year-1] = float64(t.PHold)
			}
		}
		if !seen[t.Scope] && t.Scope != "policy" {
			seen[t.Scope] = true
			scopes = append(scopes, t.Scope)
		}
	}
	fmt.Fprintf(w, "\nTargets by guarantor, P(hold) in years 1…%d (✓ ≥ 0.95, ~ 0.5–0.95, ✗ < 0.5; – does not apply)\n", d.HorizonYears)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  scope")
	for _, c := range targetColumns {
		fmt.Fprintf(tw, "\t%s", c.head)
	}
	fmt.Fprintln(tw)
	for _, s := range scopes {
		fmt.Fprintf(tw, "  %s", s)
		for _, c := range targetColumns {
			ps, ok := p[key{c.id, s}]
			if !ok {
				fmt.Fprint(tw, "\t–")
				continue
			}
			cell := ""
			for i, v := range ps {
				if i > 0 {
					cell += " "
				}
				cell += mark(v) + strconv.FormatFloat(v, 'f', 2, 64)
			}
			fmt.Fprintf(tw, "\t%s", cell)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	// Each target's definition (the same in every scope and year).
	defs := map[string]string{}
	var ids []string
	for _, t := range d.Targets {
		d, ok := defs[t.ID]
		if !ok {
			ids = append(ids, t.ID)
		}
		if !ok || (d != t.Definition && !strings.Contains("|"+d+"|", "|"+t.Definition+"|")) {
			defs[t.ID] = strings.TrimPrefix(d+"|"+t.Definition, "|")
		}
	}
	fmt.Fprint(w, "  definitions:")
	for _, id := range ids {
		fmt.Fprintf(w, " %s=%s", id, defs[id])
	}
	fmt.Fprintln(w)
	printBases(w, d)
	for _, id := range []string{models.TargetBalanceMin, models.TargetBankShareMin} {
		for _, t := range d.Targets {
			if t.ID == id {
				fmt.Fprintf(w, "  %s (%s) year %d: %s%.2f\n", id, t.Scope, t.Year, mark(float64(t.PHold)), float64(t.PHold))
			}
		}
	}
}

// printOutlays prints each county's budget outlays (risk compensation plus
// fee subsidy) by year: the mean and the 95 % quantile, in one unit.
func printOutlays(w io.Writer, d *sim.Document) {
	outlays := d.Outlays
	if len(outlays) == 0 {
		return
	}
	counties := make([]string, 0, len(outlays))
	for c := range outlays {
		counties = append(counties, c)
	}
	sort.Strings(counties)
	var all []float64
	for _, c := range counties {
		for _, o := range outlays[c] {
			all = append(all, float64(o.Total.Mean), float64(o.Total.Q95))
		}
	}
	u := format.Column(all...)
	fmt.Fprintf(w, "\nCounty outlays: risk compensation + fee subsidy (%s, mean / 95 %% quantile)\n", u.Label())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "  county\t")
	for y := 1; y <= d.HorizonYears; y++ {
		fmt.Fprintf(tw, "year %d\t", y)
	}
	fmt.Fprintln(tw)
	for _, c := range counties {
		fmt.Fprintf(tw, "  %s %s\t", c, models.CountyName(c))
		for _, o := range outlays[c] {
			fmt.Fprintf(tw, "%s / %s\t", money(sim.Money(o.Total.Mean), u), money(sim.Money(o.Total.Q95), u))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// printBases prints the city's small/micro + agri balance and performance
// leverage on both bases side by side (means by year): the loan basis
// (outstanding principal) and the guaranteed basis (balance × guarantee
// ratio). targets.basis chooses which one the targets judge.
func printBases(w io.Writer, d *sim.Document) {
	if len(d.Years) == 0 || d.Years[0].Metrics == nil {
		return
	}
	fmt.Fprintln(w, "  city, both bases (mean): small/micro + agri balance 亿 loan / guaranteed; performance leverage loan / guaranteed")
	for y, yr := range d.Years {
		m := yr.Metrics[sim.CityScope]
		fmt.Fprintf(w, "    year %d: %.2f / %.2f 亿; %.2f / %.2f\n", y+1,
			float64(m["small_agri_loan_balance"].Mean)/1e8, float64(m["small_agri_balance"].Mean)/1e8,
			float64(m["leverage_performance_loan"].Mean), float64(m["leverage_performance"].Mean))
	}
}
