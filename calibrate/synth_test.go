package calibrate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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

func TestMomentsBias(t *testing.T) {
	p, pd := synthPanel(15, 12, 10, 300)
	tr := &truth{pd: pd, r2: [3]float64{0.05, 0.08, 0.04}}
	rng := rand.New(rand.NewPCG(1, 2))
	ik, cj := make([]float64, 10), make([]float64, 12)
	var mo moments
	const reps = 300
	var sum, sq [3]float64
	var all [3][]float64
	for range reps {
		p.simulateTo(p.d, tr, rng, ik, cj)
		mo.observe(p, p.d)
		e := mo.fit(p, [3]bool{true, true, true}, false)
		for i := range 3 {
			sum[i] += e.r2[i]
			sq[i] += e.r2[i] * e.r2[i]
			all[i] = append(all[i], e.r2[i])
		}
	}
	for i := range 3 {
		m := sum[i] / reps
		sd := sq[i]/reps - m*m
		slices.Sort(all[i])
		t.Logf("r2[%d]: mean %.4f sd %.4f (true %.3f) q: %.4f %.4f %.4f %.4f %.4f", i, m, math.Sqrt(sd), tr.r2[i], all[i][7], all[i][75], all[i][150], all[i][225], all[i][292])
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
