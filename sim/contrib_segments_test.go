package sim

import (
	"context"
	"math"
	"testing"
)

// TestRecordedSegmentsMatchReplay: an importance-sampling run of Execute
// records every path's segment losses, and the ES contributions summed
// from them equal, to the bit, those of replaying the tail paths (what a
// shard merge does, here through the per-dimension ids that books of
// more than 256 segments use); each dimension adds up to the weighted ES
// 0.99.
func TestRecordedSegmentsMatchReplay(t *testing.T) {
	pf := thinCapital(200)
	sc := thinScenario(pf)
	p := Params{Seed: 7, Paths: 600, ISLevel: 0.99, Workers: 2}
	o := mustExecute(t, pf, sc, p)
	r := o.Paths
	if r.segLoss == nil {
		t.Fatal("an --is run of Execute recorded no segment losses")
	}
	recorded, err := esContributions(context.Background(), o.Model, r, p, contributionLevel, o.Ledger)
	if err != nil {
		t.Fatal(err)
	}
	saved := r.segLoss
	r.segLoss = nil
	r.segments.at = nil // the replay adds through the per-dimension ids (books of more than 256 segments)
	replayed, err := esContributions(context.Background(), o.Model, r, p, contributionLevel, o.Ledger)
	r.segLoss = saved
	if err != nil {
		t.Fatal(err)
	}
	for dim, segs := range replayed.By {
		var sum float64
		for name, v := range segs {
			got := recorded.By[dim][name]
			if got != v {
				t.Errorf("%s %s: recorded %.2f, replayed %.2f", dim, name, got, v)
			}
			sum += float64(got)
		}
		if math.Abs(sum-float64(recorded.ES)) > 1e-6*float64(recorded.ES) {
			t.Errorf("%s: contributions add up to %.2f, ES 0.99 is %.2f", dim, sum, recorded.ES)
		}
	}
	if len(recorded.By) != 4 {
		t.Errorf("%d dimensions, want 4", len(recorded.By))
	}
}
