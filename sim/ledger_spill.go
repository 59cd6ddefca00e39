package sim

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sync"
)

// SpillMinBytes is the size of the per-path metrics and county outlays
// above which Simulate keeps them in a file from Params.Spill rather than
// in memory (ledger_spill.go). A variable so tests can force either way.
var SpillMinBytes int64 = 64 << 20

// A SpillFile is a scratch file for a run's per-path metrics and county
// outlays (Params.Spill). sim does no I/O of its own: the caller creates
// the file (internal/tempfile does, in os.TempDir(), removed from its
// folder at once so that it goes when closed). Name is for error messages.
type SpillFile interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	Name() string
}

// metricSpill keeps a run's per-path metrics and county outlays in a
// temporary file instead of LedgerResult.Metrics, Outlays and CountyComp
// (449 MB and 62 MB at 100,000 paths on the 10-guarantor, 13-county book
// over 3 years). The document reads them back one (year, scope) at a time
// for its quantiles and targets, so a run holds one column group per
// worker in memory; the file's pages sit in the operating system's page
// cache, not in the process's resident memory.
//
// Layout: the paths come in chunks of chunk paths (the run's BlockSize;
// the last chunk may be shorter). Chunk c, of n paths starting at path
// c·chunk, is stored at byte c·chunk·cols·8, column by column: column j's
// n values at byte c·chunk·cols·8 + j·n·8, path by path. The columns are
//
//	j = (t·(G+1) + g)·NMetrics + k          metric k of scope g (G: the city) in year t, float64 bits
//	j = M + (c·H + t)·2                     county c's outlays in year t, int64 fen (M = (G+1)·H·NMetrics)
//	j = M + (c·H + t)·2 + 1                 their risk-compensation part, int64 fen
//
// all little-endian, so a (year, scope)'s NMetrics columns, or a
// county-year's two, are one read per chunk. Values are stored bit for
// bit: the document computed from the file equals the one computed from
// memory.
//
// The file is removed as soon as it is created (on Unix it lives on until
// closed), so it disappears when the process ends, however it ends.
type metricSpill struct {
	f           SpillFile
	paths       int
	chunk       int
	G, H, C     int
	cols        int // (G+1)·H·NMetrics + 2·C·H
	metricCols  int // (G+1)·H·NMetrics
	mu          sync.Mutex
	err         error // the first write or read error
	readScratch sync.Pool
}

// newMetricSpill opens a file from create for paths paths of G
// guarantors, C counties over H years, written in chunks of chunk paths.
func newMetricSpill(create func() (SpillFile, error), paths, chunk, G, H, C int) (*metricSpill, error) {
	f, err := create()
	if err != nil {
		return nil, fmt.Errorf("sim: the per-path metrics file: %w", err)
	}
	M := (G + 1) * H * NMetrics
	return &metricSpill{f: f, paths: paths, chunk: max(chunk, 1), G: G, H: H, C: C,
		cols: M + 2*C*H, metricCols: M}, nil
}

// size is the file's size in bytes once every path is written.
func (sp *metricSpill) size() int64 { return int64(sp.paths) * int64(sp.cols) * 8 }

// chunkOf returns chunk c's first path and number of paths.
func (sp *metricSpill) chunkOf(c int) (first, n int) {
	first = c * sp.chunk
	return first, min(sp.chunk, sp.paths-first)
}

// fail records the first error.
func (sp *metricSpill) fail(err error) {
	sp.mu.Lock()
	if sp.err == nil {
		sp.err = err
	}
	sp.mu.Unlock()
}

// Err returns the first error writing or reading the file, naming the
// file and the room it needs.
func (sp *metricSpill) Err() error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.err == nil {
		return nil
	}
	return fmt.Errorf("sim: the per-path metrics file %s (%d MB for %d paths; set TMPDIR to a folder with room): %w",
		sp.f.Name(), (sp.size()+(1<<20)-1)>>20, sp.paths, sp.err)
}

// Close closes (and so deletes) the file.
func (sp *metricSpill) Close() error { return sp.f.Close() }

// spillWriter is a worker's chunk being filled: paths [lo, hi) of chunk c,
// in buf at the chunk's layout (column j's path first+i at byte (j·n + i)·8).
type spillWriter struct {
	c, lo, hi int
	buf       []byte
	row       pathRows // the path being projected
}

func (sp *metricSpill) newWriter() *spillWriter {
	return &spillWriter{c: -1, buf: make([]byte, sp.cols*sp.chunk*8),
		row: pathRows{metrics: make([]float64, sp.metricCols), outlays: make([]int64, sp.C*sp.H), comp: make([]int64, sp.C*sp.H)}}
}

// put stores path p's figures, w.row, into w's chunk, writing the chunk
// to the file once its paths are all there. A worker's paths of a chunk
// come in order (Run gives a block of BlockSize paths to one worker); if
// they do not, the part filled so far is written column by column first.
func (sp *metricSpill) put(w *spillWriter, p int) {
	c := p / sp.chunk
	if c != w.c || p != w.hi {
		sp.flush(w)
		w.c, w.lo, w.hi = c, p, p
	}
	first, n := sp.chunkOf(c)
	i := p - first
	G, H, C := sp.G, sp.H, sp.C
	for g := 0; g <= G; g++ {
		for t := range H {
			src := w.row.metrics[(g*H+t)*NMetrics:][:NMetrics]
			j0 := (t*(G+1) + g) * NMetrics
			for k, v := range src {
				binary.LittleEndian.PutUint64(w.buf[((j0+k)*n+i)*8:], math.Float64bits(v))
			}
		}
	}
	for ct := range C * H {
		j := sp.metricCols + 2*ct
		binary.LittleEndian.PutUint64(w.buf[(j*n+i)*8:], uint64(w.row.outlays[ct]))
		binary.LittleEndian.PutUint64(w.buf[((j+1)*n+i)*8:], uint64(w.row.comp[ct]))
	}
	w.hi++
	if w.lo == first && w.hi == first+n {
		sp.flush(w)
	}
}

// flush writes w's filled paths to the file: the whole chunk in one write
// when it is complete, else each column's part.
func (sp *metricSpill) flush(w *spillWriter) {
	if w.c < 0 || w.hi == w.lo {
		w.c = -1
		return
	}
	first, n := sp.chunkOf(w.c)
	base := int64(first) * int64(sp.cols) * 8
	if w.lo == first && w.hi == first+n {
		if _, err := sp.f.WriteAt(w.buf[:sp.cols*n*8], base); err != nil {
			sp.fail(err)
		}
	} else {
		a, b := w.lo-first, w.hi-first
		for j := range sp.cols {
			if _, err := sp.f.WriteAt(w.buf[(j*n+a)*8:(j*n+b)*8], base+int64(j*n+a)*8); err != nil {
				sp.fail(err)
				break
			}
		}
	}
	w.c, w.lo, w.hi = -1, 0, 0
}

// readCols fills dst[k*paths + q] (k < width) with columns j0, j0+1, …,
// j0+width−1 of every path q, decoded by dec. On an error it records it
// (Err) and leaves dst zero.
func readCols[T any](sp *metricSpill, j0, width int, dst []T, dec func(uint64) T) {
	bp, _ := sp.readScratch.Get().(*[]byte)
	if bp == nil || cap(*bp) < width*sp.chunk*8 {
		b := make([]byte, width*sp.chunk*8)
		bp = &b
	}
	defer sp.readScratch.Put(bp)
	P := sp.paths
	for c := 0; c*sp.chunk < P; c++ {
		first, n := sp.chunkOf(c)
		buf := (*bp)[:width*n*8]
		if _, err := sp.f.ReadAt(buf, (int64(first)*int64(sp.cols)+int64(j0*n))*8); err != nil {
			sp.fail(err)
			clear(dst[:width*P])
			return
		}
		for k := range width {
			col := buf[k*n*8:]
			out := dst[k*P+first:][:n]
			for i := range out {
				out[i] = dec(binary.LittleEndian.Uint64(col[i*8:]))
			}
		}
	}
}

func asInt64(u uint64) int64 { return int64(u) }

// metricColumns returns metric k of scope g (G: the city) in year t on
// every path q in dst[k*Paths + q], k < NMetrics; dst must hold
// NMetrics·Paths values. A read error of a spilled book leaves dst zero
// and is reported by Err.
func (r *LedgerResult) metricColumns(g, t int, dst []float64) []float64 {
	P, G, H := r.Paths, r.G, r.H
	dst = dst[:NMetrics*P]
	if r.spill != nil {
		readCols(r.spill, (t*(G+1)+g)*NMetrics, NMetrics, dst, math.Float64frombits)
		return dst
	}
	for q := range P {
		row := r.Metrics[((q*(G+1)+g)*H+t)*NMetrics:][:NMetrics]
		for k, v := range row {
			dst[k*P+q] = v
		}
	}
	return dst
}

// countyColumns returns county c's outlays and their risk-compensation
// part in year t on every path q: dst[q] and dst[Paths + q], fen; dst must
// hold 2·Paths values.
func (r *LedgerResult) countyColumns(c, t int, dst []int64) []int64 {
	P, C, H := r.Paths, r.C, r.H
	dst = dst[:2*P]
	if r.spill != nil {
		readCols(r.spill, r.spill.metricCols+2*(c*H+t), 2, dst, asInt64)
		return dst
	}
	for q := range P {
		dst[q] = r.Outlays[(q*C+c)*H+t]
		dst[P+q] = r.CountyComp[(q*C+c)*H+t]
	}
	return dst
}

// Err returns the first error writing or reading the file a spilled
// book's metrics are kept in; nil for a book in memory.
func (r *LedgerResult) Err() error {
	if r.spill == nil {
		return nil
	}
	return r.spill.Err()
}

// Close releases the file a spilled book's metrics are kept in; a book in
// memory has nothing to release.
func (r *LedgerResult) Close() error {
	if r.spill == nil {
		return nil
	}
	return r.spill.Close()
}
