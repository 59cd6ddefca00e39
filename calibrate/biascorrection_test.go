package calibrate

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// drawnHistory is a history of years × n counties × n industries groups of
// 300 loans a year (synthPanel's PDs), drawn once from the model at r2 =
// (0.05, 0.08, 0.04) with stream (20260102, stream).
func drawnHistory(years, n int, stream uint64) (*panel, *truth) {
	p, pd := synthPanel(years, n, n, 300)
	tr := &truth{pd: pd, r2: [3]float64{0.05, 0.08, 0.04}}
	p.simulateTo(p.d, tr, rand.New(rand.NewPCG(20260102, stream)), make([]float64, n), make([]float64, n))
	return p, tr
}

// biasPieces fits a small synthetic history (10 years × 4 counties × 4
// industries, 300 loans per group and year, r2 0.05 / 0.08 / 0.04) and
// returns its panel, the estimate â, H at â and B score draws simulated at
// â/w with w = 9/10 (as Calibrate draws them, group PDs the true ones).
func biasPieces(t *testing.T, B int) (*panel, *truth, [3]float64, [][]float64, [3][3]float64) {
	t.Helper()
	p, tr := drawnHistory(10, 4, 3)
	var mo moments
	mo.observe(p, p.d)
	e := mo.fit(p, [3]bool{true, true, true}, false)
	var cl composite
	cl.setData(p, p.d)
	a, H, okH, err := cl.fit([3]bool{true, true, true}, e.r2)
	if err != nil || !okH {
		t.Fatalf("fit: %v, Hessian positive definite %v", err, okH)
	}
	w := withinShare(0, 10)
	sc := &truth{pd: tr.pd, r2: [3]float64{a[0] / w, a[1] / w, a[2] / w}}
	draws := scoreDraws(p, sc, a, []int{0, 1, 2}, B, 7, 2)
	var h [3][3]float64
	for j := range 3 {
		for l := range 3 {
			h[j][l] = H.At(j, l)
		}
	}
	return p, sc, a, draws, h
}

// TestBiasStepByHand: on a small synthetic history the bias step is
// b = H⁻¹·s̄ with s̄_j = mean_b(draw_bj) + (du/2)·H_jj, here solved by
// Cramer's rule from the pieces (H from the fit, the 19 score draws); with
// the county loading held at 0 it is the 2 × 2 solve on macro and
// industry, and the county's b is 0.
func TestBiasStepByHand(t *testing.T) {
	if testing.Short() {
		t.Skip("a fit and 19 score draws of a 16-group history (about a second): skipped with -short")
	}
	_, _, a, draws, h := biasPieces(t, 19)
	var s [3]float64
	for _, g := range draws {
		for j := range 3 {
			s[j] += g[j] / 19
		}
	}
	for j := range 3 {
		s[j] += du / 2 * h[j][j]
	}
	det3 := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
			m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
			m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	var want [3]float64
	for j := range 3 {
		m := h
		for r := range 3 {
			m[r][j] = s[r]
		}
		want[j] = det3(m) / det3(h)
	}
	H := symOf(h)
	got := biasStep(H, draws, []bool{true, true, true})
	t.Logf("â %.4f, s̄ %.3f, b = H⁻¹s̄ %.5f (by hand %.5f)", a, s, got, want)
	for j := range 3 {
		if math.Abs(got[j]-want[j]) > 1e-12*(1+math.Abs(want[j])) {
			t.Errorf("b[%d] = %.15g, by hand %.15g", j, got[j], want[j])
		}
	}
	// county held at 0: the 2 × 2 solve on the other two
	det2 := h[0][0]*h[1][1] - h[0][1]*h[1][0]
	want2 := [3]float64{(s[0]*h[1][1] - h[0][1]*s[1]) / det2, (h[0][0]*s[1] - s[0]*h[1][0]) / det2, 0}
	got2 := biasStep(H, draws, []bool{true, true, false})
	for j := range 3 {
		if math.Abs(got2[j]-want2[j]) > 1e-12*(1+math.Abs(want2[j])) {
			t.Errorf("county held: b[%d] = %.15g, by hand %.15g", j, got2[j], want2[j])
		}
	}
}

// TestScoreDrawsForwardDifference: the score draws are forward
// differences; their mean plus (du/2)·H_jj (biasStep's correction, H the
// observed Hessian) must match the mean of the central differences
// (CL(u + du) − CL(u − du))/(2du) of the same histories, regenerated from
// the same streams, to within a fifth of the correction itself; without
// the correction the two means differ by the whole of it. The draws
// themselves must be reproduced exactly (same streams, same order).
func TestScoreDrawsForwardDifference(t *testing.T) {
	if testing.Short() {
		t.Skip("a fit and 19 score draws of a 16-group history (about a second): skipped with -short")
	}
	const B = 19
	p, sc, a, draws, h := biasPieces(t, B)
	idx := []int{0, 1, 2}
	var fwd, cen [3]float64
	stream := func(b int) (uint64, uint64) { return 7 ^ 0x5851f42d4c957f2d, uint64(b) }
	mismatch := 0
	p.simulatedHistories(sc, B, 1, stream, func() func(b int, d []float64) {
		var cl composite
		return func(b int, d []float64) {
			cl.setData(p, d)
			g := make([]float64, 3)
			cl.score(a, idx, g)
			for j := range 3 {
				if g[j] != draws[b][j] {
					mismatch++
				}
				fwd[j] += g[j] / B
				step := make([]float64, 3)
				step[j] = du
				fp := cl.at(a, idx, step)
				step[j] = -du
				fm := cl.at(a, idx, step)
				cen[j] += (fp - fm) / (2 * du) / B
			}
		}
	})
	if mismatch > 0 {
		t.Fatalf("%d score components differ from scoreDraws': the histories were not regenerated", mismatch)
	}
	for j := range 3 {
		corr := du / 2 * h[j][j]
		t.Logf("loading %d: mean forward %.3f, + (du/2)·H_jj = %.3f, mean central %.3f", j, fwd[j], fwd[j]+corr, cen[j])
		if math.Abs(fwd[j]+corr-cen[j]) > 0.2*math.Abs(corr) {
			t.Errorf("loading %d: mean forward score + (du/2)·H_jj = %.4f, mean central score %.4f: differ by more than a fifth of the correction %.4f",
				j, fwd[j]+corr, cen[j], corr)
		}
	}
}

func symOf(h [3][3]float64) *mat.SymDense {
	return mat.NewSymDense(3, []float64{h[0][0], h[0][1], h[0][2], h[1][0], h[1][1], h[1][2], h[2][0], h[2][1], h[2][2]})
}

// TestCalibrateSameForAnyWorkers: the calibration of a small synthetic
// history, bias correction included, is bit-identical with 1 and 3
// workers and from run to run (its JSON compared byte for byte).
func TestCalibrateSameForAnyWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("three calibrations of a 16-group history (about 2 s): skipped with -short")
	}
	p, _ := drawnHistory(10, 4, 3)
	var docs []string
	for _, workers := range []int{1, 3, 3} {
		res, err := Calibrate(historyOf(p), Options{Bootstrap: 19, ScoreDraws: 19, Seed: 5, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if res.R2.County.BiasCorrection == nil {
			t.Fatalf("no bias correction on r2.county: %v", res.Warnings)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	if docs[0] != docs[1] || docs[1] != docs[2] {
		t.Errorf("calibration differs between 1 and 3 workers or between runs:\n%s\n%s\n%s", docs[0], docs[1], docs[2])
	}
}

// TestIntervalCentredOnCorrectedEstimate: on a 7-year history of 36 groups (too short
// for the persistence, so w = 6/7 exactly) each loading's interval is
// centred, on the scale u = log(a·w + ε), on its estimate, which includes
// the bias correction: (u(lo) + u(hi))/2 = u(estimate) (for the intervals
// not clamped at 0; two of the three here); and the correction
// is not 0 (so the check would see an interval left at the raw estimate).
func TestIntervalCentredOnCorrectedEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("a calibration of a 16-group history (under a second): skipped with -short")
	}
	p, _ := drawnHistory(7, 6, 4)
	res, err := Calibrate(historyOf(p), Options{Bootstrap: 19, ScoreDraws: 19, Seed: 5, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	const w = 6.0 / 7
	u := func(x float64) float64 { return math.Log(x*w + logOffset) }
	checked := 0
	for i, e := range []Estimate{res.R2.Macro, res.R2.Industry, res.R2.County} {
		if e.Estimate == nil || e.CI95 == nil || e.BiasCorrection == nil {
			t.Fatalf("r2[%d] not estimated: %v", i, res.Warnings)
		}
		est, lo, hi := *e.Estimate, e.CI95[0], e.CI95[1]
		t.Logf("r2[%d] %.5f (correction %+.5f), interval %.5f–%.5f", i, est, *e.BiasCorrection, lo, hi)
		if lo <= 0 || hi >= maxRho {
			continue // clamped: its centre is not the estimate's
		}
		checked++
		if c := (u(lo) + u(hi)) / 2; math.Abs(c-u(est)) > 1e-12 {
			t.Errorf("r2[%d]: interval centred at u = %.15g, the estimate at u = %.15g", i, c, u(est))
		}
		if *e.BiasCorrection == 0 {
			t.Errorf("r2[%d]: bias correction exactly 0", i)
		}
	}
	if checked < 2 {
		t.Errorf("only %d intervals unclamped: the test checks too little", checked)
	}
}
