package sim

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/synth"
)

// contagionInputs are the inputs of the contagion step on some paths of a
// `danbao gen --chains` book (baseline, 3 years, fast sampler): per path
// and year the sampler's direct defaults and the cells' systematic parts,
// recorded as simulatePath draws them, so that the step can be run alone.
type contagionInputs struct {
	m      *Model
	direct [][][]Event   // [path][t]
	sys    [][][]float64 // [path][t]
	events [][]Event     // [path] what simulatePath gave, all years
}

// recordContagion draws paths 0..P−1 as simulatePath does (fast sampler,
// Gaussian copula, fixed LGD, no PD uplift) and records the contagion
// step's inputs.
func recordContagion(tb testing.TB, n, P int) *contagionInputs {
	tb.Helper()
	seed := uint64(20231231)
	if n != 20_000 {
		seed = 1 // as `danbao gen --chains --loans N --seed 1`
	}
	pf, err := synth.Generate(synth.Options{Loans: n, Seed: seed, Chains: true})
	if err != nil {
		tb.Fatal(err)
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 3
	m := mustCompile(tb, pf, &sc)
	if m.chains == nil || m.copulaT || m.lgd != nil || m.uplift != nil {
		tb.Fatal("the recording assumes chains, the Gaussian copula, a fixed LGD and no PD uplift")
	}
	in := &contagionInputs{m: m}
	w := m.newWorker()
	for p := range uint64(P) {
		for _, e := range w.events {
			w.dead[e.Loan] = false
		}
		w.events = w.events[:0]
		w.s.Reset(1, p)
		var direct [][]Event
		var sys [][]float64
		for t := range m.Horizon {
			m.factors.draw(w.s, t, w.f)
			for c, ld := range m.loadings {
				w.sys[c] = ld.m*w.f.macroS + ld.i*w.f.indS[ld.ind] + ld.c*w.f.ctyS[ld.cty]
			}
			before := len(w.events)
			m.fastYear(w, t, 1)
			direct = append(direct, slices.Clone(w.events[before:]))
			sys = append(sys, slices.Clone(w.sys))
			m.chainYear(w, t, before, 1, 1, p)
		}
		in.direct = append(in.direct, direct)
		in.sys = append(in.sys, sys)
		in.events = append(in.events, slices.Clone(w.events))
	}
	return in
}

// replay runs the contagion step alone on the recorded inputs of path p
// and returns its loss over the years.
func (in *contagionInputs) replay(w *worker, p int) (loss int64) {
	for _, e := range w.events {
		w.dead[e.Loan] = false
	}
	w.events = w.events[:0]
	w.chain.path = uint64(p)
	for t, d := range in.direct[p] {
		copy(w.sys, in.sys[p][t])
		before := len(w.events)
		w.events = append(w.events, d...)
		for _, e := range d {
			w.dead[e.Loan] = true
		}
		loss += in.m.contagion(w, t, before)
	}
	return loss
}

// TestContagionReplay: the recording is faithful (it draws each path's
// events as simulatePath does, and replaying the step alone gives them
// again) and the step allocates nothing once a worker has run a few paths.
func TestContagionReplay(t *testing.T) {
	in := recordContagion(t, 20_000, 40)
	w := in.m.newWorker()
	for p := range in.events {
		in.m.simulatePath(w, Fast, 1, uint64(p))
		if !slices.Equal(w.events, in.events[p]) {
			t.Fatalf("path %d: the recording's %d events differ from simulatePath's %d", p, len(in.events[p]), len(w.events))
		}
		in.replay(w, p)
		if !slices.Equal(w.events, in.events[p]) {
			t.Fatalf("path %d: the replay's %d events differ from simulatePath's %d", p, len(w.events), len(in.events[p]))
		}
	}
	sp := 0
	if a := testing.AllocsPerRun(20, func() { in.replay(w, sp%len(in.events)); sp++ }); a != 0 {
		t.Errorf("the contagion step allocates %.1f times a path, want 0", a)
	}
}

// BenchmarkContagionStep is the CPU time of the contagion step alone
// (Model.contagion, no sampler) per path on `danbao gen --chains` books
// (the example's 20k loans, and 100k with seed 1), 3 years:
//
//	go test ./sim -run '^$' -bench ContagionStep -benchtime 5x -count 3
//
// Alone, the step's data stay in cache between its calls more than in a
// run, where the sampler's data come between: the run's cost is higher.
func BenchmarkContagionStep(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			in := recordContagion(b, n, 400)
			w := in.m.newWorker()
			P := len(in.events)
			defer reportCPUPer(b, P, "path")()
			least := int64(math.MaxInt64)
			for b.Loop() {
				t0 := threadCPU()
				for p := range P {
					in.replay(w, p)
				}
				least = min(least, threadCPU()-t0)
			}
			b.ReportMetric(float64(least)/float64(P), "min-cpu-ns/path")
		})
	}
}
