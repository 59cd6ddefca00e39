package calibrate

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/wenzhou/danbao/models"
)

// Outcome is one row of a backtest's outcomes table: the loans and
// defaults of one group (a county or a guarantor) in one year.
type Outcome struct {
	Row          int
	Year         int
	Group        string // the county code, or the guarantor id
	Loans        int64
	Defaults     int64
	Compensation decimal.Decimal // optional, yuan
	Released     decimal.Decimal // optional, yuan
}

// Outcomes is a validated outcomes table; By is "county" or "guarantor_id".
type Outcomes struct {
	File string
	By   string
	Rows []Outcome
}

// outcomeColumns lists the columns of an outcomes table; the first three
// are required, and one of county and guarantor_id.
var outcomeColumns = []string{"year", "loans", "defaults", "county", "guarantor_id", "compensation", "released"}

// ReadOutcomesFile reads and validates an outcomes table (see ReadOutcomes).
func ReadOutcomesFile(path string) (*Outcomes, []string, error) {
	return readFile(path, "outcomes", ReadOutcomes)
}

// ReadOutcomes reads realised yearly outcomes: columns year, county or
// guarantor_id (exactly one of them), loans, defaults, and optionally
// compensation and released (yuan), validated like a history.
func ReadOutcomes(name string, r io.Reader) (*Outcomes, []string, error) {
	var probs models.Problems
	t := readTable(name, r, &probs)
	if t == nil {
		return nil, nil, probs.Err()
	}
	// year, loans, defaults are required; one of county and guarantor_id
	col, warnings := mapHeader(name, t.header, outcomeColumns, 3, &probs)
	by := ""
	switch {
	case col["county"] >= 0 && col["guarantor_id"] >= 0:
		probs.Add(name, 1, "guarantor_id", "", "the outcomes give both county and guarantor_id; give one (the groups of the test)", models.ErrInvalid)
	case col["county"] >= 0:
		by = "county"
	case col["guarantor_id"] >= 0:
		by = "guarantor_id"
	default:
		probs.Add(name, 1, "county", "", "is missing: the outcomes need a county or a guarantor_id column", models.ErrMissing)
	}
	if len(probs) > 0 {
		return nil, warnings, probs.Err()
	}
	out := &Outcomes{File: name, By: by}
	type key struct {
		y int
		g string
	}
	seen := map[key]int{}
	for i, cells := range t.rows {
		row := t.rowNum[i]
		c := cellReader{name: name, row: row, cells: cells, col: col, probs: &probs}
		o := Outcome{Row: row, Year: c.year("year"), Group: c.text(by, true)}
		o.Loans, o.Defaults = c.loansDefaults()
		o.Compensation, _ = c.money("compensation")
		o.Released, _ = c.money("released")
		if o.Group != "" {
			unique(c, seen, key{o.Year, o.Group}, func() string { return fmt.Sprintf("year %d, %s %q", o.Year, by, o.Group) })
		}
		out.Rows = append(out.Rows, o)
	}
	return tableResult(name, out, len(out.Rows), warnings, probs)
}

// Traffic-light zones of the Basel backtesting framework (BCBS, 1996,
// "Supervisory framework for the use of backtesting…"): an observed
// count x is green when P(X ≤ x) < 95 %, amber when it is below 99.99 %,
// red otherwise, with X the model's count.
const (
	Green = "green"
	Amber = "amber"
	Red   = "red"
)

// Zone returns the traffic light of a cumulative probability P(X ≤ x).
func Zone(cum float64) string {
	switch {
	case cum < 0.95:
		return Green
	case cum < 0.9999:
		return Amber
	default:
		return Red
	}
}

// OutcomeTest is one outcome held to the model.
type OutcomeTest struct {
	Year     int     `json:"year"`
	Group    string  `json:"group"`
	Loans    int64   `json:"loans"`
	Defaults int64   `json:"defaults"`
	Expected float64 `json:"expected"` // model's mean count
	// PIT is the mid-point probability integral transform
	// P(X < d) + ½·P(X = d) under the model; uniform on (0, 1) when the
	// model is right (up to the discreteness of counts).
	PIT float64 `json:"pit"`
	// Band is the model's central 90 % interval of the count (5 % and 95 % quantiles).
	Band [2]int64 `json:"band90"`
}

// GroupTest is one group's defaults over all years against the model.
type GroupTest struct {
	Group    string  `json:"group"`
	Years    int     `json:"years"`
	Loans    int64   `json:"loans"`
	Defaults int64   `json:"defaults"`
	Expected float64 `json:"expected"`
	// Cum is P(X ≤ defaults) under the model (X the group's total count
	// over its years); PValue = P(X ≥ defaults), the one-sided test of
	// too many defaults.
	Cum    float64 `json:"cum"`
	PValue float64 `json:"p_value"`
	Light  string  `json:"light"`
}

// BacktestResult is the --json document of danbao backtest.
type BacktestResult struct {
	By       string        `json:"by"`
	Outcomes []OutcomeTest `json:"outcomes"`
	Groups   []GroupTest   `json:"groups"`
	// Total is the test of all defaults together.
	Total GroupTest `json:"total"`
	// Verdict is the total's light, made red when any group is red.
	Verdict  string     `json:"verdict"`
	Draws    int        `json:"draws"`
	R2       [3]float64 `json:"r2"` // macro, industry, county used
	Warnings []string   `json:"warnings"`
	Method   string     `json:"method"`
}

const methodBacktest = "predictive distribution by Monte Carlo: per draw, factors M, I_k, C_j (AR(1) across the outcome years with the scenario's persistence) and per outcome a Binomial(loans, p̄) count, p̄ the group's loan-mix average of Φ((Φ⁻¹(pd_cell) − √a_m·M − √a_i·I_k − √a_c·C_j)/√(1−Σa)) over its county × industry cells (pd_cell the cell's mean PD in the snapshot, times the scenario's PD multipliers); PIT per outcome; per group and in total P(X ≤ observed) over the years, with Basel traffic lights (green < 95 %, amber < 99.99 %, red)"

// BacktestOptions configures Backtest. The zero value is valid.
type BacktestOptions struct {
	Draws int    // Monte Carlo draws of the predictive distribution; default 100,000
	Seed  uint64 // default 1
}

// cellMix is one county × industry cell of a group's loans.
type cellMix struct {
	ind, cty int
	share    float64 // of the group's loans
	thr      float64 // Φ⁻¹(mean PD of the cell)
}

// Backtest holds outcomes to the predictive distribution of pf under sc.
// The group of an outcome must have loans in pf (its county, or its
// guarantor). Draws use one random stream, so the result depends only on
// the inputs and the seed.
func Backtest(pf *models.Portfolio, sc *models.Scenario, out *Outcomes, o BacktestOptions) (*BacktestResult, error) {
	if err := countOption(&o.Draws, 100_000, 100, 10_000_000, "backtest: draws"); err != nil {
		return nil, err
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	r2 := sc.Model.R2
	res := &BacktestResult{By: out.By, Draws: o.Draws, R2: [3]float64{r2.Macro, r2.Industry, r2.County}, Method: methodBacktest, Warnings: []string{}}
	if len(sc.Model.R2BySegment) > 0 {
		res.Warnings = append(res.Warnings, "the scenario's r2_by_segment is not used: the backtest uses model.r2 for every loan")
	}
	if sc.Model.Copula == models.CopulaT {
		res.Warnings = append(res.Warnings, "the t copula is not used: the backtest's predictive distribution is Gaussian")
	}
	// cells: (county, industry) of the portfolio, per group
	ind, cty := map[string]int{}, map[string]int{}
	type cellKey struct {
		group    string
		ind, cty int
	}
	type acc struct{ n, pd float64 }
	cells := map[cellKey]*acc{}
	var order []cellKey
	for i := range pf.Loans {
		l := &pf.Loans[i]
		g := l.County
		if out.By == "guarantor_id" {
			g = l.GuarantorID
		}
		if _, ok := ind[l.Industry]; !ok {
			ind[l.Industry] = len(ind)
		}
		if _, ok := cty[l.County]; !ok {
			cty[l.County] = len(cty)
		}
		k := cellKey{g, ind[l.Industry], cty[l.County]}
		a := cells[k]
		if a == nil {
			a = &acc{}
			cells[k] = a
			order = append(order, k)
		}
		pd := l.PD
		for _, s := range sc.Shocks {
			if s.PDMultiplier > 0 && s.AppliesIn(1) && s.Where.Matches(l) {
				pd *= s.PDMultiplier
			}
		}
		a.n++
		a.pd += min(pd, models.MaxPD)
	}
	mix := map[string][]cellMix{}
	totals := map[string]float64{}
	for _, k := range order {
		totals[k.group] += cells[k].n
	}
	for _, k := range order {
		a := cells[k]
		mix[k.group] = append(mix[k.group], cellMix{ind: k.ind, cty: k.cty, share: a.n / totals[k.group], thr: phiInv(a.pd / a.n)})
	}
	var probs models.Problems
	for _, r := range out.Rows {
		if _, ok := mix[r.Group]; !ok {
			probs.Add(out.File, r.Row, out.By, r.Group, "has no loans in the portfolio", models.ErrNotFound)
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	// outcomes by year, years ascending (for the AR(1) factors), and by
	// group within a year: the draws then do not depend on the file's row
	// order
	rows := slices.Clone(out.Rows)
	sort.SliceStable(rows, func(a, b int) bool {
		if rows[a].Year != rows[b].Year {
			return rows[a].Year < rows[b].Year
		}
		return rows[a].Group < rows[b].Group
	})
	years := []int{}
	for _, r := range rows {
		if len(years) == 0 || years[len(years)-1] != r.Year {
			years = append(years, r.Year)
		}
	}
	groupIdx := map[string]int{}
	var groupNames []string
	for _, r := range rows {
		if _, ok := groupIdx[r.Group]; !ok {
			groupIdx[r.Group] = len(groupNames)
			groupNames = append(groupNames, r.Group)
		}
	}
	slices.Sort(groupNames)
	for i, g := range groupNames {
		groupIdx[g] = i
	}
	nO, nG := len(rows), len(groupNames)
	// counters: below[i], equal[i] for outcome i; per group and total the
	// counts at or below the observed; quantile bands from a histogram.
	below, equal := make([]int, nO), make([]int, nO)
	obsG := make([]int64, nG)
	for _, r := range rows {
		obsG[groupIdx[r.Group]] += r.Defaults
	}
	var obsT int64
	for _, x := range obsG {
		obsT += x
	}
	leG, geG := make([]int, nG), make([]int, nG)
	var leT, geT int
	sumX := make([]float64, nO)
	hist := make([][]int32, nO) // counts of draws by value, capped at the row's loans
	for i, r := range rows {
		hist[i] = make([]int32, min(r.Loans, 1<<16)+1)
	}
	sm, si, sc2 := math.Sqrt(r2.Macro), math.Sqrt(r2.Industry), math.Sqrt(r2.County)
	sig := math.Sqrt(1 - r2.Sum())
	phiAR := sc.Model.Persistence
	ik, cj := make([]float64, len(ind)), make([]float64, len(cty))
	xG := make([]int64, nG)
	rng := rand.New(rand.NewPCG(o.Seed, 0x6261636b74657374))
	for range o.Draws {
		clear(xG)
		var xT int64
		var m float64
		yi := -1
		for i, r := range rows {
			if yi < 0 || years[yi] != r.Year {
				first := yi < 0
				yi++
				gap := 1
				if !first {
					gap = years[yi] - years[yi-1]
				}
				ph := math.Pow(phiAR, float64(gap))
				in := math.Sqrt(1 - ph*ph)
				if first {
					ph, in = 0, 1
				}
				m = ph*m + in*rng.NormFloat64()
				for k := range ik {
					ik[k] = ph*ik[k] + in*rng.NormFloat64()
				}
				for j := range cj {
					cj[j] = ph*cj[j] + in*rng.NormFloat64()
				}
			}
			p := 0.0
			for _, c := range mix[r.Group] {
				p += c.share * phi((c.thr-sm*m-si*ik[c.ind]-sc2*cj[c.cty])/sig)
			}
			x := int64(binomial(rng, float64(r.Loans), p))
			sumX[i] += float64(x)
			if x < r.Defaults {
				below[i]++
			} else if x == r.Defaults {
				equal[i]++
			}
			hist[i][min(x, int64(len(hist[i])-1))]++
			xG[groupIdx[r.Group]] += x
			xT += x
		}
		for g, x := range xG {
			if x <= obsG[g] {
				leG[g]++
			}
			if x >= obsG[g] {
				geG[g]++
			}
		}
		if xT <= obsT {
			leT++
		}
		if xT >= obsT {
			geT++
		}
	}
	S := float64(o.Draws)
	expG := make([]float64, nG)
	loansG, yearsG := make([]int64, nG), make([]int, nG)
	var expT float64
	var loansT int64
	for i, r := range rows {
		e := sumX[i] / S
		ot := OutcomeTest{Year: r.Year, Group: r.Group, Loans: r.Loans, Defaults: r.Defaults, Expected: e,
			PIT: (float64(below[i]) + 0.5*float64(equal[i])) / S}
		ot.Band = [2]int64{histQuantile(hist[i], 0.05, o.Draws), histQuantile(hist[i], 0.95, o.Draws)}
		res.Outcomes = append(res.Outcomes, ot)
		g := groupIdx[r.Group]
		expG[g] += e
		loansG[g] += r.Loans
		yearsG[g]++
		expT += e
		loansT += r.Loans
	}
	worst := Green
	for g, name := range groupNames {
		gt := GroupTest{Group: name, Years: yearsG[g], Loans: loansG[g], Defaults: obsG[g], Expected: expG[g],
			Cum: float64(leG[g]) / S, PValue: float64(geG[g]) / S}
		gt.Light = Zone(gt.Cum)
		if gt.Light == Red {
			worst = Red
		}
		res.Groups = append(res.Groups, gt)
	}
	res.Total = GroupTest{Group: "total", Years: len(years), Loans: loansT, Defaults: obsT, Expected: expT,
		Cum: float64(leT) / S, PValue: float64(geT) / S}
	res.Total.Light = Zone(res.Total.Cum)
	res.Verdict = res.Total.Light
	if worst == Red {
		res.Verdict = Red
	}
	if o.Draws < 100_000 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d draws: the red boundary (99.99 %%) rests on %.0f draws in the tail", o.Draws, S*1e-4))
	}
	return res, nil
}

// histQuantile returns the smallest value whose cumulative count reaches
// a·n.
func histQuantile(h []int32, a float64, n int) int64 {
	target := a * float64(n)
	c := 0.0
	for v, k := range h {
		c += float64(k)
		if c >= target {
			return int64(v)
		}
	}
	return int64(len(h) - 1)
}
