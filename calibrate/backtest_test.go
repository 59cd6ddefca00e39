package calibrate

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/wenzhou/danbao"
	"github.com/wenzhou/danbao/models"
)

// outcomesFromModel draws yearly defaults by county of the example's loans
// loan by loan (not through the backtest's cell averages): per year the
// factors M, I_k, C_j and each loan's default with probability
// Φ((Φ⁻¹(pd) − √a_m·M − √a_i·I_k − √a_c·C_j)/√(1−Σa)).
func outcomesFromModel(pf *models.Portfolio, r2 models.R2, years int, rng *rand.Rand) *Outcomes {
	ind, cty := map[string]int{}, map[string]int{}
	for _, l := range pf.Loans {
		if _, ok := ind[l.Industry]; !ok {
			ind[l.Industry] = len(ind)
		}
		if _, ok := cty[l.County]; !ok {
			cty[l.County] = len(cty)
		}
	}
	out := &Outcomes{File: "model", By: "county"}
	sig := math.Sqrt(1 - r2.Sum())
	thr, li, lc := make([]float64, len(pf.Loans)), make([]int, len(pf.Loans)), make([]int, len(pf.Loans))
	names := make([]string, len(cty))
	for c, j := range cty {
		names[j] = c
	}
	for i, l := range pf.Loans {
		thr[i], li[i], lc[i] = phiInv(l.PD), ind[l.Industry], cty[l.County]
	}
	I, C := make([]float64, len(ind)), make([]float64, len(cty))
	n, d := make([]int64, len(cty)), make([]int64, len(cty))
	for y := range years {
		m := rng.NormFloat64()
		for k := range I {
			I[k] = rng.NormFloat64()
		}
		for j := range C {
			C[j] = rng.NormFloat64()
		}
		clear(n)
		clear(d)
		for i := range thr {
			z := (thr[i] - math.Sqrt(r2.Macro)*m - math.Sqrt(r2.Industry)*I[li[i]] - math.Sqrt(r2.County)*C[lc[i]]) / sig
			n[lc[i]]++
			if rng.Float64() < phi(z) {
				d[lc[i]]++
			}
		}
		for j, c := range names {
			out.Rows = append(out.Rows, Outcome{Year: 2020 + y, Group: c, Loans: n[j], Defaults: d[j]})
		}
	}
	slices.SortFunc(out.Rows, func(a, b Outcome) int {
		if a.Year != b.Year {
			return a.Year - b.Year
		}
		if a.Group < b.Group {
			return -1
		}
		return 1
	})
	return out
}

// TestBacktestGreenForModelOutcomes: outcomes drawn from the model
// (5 years × 12 counties of the example) get a green verdict in at least
// 90 of 100 trials. Under the model the total is green with probability
// about 95 % and a group red with probability ≤ 0.01 % each.
func TestBacktestGreenForModelOutcomes(t *testing.T) {
	if testing.Short() {
		t.Skip("100 backtests: skipped with -short")
	}
	pf, err := danbao.Example()
	if err != nil {
		t.Fatal(err)
	}
	sc := models.DefaultScenario()
	green := 0
	for trial := range 100 {
		rng := rand.New(rand.NewPCG(7, uint64(trial)))
		out := outcomesFromModel(pf, sc.Model.R2, 5, rng)
		res, err := Backtest(pf, &sc, out, BacktestOptions{Draws: 1000, Seed: uint64(trial) + 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict == Green {
			green++
		}
	}
	t.Logf("green in %d of 100 trials", green)
	if green < 90 {
		t.Errorf("green in %d of 100 trials of outcomes drawn from the model, want ≥ 90", green)
	}
}

// TestBacktestRedForTwiceExpected: outcomes with twice the model's
// expected defaults in every county and year over 15 years (the span of a
// history) are red. (Over 5
// years they are amber: under the model's correlation, P(total ≥ 2 × mean)
// is then about 0.5 %, and over 10 years 0.02 %, not below 0.01 %.)
func TestBacktestRedForTwiceExpected(t *testing.T) {
	pf, err := danbao.Example()
	if err != nil {
		t.Fatal(err)
	}
	sc := models.DefaultScenario()
	n, e := map[string]int64{}, map[string]float64{}
	for _, l := range pf.Loans {
		n[l.County]++
		e[l.County] += l.PD // E[defaults] = Σ pd, for any loadings
	}
	const years = 15
	out := &Outcomes{File: "twice", By: "county"}
	for y := range years {
		for _, c := range slices.Sorted(maps.Keys(n)) {
			out.Rows = append(out.Rows, Outcome{Year: 2020 + y, Group: c, Loans: n[c], Defaults: int64(math.Round(2 * e[c]))})
		}
	}
	res, err := Backtest(pf, &sc, out, BacktestOptions{Draws: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("total: %d defaults, expected %.1f, P(X ≤ x) = %.6f; verdict %s", res.Total.Defaults, res.Total.Expected, res.Total.Cum, res.Verdict)
	if res.Verdict != Red {
		t.Errorf("verdict %s for twice the expected defaults, want red", res.Verdict)
	}
	// The same outcomes in the opposite row order give the same tests: the
	// draws follow the rows sorted by year and group, not the file's order.
	rev := &Outcomes{File: out.File, By: out.By, Rows: slices.Clone(out.Rows)}
	slices.Reverse(rev.Rows)
	res2, err := Backtest(pf, &sc, rev, BacktestOptions{Draws: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Total != res.Total || !slices.Equal(res2.Groups, res.Groups) {
		t.Errorf("rows reversed: total %+v, want %+v", res2.Total, res.Total)
	}
	// the model's mean matches Σ pd (the closed form) within 4 SE of the
	// Monte Carlo mean (SE ≤ sd/√draws; sd of a year's total < its mean here)
	var want float64
	for _, x := range e {
		want += years * x
	}
	if se := want / math.Sqrt(10_000); math.Abs(res.Total.Expected-want) > 4*se {
		t.Errorf("expected total %.1f, want Σ pd = %.1f ± %.1f", res.Total.Expected, want, 4*se)
	}
}
