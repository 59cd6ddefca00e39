package sim

import "sync/atomic"

// chainRecord holds, for an importance-sampling run of a book with
// guarantee chains, every path's losses by guarantee chain (the segments
// of Model.chainSegs), sparse: the chains that a path's defaults touch and
// their losses in fen, in the arena of the worker that drew the path.
// ESContributions sums the tail paths' entries in path order, as it sums
// recorded segment losses (Result.segLoss), so the chain contributions of
// an --is run need no replay of the tail paths, which under importance
// sampling are a large share of all paths (on the example, the replay was
// a sixth of an --is run's CPU). The sums are those of a replay to the
// bit: a replay adds w·row[s] for every chain s in path order, and a chain
// a path does not touch adds w·0 = +0, which changes nothing.
//
// A run whose paths touch more chains than chainRecordMaxBytes allows
// gives the record up (every worker stops adding to it) and its
// contributions replay the tail, with the same sums.
type chainRecord struct {
	arenas [][]chainChunk // [worker] the chunks the worker has filled, in order
	at     []chainSpan    // [path] where the path's entries are
	budget atomic.Int64   // entries the record may still take, over all workers
	over   atomic.Bool    // the record ran out of room: it is not used
}

// chainChunk is a run of entries: chain segment ids and their losses in fen.
// A path's entries never straddle two chunks.
type chainChunk struct {
	seg  []int32
	loss []int64
}

// chainSpan is a path's entries: arenas[wk][chunk], entries [lo, hi).
type chainSpan struct{ wk, chunk, lo, hi int32 }

// chainRecordMaxBytes bounds the memory of a run's chain record (12 bytes
// an entry, allocated in chunks of chainChunkEntries): on the example with
// chains, 20,000 paths of --is 0.999 over 3 years take 3.4 million entries
// (41 MB); a run that would need more drops its record and replays.
const (
	chainRecordMaxBytes = 64 << 20
	chainChunkEntries   = 1 << 16
)

func newChainRecord(paths, workers int) *chainRecord {
	r := &chainRecord{arenas: make([][]chainChunk, workers), at: make([]chainSpan, paths)}
	r.budget.Store(chainRecordMaxBytes / 12)
	return r
}

// chainAccumulator is a worker's per-path accumulator for chainRecord.add:
// acc[s] the path's loss in chain segment s so far, mark[s] whether s is
// in touched.
type chainAccumulator struct {
	acc     []int64
	mark    []bool
	touched []int32
}

func newChainAccumulator(segments int) *chainAccumulator {
	return &chainAccumulator{acc: make([]int64, segments), mark: make([]bool, segments)}
}

// add records path's losses by chain segment (ids: each loan's segment)
// from its defaults, drawn by worker wk (which alone appends to its
// arena). A worker takes room for a chunk at a time from the record's
// shared budget.
func (r *chainRecord) add(wk, path int, ids []int32, events []Event, a *chainAccumulator) {
	for _, e := range events {
		s := ids[e.Loan]
		if !a.mark[s] {
			a.mark[s] = true
			a.touched = append(a.touched, s)
		}
		a.acc[s] += e.Loss
	}
	if !r.over.Load() {
		r.put(wk, path, a)
	}
	for _, s := range a.touched {
		a.acc[s], a.mark[s] = 0, false
	}
	a.touched = a.touched[:0]
}

// put appends the accumulated path's entries to worker wk's last chunk,
// or to a new one taken from the budget (giving the record up when there
// is none left).
func (r *chainRecord) put(wk, path int, a *chainAccumulator) {
	chunks := r.arenas[wk]
	if len(chunks) == 0 || len(chunks[len(chunks)-1].seg)+len(a.touched) > cap(chunks[len(chunks)-1].seg) {
		n := max(chainChunkEntries, len(a.touched))
		if !r.take(int64(n)) {
			r.over.Store(true)
			return
		}
		chunks = append(chunks, chainChunk{seg: make([]int32, 0, n), loss: make([]int64, 0, n)})
		r.arenas[wk] = chunks
	}
	c := &chunks[len(chunks)-1]
	lo := len(c.seg)
	for _, s := range a.touched {
		c.seg = append(c.seg, s)
		c.loss = append(c.loss, a.acc[s])
	}
	r.at[path] = chainSpan{wk: int32(wk), chunk: int32(len(chunks) - 1), lo: int32(lo), hi: int32(len(c.seg))}
}

// take reserves n entries of the record's budget and reports whether
// there was room.
func (r *chainRecord) take(n int64) bool {
	return r.budget.Add(-n) >= 0
}

// addTo adds w × path's losses by chain segment to sums (as addRow adds a
// dense row).
func (r *chainRecord) addTo(sums []float64, w float64, path int) {
	sp := r.at[path]
	c := &r.arenas[sp.wk][sp.chunk]
	seg, loss := c.seg[sp.lo:sp.hi], c.loss[sp.lo:sp.hi]
	for k, s := range seg {
		sums[s] += w * float64(loss[k])
	}
}
