package sim

import (
	"math"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// TestYearShifts: on a three-year book the sampling law has one shift a
// year, each zero outside its own year's innovations (and, under the t
// copula, its year's mixing score) and of length c·Φ⁻¹(α); the weights
// stay at most 1/β with mean 1, and the total loss's mean, VaR and ES
// agree with a plain run ten times as long within 4 combined SE. The run
// is the same for any number of workers.
func TestYearShifts(t *testing.T) {
	if testing.Short() {
		t.Skip("two runs of 8,000 and 80,000 paths per copula")
	}
	for _, copula := range []string{models.CopulaGaussian, models.CopulaT} {
		t.Run(copula, func(t *testing.T) {
			sc := models.DefaultScenario()
			sc.HorizonYears, sc.Model.Persistence = 3, 0.5
			sc.Model.R2 = models.R2{Macro: 0.1, Industry: 0.15, County: 0.1}
			sc.Model.Copula, sc.Model.TDof = copula, 5
			m := mustCompile(t, mixed(1500, false), &sc)
			const alpha = 0.999
			q, err := m.isMixtureAt(alpha)
			if err != nil {
				t.Fatal(err)
			}
			H := m.Horizon
			d := m.innovations() / H
			if len(q.shifts) != H || len(q.probs) != H {
				t.Fatalf("%d shifts, %d probabilities, want %d", len(q.shifts), len(q.probs), H)
			}
			for k, mu := range q.shifts {
				var norm float64
				for i, v := range mu {
					norm += v * v
					own := i >= k*d && i < (k+1)*d || i == H*d+k
					if !own && v != 0 {
						t.Errorf("shift %d: component %d = %v, want 0 outside year %d", k, i, v, k+1)
					}
				}
				if want := shiftScale * PhiInv(alpha); math.Abs(math.Sqrt(norm)-want) > 1e-6 {
					t.Errorf("shift %d: |μ| = %v, want %v", k, math.Sqrt(norm), want)
				}
				if math.Abs(q.probs[k]-(1-defensiveShare)/float64(H)) > 1e-15 {
					t.Errorf("π_%d = %v", k, q.probs[k])
				}
			}
			levels := []float64{0.99, 0.999}
			isr := mustRun(t, m, Params{Seed: 5, Paths: 8_000, ISLevel: alpha, Workers: 2})
			plr := mustRun(t, m, Params{Seed: 6, Paths: 80_000, Workers: 2})
			maxW := 0.0
			for _, w := range isr.Weight {
				maxW = max(maxW, w)
			}
			if maxW > 1/defensiveShare {
				t.Errorf("largest weight %v > 1/β = %v", maxW, 1/defensiveShare)
			}
			if mw := summarizeAt(isr.Weight, nil, levels); math.Abs(mw.Mean-1) > 4*mw.SEMean {
				t.Errorf("mean weight %.4f ± %.4f, want 1", mw.Mean, mw.SEMean)
			}
			is := summarizeAt(totalsYuan(isr), isr.Weight, levels)
			pl := summarizeAt(totalsYuan(plr), nil, levels)
			checkSummariesAgree(t, "--is (8,000) against plain (80,000):", is, pl, levels)
			t.Logf("largest weight %.3f; SE(ES 0.999) plain at 8,000 paths %.2f (√10 × %.2f), --is %.2f",
				maxW, pl.SEES[1]*math.Sqrt(10), pl.SEES[1], is.SEES[1])
			r1 := mustRun(t, m, Params{Seed: 5, Paths: 1000, ISLevel: alpha, Workers: 1, BlockSize: 97})
			for p := range 1000 {
				if r1.Weight[p] != isr.Weight[p] || r1.TotalLoss(p) != isr.TotalLoss(p) {
					t.Fatalf("path %d: weight %v, loss %d with one worker; %v, %d with two", p, r1.Weight[p], r1.TotalLoss(p), isr.Weight[p], isr.TotalLoss(p))
				}
			}
		})
	}
}
