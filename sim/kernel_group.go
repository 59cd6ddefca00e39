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
	// limit replaces groupEventCap when positive (tests).
	limit int
}

func (g *pathGroup) eventCap() int {
	if g.limit > 0 {
		return g.limit
	}
	return groupEventCap
}

// groupable reports whether m's runs draw paths in groups: with links, and
// without the PD uplift and the stochastic LGD, whose per-path state
// (contagion_uplift.go, lgd.go) a group does not keep.
func (m *Model) groupable() bool {
	return m.chains != nil && m.uplift == nil && m.lgd == nil
}

// groupEventCap bounds the defaults a group holds (24 B each, so 24 MiB
// a worker): before each path-year, a group holding more finishes its
// paths one by one (finishGroup), handing each over as it is done, so a
// group never holds more than this and one path-year's defaults.
const groupEventCap = 1 << 20

// simulateGroup draws paths (at most groupPaths) of seed year by year and
// hands path i over as soon as its last year is drawn: g.load puts its
// results in w, as simulatePath leaves them, and consume(base + i) takes
// them, in path order. w's defaulted flags are clear before and after.
func (m *Model) simulateGroup(w *worker, g *pathGroup, sampler Sampler, seed uint64, paths []uint64, base int, consume func(int)) {
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
	held := 0 // the defaults g.events hold
	for t := range H {
		for i := range n {
			if held > g.eventCap() {
				m.finishGroup(w, g, sampler, seed, t, i, base, consume)
				return
			}
			m.groupYear(w, g, sampler, seed, i, t)
			held += int(g.def[i*H+t])
			if t == H-1 {
				g.load(w, i)
				consume(base + i)
			}
		}
	}
}

// finishGroup draws the rest of a group path by path once it holds too
// many defaults: year t has been drawn for paths [0, i) and not for the
// others. Each path is handed over as soon as it is done, and a path's
// array is let go if it has grown past its share of groupEventCap.
func (m *Model) finishGroup(w *worker, g *pathGroup, sampler Sampler, seed uint64, t, i, base int, consume func(int)) {
	share := g.eventCap() / groupPaths
	j0 := 0
	if t == m.Horizon-1 {
		j0 = i // paths [0, i) are done and handed over
	}
	for j := j0; j < len(g.paths); j++ {
		from := t
		if j < i {
			from = t + 1
		}
		for tt := from; tt < m.Horizon; tt++ {
			m.groupYear(w, g, sampler, seed, j, tt)
		}
		g.load(w, j)
		consume(base + j)
		if cap(g.events[j]) > share {
			g.events[j] = nil
		}
	}
	w.events = nil
}

// groupYear draws year t of the group's path i: it restores what the path
// carries from its year t − 1 into w, draws the year, and keeps it again.
func (m *Model) groupYear(w *worker, g *pathGroup, sampler Sampler, seed uint64, i, t int) {
	H, nInd, nCty := m.Horizon, len(w.f.ind), len(w.f.cty)
	w.s.src, w.f.isComp, w.f.logW, w.f.macro = g.src[i], g.isComp[i], g.logW[i], g.macro[i]
	copy(w.f.ind, g.ind[i*nInd:(i+1)*nInd])
	copy(w.f.cty, g.cty[i*nCty:(i+1)*nCty])
	w.events = g.events[i]
	for _, e := range w.events {
		w.dead[e.Loan] = true
	}
	m.simulateYear(w, sampler, seed, g.paths[i], t)
	g.src[i], g.logW[i], g.macro[i] = w.s.src, w.f.logW, w.f.macro
	copy(g.ind[i*nInd:], w.f.ind)
	copy(g.cty[i*nCty:], w.f.cty)
	g.events[i] = w.events
	g.loss[i*H+t], g.def[i*H+t] = w.pathLoss[t], w.pathDef[t]
	if w.chain != nil {
		g.contLoss[i*H+t], g.contDef[i*H+t] = w.chain.contLoss[t], w.chain.contDef[t]
	}
	for _, e := range w.events {
		w.dead[e.Loan] = false
	}
}

// load puts path i's results into w as simulatePath leaves them: its
// defaults (w.events, which then shares g's array), yearly losses and
// defaults, contagion figures and importance-sampling weight terms. w's
// defaulted flags stay clear.
func (g *pathGroup) load(w *worker, i int) {
	H := len(w.pathLoss)
	w.events = g.events[i]
	copy(w.pathLoss, g.loss[i*H:(i+1)*H])
	copy(w.pathDef, g.def[i*H:(i+1)*H])
	if w.chain != nil {
		copy(w.chain.contLoss, g.contLoss[i*H:(i+1)*H])
		copy(w.chain.contDef, g.contDef[i*H:(i+1)*H])
	}
	w.f.logW, w.f.isComp = g.logW[i], g.isComp[i]
}
