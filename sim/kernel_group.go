package sim

import "math/rand/v2"

// groupPaths is the most paths a worker draws together, year by year
// (pathGroup), when the portfolio has links.
const groupPaths = 64

// pathGroup draws a group of paths year by year: year 0 of each path of
// the group, then year 1 of each, and so on. Path by path, a path-year
// reads the sampler's tables of its year and the chains' tables of its
// year (several MiB each on a 100k-loan book), and the next path-year
// reads another year's, so each path-year found little of its data in
// cache; taken year by year, consecutive path-years read the same
// tables. On the chained 100k book this made a full run about 12 %
// cheaper (10,000 paths, 1 worker: 12.4 → 10.9 s CPU), and the runs
// without links no cheaper (docs/chains.md, "Session 21"), so only runs
// with links draw in groups.
//
// Each path's draws and results are exactly simulatePath's: what a path
// carries from one year to the next (its stream, the factors' AR(1) state,
// its importance-sampling weight terms and its defaults) is kept per path
// between its years, and the worker's defaulted flags are set from the
// path's defaults before each of its years and cleared after. The
// group's defaults are kept year by year (year[t]: the group's defaults
// of year t, path after path), so a group's memory is a few arrays that
// keep their room from group to group.
type pathGroup struct {
	first    uint64     // path i of the group is path first + i
	n        int        // the group's paths
	src      []rand.PCG // [i] path i's stream between its years
	macro    []float64  // [i] the macro factor's AR(1) state
	ind, cty []float64  // [i·nInd + k], [i·nCty + k] the industries' and counties'
	isComp   []int
	logW     [][maxShifted]float64
	year     [][]Event // [t] the group's defaults of year t
	at       []int32   // [i·H + t] where path i's defaults of year t start in year[t]; there are def[i·H + t]
	whole    []Event   // the path being handed over: its defaults of every year
	loss     []int64   // [i·H + t] as worker.pathLoss
	def      []int32   // [i·H + t] as worker.pathDef
	contLoss []int64   // [i·H + t] as chainScratch.contLoss
	contDef  []int32   // [i·H + t] as chainScratch.contDef
	// limit replaces groupEventCap when positive (tests).
	limit int
	// next is the size of the next group (size).
	next int
}

// size is how many paths the next group draws: groupPaths at first, then
// as many as hold about half of groupEventCap's defaults at the last
// group's mean per path, so that on a large book a group seldom has to
// finish path by path (at least 1).
func (g *pathGroup) size() int {
	if g.next == 0 {
		return groupPaths
	}
	return g.next
}

// eventCap is the most defaults g holds before it finishes path by path.
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

// groupEventCap bounds the defaults a group holds (24 B each, so 12 MiB
// a worker): before each path-year, a group holding more finishes its
// paths one by one (finishGroup), handing each over as it is done, so a
// group holds at most this and one path-year's defaults, and, while it
// finishes, one path's.
const groupEventCap = 1 << 19

// simulateGroup draws paths first, first+1, …, first+n−1 (n at most
// groupPaths) of seed year by year and hands path i (first + i) over as
// soon as its last year is drawn: g.load puts its
// results in w, as simulatePath leaves them, and consume(base + i) takes
// them, in path order. w's defaulted flags are clear before and after.
func (m *Model) simulateGroup(w *worker, g *pathGroup, sampler Sampler, seed, first uint64, n, base int, consume func(int)) {
	H, nInd, nCty := m.Horizon, len(w.f.ind), len(w.f.cty)
	g.first, g.n = first, n
	if len(g.src) < n {
		g.src = make([]rand.PCG, n)
		g.macro = make([]float64, n)
		g.ind, g.cty = make([]float64, n*nInd), make([]float64, n*nCty)
		g.isComp = make([]int, n)
		g.logW = make([][maxShifted]float64, n)
		g.at = make([]int32, n*H)
		g.loss, g.def = make([]int64, n*H), make([]int32, n*H)
		g.contLoss, g.contDef = make([]int64, n*H), make([]int32, n*H)
	}
	if len(g.year) < H {
		g.year = make([][]Event, H)
	}
	for i := range n {
		m.startPath(w, seed, first+uint64(i))
		g.src[i], g.isComp[i], g.logW[i] = w.s.src, w.f.isComp, w.f.logW
	}
	held := 0 // the defaults g.year hold
	for t := range H {
		g.year[t] = g.year[t][:0]
		for i := range n {
			if held > g.eventCap() {
				m.finishGroup(w, g, sampler, seed, t, i, base, consume)
				return
			}
			m.groupYear(w, g, sampler, seed, i, t)
			held += int(g.def[i*H+t])
			if t == H-1 {
				g.load(w, i, H)
				consume(base + i)
			}
		}
	}
	g.resize(held, n)
}

// resize sets the next group's size from this one's: held defaults over
// n paths.
func (g *pathGroup) resize(held, n int) {
	per := held/n + 1
	g.next = min(max(g.eventCap()/(2*per), 1), groupPaths)
}

// restore puts what path i carries from year to year into w.
func (g *pathGroup) restore(w *worker, i int) {
	nInd, nCty := len(w.f.ind), len(w.f.cty)
	w.s.src, w.f.isComp, w.f.logW, w.f.macro = g.src[i], g.isComp[i], g.logW[i], g.macro[i]
	copy(w.f.ind, g.ind[i*nInd:(i+1)*nInd])
	copy(w.f.cty, g.cty[i*nCty:(i+1)*nCty])
}

// keep saves what path i carries from year t into year t + 1, and the
// year's figures.
func (g *pathGroup) keep(w *worker, i, t int) {
	nInd, nCty, H := len(w.f.ind), len(w.f.cty), len(w.pathLoss)
	g.src[i], g.logW[i], g.macro[i] = w.s.src, w.f.logW, w.f.macro
	copy(g.ind[i*nInd:], w.f.ind)
	copy(g.cty[i*nCty:], w.f.cty)
	g.loss[i*H+t], g.def[i*H+t] = w.pathLoss[t], w.pathDef[t]
	if w.chain != nil {
		g.contLoss[i*H+t], g.contDef[i*H+t] = w.chain.contLoss[t], w.chain.contDef[t]
	}
}

// mark sets (or clears) the defaulted flags of path i's defaults in the
// years before t.
func (g *pathGroup) mark(w *worker, i, t int, dead bool) {
	H := len(w.pathLoss)
	for tt := range t {
		at := int(g.at[i*H+tt])
		for _, e := range g.year[tt][at : at+int(g.def[i*H+tt])] {
			w.dead[e.Loan] = dead
		}
	}
}

// groupYear draws year t of the group's path i and appends its defaults
// to year[t].
func (m *Model) groupYear(w *worker, g *pathGroup, sampler Sampler, seed uint64, i, t int) {
	H := m.Horizon
	g.restore(w, i)
	g.mark(w, i, t, true)
	at := len(g.year[t])
	g.at[i*H+t] = int32(at)
	w.events = g.year[t][at:] // the year's defaults go on after the others'
	m.simulateYear(w, sampler, seed, g.first+uint64(i), t)
	g.keep(w, i, t)
	for _, e := range w.events {
		w.dead[e.Loan] = false
	}
	g.mark(w, i, t, false)
	if len(w.events) > 0 && cap(g.year[t]) > at && &w.events[0] == &g.year[t][:at+1][at] {
		g.year[t] = g.year[t][:at+len(w.events)] // written in place
	} else {
		g.year[t] = append(g.year[t][:at], w.events...) // outgrew the room
	}
}

// finishGroup draws the rest of a group path by path once it holds too
// many defaults: year t has been drawn for paths [0, i) and not for the
// others. Each path is handed over as soon as it is done.
func (m *Model) finishGroup(w *worker, g *pathGroup, sampler Sampler, seed uint64, t, i, base int, consume func(int)) {
	H := m.Horizon
	held := 0
	j0 := 0
	if t == H-1 {
		j0 = i // paths [0, i) are done and handed over
	}
	for j := j0; j < g.n; j++ {
		from := t
		if j < i {
			from = t + 1
		}
		// As simulatePath: w.events holds the path's defaults of every
		// year, and their flags stay set from year to year.
		g.restore(w, j)
		w.events = g.whole[:0]
		for tt := range from {
			at := int(g.at[j*H+tt])
			w.events = append(w.events, g.year[tt][at:at+int(g.def[j*H+tt])]...)
		}
		for _, e := range w.events {
			w.dead[e.Loan] = true
		}
		for tt := from; tt < H; tt++ {
			m.simulateYear(w, sampler, seed, g.first+uint64(j), tt)
			g.keep(w, j, tt)
		}
		for _, e := range w.events {
			w.dead[e.Loan] = false
		}
		g.whole = w.events
		held += len(w.events)
		g.loadFigures(w, j)
		consume(base + j)
	}
	g.resize(held, g.n)
}

// load puts path i's results into w as simulatePath leaves them: its
// defaults of every year (w.events, which then shares g.whole), yearly
// losses and defaults, contagion figures and importance-sampling weight
// terms. w's defaulted flags stay clear.
func (g *pathGroup) load(w *worker, i, H int) {
	g.whole = g.whole[:0]
	for t := range H {
		at := int(g.at[i*H+t])
		g.whole = append(g.whole, g.year[t][at:at+int(g.def[i*H+t])]...)
	}
	w.events = g.whole
	g.loadFigures(w, i)
}

// loadFigures puts path i's yearly figures and importance-sampling terms
// into w.
func (g *pathGroup) loadFigures(w *worker, i int) {
	H := len(w.pathLoss)
	copy(w.pathLoss, g.loss[i*H:(i+1)*H])
	copy(w.pathDef, g.def[i*H:(i+1)*H])
	if w.chain != nil {
		copy(w.chain.contLoss, g.contLoss[i*H:(i+1)*H])
		copy(w.chain.contDef, g.contDef[i*H:(i+1)*H])
	}
	w.f.logW, w.f.isComp = g.logW[i], g.isComp[i]
}
