package sim

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// TestRandomLagDirichlet: the fractions drawLags gives each compensation
// year follow the Dirichlet(c·lag) law: over 20,000 paths their means are
// lag_k and their variances lag_k·(1 − lag_k)/(c + 1), each within 4
// standard errors (the variance's SE from the sample's fourth moment), and
// each year's fractions sum to 1.
func TestRandomLagDirichlet(t *testing.T) {
	pf := mixed(50, false)
	sc := models.DefaultScenario()
	sc.HorizonYears = 2
	sc.Recovery.Lag = []float64{0.1, 0.2, 0.3, 0.25, 0.15}
	sc.Recovery.LagConcentration = 4
	m := mustCompile(t, pf, &sc)
	L, err := newLedger(m, pf, &sc)
	if err != nil {
		t.Fatal(err)
	}
	L.SetRandomLag(sc.Recovery, 9, 0)
	s := L.newScratch()
	const n = 20000
	K, c := len(sc.Recovery.Lag), sc.Recovery.LagConcentration
	x := make([][]float64, K)
	for p := range n {
		L.drawLags(s, p)
		for y := range sc.HorizonYears {
			cum := L.lagCumFor(s, y)
			if cum[K-1] != 1 {
				t.Fatalf("path %d year %d: fractions sum to %v", p, y, cum[K-1])
			}
		}
		cum := L.lagCumFor(s, 1)
		prev := 0.0
		for k := range K {
			x[k] = append(x[k], cum[k]-prev)
			prev = cum[k]
		}
	}
	for k, f := range sc.Recovery.Lag {
		mean, sd := meanSD(x[k])
		v := sd * sd
		var m4 float64
		for _, xi := range x[k] {
			m4 += math.Pow(xi-mean, 4)
		}
		m4 /= n
		wantV := f * (1 - f) / (c + 1)
		seV := math.Sqrt((m4 - v*v) / n)
		t.Logf("k=%d: mean %.4f (lag %.2f), variance %.5f ± %.5f (want %.5f)", k+1, mean, f, v, seV, wantV)
		if math.Abs(mean-f) > 4*sd/math.Sqrt(n) || math.Abs(v-wantV) > 4*seV {
			t.Errorf("k=%d: mean %v variance %v, want %v and %v", k+1, mean, v, f, wantV)
		}
	}
}

// TestRandomLagKeepsLossesAndMeans: random lags move recoveries in time
// only. Every party's ultimate loss is the fixed-lag run's, path by path;
// the guarantors' mean recoveries received per year match the fixed run's
// within 4 standard errors of the paired difference; results are the same
// for any worker count; and booking a path allocates nothing.
func TestRandomLagKeepsLossesAndMeans(t *testing.T) {
	if testing.Short() {
		t.Skip("three full runs of 3,000 paths")
	}
	pf := mixed(1500, true)
	sc := models.DefaultScenario()
	sc.HorizonYears = 4
	p := Params{Seed: 21, Paths: 3000}
	fixed, err := Execute(context.Background(), pf, &sc, p)
	if err != nil {
		t.Fatal(err)
	}
	sc.Recovery.LagConcentration = 2
	random, err := Execute(context.Background(), pf, &sc, p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fixed.Book.PartyLoss, random.Book.PartyLoss) {
		t.Fatal("random lags changed the parties' ultimate losses")
	}
	G := fixed.Book.G
	moved := false
	for y := 1; y < sc.HorizonYears; y++ {
		d := make([]float64, p.Paths)
		for q := range d {
			d[q] = random.Book.Metric(q, G, y, MetricRecoveries) - fixed.Book.Metric(q, G, y, MetricRecoveries)
			moved = moved || d[q] != 0
		}
		md, sd := meanSD(d)
		se := sd / math.Sqrt(float64(p.Paths))
		t.Logf("year %d: city recoveries received, random − fixed lag: %.0f ± %.0f yuan", y+1, md, se)
		if math.Abs(md) > 4*se {
			t.Errorf("year %d: mean recoveries moved by %v ± %v", y+1, md, se)
		}
	}
	if !moved {
		t.Error("random lags changed no year's recoveries")
	}
	again, err := Execute(context.Background(), pf, &sc, Params{Seed: 21, Paths: 3000, Workers: 3, BlockSize: 17})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Book.Metrics, random.Book.Metrics) {
		t.Fatal("random lags: metrics depend on the workers")
	}

	m := random.Model
	L := random.Ledger
	obs, _ := L.NewObserver(100, 1)
	w := m.newWorker()
	for q := range 100 {
		m.simulatePath(w, Fast, 1, uint64(q))
		obs.Observe(0, q, w.events)
	}
	m.simulatePath(w, Fast, 1, 7)
	if allocs := testing.AllocsPerRun(100, func() { obs.Observe(0, 7, w.events) }); allocs != 0 {
		t.Errorf("%v allocations per path", allocs)
	}
}
