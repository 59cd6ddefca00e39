package sim

import "math/rand/v2"

// groupPaths is how many paths a worker draws together, year by year
// (pathGroup), when the portfolio has links.
const groupPaths = 32

// pathGroup draws a group of paths year by year: year 0 of each path of
// the group, then year 1 of each, and so on. Path by path, a path-year
// reads the sampler's tables of its year and the chains' tables of its
// year (several MiB each on a 100k-loan book), and the next path-year
// reads another year's, so each path-year found little of its data in
// cache; taken year by year, consecutive path-years read the same
// tables. On the chained 100k book this made drawing a path about 13 %
// cheaper (docs/chains.md, "Session 21"); without links the gain was
// within the noise, so only runs with links draw in groups.
//
// Each path's draws and results are exactly simulatePath's: what a path
// carries from one year to the next (its stream, the factors' AR(1) state,
// its importance-sampling weight terms and its defaults) is kept per path
// between its years, and the worker's defaulted flags are set from the
// path's defaults before each of its years and cleared after.
type pathGroup struct {
	paths    []uint64   // the group's path numbers
	src      []rand.PCG // [i] path i's stream between its years
	macro    []float64  // [i] the macro factor's AR(1) state
	ind, cty []float64  // [i·nInd + k], [i·nCty + k] the industries' and counties'
	isComp   []int
	logW     [][maxShifted]float64
	events   [][]Event // [i] path i's defaults so far
	loss     []int64   // [i·H + t] as worker.pathLoss
	def      []int32   // [i·H + t] as worker.pathDef
	contLoss []int64   // [i·H + t] as chainScratch.contLoss
	contDef  []int32   // [i·H + t] as chainScratch.contDef
}

// groupable reports whether m's runs draw paths in groups: with links, and
// without the PD uplift and the stochastic LGD, whose per-path state
// (contagion_uplift.go, lgd.go) a group does not keep.
func (m *Model) groupable() bool {
	return m.chains != nil && m.uplift == nil && m.lgd == nil
}

// simulateGroup draws paths (at most groupPaths) of seed year by year into
// g; path i's results are then those simulatePath leaves in a worker
// (load). w's defaulted flags are all clear before and after.
func (m *Model) simulateGroup(w *worker, g *pathGroup, sampler Sampler, seed uint64, paths []uint64) {
	H, nInd, nCty := m.Horizon, len(w.f.ind), len(w.f.cty)
	n := len(paths)
	g.paths = append(g.paths[:0], paths...)
	if len(g.src) < n {
		g.src = make([]rand.PCG, n)
		g.macro = make([]float64, n)
		g.ind, g.cty = make([]float64, n*nInd), make([]float64, n*nCty)
		g.isComp = make([]int, n)
		g.logW = make([][maxShifted]float64, n)
		g.events = append(g.events, make([][]Event, n-len(g.events))...)
		g.loss, g.def = make([]int64, n*H), make([]int32, n*H)
		g.contLoss, g.contDef = make([]int64, n*H), make([]int32, n*H)
	}
	for _, e := range w.events {
		w.dead[e.Loan] = false
	}
	for i, p := range paths {
		m.startPath(w, seed, p)
		g.src[i], g.isComp[i], g.logW[i] = w.s.src, w.f.isComp, w.f.logW
		g.events[i] = g.events[i][:0]
	}
	for t := range H {
		for i, p := range paths {
			// Path i as its year t starts.
			w.s.src, w.f.isComp, w.f.logW, w.f.macro = g.src[i], g.isComp[i], g.logW[i], g.macro[i]
			copy(w.f.ind, g.ind[i*nInd:(i+1)*nInd])
			copy(w.f.cty, g.cty[i*nCty:(i+1)*nCty])
			w.events = g.events[i]
			for _, e := range w.events {
				w.dead[e.Loan] = true
			}
			m.simulateYear(w, sampler, seed, p, t)
			g.src[i], g.logW[i], g.macro[i] = w.s.src, w.f.logW, w.f.macro
			copy(g.ind[i*nInd:], w.f.ind)
			copy(g.cty[i*nCty:], w.f.cty)
			g.events[i] = w.events
			g.loss[i*H+t], g.def[i*H+t] = w.pathLoss[t], w.pathDef[t]
			g.contLoss[i*H+t], g.contDef[i*H+t] = w.chain.contLoss[t], w.chain.contDef[t]
			for _, e := range w.events {
				w.dead[e.Loan] = false
			}
		}
	}
	w.events = w.events[:0:0] // g.events keep the paths' defaults
}

// load puts path i's results into w as simulatePath leaves them: its
// defaults (w.events, which then shares g's array until the next group),
// yearly losses and defaults, contagion figures and importance-sampling
// weight terms. w's defaulted flags stay clear.
func (g *pathGroup) load(w *worker, i int) {
	H := len(w.pathLoss)
	w.events = g.events[i]
	copy(w.pathLoss, g.loss[i*H:(i+1)*H])
	copy(w.pathDef, g.def[i*H:(i+1)*H])
	copy(w.chain.contLoss, g.contLoss[i*H:(i+1)*H])
	copy(w.chain.contDef, g.contDef[i*H:(i+1)*H])
	w.f.logW, w.f.isComp = g.logW[i], g.isComp[i]
}
