package sim

import (
	"math"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// TestEconomyShiftsHandWorked: the shifts of a two-year economic path,
// worked by hand from docs/economy.md's baselines and coefficients:
//
//	year 1: gdp 4 (−2 pts), exports −15 (−20 pts), property −20, LPR 4.45 (+1)
//	  macro      0.5·(−2) − 0.25·(+1)     = −1.25
//	  footwear   0.075·(−20)              = −1.5
//	  agriculture (no row)                =  0
//	  county     0.05·(−20)               = −1.0   (every county)
//	  property   0.1·(−20)                = −2.0
//	year 2: every variable at its baseline: all 0.
//
// A stress shock on the macro factor adds to the economy's shift.
func TestEconomyShiftsHandWorked(t *testing.T) {
	pf := mixed(200, false)
	sc := lgdScenario(2, 0.2, 0.5)
	sc.Economy = models.Economy{GDPGrowth: []float64{4, 6}, Exports: []float64{-15, 5},
		PropertyPrices: []float64{-20, 0}, LoanRate: []float64{4.45, 3.45}}
	sc.Shocks = []models.Shock{{Factor: "macro", Shift: -0.5, Years: []int{2}}}
	m := mustCompile(t, pf, sc)
	f := &m.factors
	ind := indexOf(m.Industries)
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	near("y1 macro", f.shiftMacro[0], -1.25)
	near("y1 footwear", f.shiftInd[ind["footwear"]], -1.5)
	near("y1 agriculture", f.shiftInd[ind["agriculture"]], 0)
	for j, c := range m.Counties {
		near("y1 county "+c, f.shiftCty[j], -1.0)
		near("y2 county "+c, f.shiftCty[f.nCty+j], 0)
	}
	near("y1 property", m.lgd.shift[0], -2.0)
	near("y2 macro (the stress shock only)", f.shiftMacro[1], -0.5)
	near("y2 footwear", f.shiftInd[f.nInd+ind["footwear"]], 0)
	near("y2 property", m.lgd.shift[1], 0)
}

// TestEconomyDeeperGDPFallLosesMore: the mean loss rises with the depth of
// the GDP fall over three levels (growth 6 % = baseline, 4 %, 2 %, 0 % in
// both years), each step by more than 4 standard errors of the paired
// difference (same seed; the factor shifts move the conditional PDs, so the
// paths stay strongly coupled).
func TestEconomyDeeperGDPFallLosesMore(t *testing.T) {
	if testing.Short() {
		t.Skip("1,500 loans × 4,000 paths × 4 levels")
	}
	pf := mixed(1500, true)
	const paths = 4000
	var prev []float64
	prevMean := 0.0
	for _, g := range []float64{6, 4, 2, 0} {
		sc := lgdScenario(2, 0, 0.5)
		sc.Economy.GDPGrowth = []float64{g, g}
		x := totalsYuan(mustRun(t, mustCompile(t, pf, sc), Params{Seed: 3, Paths: paths}))
		mean, _ := meanSD(x)
		if prev != nil {
			d := make([]float64, paths)
			for i := range d {
				d[i] = x[i] - prev[i]
			}
			md, sd := meanSD(d)
			se := sd / math.Sqrt(paths)
			t.Logf("GDP growth %v %%: mean loss %.0f yuan, +%.0f ± %.0f on the previous level", g, mean, md, se)
			if !(md > 4*se) {
				t.Errorf("GDP growth %v %%: mean loss %.0f, previous %.0f: difference %.0f ± %.0f", g, mean, prevMean, md, se)
			}
		}
		prev, prevMean = x, mean
	}
}
