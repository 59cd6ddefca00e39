package calibrate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// historyOf turns a simulated panel into a History, one record per group
// and year.
func historyOf(p *panel) *History {
	T := p.T()
	h := &History{File: "synthetic"}
	for g := range p.cty {
		for t, y := range p.years {
			h.Records = append(h.Records, Record{Year: y, County: p.counties[p.cty[g]], Industry: p.industries[p.ind[g]],
				Loans: int64(p.n[g*T+t]), Defaults: int64(p.d[g*T+t])})
		}
	}
	return h
}

// TestCoverage draws histories from the model with known parameters (15
// years × 12 counties × 10 industries, 300 loans per group and year, PDs
// 1 % … 3.3 %, r2 = 0.05 / 0.08 / 0.04 as the scenarios' defaults) and
// checks that
//
//   - the 95 % intervals cover each true r2 in 90–98 % of the replications
//     (with DANBAO_LONG=1: 200 replications with the production 99 score
//     draws each; otherwise 3 replications with 19 draws, and each factor
//     must be covered at least twice: at a true coverage of 95 % that fails
//     with probability 0.7 % per factor);
//   - with DANBAO_LONG=1, each loading's mean û = log(r2·w + ε) is within
//     3 SE of the truth's (SE = sd/√reps), the mean without the bias
//     correction logged beside it;
//   - the pooled PD estimate is unbiased: |mean − true| ≤ 2 SE over the
//     replications, SE = sd/√reps; the true pooled PD is the loan-weighted
//     mean of the groups' PDs, which is E[Σd/Σn] exactly.
func TestCoverage(t *testing.T) {
	reps, B, scoreDraws := 3, 19, 19
	long := os.Getenv("DANBAO_LONG") == "1"
	if long {
		reps, scoreDraws = 200, 99 // the production default
	} else if testing.Short() {
		t.Skip("coverage: skipped with -short (run it plain, or with DANBAO_LONG=1 for 200 replications)")
	}
	if s := os.Getenv("DANBAO_COVERAGE_REPS"); s != "" {
		reps, _ = strconv.Atoi(s)
	}
	// DANBAO_COVERAGE_FIRST=k runs replications k … k+reps−1 (to split a
	// long run over processes; replication i always draws stream i)
	first, _ := strconv.Atoi(os.Getenv("DANBAO_COVERAGE_FIRST"))
	p, pd := synthPanel(15, 12, 10, 300)
	tr := &truth{pd: pd, r2: [3]float64{0.05, 0.08, 0.04}}
	truePooled := 0.0
	for _, x := range pd {
		truePooled += x
	}
	truePooled /= float64(len(pd)) // equal loans in every group
	var covered [3]int
	var sum, sq, width, bcSum [3]float64
	// the intervals' scale u = log(a·w + ε), w = 14/15 (T = 15, no
	// persistence), on which the bias correction makes û unbiased
	u := func(a float64) float64 { return math.Log(max(a, 0)*14/15 + logOffset) }
	var uSum, uSq, uRaw [3]float64
	var pdSum, pdSq float64
	type repResult struct {
		r2     [3]float64
		bc     [3]float64 // the bias corrections, included in r2
		ci     [3][2]float64
		pooled float64
		err    error
	}
	results := make([]repResult, reps)
	next := make(chan int, reps)
	for rep := range reps {
		next <- rep
	}

	close(next)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			p := clonePanel(p)
			ik, cj := make([]float64, 10), make([]float64, 12)
			for rep := range next {
				rng := rand.New(rand.NewPCG(20260101, uint64(first+rep)))
				p.simulateTo(p.d, tr, rng, ik, cj)
				res, err := Calibrate(historyOf(p), Options{Bootstrap: B, ScoreDraws: scoreDraws, Seed: uint64(first+rep) + 1, Workers: 1})
				r := &results[rep]
				if err != nil {
					r.err = err
					continue
				}
				for i, e := range []Estimate{res.R2.Macro, res.R2.Industry, res.R2.County} {
					if e.Estimate == nil || e.CI95 == nil {
						r.err = fmt.Errorf("rep %d: r2[%d] not estimated: %v", rep, i, res.Warnings)
						break
					}
					r.r2[i], r.ci[i] = *e.Estimate, *e.CI95
					if e.BiasCorrection == nil {
						r.err = fmt.Errorf("rep %d: r2[%d] has no bias correction", rep, i)
						break
					}
					r.bc[i] = *e.BiasCorrection
				}
				r.pooled = *res.PD.Pooled.Estimate
				if long {
					t.Logf("rep %d: r2 %.4f, ci %.4f, pooled PD %.6f, bias correction %.5f", first+rep, r.r2, r.ci, r.pooled, r.bc)
				}
			}
		})
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		for i := range 3 {
			ci := r.ci[i]
			if ci[0] <= tr.r2[i] && tr.r2[i] <= ci[1] {
				covered[i]++
			}
			sum[i] += r.r2[i]
			sq[i] += r.r2[i] * r.r2[i]
			width[i] += ci[1] - ci[0]
			bcSum[i] += r.bc[i]
			uSum[i] += u(r.r2[i])
			uSq[i] += u(r.r2[i]) * u(r.r2[i])
			uRaw[i] += u(r.r2[i] - r.bc[i])
		}
		pdSum += r.pooled
		pdSq += r.pooled * r.pooled
	}
	n := float64(reps)
	for i, name := range []string{"macro", "industry", "county"} {
		m := sum[i] / n
		sd := math.Sqrt(sq[i]/n - m*m)
		cov := float64(covered[i]) / n
		t.Logf("r2.%s: true %.3f, mean estimate %.4f (sd %.4f), mean interval width %.4f, coverage %d/%d = %.3f",
			name, tr.r2[i], m, sd, width[i]/n, covered[i], reps, cov)
		// the one-step bias correction: the mean estimate without it
		// (estimate − correction) against the mean with it, on the
		// loading's scale and on u (where the correction aims at 0)
		um := uSum[i] / n
		uSE := math.Sqrt((uSq[i]/n - um*um) / (n - 1))
		t.Logf("r2.%s: mean without the bias correction %.4f, with it %.4f; on u: bias %+.4f → %+.4f (± %.4f SE)",
			name, m-bcSum[i]/n, m, uRaw[i]/n-u(tr.r2[i]), um-u(tr.r2[i]), uSE)
		if long {
			if cov < 0.90 || cov > 0.98 {
				t.Errorf("r2.%s: coverage %.3f outside 0.90–0.98", name, cov)
			}
			// unbiased on u after the correction: |mean û − u(true)| ≤ 3 SE
			// (a false alarm in 0.8 % of runs over the three loadings). On
			// the loading's scale a u-unbiased estimate is high by about
			// (a·w + ε)·sd(û)²/2 ÷ w (Jensen): 0.0003 for r2.county.
			if math.Abs(um-u(tr.r2[i])) > 3*uSE {
				t.Errorf("r2.%s: mean û %.4f differs from u(true) %.4f by more than 3 SE (%.4f)", name, um, u(tr.r2[i]), uSE)
			}
		} else if covered[i] < reps-1 {
			t.Errorf("r2.%s: covered in %d of %d replications, want ≥ %d", name, covered[i], reps, reps-1)
		}
	}
	m := pdSum / n
	se := math.Sqrt((pdSq/n - m*m) / (n - 1))
	t.Logf("pooled PD: true %.5f, mean estimate %.5f ± %.5f (SE)", truePooled, m, se)
	if math.Abs(m-truePooled) > 2*se {
		t.Errorf("pooled PD: mean %.5f differs from the true %.5f by more than 2 SE (%.5f)", m, truePooled, se)
	}
}

// clonePanel copies p with its own n and d.
func clonePanel(p *panel) *panel {
	q := *p
	q.n, q.d = slices.Clone(p.n), slices.Clone(p.d)
	return &q
}
