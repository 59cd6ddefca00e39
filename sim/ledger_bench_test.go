package sim

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/synth"
)

// genPortfolio100k is `danbao gen --loans 100000 --seed 1`, made once per
// test binary.
var genPortfolio100k = sync.OnceValues(func() (*models.Portfolio, error) {
	return synth.Generate(synth.Options{Loans: 100_000, Seed: 1})
})

// compiled100k is genPortfolio100k compiled over 3 years (the default
// scenario), with its scenario: the large book of the engine and ledger
// benchmarks.
func compiled100k(b *testing.B) (*models.Portfolio, *models.Scenario, *Model) {
	b.Helper()
	pf, err := genPortfolio100k()
	if err != nil {
		b.Fatal(err)
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 3
	return pf, &sc, mustCompile(b, pf, &sc)
}

// BenchmarkLedger is a full run as `danbao run --portfolio <gen 100k>
// --horizon 3` does it (Simulate: compile, kernel, policy ledger, document
// with contributions), 2,000 paths on one worker. Booking the defaults
// dominates it; ns/path is the whole call divided by the paths, compile
// included.
//
//	go test ./sim -run '^$' -bench Ledger -benchtime 3x -count 3
func BenchmarkLedger(b *testing.B) {
	pf, err := genPortfolio100k()
	if err != nil {
		b.Fatal(err)
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 3
	const paths = 2_000
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, _, err := Simulate(context.Background(), pf, &sc, Params{Seed: 1, Paths: paths, Workers: 1}); err != nil {
			b.Fatal(err)
		}
		n += paths
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/path")
}

// BenchmarkLedgerBook books the defaults of 512 paths of the 100k-loan
// book (3 years) already drawn: the ledger alone, without the engine.
// "path" hands the paths one at a time (Observe), "block" in blocks of
// up to BlockEvents defaults (ObserveBlock, as Run does). ns/default is
// the time per default booked, path closing and projection included.
//
//	go test ./sim -run '^$' -bench LedgerBook -benchtime 5x -count 3
func BenchmarkLedgerBook(b *testing.B) {
	pf, sc, m := compiled100k(b)
	L, err := newLedger(m, pf, sc)
	if err != nil {
		b.Fatal(err)
	}
	const paths = 512
	w := m.newWorker()
	var events []Event
	var ends []int32
	for p := range paths {
		m.simulatePath(w, Fast, 1, uint64(p))
		events = append(events, w.events...)
		ends = append(ends, int32(len(events)))
	}
	obs, _ := L.NewObserver(paths, 1)
	b.Run("path", func(b *testing.B) {
		defer reportCPU(b, len(events))()
		for b.Loop() {
			first := int32(0)
			for p := range paths {
				obs.Observe(0, p, events[first:ends[p]])
				first = ends[p]
			}
		}
	})
	// Blocks as Run makes them: consecutive paths up to BlockEvents
	// defaults; and, for comparison, blocks capped at 2¹⁷ and 2¹⁸ defaults.
	type block struct {
		p0     int
		events []Event
		ends   []int32
	}
	for _, most := range []int{1 << 17, 1 << 18, blockEvents(m.n)} {
		var blocks []block
		for p := 0; p < paths; {
			bl := block{p0: p}
			first := int32(0)
			if p > 0 {
				first = ends[p-1]
			}
			for p < paths && (len(bl.ends) == 0 || int(ends[p-1]-first) < most) {
				bl.ends = append(bl.ends, ends[p]-first)
				p++
			}
			bl.events = events[first:ends[p-1]]
			blocks = append(blocks, bl)
		}
		name := "block"
		if most != blockEvents(m.n) {
			name = fmt.Sprintf("block-%d", most)
		}
		b.Run(name, func(b *testing.B) {
			bo := obs.(BlockObserver)
			defer reportCPU(b, len(events))()
			for b.Loop() {
				for _, bl := range blocks {
					bo.ObserveBlock(0, bl.p0, bl.events, bl.ends)
				}
			}
		})
	}
}

// reportCPU reports the benchmark's wall and CPU time per default when the
// returned function is called: on a shared machine the CPU time of the
// benchmark's thread (Linux RUSAGE_THREAD) is the steadier figure.
func reportCPU(b *testing.B, defaults int) func() {
	runtime.LockOSThread()
	t0 := threadCPU()
	return func() {
		cpu := threadCPU() - t0
		runtime.UnlockOSThread()
		n := float64(b.N * defaults)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/default")
		b.ReportMetric(float64(cpu)/n, "cpu-ns/default")
	}
}

func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil { // 1: RUSAGE_THREAD
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
