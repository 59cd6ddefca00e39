package calibrate

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestCompositeQuick(t *testing.T) {
	p, pd := synthPanel(15, 12, 10, 300)
	tr := &truth{pd: pd, r2: [3]float64{0.05, 0.08, 0.04}}
	rng := rand.New(rand.NewPCG(1, 2))
	ik, cj := make([]float64, 10), make([]float64, 12)
	for rep := range 5 {
		p.simulateTo(p.d, tr, rng, ik, cj)
		var mo moments
		mo.observe(p, p.d)
		e := mo.fit(p, [3]bool{true, true, true}, false)
		var cl composite
		cl.setData(p, p.d)
		t0 := time.Now()
		v := cl.eval(tr.r2, nil)
		el := time.Since(t0)
		t0 = time.Now()
		a, err := cl.fit([3]bool{true, true, true}, e.r2)
		t.Logf("rep %d: CL(truth) %.3f (%v), moments %.4f, CL fit %.4f in %v err %v, CL %.3f", rep, v, el, e.r2, a, time.Since(t0), err, cl.eval(a, nil))
	}
}

func BenchmarkCompositeEval(b *testing.B) {
	p, pd := synthPanel(15, 12, 10, 300)
	tr := &truth{pd: pd, r2: [3]float64{0.05, 0.08, 0.04}}
	rng := rand.New(rand.NewPCG(1, 2))
	p.simulateTo(p.d, tr, rng, make([]float64, 10), make([]float64, 12))
	var cl composite
	cl.setData(p, p.d)
	for b.Loop() {
		cl.eval(tr.r2, nil)
	}
}
