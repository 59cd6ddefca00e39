package calibrate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"testing"
)

// synthPanel returns the coverage test's design: years × counties ×
// industries groups of `loans` loans each, with PDs varying by county and
// industry around 2 % (1 % … 3.3 %).
func synthPanel(years, counties, industries int, loans float64) (*panel, []float64) {
	p := &panel{}
	for y := range years {
		p.years = append(p.years, 2008+y)
	}
	for j := range counties {
		p.counties = append(p.counties, fmt.Sprintf("C%02d", j))
	}
	for k := range industries {
		p.industries = append(p.industries, fmt.Sprintf("I%02d", k))
	}
	var pd []float64
	for j := range counties {
		for k := range industries {
			p.cty = append(p.cty, j)
			p.ind = append(p.ind, k)
			pd = append(pd, 0.01*(1+float64(j%4)*0.4+float64(k%3)*0.3))
		}
	}
	p.n = make([]float64, len(pd)*years)
	for i := range p.n {
		p.n[i] = loans
	}
	p.d = make([]float64, len(p.n))
	return p, pd
}

// TestMomentsBias: the moment estimator is close to unbiased on the
// coverage design. Over 100 histories its mean is within 10 % of the
// true loading plus 3 SE (SE = sd/√100); the 10 % allows the small
// downward bias from estimating each group's threshold from its own
// 15 years (measured: about −4 % for each loading).
func TestMomentsBias(t *testing.T) {
	if testing.Short() {
		t.Skip("100 fits: skipped with -short")
	}
	p, pd := synthPanel(15, 12, 10, 300)
	tr := &truth{pd: pd, r2: [3]float64{0.05, 0.08, 0.04}}
	rng := rand.New(rand.NewPCG(1, 2))
	ik, cj := make([]float64, 10), make([]float64, 12)
	var mo moments
	const reps = 100
	var all [3][]float64
	for range reps {
		p.simulateTo(p.d, tr, rng, ik, cj)
		mo.observe(p, p.d)
		e := mo.fit(p, [3]bool{true, true, true}, false)
		for i := range 3 {
			all[i] = append(all[i], e.r2[i])
		}
	}
	for i := range 3 {
		m, sd := stat.MeanStdDev(all[i], nil)
		se := sd / math.Sqrt(reps)
		slices.Sort(all[i])
		t.Logf("r2[%d]: true %.3f, mean %.4f ± %.4f (SE), sd %.4f, 2.5/50/97.5 %%: %.4f %.4f %.4f", i, tr.r2[i], m, se, sd, all[i][2], all[i][50], all[i][97])
		if math.Abs(m-tr.r2[i]) > 0.1*tr.r2[i]+3*se {
			t.Errorf("r2[%d]: mean estimate %.4f, true %.3f: bias beyond 10 %% + 3 SE", i, m, tr.r2[i])
		}
	}
}

func BenchmarkFit(b *testing.B) {
	p, pd := synthPanel(15, 12, 10, 300)
	tr := &truth{pd: pd, r2: [3]float64{0.05, 0.08, 0.04}}
	rng := rand.New(rand.NewPCG(1, 2))
	p.simulateTo(p.d, tr, rng, make([]float64, 10), make([]float64, 12))
	var mo moments
	mo.observe(p, p.d)
	for _, lag := range []bool{false, true} {
		b.Run(fmt.Sprint("lag=", lag), func(b *testing.B) {
			for b.Loop() {
				mo.fit(p, [3]bool{true, true, true}, lag)
			}
		})
	}
	b.Run("pairSums", func(b *testing.B) {
		for b.Loop() {
			mo.pairSums(p, 0.1)
		}
	})
}
