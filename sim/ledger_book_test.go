package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// pathByPath hides a ledger's ObserveBlock, so that Run hands it one path
// at a time (the PathObserver route).
type pathByPath struct{ PathObserver }

// TestLedgerBlocksAndWorkers: the ledger's per-path figures are
// bit-identical whether paths are booked one at a time or in blocks of any
// size (loan bucket by loan bucket), and for any number of workers. A
// finite county budget makes the order of claims matter (capBudgets). The
// second case adds random recovery lags (drawn per path from the path's
// lag stream, whatever its block) and the stochastic LGD (each default's
// loss rides in the sorted block): there the parties' losses on each path
// must add up to the path's loss, the sum of its defaults' Event.Loss.
func TestLedgerBlocksAndWorkers(t *testing.T) {
	pf := allEligible(3000)
	for _, economy := range []bool{false, true} {
		sc := models.DefaultScenario()
		if economy {
			sc = *lgdScenario(3, 0.25, 0.6)
			sc.Recovery.LagConcentration = 2
		}
		sc.HorizonYears = 3
		sc.Policy.CountyFund.Budget = map[string]models.Cents{"330382": 2000 * models.Yuan, "330381": 0}
		m := mustCompile(t, pf, &sc)
		L, err := newLedger(m, pf, &sc)
		if err != nil {
			t.Fatal(err)
		}
		const paths, seed = 300, 3
		L.SetRandomLag(sc.Recovery, seed, 0)
		if economy && (L.lag == nil || m.lgd == nil) {
			t.Fatal("the economy case has no random lags or no stochastic LGD")
		}
		run := func(workers, block int, oneByOne bool) (*Result, *LedgerResult) {
			obs, book := L.NewObserver(paths, workers)
			if oneByOne {
				obs = pathByPath{obs}
			}
			r, err := Run(context.Background(), m, Params{Seed: seed, Paths: paths, Workers: workers, BlockSize: block, Observer: obs})
			if err != nil {
				t.Fatal(err)
			}
			return r, book
		}
		r, want := run(1, 1, true)
		var capped int64
		for p := range paths {
			for c := range want.C {
				for y := range want.H {
					if b := L.budget[c]; b >= 0 && want.CountyComp[(p*want.C+c)*want.H+y] == b {
						capped++
					}
				}
			}
		}
		if capped == 0 {
			t.Fatalf("economy %v: no county budget binds on any path: the test does not exercise capBudgets", economy)
		}
		for p := range paths {
			var parties int64
			for k := range NParties {
				parties += want.PartyLoss[p*NParties+k]
			}
			if total := r.TotalLoss(p); parties != total {
				t.Fatalf("economy %v, path %d: parties lose %d fen in all, the path's defaults %d", economy, p, parties, total)
			}
		}
		for _, tt := range []struct {
			workers, block int
			oneByOne       bool
		}{{1, 256, false}, {2, 7, false}, {3, 64, false}, {2, 1, false}, {3, 50, true}} {
			_, got := run(tt.workers, tt.block, tt.oneByOne)
			if k := firstDiff64(want.PartyLoss, got.PartyLoss); k >= 0 {
				t.Errorf("economy %v, workers %d, block %d: PartyLoss[%d] %d, want %d", economy, tt.workers, tt.block, k, got.PartyLoss[k], want.PartyLoss[k])
			}
			if k := firstDiff64(want.Outlays, got.Outlays); k >= 0 {
				t.Errorf("economy %v, workers %d, block %d: Outlays[%d] differ", economy, tt.workers, tt.block, k)
			}
			if k := firstDiff64(want.CountyComp, got.CountyComp); k >= 0 {
				t.Errorf("economy %v, workers %d, block %d: CountyComp[%d] differ", economy, tt.workers, tt.block, k)
			}
			if k := firstDiffBits(want.Metrics, got.Metrics); k >= 0 {
				t.Errorf("economy %v, workers %d, block %d: Metrics[%d] %v, want %v", economy, tt.workers, tt.block, k, got.Metrics[k], want.Metrics[k])
			}
			if k := firstDiffBits(want.NeedX, got.NeedX); k >= 0 {
				t.Errorf("economy %v, workers %d, block %d: NeedX[%d] differ", economy, tt.workers, tt.block, k)
			}
		}
	}
}

func firstDiff64(a, b []int64) int {
	for k := range a {
		if a[k] != b[k] {
			return k
		}
	}
	return -1
}

func firstDiffBits(a, b []float64) int {
	for k := range a {
		if math.Float64bits(a[k]) != math.Float64bits(b[k]) {
			return k
		}
	}
	return -1
}

// TestDocumentWorkers: the summaries computed in parallel after the run
// (the metrics' quantiles and the contributions' replay of the tail paths,
// here more than one chunk of contribChunk) are bit-identical for any
// number of workers.
func TestDocumentWorkers(t *testing.T) {
	pf := allEligible(300)
	sc := models.DefaultScenario()
	sc.HorizonYears = 2
	const paths = 5000 // 50 paths beyond VaR 0.99: two chunks
	var want []byte
	for _, workers := range []int{1, 2, 3} {
		o, err := Execute(context.Background(), pf, &sc, Params{Seed: 9, Paths: paths, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		o.Doc.Workers, o.Doc.RunInfo = 0, RunInfo{} // how the run was done: the only fields that may differ
		got, err := json.Marshal(o.Doc)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("workers %d: the document differs from 1 worker's", workers)
		}
	}
}

// TestKeptSplitSameAsPerDefault: a ledger that keeps every loan-year's
// nominal split (small books) and one that splits each claim when booking
// it (books above keepSplitMaxBytes) give the same document to the byte.
func TestKeptSplitSameAsPerDefault(t *testing.T) {
	pf := allEligible(300)
	sc := models.DefaultScenario()
	sc.HorizonYears = 2
	doc := func(keep int) []byte {
		old := keepSplitMaxBytes
		keepSplitMaxBytes = keep
		defer func() { keepSplitMaxBytes = old }()
		m := mustCompile(t, pf, &sc)
		L, err := newLedger(m, pf, &sc)
		if err != nil {
			t.Fatal(err)
		}
		if kept := L.lys != nil; kept != (keep > 0) {
			t.Fatalf("keepSplitMaxBytes %d: split kept %v", keep, kept)
		}
		o, err := Execute(context.Background(), pf, &sc, Params{Seed: 9, Paths: 3000, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		o.Doc.Workers, o.Doc.RunInfo = 0, RunInfo{}
		b, err := json.Marshal(o.Doc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if kept, split := doc(1<<30), doc(0); !bytes.Equal(kept, split) {
		t.Error("the document with the split kept differs from the one with the split per default")
	}
}

// TestKeptSplitInt32: the kept split holds the parts as int32, so a book
// with a claim above 2³¹−1 fen (21.47M yuan) splits per default; below
// it, every loan-year's kept parts read back as Ledger.split gives them,
// the guarantor's included (the claim less the others').
func TestKeptSplitInt32(t *testing.T) {
	sc := models.DefaultScenario()
	sc.HorizonYears = 2
	for _, tc := range []struct {
		balance models.Cents
		kept    bool
	}{{1_000_000_000, true}, {3_000_000_000, false}} {
		pf := allEligible(300)
		pf.Loans[0].Balance = tc.balance
		m := mustCompile(t, pf, &sc)
		L, err := newLedger(m, pf, &sc)
		if err != nil {
			t.Fatal(err)
		}
		if kept := L.lys != nil; kept != tc.kept {
			t.Fatalf("loan 0's balance %d fen: split kept %v, want %v", tc.balance, kept, tc.kept)
		}
		for i := range L.lys {
			var got, want [NParties]int64
			r := &L.lys[i]
			r.parts(&got)
			L.split(&want, &L.loans[i/L.H], r.claim)
			if got != want {
				t.Fatalf("loan-year %d: kept parts %v, split %v", i, got, want)
			}
		}
	}
}
