package danbao

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// TestLGDCost measures the CPU time of a full run (sim.Execute: compile,
// kernel and ledger) of the example over three years, 10,000 paths, one
// worker, with the stochastic LGD off and on (model.lgd.loading 0.2),
// alternating four times in one process, and logs the ratio of the totals
// (docs/recoveries.md quotes it). CPU time (user + system, from getrusage)
// rather than wall time, because the machine is shared. Run with
//
//	DANBAO_LONG=1 go test . -run TestLGDCost -v
func TestLGDCost(t *testing.T) {
	if os.Getenv("DANBAO_LONG") == "" {
		t.Skip("a measurement: set DANBAO_LONG=1")
	}
	pf, err := Example()
	if err != nil {
		t.Fatal(err)
	}
	cpu := func() time.Duration {
		var r syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
			t.Fatal(err)
		}
		return time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	var total [2]time.Duration
	for range 4 {
		for k, b := range []float64{0, 0.2} {
			sc := models.DefaultScenario()
			sc.HorizonYears = 3
			sc.Model.LGD.Loading = b
			c0 := cpu()
			if _, err := sim.Execute(context.Background(), pf, &sc, sim.Params{Seed: 1, Paths: 10000, Workers: 1}); err != nil {
				t.Fatal(err)
			}
			d := cpu() - c0
			total[k] += d
			t.Logf("loading %v: %v CPU", b, d)
		}
	}
	t.Logf("stochastic LGD on / off: %.2f× CPU", float64(total[1])/float64(total[0]))
}
