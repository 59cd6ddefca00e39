package sim

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/wenzhou/danbao/models"
)

// Params fixes a run. Two runs with equal Params (Workers, BlockSize and
// Progress aside) and equal inputs return identical results.
type Params struct {
	Seed      uint64  // with the path number, determines every random draw
	Paths     int     // number of Monte Carlo paths; must be > 0
	FirstPath int     // number of the first path (for shards); default 0
	Sampler   Sampler // Fast (default) or Dense
	// Workers is parallelism only; it never changes results. 0 means GOMAXPROCS.
	Workers int
	// BlockSize is paths per work item; 0 means DefaultBlockSize. It never
	// changes results.
	BlockSize int
	// Progress, if not nil, is called after each block with the number of
	// paths done so far. It is called from several goroutines.
	Progress func(done int)
	// Observer, if not nil, is given every path's defaults (see PathObserver).
	Observer PathObserver
	// ISLevel, if not 0, turns on importance sampling: the factor
	// innovations are shifted by TailShift(ISLevel) and each path carries
	// its likelihood ratio (Result.Weight). 0 is plain Monte Carlo.
	ISLevel float64
	// Levels are confidence levels of VaR and ES the document reports in
	// addition to Levels (0.95, 0.99, 0.999, which the document always
	// has: they are part of its contract), each in (0, MaxLevel].
	Levels []float64
	// Spill, if not nil, gives Simulate a file for the per-path metrics
	// and county outlays when they would take SpillMinBytes or more
	// (ledger_spill.go); nil keeps them in memory. It never changes results.
	Spill func() (SpillFile, error)
	// recordSegments (set by Execute) makes ExecutePaths set segments
	// under importance sampling; segments, if not nil, makes the run record
	// every path's segment losses (Result.segLoss) for ESContributions.
	recordSegments bool
	segments       *contribSegments
}

// defaultBlockSize is the number of paths a worker takes at a time.
const defaultBlockSize = 256

// MaxPaths bounds Params.Paths.
const MaxPaths = 50_000_000

// A PathObserver sees every path's defaults as the engine draws them, to
// compute figures beyond the loss per year (ledgers, projections). Observe
// is called concurrently for different paths, with the worker number
// (0 ≤ worker < Workers) so that scratch can be kept per worker, and with
// the path's index relative to FirstPath. events are in draw order and are
// only valid during the call.
type PathObserver interface {
	Observe(worker, path int, events []Event)
}

// A BlockObserver is a PathObserver that takes the defaults of several
// consecutive paths at once (the ledger books them loan by loan, which
// reads memory far less than path by path). Run gives it paths p0,
// p0+1, …, p0+len(ends)−1 with path p0+j's defaults in
// events[ends[j−1]:ends[j]] (ends[−1] = 0); the slices are only valid
// during the call. The figures it computes for a path must not depend on
// which other paths share its block.
type BlockObserver interface {
	PathObserver
	ObserveBlock(worker, p0 int, events []Event, ends []int32)
}

// Result holds the per-path figures of a run.
type Result struct {
	Seed      uint64
	FirstPath int
	Paths     int
	Horizon   int
	Sampler   Sampler
	// Loss[p*Horizon + t] is path p's ultimate credit loss Σ EAD × lgd over
	// the loans defaulting in year t (0-based), in fen.
	Loss []int64
	// Defaults[p*Horizon + t] is path p's number of defaults in year t.
	Defaults []int32
	// ContagionLoss and ContagionDefaults [p*Horizon + t] are the parts of
	// Loss and Defaults that guarantee chains added (contagion.go): Loss −
	// ContagionLoss is the direct loss, equal to the run without links.
	// Nil when the portfolio has no links.
	ContagionLoss     []int64
	ContagionDefaults []int32
	// Cascades are the MaxCascades largest cascades of the run by loss
	// (nil without links).
	Cascades []Cascade
	// PartyLoss[p*NParties + k] is party k's ultimate loss on path p over
	// the horizon, in fen (PartyNames[k]); nil when the run had no policy
	// ledger (SimulateLosses).
	PartyLoss []int64
	// Levels are the confidence levels the document reports: Levels and
	// Params.Levels, ascending.
	Levels []float64
	// Weight[p] is path p's likelihood ratio under importance sampling
	// (dP/dQ of its draws); nil for plain Monte Carlo, where every path
	// weighs 1. Every statistic of the document is weighted by it.
	Weight []float64
	// ISLevel and ISShift are the importance sampling's level and mean
	// shift (TailShift); 0 and nil for plain Monte Carlo.
	ISLevel float64
	ISShift []float64
	isMix   *isMixture // the sampling law; ISShift is the sum of its shifts
	isNames []string   // ISShift's components: "y1/macro", "y1/industry/<name>", …
	// segLoss[p·S + s] is path p's loss in segment s of segments (fen),
	// recorded by an importance-sampling run of Execute; nil otherwise.
	segLoss  []int64
	segments *contribSegments
	// chainRec is every path's losses by guarantee chain, recorded with
	// segLoss on a book with chains (chain_record.go); nil otherwise.
	chainRec *chainRecord
}

// TotalLoss returns path p's loss over the whole horizon, in fen.
func (r *Result) TotalLoss(p int) int64 {
	var s int64
	for _, l := range r.Loss[p*r.Horizon : (p+1)*r.Horizon] {
		s += l
	}
	return s
}

// TotalDefaults returns path p's defaults over the whole horizon.
func (r *Result) TotalDefaults(p int) int64 {
	var s int64
	for _, d := range r.Defaults[p*r.Horizon : (p+1)*r.Horizon] {
		s += int64(d)
	}
	return s
}

// Run simulates p.Paths paths of m. The result does not depend on
// p.Workers or p.BlockSize, and paths [a, b) of a run equal the same paths
// of any run whose range covers them (same Seed).
func Run(ctx context.Context, m *Model, p Params) (*Result, error) {
	if p.Paths <= 0 || p.Paths > MaxPaths {
		return nil, fmt.Errorf("%w: paths %d not in 1..%d", models.ErrInvalid, p.Paths, MaxPaths)
	}
	if p.FirstPath < 0 {
		return nil, fmt.Errorf("%w: first path %d is negative", models.ErrInvalid, p.FirstPath)
	}
	if p.Workers <= 0 {
		p.Workers = runtime.GOMAXPROCS(0)
	}
	if p.BlockSize <= 0 {
		p.BlockSize = defaultBlockSize
	}
	levels, err := withDefaultLevels(p.Levels)
	if err != nil {
		return nil, err
	}
	H := m.Horizon
	res := &Result{Seed: p.Seed, FirstPath: p.FirstPath, Paths: p.Paths, Horizon: H, Sampler: p.Sampler, Levels: levels,
		Loss: make([]int64, p.Paths*H), Defaults: make([]int32, p.Paths*H)}
	if p.ISLevel != 0 {
		res.ISLevel = p.ISLevel
		if res.isMix, err = m.isMixtureAt(p.ISLevel); err != nil {
			return nil, err
		}
		res.ISShift = res.isMix.sum()
		res.Weight = make([]float64, p.Paths)
		res.isNames = m.shiftNames()
		if p.segments != nil {
			res.segments, res.segLoss = p.segments, make([]int64, p.Paths*p.segments.S)
		}
	}
	if m.chains != nil {
		res.ContagionLoss, res.ContagionDefaults = make([]int64, p.Paths*H), make([]int32, p.Paths*H)
	}
	nblocks := (p.Paths + p.BlockSize - 1) / p.BlockSize
	if res.segLoss != nil && m.chains != nil {
		res.chainRec = newChainRecord(p.Paths, min(p.Workers, nblocks))
	}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	kept := make([][]Cascade, min(p.Workers, nblocks))
	bo, _ := p.Observer.(BlockObserver)
	most := blockEvents(m.n) // defaults in a block (bo)
	for wk := range min(p.Workers, nblocks) {
		wg.Go(func() {
			var blockEv []Event // the defaults of paths first, first+1, … (bo)
			var ends []int32
			if bo != nil {
				// Room for a block at a tenth of the book defaulting a year
				// (it grows if more do), as MemoryEstimate counts it.
				blockEv = make([]Event, 0, min(most+most/4, p.BlockSize*m.n*H/10+1024))
			}
			first := 0
			w := m.newWorker()
			if w.chain != nil {
				defer func() { kept[wk] = w.chain.cascades }()
			}
			w.f.is = res.isMix
			var group *pathGroup // paths drawn year by year (kernel_group.go)
			if m.groupable() {
				group = &pathGroup{}
			}
			var chainAcc *chainAccumulator
			if res.chainRec != nil {
				chainAcc = newChainAccumulator(m.chainSegs.S)
			}
			var hi int
			// consume takes path's results from w (the block's last path is hi − 1).
			consume := func(path int) {
				copy(res.Loss[path*H:], w.pathLoss)
				copy(res.Defaults[path*H:], w.pathDef)
				if w.chain != nil {
					copy(res.ContagionLoss[path*H:], w.chain.contLoss)
					copy(res.ContagionDefaults[path*H:], w.chain.contDef)
				}
				if res.Weight != nil {
					res.Weight[path] = res.isMix.weight(&w.f.logW)
				}
				if res.segLoss != nil {
					S := res.segments.S
					res.segments.add(res.segLoss[path*S:(path+1)*S], w.events)
				}
				if chainAcc != nil {
					res.chainRec.add(wk, path, m.chainSegs.ids[0], w.events, chainAcc)
				}
				switch {
				case bo != nil:
					if len(ends) == 0 {
						first = path
					}
					blockEv = append(blockEv, w.events...)
					ends = append(ends, int32(len(blockEv)))
					if len(blockEv) >= most || path == hi-1 {
						bo.ObserveBlock(wk, first, blockEv, ends)
						blockEv, ends = blockEv[:0], ends[:0]
					}
				case p.Observer != nil:
					p.Observer.Observe(wk, path, w.events)
				}
			}
			for ctx.Err() == nil {
				b := int(next.Add(1) - 1)
				if b >= nblocks {
					return
				}
				lo := b * p.BlockSize
				hi = min((b+1)*p.BlockSize, p.Paths)
				if group == nil {
					for path := lo; path < hi; path++ {
						m.simulatePath(w, p.Sampler, p.Seed, uint64(p.FirstPath+path))
						consume(path)
					}
				} else {
					for g0, size := lo, 0; g0 < hi; g0 += size {
						size = min(group.size(), hi-g0)
						m.simulateGroup(w, group, p.Sampler, p.Seed, uint64(p.FirstPath+g0), size, g0, consume)
					}
				}
				d := done.Add(int64(hi - lo))
				if p.Progress != nil {
					p.Progress(int(d))
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: run cancelled after %d of %d paths: %w", done.Load(), p.Paths, err)
	}
	if res.chainRec != nil && res.chainRec.over.Load() {
		res.chainRec = nil // too many chains touched: the contributions replay the tail
	}
	if m.chains != nil {
		res.Cascades = m.chains.largestCascades(kept)
	}
	return res, nil
}

// shiftNames names the components of TailShift's μ: "y1/macro",
// "y1/industry/<name>", …, "y1/county/<name>", then year 2, ….
func (m *Model) shiftNames() []string {
	var names []string
	for t := range m.Horizon {
		y := fmt.Sprintf("y%d/", t+1)
		names = append(names, y+models.FactorRef(models.FactorMacro, ""))
		for _, k := range m.Industries {
			names = append(names, y+models.FactorRef(models.FactorIndustry, k))
		}
		for _, j := range m.Counties {
			names = append(names, y+models.FactorRef(models.FactorCounty, j))
		}
	}
	for t := range m.mixingDims() {
		names = append(names, fmt.Sprintf("y%d/mixing", t+1)) // the t copula's χ² variable, as a normal score
	}
	return names
}

// withDefaultLevels returns Levels and extra, ascending without
// repeats. A level outside (0, MaxLevel], or more than MaxLevels in all,
// is an error.
func withDefaultLevels(extra []float64) ([]float64, error) {
	for _, a := range extra {
		if !(a > 0 && a <= MaxLevel) {
			return nil, fmt.Errorf("%w: level %v not in (0, %v]", models.ErrInvalid, a, MaxLevel)
		}
	}
	all := append(slices.Clone(Levels), extra...)
	slices.Sort(all)
	all = slices.Compact(all)
	if len(all) > MaxLevels {
		return nil, fmt.Errorf("%w: %d levels; at most %d", models.ErrInvalid, len(all), MaxLevels)
	}
	return all, nil
}
