package sim

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/wenzhou/danbao/models"
)

// contribChunk is the number of tail paths replayed and summed together
// in ESContributions.
const contribChunk = 32

// esContributions returns the Euler contributions to the Acerbi–Tasche
// expected shortfall of the total loss at level α, by county, industry,
// product and guarantor:
//
//	ES_α = ( Σ_{L_p > V} L_p + w · Σ_{L_p = V} L_p ) / ((1 − α)·P),
//	w = (#{L ≤ V} − αP) / #{L = V},      V = VaR_α,
//	contribution_s = ( Σ_{L_p > V} L_{p,s} + w · Σ_{L_p = V} L_{p,s} ) / ((1 − α)·P)
//
// so that, in each dimension, the segments' contributions add up to ES_α.
// Under importance sampling each path's terms are multiplied by its weight
// w_p, V and ES_α are the weighted ones (SummarizeAt) and
// w = (N − Σ_{L_p > V} w_p − αN) / Σ_{L_p = V} w_p.
// An importance-sampling run of Execute records each path's segment
// losses (Result.segLoss; most of its paths are tail paths), and the sums
// run over them in path order. Otherwise (plain Monte Carlo, about
// (1 − α)·P tail paths; shards; books of more than maxRecordedSegments
// segments) the tail paths are replayed from their streams (seed, path),
// which give exactly the same defaults as in the run (replayTail). L
// supplies the guarantor of each loan.
func esContributions(ctx context.Context, m *Model, r *Result, p Params, alpha float64, L *Ledger) (*Contributions, error) {
	P := r.Paths
	total := make([]float64, P)
	for q := range P {
		total[q] = float64(r.TotalLoss(q))
	}
	var V, ES, w float64
	if r.Weight == nil {
		sorted := slices.Clone(total)
		sortFloats(sorted, nil)
		V, ES = TailStats(sorted, alpha)
		le, eq := 0, 0
		for _, v := range total {
			if v <= V {
				le++
			}
			if v == V {
				eq++
			}
		}
		if eq > 0 {
			w = (float64(le) - alpha*float64(P)) / float64(eq)
		}
	} else {
		// Weighted (importance sampling): the tail paths count w_p each and
		// the paths at VaR share the mass N·(F̂(V) − α) in proportion to
		// their weights: factor c = (N − Σ_{L > V} w − αN) / Σ_{L = V} w.
		s := newWeightedSample(total, r.Weight, float64(P))
		V, ES, _ = weightedTail(s.x, s.w, alpha)
		var above, at float64
		for q, v := range total {
			if v > V {
				above += r.Weight[q]
			} else if v == V {
				at += r.Weight[q]
			}
		}
		if at > 0 {
			w = (float64(P) - above - alpha*float64(P)) / at
		}
	}
	cs := r.segments
	if cs == nil {
		cs = newContribSegments(m, L.guarantorID)
	}
	sums := make([]float64, cs.S) // Σ over the tail of w·loss, by segment (a row's layout)
	// The tail paths and their weights, in path order.
	var tail []int
	var tailW []float64
	for q := range P {
		weight := 0.0
		switch {
		case total[q] > V:
			weight = 1
		case total[q] == V:
			weight = w
		}
		if weight != 0 {
			tail = append(tail, q)
			tailW = append(tailW, weight*weightOf(r.Weight, q))
		}
	}
	// By guarantee chain (chain_contrib.go): the same tail paths and
	// weights, with one segment per chain.
	cc := m.chainSegs
	var csums []float64
	if m.chains != nil {
		csums = make([]float64, cc.S)
	}
	// What the run did not record is replayed, both layouts in one replay
	// when neither was recorded.
	var replay []*contribSegments
	var replaySums [][]float64
	if r.segLoss != nil {
		// The run recorded every path's segment losses (importance
		// sampling, where most paths are tail paths): sum them in path order.
		for j, q := range tail {
			addRow(sums, tailW[j], r.segLoss[q*cs.S:(q+1)*cs.S])
		}
	} else {
		replay, replaySums = append(replay, cs), append(replaySums, sums)
	}
	if m.chains != nil {
		if r.chainRec != nil {
			// Recorded during the run (chain_record.go): the same sums.
			for j, q := range tail {
				r.chainRec.addTo(csums, tailW[j], q)
			}
		} else {
			replay, replaySums = append(replay, cc), append(replaySums, csums)
		}
	}
	if len(replay) > 0 {
		if err := replayTail(ctx, m, r, p, replay, tail, tailW, replaySums); err != nil {
			return nil, err
		}
	}
	scale := 1 / ((1 - alpha) * float64(P) * 100) // fen → yuan
	c := &Contributions{Level: alpha, ES: Money(ES / 100), By: map[string]map[string]Money{}}
	for k, dim := range cs.dims {
		c.By[dim] = map[string]Money{}
		for j, name := range cs.names[k] {
			c.By[dim][name] = Money(sums[cs.off[k]+j] * scale)
		}
	}
	if m.chains != nil {
		c.Chains = m.chainContributions(cc.names[0], csums, scale)
	}
	if math.IsNaN(ES) {
		c.ES = Money(math.NaN())
	}
	return c, nil
}

// replayTail adds to sums[k] (by segment, layouts[k]'s layout) w·loss of
// every default on the tail paths, w = tailW[j] for path tail[j],
// replaying the paths from their streams (seed, path), which give exactly
// the same defaults as in the run; each path is drawn once for all the
// layouts (on a book with chains, the segments' and the chains'). The
// paths are replayed in chunks of contribChunk by up to p.Workers
// goroutines, and the chunks added in order: the sums do not depend on
// the number of workers. Under importance sampling (a shard merge of an
// --is run) each replayed path's segment losses are summed in fen first
// and added as ESContributions adds recorded ones (addRow, path by path),
// so that the merge gives the whole run's contributions to the bit; plain
// runs sum w·loss default by default, as they always have. Each layout's
// sums are added in the same order as by a replay of that layout alone.
func replayTail(ctx context.Context, m *Model, r *Result, p Params, layouts []*contribSegments, tail []int, tailW []float64, sums [][]float64) error {
	nchunks := (len(tail) + contribChunk - 1) / contribChunk
	chunkSums := make([][][]float64, nchunks) // [chunk][layout]
	chunkRows := make([][][]int64, nchunks)   // [chunk][layout] importance sampling: the chunk's paths' segment losses
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(p.Workers, nchunks)) {
		wg.Go(func() {
			wk := m.newWorker()
			wk.f.is = r.isMix // replay the shifted draws of an importance-sampling run
			for ctx.Err() == nil {
				c := int(next.Add(1) - 1)
				if c >= nchunks {
					return
				}
				lo, hi := c*contribChunk, min((c+1)*contribChunk, len(tail))
				if r.Weight != nil {
					rows := make([][]int64, len(layouts))
					for k, cs := range layouts {
						rows[k] = make([]int64, (hi-lo)*cs.S)
					}
					for j := lo; j < hi; j++ {
						m.simulatePath(wk, r.Sampler, r.Seed, uint64(r.FirstPath+tail[j]))
						for k, cs := range layouts {
							cs.add(rows[k][(j-lo)*cs.S:(j-lo+1)*cs.S], wk.events)
						}
					}
					chunkRows[c] = rows
					continue
				}
				sum := make([][]float64, len(layouts))
				for k, cs := range layouts {
					sum[k] = make([]float64, cs.S)
				}
				for j := lo; j < hi; j++ {
					m.simulatePath(wk, r.Sampler, r.Seed, uint64(r.FirstPath+tail[j]))
					for k, cs := range layouts {
						sk := sum[k]
						for _, e := range wk.events {
							loss := tailW[j] * float64(e.Loss) // the loan's loss, or the stochastic LGD's
							for d, ids := range cs.ids {
								sk[cs.off[d]+int(ids[e.Loan])] += loss
							}
						}
					}
				}
				chunkSums[c] = sum
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for c := range nchunks {
		if rows := chunkRows[c]; rows != nil {
			for k, cs := range layouts {
				for j := c * contribChunk; j < min((c+1)*contribChunk, len(tail)); j++ {
					i := j - c*contribChunk
					addRow(sums[k], tailW[j], rows[k][i*cs.S:(i+1)*cs.S])
				}
			}
			continue
		}
		for k := range layouts {
			for d, v := range chunkSums[c][k] {
				sums[k][d] += v
			}
		}
	}
	return nil
}

// addRow adds w × a path's segment losses (fen) to sums.
func addRow(sums []float64, w float64, row []int64) {
	for k, l := range row {
		sums[k] += w * float64(l)
	}
}

// loanSegments are each loan's county, industry and product (ids[0], [1],
// [2]) as indices into names[k], in order of first appearance: the
// segments of ESContributions, kept apart from Model.Loans so that the
// loans can be released after compiling.
type loanSegments struct {
	ids   [3][]int32
	names [3][]string
}

func newLoanSegments(loans []models.Loan) loanSegments {
	var s loanSegments
	for k, key := range [3]func(l *models.Loan) string{
		func(l *models.Loan) string { return l.County },
		func(l *models.Loan) string { return l.Industry },
		func(l *models.Loan) string { return l.Product },
	} {
		s.ids[k], s.names[k] = segmentIDs(len(loans), func(i int) string { return key(&loans[i]) })
	}
	return s
}

// segmentIDs returns key(i) of each of n loans as an index into names,
// the distinct keys in order of first appearance.
func segmentIDs(n int, key func(i int) string) (ids []int32, names []string) {
	index := map[string]int32{}
	ids = make([]int32, n)
	for i := range n {
		k := key(i)
		j, ok := index[k]
		if !ok {
			j = int32(len(names))
			index[k] = j
			names = append(names, k)
		}
		ids[i] = j
	}
	return ids, names
}
