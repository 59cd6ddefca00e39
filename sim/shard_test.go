package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// shardRuns runs paths [0, P) as k shards (ExecutePaths on ShardRange) and
// returns their per-path figures joined in path order.
func shardRuns(t *testing.T, run func(p Params) *Outcome, p Params, k int) (*Result, *LedgerResult) {
	t.Helper()
	var rs []*Result
	var bs []*LedgerResult
	for i := range k {
		lo, hi := ShardRange(i, k, p.Paths)
		q := p
		q.FirstPath, q.Paths = lo, hi-lo
		o := run(q)
		rs = append(rs, o.Paths)
		bs = append(bs, o.Book)
	}
	r, err := ConcatResults(rs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ConcatLedgers(bs)
	if err != nil {
		t.Fatal(err)
	}
	return r, b
}

func docJSON(t *testing.T, v interface{ SetRunInfo(RunInfo) }) string {
	t.Helper()
	v.SetRunInfo(RunInfo{})
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestShardsEqualOneRun: path p's draws depend only on (seed, p), so
// shards of 1, 2, 3 and 7 path ranges, joined and summarized, give the
// single run's document (and top-up) byte for byte, with and without
// importance sampling, with 1 and 3 workers per shard, and with guarantee
// chains (the contagion block: its split and largest cascades).
func TestShardsEqualOneRun(t *testing.T) {
	plain := thinCapital(150)
	chained := withRings(thinCapital(150), 5)
	sc := thinScenario(plain)
	ctx := context.Background()
	for _, pf := range []*models.Portfolio{plain, chained} {
		for _, is := range []float64{0, 0.99} {
			p := Params{Seed: 11, Paths: 97, Workers: 2, BlockSize: 16, ISLevel: is, Levels: []float64{0.9}}
			one := mustExecute(t, pf, sc, p)
			if c := one.Doc.Contagion; len(pf.Links) > 0 && (c == nil || len(c.Cascades) < 2 || c.Contagion.Mean == 0) {
				t.Fatalf("the chained portfolio's run has no contagion to shard: %+v", c)
			}
			want := docJSON(t, one.Doc)
			wantTop := docJSON(t, mustTopup(t, one, 0.9))
			for _, k := range []int{1, 2, 3, 7} {
				t.Run(fmt.Sprintf("links=%d/is=%v/K=%d", len(pf.Links), is, k), func(t *testing.T) {
					r, b := shardRuns(t, func(q Params) *Outcome {
						q.Workers = 1 + q.FirstPath%3
						o, err := ExecutePaths(ctx, pf, sc, q)
						if err != nil {
							t.Fatal(err)
						}
						if o.Doc != nil {
							t.Fatal("ExecutePaths made a document")
						}
						return o
					}, p, k)
					o, err := Assemble(ctx, pf, sc, r, b, p)
					if err != nil {
						t.Fatal(err)
					}
					if got := docJSON(t, o.Doc); got != want {
						t.Errorf("merged document differs from the single run's")
					}
					if got := docJSON(t, mustTopup(t, o, 0.9)); got != wantTop {
						t.Errorf("merged top-up differs from the single run's")
					}
				})
			}
		}
	}
}

// withRings adds guarantee chains to pf: rings of k consecutive loans'
// borrowers, each guaranteeing the next for the next's balance, with a
// capacity of half its own balance, so that calls topple firms.
func withRings(pf *models.Portfolio, k int) *models.Portfolio {
	for r := 0; r+k <= len(pf.Loans); r += k {
		for j := range k {
			from, to := &pf.Loans[r+j], &pf.Loans[r+(j+1)%k]
			pf.Links = append(pf.Links, models.Link{From: from.LoanID, To: to.LoanID, Amount: to.Balance, Capacity: from.Balance / 2})
		}
	}
	return pf
}

// TestShardsSweep runs a sweep's points as shards through
// SweepOptions.Execute and merges them through it: the merged sweep is the
// single sweep byte for byte.
func TestShardsSweep(t *testing.T) {
	pf := thinCapital(120)
	sc := thinScenario(pf)
	p := Params{Seed: 3, Paths: 60, Workers: 2}
	values := []float64{0.2, 0.35}
	opt := SweepOptions{}
	want := docJSON(t, mustSweep(t, pf, sc, values, opt, p))
	const k = 3
	parts := make([][]*Outcome, len(values))
	for i := range k {
		lo, hi := ShardRange(i, k, p.Paths)
		q := p
		q.FirstPath, q.Paths = lo, hi-lo
		so := opt
		so.Execute = func(ctx context.Context, point int, sc *models.Scenario, q Params) (*Outcome, error) {
			o, err := ExecutePaths(ctx, pf, sc, q)
			parts[point] = append(parts[point], o)
			return nil, err
		}
		r := mustSweep(t, pf, sc, values, so, q)
		if len(r.Points) != 0 {
			t.Fatalf("a shard's sweep has %d points", len(r.Points))
		}
	}
	mo := opt
	mo.Execute = func(ctx context.Context, point int, sc *models.Scenario, q Params) (*Outcome, error) {
		var rs []*Result
		var bs []*LedgerResult
		for _, o := range parts[point] {
			rs = append(rs, o.Paths)
			bs = append(bs, o.Book)
		}
		r, err := ConcatResults(rs)
		if err != nil {
			return nil, err
		}
		b, err := ConcatLedgers(bs)
		if err != nil {
			return nil, err
		}
		return Assemble(ctx, pf, sc, r, b, q)
	}
	if got := docJSON(t, mustSweep(t, pf, sc, values, mo, p)); got != want {
		t.Errorf("merged sweep differs from the single sweep")
	}
}

// TestConcatRejects: parts out of order or from another run are errors.
func TestConcatRejects(t *testing.T) {
	a := &Result{Seed: 1, Paths: 2, Horizon: 1, Loss: make([]int64, 2), Defaults: make([]int32, 2)}
	b := &Result{Seed: 1, FirstPath: 2, Paths: 1, Horizon: 1, Loss: make([]int64, 1), Defaults: make([]int32, 1)}
	if _, err := ConcatResults([]*Result{a, b}); err != nil {
		t.Fatal(err)
	}
	if _, err := ConcatResults([]*Result{b, a}); err == nil {
		t.Error("parts out of order were joined")
	}
	c := *b
	c.Seed = 2
	if _, err := ConcatResults([]*Result{a, &c}); err == nil {
		t.Error("parts of two seeds were joined")
	}
}
