package calibrate

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// bootstrapResult holds the parametric-bootstrap replicates of each
// estimate: r2[i][b] and phi[b].
type bootstrapResult struct {
	r2  [3][]float64
	phi []float64
}

// bootstrap refits B histories simulated from tr on p's loans. Replicate b
// draws only from the stream (seed, b), so the result does not depend on
// workers.
func bootstrap(p *panel, tr *truth, ok [3]bool, lag bool, B int, seed uint64, workers int) *bootstrapResult {
	res := &bootstrapResult{phi: make([]float64, B)}
	for i := range res.r2 {
		res.r2[i] = make([]float64, B)
	}
	workers = max(1, min(workers, B))
	var wg sync.WaitGroup
	next := make(chan int, B)
	for b := range B {
		next <- b
	}
	close(next)
	for range workers {
		wg.Go(func() {
			var mo moments
			d := make([]float64, len(p.n))
			ik, cj := make([]float64, len(p.industries)), make([]float64, len(p.counties))
			pcg := rand.NewPCG(0, 0)
			rng := rand.New(pcg)
			for b := range next {
				pcg.Seed(seed, uint64(b)^0x9e3779b97f4a7c15)
				p.simulateTo(d, tr, rng, ik, cj)
				mo.observe(p, d)
				e := mo.fit(p, ok, lag)
				for i := range 3 {
					res.r2[i][b] = e.r2[i]
				}
				res.phi[b] = e.phi
			}
		})
	}
	wg.Wait()
	return res
}

// quantile returns the type-7 quantile a of x (NaNs dropped); NaN when
// nothing is left. x is sorted in place.
func quantile(x []float64, a float64) float64 {
	s := slices.DeleteFunc(x, math.IsNaN)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	h := a * float64(len(s)-1)
	i := int(h)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (h-float64(i))*(s[i+1]-s[i])
}

// invertInterval returns the 95 % interval of a parameter by inverting
// parametric-bootstrap tests: the estimator's quantiles q₀.₀₂₅(θ) and
// q₀.₉₇₅(θ) are known at the simulated values theta (ascending) and taken
// as piecewise linear in θ (extended linearly beyond), and the interval is
//
//	[θ_L, θ_U] with q₀.₉₇₅(θ_L) = est and q₀.₀₂₅(θ_U) = est
//
// (the values of θ at which est would be just significant at 2.5 % on
// either side), clamped to [lo, hi].
func invertInterval(est float64, theta, q025, q975 []float64, lo, hi float64) [2]float64 {
	return [2]float64{
		min(max(solvePiecewise(theta, q975, est, lo, hi), lo), hi),
		min(max(solvePiecewise(theta, q025, est, hi, hi), lo), hi),
	}
}

// solvePiecewise returns θ with f(θ) = y for f the increasing piecewise
// linear function through (x[i], f[i]) (x ascending), extended linearly
// beyond its ends; none when f does not increase where y lies.
func solvePiecewise(x, f []float64, y, none, hi float64) float64 {
	type pt struct{ x, f float64 }
	var pts []pt
	for i := range x {
		if math.IsNaN(f[i]) || (len(pts) > 0 && x[i] <= pts[len(pts)-1].x) {
			continue
		}
		pts = append(pts, pt{x[i], f[i]})
	}
	if len(pts) < 2 {
		return none
	}
	seg := len(pts) - 2 // the segment holding y, or the end segment nearest it
	for i := 0; i+1 < len(pts); i++ {
		if y <= pts[i+1].f {
			seg = i
			break
		}
	}
	a, b := pts[seg], pts[seg+1]
	if !(b.f > a.f) {
		if y <= a.f {
			return a.x
		}
		return none
	}
	return a.x + (y-a.f)*(b.x-a.x)/(b.f-a.f)
}
