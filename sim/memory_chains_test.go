package sim

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/synth"
)

// TestChainsMemoryEstimate: a book whose links far outnumber its loans
// (every borrower guarantees the next 15, 30,000 links over 2,000 loans)
// allocates less for its chains than ChainsMemoryEstimate counts. The
// chains' share is what Simulate allocates in all (runtime.MemStats'
// TotalAlloc, garbage included, so an upper bound on what it holds at
// once) with the links less what it allocates without them, on one
// worker so that the garbage is the same from run to run.
func TestChainsMemoryEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a links-heavy book twice")
	}
	pf, err := synth.Generate(synth.Options{Loans: 2000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var borrowers []string
	seen := map[string]bool{}
	for i := range pf.Loans {
		if b := borrowerOf(&pf.Loans[i]); !seen[b] {
			seen[b] = true
			borrowers = append(borrowers, b)
		}
	}
	const fanOut = 15
	var links []models.Link
	for k, from := range borrowers {
		for d := 1; d <= fanOut; d++ {
			l := models.NewLink()
			l.From, l.To, l.Amount = from, borrowers[(k+d)%len(borrowers)], models.Cents(100_000_00)
			links = append(links, l)
		}
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 3
	const paths, workers = 400, 1
	allocated := func(pf *models.Portfolio) uint64 {
		var a, b runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&a)
		if _, _, err := Simulate(context.Background(), pf, &sc, Params{Seed: 1, Paths: paths, Workers: workers, Spill: testSpill(t.TempDir())}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&b)
		return b.TotalAlloc - a.TotalAlloc
	}
	without := allocated(pf)
	chained := *pf
	chained.Links = links
	with := allocated(&chained)
	fixed, perPath := ChainsMemoryEstimate(len(links), len(pf.Loans), workers, &sc)
	estimate := fixed + perPath*paths
	got := int64(with) - int64(without)
	t.Logf("%d links, %d borrowers: the chains allocate %s; ChainsMemoryEstimate %s", len(links), len(borrowers), mib(got), mib(estimate))
	if got > estimate {
		t.Errorf("the chains allocate %s, more than ChainsMemoryEstimate's %s", mib(got), mib(estimate))
	}
	if f, p := ChainsMemoryEstimate(0, len(pf.Loans), workers, &sc); f != 0 || p != 0 {
		t.Errorf("ChainsMemoryEstimate without links = %d, %d; want 0, 0", f, p)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
