package sim

import (
	"context"
	"reflect"
	"testing"
)

// TestRecordedChainsMatchReplay: an importance-sampling run of Execute on
// a book with guarantee chains records every path's losses by chain, and
// the ES contributions by chain summed from the record equal, to the bit,
// those of replaying the tail paths (what a shard merge does), with the
// same workers or others.
func TestRecordedChainsMatchReplay(t *testing.T) {
	pf := withRings(thinCapital(200), 4)
	sc := thinScenario(pf)
	for _, workers := range []int{1, 3} {
		p := Params{Seed: 7, Paths: 600, ISLevel: 0.99, Workers: workers, BlockSize: 37}
		o := mustExecute(t, pf, sc, p)
		r := o.Paths
		if r.chainRec == nil {
			t.Fatal("an --is run of Execute on a book with chains recorded no chain losses")
		}
		recorded, err := esContributions(context.Background(), o.Model, r, p, contributionLevel, o.Ledger)
		if err != nil {
			t.Fatal(err)
		}
		saved := r.chainRec
		r.chainRec = nil
		replayed, err := esContributions(context.Background(), o.Model, r, p, contributionLevel, o.Ledger)
		r.chainRec = saved
		if err != nil {
			t.Fatal(err)
		}
		if recorded.Chains == nil || len(recorded.Chains.Chains) == 0 {
			t.Fatal("no chain contributions")
		}
		if !reflect.DeepEqual(recorded.Chains, replayed.Chains) {
			t.Errorf("workers %d: chain contributions recorded %+v, replayed %+v", workers, recorded.Chains, replayed.Chains)
		}
	}
}

// TestChainRecordFull: a path's entries add up to its losses by chain,
// and a record that runs out of budget says so (the run then drops it and
// replays); the accumulator is left clean either way.
func TestChainRecordFull(t *testing.T) {
	ids := []int32{0, 1, 1, 2}
	r := newChainRecord(3, 1)
	r.budget.Store(chainChunkEntries) // room for one chunk
	a := newChainAccumulator(3)
	r.add(0, 0, ids, []Event{{Loan: 1, Loss: 5}, {Loan: 2, Loss: 7}, {Loan: 3, Loss: 1}}, a)
	r.add(0, 1, ids, []Event{{Loan: 0, Loss: 3}}, a)
	sums := make([]float64, 3)
	r.addTo(sums, 2, 0)
	r.addTo(sums, 0.5, 1)
	if want := []float64{1.5, 24, 2}; !reflect.DeepEqual(sums, want) || r.over.Load() {
		t.Fatalf("sums %v (over %v), want %v", sums, r.over.Load(), want)
	}
	// The chunk is full: the next path needs a second one, beyond the budget.
	r.arenas[0][0].seg = r.arenas[0][0].seg[:chainChunkEntries]
	r.add(0, 2, ids, []Event{{Loan: 0, Loss: 3}, {Loan: 3, Loss: 4}}, a)
	if !r.over.Load() {
		t.Error("a second chunk fit a budget of one")
	}
	if len(a.touched) != 0 || a.acc[0] != 0 || a.acc[2] != 0 || a.mark[0] || a.mark[2] {
		t.Errorf("the accumulator was not reset: %+v", a)
	}
}
