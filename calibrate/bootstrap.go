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
	stream := func(b int) (uint64, uint64) { return seed, uint64(b) ^ 0x9e3779b97f4a7c15 }
	p.simulatedHistories(tr, B, workers, stream, func() func(b int, d []float64) {
		var mo moments
		return func(b int, d []float64) {
			mo.observe(p, d)
			e := mo.fit(p, ok, lag)
			for i := range 3 {
				res.r2[i][b] = e.r2[i]
			}
			res.phi[b] = e.phi
		}
	})
	return res
}

// simulatedHistories simulates B histories from tr on p's loans, history b
// from the PCG stream stream(b) only, on up to workers goroutines. Each
// goroutine gets its own use from newWorker (its scratch), called with
// history b's defaults d (valid only during the call), so whatever use
// stores by b does not depend on the number of workers.
func (p *panel) simulatedHistories(tr *truth, B, workers int, stream func(b int) (uint64, uint64), newWorker func() func(b int, d []float64)) {
	next := make(chan int, B)
	for b := range B {
		next <- b
	}
	close(next)
	var wg sync.WaitGroup
	for range max(1, min(workers, B)) {
		wg.Go(func() {
			use := newWorker()
			d := make([]float64, len(p.n))
			ik, cj := make([]float64, len(p.industries)), make([]float64, len(p.counties))
			pcg := rand.NewPCG(0, 0)
			rng := rand.New(pcg)
			for b := range next {
				pcg.Seed(stream(b))
				p.simulateTo(d, tr, rng, ik, cj)
				use(b, d)
			}
		})
	}
	wg.Wait()
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
