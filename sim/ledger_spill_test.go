package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// TestSpilledDocument: Simulate's document is the same, byte for byte,
// whether the per-path metrics and county outlays are kept in memory or in
// the temporary file (ledger_spill.go), for 1–3 workers and block sizes
// that leave a short last chunk, with binding county budgets (outlays at
// the budget) and under importance sampling (weighted quantiles).
func TestSpilledDocument(t *testing.T) {
	pf := allEligible(300)
	sc := models.DefaultScenario()
	sc.HorizonYears = 3
	sc.Policy.CountyFund.Budget = map[string]models.Cents{"330382": 2000 * models.Yuan, "330381": 0}
	defer func(v int64) { SpillMinBytes = v }(SpillMinBytes)
	doc := func(spill bool, p Params) []byte {
		t.Helper()
		SpillMinBytes = math.MaxInt64
		if spill {
			SpillMinBytes = 0
			p.Spill = testSpill(t.TempDir())
		}
		d, _, err := Simulate(context.Background(), pf, &sc, p)
		if err != nil {
			t.Fatal(err)
		}
		d.Workers, d.RunInfo = 0, RunInfo{}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, is := range []float64{0, 0.99} {
		want := doc(false, Params{Seed: 4, Paths: 1000, Workers: 2, ISLevel: is})
		if !bytes.Contains(want, []byte(`"metrics"`)) || !bytes.Contains(want, []byte(`"outlays"`)) {
			t.Fatal("the document has no metrics or outlays: nothing to compare")
		}
		for _, p := range []Params{{Workers: 1}, {Workers: 2, BlockSize: 7}, {Workers: 3, BlockSize: 300}} {
			p.Seed, p.Paths, p.ISLevel = 4, 1000, is
			if got := doc(true, p); !bytes.Equal(got, want) {
				t.Errorf("IS %v, workers %d, block %d: the spilled run's document differs from the one in memory", is, p.Workers, p.BlockSize)
			}
		}
	}
}

// TestMetricSpillOutOfOrder: paths of a chunk written by different
// writers, out of order and in pieces, read back as written; the file is
// gone from its folder from the start.
func TestMetricSpillOutOfOrder(t *testing.T) {
	dir := t.TempDir()
	const paths, chunk, G, H, C = 23, 5, 2, 2, 3
	sp, err := newMetricSpill(testSpill(dir), paths, chunk, G, H, C)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the spill file is still in its folder: %v", left)
	}
	value := func(p, g, t, k int) float64 { return float64(p) + float64(((g*H+t)*NMetrics+k))/1000 }
	ws := []*spillWriter{sp.newWriter(), sp.newWriter()}
	for n, p := range []int{0, 1, 7, 2, 3, 4, 5, 6, 8, 9, 22, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21} {
		w := ws[n%2]
		for g := 0; g <= G; g++ {
			for y := range H {
				for k := range NMetrics {
					w.row.metrics[(g*H+y)*NMetrics+k] = value(p, g, y, k)
				}
			}
		}
		for ct := range C * H {
			w.row.outlays[ct], w.row.comp[ct] = int64(p*100+ct), -int64(p*100+ct)
		}
		sp.put(w, p)
	}
	for _, w := range ws {
		sp.flush(w)
	}
	if err := sp.Err(); err != nil {
		t.Fatal(err)
	}
	b := &LedgerResult{Paths: paths, G: G, H: H, C: C, spill: sp}
	cols := make([]float64, NMetrics*paths)
	for g := 0; g <= G; g++ {
		for y := range H {
			b.metricColumns(g, y, cols)
			for k := range NMetrics {
				for q := range paths {
					if got, want := cols[k*paths+q], value(q, g, y, k); got != want {
						t.Fatalf("path %d, scope %d, year %d, metric %d: read %v, wrote %v", q, g, y, k, got, want)
					}
				}
			}
		}
	}
	cy := make([]int64, 2*paths)
	for c := range C {
		for y := range H {
			b.countyColumns(c, y, cy)
			for q := range paths {
				if want := int64(q*100 + c*H + y); cy[q] != want || cy[paths+q] != -want {
					t.Fatalf("path %d, county %d, year %d: read %d and %d, wrote %d and %d", q, c, y, cy[q], cy[paths+q], want, -want)
				}
			}
		}
	}
}

// TestMetricSpillErrors: a folder that cannot hold the file, and a write
// that fails, are errors naming the folder and TMPDIR.
func TestMetricSpillErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-folder")
	if _, err := newMetricSpill(testSpill(missing), 10, 4, 1, 1, 1); err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "per-path metrics") {
		t.Errorf("missing folder: err = %v, want one naming %s and the per-path metrics", err, missing)
	}
	dir := t.TempDir()
	sp, err := newMetricSpill(testSpill(dir), 10, 4, 1, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	sp.Close() // every write now fails, as on a full disk
	w := sp.newWriter()
	for p := range 4 {
		sp.put(w, p)
	}
	if err := sp.Err(); err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "TMPDIR") {
		t.Errorf("failed write: err = %v, want one naming %s and TMPDIR", err, dir)
	}
	b := &LedgerResult{Paths: 10, G: 1, H: 1, C: 1, spill: sp}
	if b.Err() == nil {
		t.Error("LedgerResult.Err is nil after a failed write")
	}
}

// TestSimulateMemoryEstimate: the per-path figures a run keeps in memory
// fit the estimates' perPath: Simulate's (spilled metrics and outlays) and
// Execute's (everything in memory), and the spill file is as large as its
// layout says, (G+1)·H·NMetrics·8 + C·H·16 bytes a path.
func TestSimulateMemoryEstimate(t *testing.T) {
	pf := allEligible(300)
	sc := models.DefaultScenario()
	sc.HorizonYears = 3
	defer func(v int64) { SpillMinBytes = v }(SpillMinBytes)
	SpillMinBytes = 0
	const paths, workers = 500, 2
	kept := func(r *Result, b *LedgerResult) int64 {
		n := 8*len(r.Loss) + 4*len(r.Defaults) + 8*len(r.Weight) + 8*len(b.PartyLoss) + 8*len(b.NeedX) +
			8*len(b.Metrics) + 8*len(b.Outlays) + 8*len(b.CountyComp)
		return int64(n) / paths
	}
	o, err := executePaths(context.Background(), pf, &sc, Params{Seed: 1, Paths: paths, Workers: workers, Spill: testSpill(t.TempDir())}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Book.Close()
	b := o.Book
	if b.spill == nil || b.Metrics != nil || b.Outlays != nil {
		t.Fatal("the book was not spilled")
	}
	_, per := SimulateMemoryEstimate(len(pf.Loans), len(pf.Guarantors), workers, paths, &sc)
	if k := kept(o.Paths, b); k > per {
		t.Errorf("Simulate keeps %d bytes a path in memory; SimulateMemoryEstimate counts %d", k, per)
	}
	fi, err := b.spill.f.(*os.File).Stat()
	if err != nil {
		t.Fatal(err)
	}
	G, H, C := int64(b.G), int64(b.H), int64(b.C)
	if want := paths * ((G+1)*H*NMetrics*8 + C*H*16); fi.Size() != want || b.spill.size() != want {
		t.Errorf("spill file %d bytes (size() %d), want %d", fi.Size(), b.spill.size(), want)
	}
	e, err := Execute(context.Background(), pf, &sc, Params{Seed: 1, Paths: paths, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	_, per = MemoryEstimate(len(pf.Loans), len(pf.Guarantors), workers, &sc)
	if k := kept(e.Paths, e.Book); k > per {
		t.Errorf("Execute keeps %d bytes a path in memory; MemoryEstimate counts %d", k, per)
	}
}

// testSpill creates spill files in dir, removed from it at once, as
// internal/tempfile.Spill does in os.TempDir() (sim itself does no I/O).
func testSpill(dir string) func() (SpillFile, error) {
	return func() (SpillFile, error) {
		f, err := os.CreateTemp(dir, "danbao-metrics-*.bin")
		if err != nil {
			return nil, err
		}
		_ = os.Remove(f.Name())
		return f, nil
	}
}

// TestMemoryEstimateBlock: a worker's block of defaults is 2¹⁹ events on
// a book that compiles to fewer than 2²⁰ loans and 2²⁰ from there on.
// MemoryEstimate bounds the compiled book from above (BookLoans: 400,000
// for 100,000 loans over three years, 1,600,000 for 400,000), so it never
// counts the smaller block for a run that gets the larger, and counts each
// worker's block at 104 bytes a default with a quarter of slack: 2¹⁹ × 130
// = 68,157,440 and 2²⁰ × 130 = 136,314,880 bytes a worker.
func TestMemoryEstimateBlock(t *testing.T) {
	if blockEvents(1<<20-1) != 1<<19 || blockEvents(1<<20) != 1<<20 {
		t.Fatalf("blockEvents(2²⁰ − 1) = %d, blockEvents(2²⁰) = %d; want 2¹⁹ and 2²⁰", blockEvents(1<<20-1), blockEvents(1<<20))
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 3
	for _, c := range []struct {
		loans     int
		perWorker int64
	}{{100_000, 68_157_440}, {400_000, 136_314_880}} {
		one, _ := MemoryEstimate(c.loans, 10, 1, &sc)
		two, _ := MemoryEstimate(c.loans, 10, 2, &sc)
		if got := two - one; got != c.perWorker {
			t.Errorf("%d loans (%d compiled): a worker's block counts %d bytes, want %d", c.loans, BookLoans(c.loans, &sc), got, c.perWorker)
		}
	}
}
