package sim

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/synth"
)

// BenchmarkChainsCost splits what guarantee chains cost on `danbao gen
// [--loans 100000] --chains` books (seed 20231231, the example's; baseline
// scenario, 3 years) into its parts, each as CPU time of the benchmark's
// thread:
//
//   - kernel: drawing a path (simulatePath: the sampler, and with chains
//     the contagion step), cpu-ns/path;
//   - book: the ledger booking the drawn paths' defaults in blocks as Run
//     does (ObserveBlock, closing and projecting each path included),
//     cpu-ns/default and cpu-ns/path;
//   - defaults/path, so the extra ledger cost of chains is (book cpu-ns/path
//     with − without).
//
// min-cpu-ns/path is the least of the iterations: on a loaded machine the
// steadier figure (other processes only add to it).
//
// Select a book with -bench:
//
//	go test ./sim -run '^$' -bench 'ChainsCost/20k' -benchtime 3x -count 3
//	go test ./sim -run '^$' -bench 'ChainsCost/100k' -benchtime 2x -count 3
func BenchmarkChainsCost(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		for _, chained := range []bool{false, true} {
			b.Run(fmt.Sprintf("%dk/chains=%v", n/1000, chained), func(b *testing.B) { benchChainsCost(b, n, chained) })
		}
	}
}

func benchChainsCost(b *testing.B, n int, chained bool) {
	pf, err := synth.Generate(synth.Options{Loans: n, Seed: 20231231, Chains: chained})
	if err != nil {
		b.Fatal(err)
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 3
	m := mustCompile(b, pf, &sc)
	L, err := newLedger(m, pf, &sc)
	if err != nil {
		b.Fatal(err)
	}
	paths := 2000
	if n > 20_000 {
		paths = 400
	}
	w := m.newWorker()
	b.Run("kernel", func(b *testing.B) {
		defer reportCPUPer(b, paths, "path")()
		least := int64(math.MaxInt64)
		for b.Loop() {
			t0 := threadCPU()
			for p := range paths {
				m.simulatePath(w, Fast, 1, uint64(p))
			}
			least = min(least, threadCPU()-t0)
		}
		b.ReportMetric(float64(least)/float64(paths), "min-cpu-ns/path")
	})
	var events []Event
	var ends []int32
	for p := range paths {
		m.simulatePath(w, Fast, 1, uint64(p))
		events = append(events, w.events...)
		ends = append(ends, int32(len(events)))
	}
	obs, _ := L.NewObserver(paths, 1)
	bo := obs.(BlockObserver)
	b.Run("book", func(b *testing.B) {
		defer reportCPUPer(b, paths, "path")()
		defer reportCPU(b, len(events))()
		least := int64(math.MaxInt64)
		for b.Loop() {
			t0 := threadCPU()
			for p := 0; p < paths; {
				first := int32(0)
				if p > 0 {
					first = ends[p-1]
				}
				p0 := p
				var be []int32
				for p < paths && (len(be) == 0 || int(ends[p-1]-first) < blockEvents(m.n)) {
					be = append(be, ends[p]-first)
					p++
				}
				bo.ObserveBlock(0, p0, events[first:ends[p-1]], be)
			}
			least = min(least, threadCPU()-t0)
		}
		b.ReportMetric(float64(least)/float64(paths), "min-cpu-ns/path")
		b.ReportMetric(float64(len(events))/float64(paths), "defaults/path")
	})
}

// reportCPUPer reports the benchmark thread's CPU time per unit (each
// iteration does units of them) when the returned function is called.
func reportCPUPer(b *testing.B, units int, unit string) func() {
	runtime.LockOSThread()
	t0 := threadCPU()
	return func() {
		cpu := threadCPU() - t0
		runtime.UnlockOSThread()
		b.ReportMetric(float64(cpu)/float64(b.N*units), "cpu-ns/"+unit)
	}
}
