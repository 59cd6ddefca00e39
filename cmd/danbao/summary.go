package main

import (
	"fmt"
	"io"
	"math"
	"strconv"

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
		if t.ID != sim.TargetCompRateMax {
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
			r = append(r, pctRate(mean(scope, y)))
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
