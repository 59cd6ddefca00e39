package sim

import (
	"context"
	"sync"
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/synth"
)

// genPortfolio100k is `danbao gen --loans 100000 --seed 1`, made once per
// test binary.
var genPortfolio100k = sync.OnceValues(func() (*models.Portfolio, error) {
	return synth.Generate(synth.Options{Loans: 100_000, Seed: 1})
})

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
