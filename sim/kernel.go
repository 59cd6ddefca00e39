package sim

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/wenzhou/danbao/models"
)

// Sampler chooses how defaults are drawn given the factors. Both draw the
// same distribution; they consume the random stream differently after the
// factors, so their paths differ.
type Sampler int

const (
	// Fast groups loans into cells of equal loadings and PD bands. Per
	// path-year it computes the band's upper conditional PD p_max once,
	// draws candidates among the band's loans as independent
	// Bernoulli(p_max) trials (the trials hit by a Poisson process of
	// hazard −ln(1 − p_max) per trial; see fastYear), and accepts a
	// candidate with probability p_i/p_max, where p_i is its own
	// conditional PD: exact thinning, so each loan defaults with
	// probability p_i independently given the factors. Work per path-year is
	// proportional to bands + candidates, not to loans. The band's upper
	// PD and the acceptance test use the bounds of a table of Φ (see
	// phitable.go), with Φ evaluated exactly only when the bounds cannot
	// decide; the draws stay exact.
	Fast Sampler = iota
	// Dense draws every alive loan's latent variable on every path-year.
	// Simple and obviously right; the reference for tests.
	Dense
)

func (s Sampler) String() string {
	if s == Dense {
		return "dense"
	}
	return "fast"
}

// MarshalText writes the sampler's name, "fast" or "dense".
func (s Sampler) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a sampler's name, "fast" or "dense": the one parser
// of the --sampler flag and the API's "sampler" field.
func (s *Sampler) UnmarshalText(b []byte) error {
	switch string(b) {
	case "fast":
		*s = Fast
	case "dense":
		*s = Dense
	default:
		return fmt.Errorf("%w: sampler %q is not fast or dense", models.ErrInvalid, b)
	}
	return nil
}

// Event is one default on a path.
type Event struct {
	Loan int32   // index into the portfolio's loans
	Year int32   // 0-based year of the default
	Time float64 // time of default within the year, in [0, 1)
	// Loss is the default's ultimate loss EAD × lgd, fen: the loan's fixed
	// loss, or under the stochastic LGD (lgd.go) the path-year's.
	Loss int64
}

// worker is the per-goroutine scratch of the kernel; nothing in it escapes.
type worker struct {
	s         *Stream
	f         *factorState
	sys       []float64     // systematic part per cell, this year
	dead      []bool        // [loan] defaulted on this path
	events    []Event       // this path's defaults, in order
	pathLoss  []int64       // [t] this path's loss per year, fen
	pathDef   []int32       // [t] this path's defaults per year
	stretches []stretch     // the current cell's bands on its hazard axis (fast sampler)
	chain     *chainScratch // contagion state; nil without links (contagion.go)
	up        *upScratch    // PD uplift state (contagion_uplift.go); nil until used
	coll      *Stream       // collateral stream of the stochastic LGD (lgd.go)
	prop      []float64     // [t] this path's collateral factor P_t (0 when the LGD is fixed)
	sink      float64       // the sum of what lgdModel.lossesTo touched: storing it keeps the reads
}

// stretch is a band of the current cell on the cell's hazard axis: it
// covers [begin, end), one stretch of 1/invRate per trial (member).
type stretch struct {
	begin, end float64
	pmax       float64 // the band's upper conditional PD p̄
	invRate    float64 // 1/−ln(1 − p̄)
	lo, hi     int64   // its members, y.member[lo:hi]
	wholeYear  bool
}

func (m *Model) newWorker() *worker {
	nb := 0 // the most bands of any cell
	for _, y := range m.years {
		for _, cp := range y.cells {
			nb = max(nb, int(cp.bandHi-cp.bandLo))
		}
	}
	var ch *chainScratch
	if m.chains != nil {
		ch = m.chains.newScratch(m.Horizon)
	}
	return &worker{
		chain:     ch,
		stretches: make([]stretch, nb),
		s:         newStream(),
		f:         m.factors.newState(),
		sys:       make([]float64, len(m.loadings)),
		dead:      make([]bool, m.n),
		events:    make([]Event, 0, 1024),
		pathLoss:  make([]int64, m.Horizon),
		pathDef:   make([]int32, m.Horizon),
		coll:      newStream(),
		prop:      make([]float64, m.Horizon),
	}
}

// simulatePath draws path p of seed into w.events, w.pathLoss and w.pathDef.
// Stream order: for each year, the factors (macro, industries, counties),
// then the t copula's χ² mixing variable, then the sampler's draws.
func (m *Model) simulatePath(w *worker, sampler Sampler, seed, p uint64) {
	for _, e := range w.events {
		w.dead[e.Loan] = false
	}
	w.events = w.events[:0]
	m.startPath(w, seed, p)
	for t := range m.Horizon {
		m.simulateYear(w, sampler, seed, p, t)
	}
}

// startPath resets w's streams and importance-sampling state for path p
// of seed, before its first year.
func (m *Model) startPath(w *worker, seed, p uint64) {
	w.f.logW = [maxShifted]float64{}
	w.s.Reset(seed, p)
	if m.lgd != nil {
		w.coll.Reset(seed^lgdStreamDomain, p)
	}
	if w.f.is != nil {
		// Importance sampling: the first draw picks the mixture's component.
		w.f.isComp = w.f.is.component(w.s.Float64())
	}
}

// simulateYear draws year t of path p, the years before it drawn into w.
func (m *Model) simulateYear(w *worker, sampler Sampler, seed, p uint64, t int) {
	m.factors.draw(w.s, t, w.f)
	// Under the t copula the latent variable is X/√(W/ν) with one
	// W ~ χ²_ν per path-year scaling the systematic and the idiosyncratic
	// parts alike; default iff X < √(W/ν)·t_ν⁻¹(pd), so the thresholds
	// scale by √(W/ν).
	scale := 1.0
	if m.copulaT {
		W := w.s.ChiSquare(m.nu)
		if w.f.is != nil && w.f.is.mixScale != nil {
			W = w.f.mixing(t, W, m.nu) // importance sampling (importance_t.go)
		}
		scale = math.Sqrt(W / m.nu)
	}
	for c, ld := range m.loadings {
		w.sys[c] = ld.m*w.f.macroS + ld.i*w.f.indS[ld.ind] + ld.c*w.f.ctyS[ld.cty]
	}
	before := len(w.events)
	if m.lgd != nil {
		// P_t before the year's defaults: the contagion step books its
		// losses with it (its own stream, so drawing it first changes
		// nothing else).
		w.prop[t] = m.lgd.collateral(t, w.f.macroS, w.coll.Norm())
	}
	if sampler == Dense {
		w.pathLoss[t] = m.denseYear(w, t, scale)
	} else {
		w.pathLoss[t] = m.fastYear(w, t, scale)
	}
	if w.chain != nil {
		w.pathLoss[t] += m.chainYear(w, t, before, scale, seed, p)
	}
	w.pathDef[t] = int32(len(w.events) - before)
	if m.lgd != nil {
		w.pathLoss[t] = m.lgd.lossesTo(m, w, w.events[before:], t, w.prop[t])
	}
}

// denseYear draws every alive loan's latent variable in year t. It takes
// two draws (ε and the default time) for every loan alive at the start of
// the year, defaulted or not, so a path's stream is consumed the same way
// whatever the PDs: runs that differ only in PDs or LGDs (a sweep) stay
// coupled loan by loan.
func (m *Model) denseYear(w *worker, t int, scale float64) (loss int64) {
	thr := m.thr[t*m.n : (t+1)*m.n]
	losses := m.loss[t*m.n : (t+1)*m.n]
	cells := m.loanCell[t*m.n : (t+1)*m.n]
	start := float64(t)
	for _, i := range m.years[t].alive {
		c := cells[i]
		x := w.sys[c] + m.loadings[c].sigma*w.s.Norm()
		u := w.s.Float64()
		if w.dead[i] || x >= scale*thr[i] {
			continue
		}
		if m.maturity[i] < start+u || m.from[i] > start+u {
			continue // repaid at maturity before the default time, or not yet written
		}
		w.dead[i] = true
		w.events = append(w.events, Event{Loan: i, Year: int32(t), Time: u, Loss: losses[i]})
		loss += losses[i]
	}
	return loss
}

// fastYear draws year t cell by cell (see Fast) and returns its loss in fen.
//
// Within a cell, band b's trials each get a stretch of length
// r_b = −ln(1 − p̄_b) on a hazard axis, band after band, up to the cell's
// total H = Σ r_b·n_b. Points of a unit-rate Poisson process on that axis,
// drawn as a running sum E of Exp(1) variates, make candidates: a trial
// holds at least one point with probability 1 − e^(−r_b) = p̄_b,
// independently of every other trial (independent increments); a second
// point in the same trial adds nothing. The cell costs one draw plus one
// per point; the points come in order, so a point's band is found by
// moving forward from the previous point's.
//
// A candidate k is accepted with probability Φ(z_k)/p̄: with v uniform on
// [0, p̄), iff v < Φ(z_k), decided from the table's bounds lo ≤ Φ(z_k) ≤ hi
// when they can (a squeeze) and from Φ(z_k) exactly otherwise. Given
// acceptance, v is uniform on [0, lo) or on [lo, Φ(z_k)), so rescaling it
// gives the default time u, uniform on [0, 1) and independent of
// everything drawn before: no second draw.
func (m *Model) fastYear(w *worker, t int, scale float64) (loss int64) {
	y := &m.years[t]
	start := float64(t)
	s, dead, events := w.s, w.dead, w.events // locals: the loop keeps them in registers
	// With chains, the defaults that call guarantors (roots) are collected
	// here, their records read in member order (contagion.go).
	rootBits := y.rootBits
	var roots []rootKey
	if w.chain == nil {
		rootBits = nil
	} else {
		roots = w.chain.roots
	}
	for _, cp := range y.cells {
		sys := w.sys[cp.load]
		inv := 1 / m.loadings[cp.load].sigma
		// The hazard axis, band after band.
		axis := w.stretches[:cp.bandHi-cp.bandLo]
		var total float64
		for b, bd := range y.bands[cp.bandLo:cp.bandHi] {
			st := &axis[b]
			z := (scale*bd.thr - sys) * inv
			var rate float64
			if j := phiIndex(z); j >= 0 {
				ub := &tabUpper[j]
				st.pmax, rate, st.invRate = ub.pmax, ub.rate, ub.invRate
			} else {
				st.pmax, rate, st.invRate = upperPDOutside(z)
			}
			st.begin = total
			total += rate * float64(bd.hi-bd.lo)
			st.end = total
			st.lo, st.hi, st.wholeYear = int64(bd.lo), int64(bd.hi), bd.wholeYear
		}
		last := int64(-1)
		b := 0
		for e := s.Exp(); e < total; {
			for b < len(axis)-1 && e >= axis[b].end {
				b++ // e only grows: the band moves forward
			}
			st := &axis[b]
			k := st.lo + int64((e-st.begin)*st.invRate)
			r := s.Uint64()
			x, ok := zigExp(r)
			if !ok {
				x = s.expSlow(r)
			}
			e += x
			if k == last || k >= st.hi {
				continue // a second point in one trial, or rounding at the band's end
			}
			last = k
			if t > 0 && dead[y.member[k]] {
				continue // defaulted in an earlier year (each loan is in one band a year)
			}
			v := uniform(s.Uint64()) * st.pmax
			zi := (scale*y.memberThr[k] - sys) * inv
			var u float64
			lo := 0.0
			if ji := phiIndex(zi); ji >= 0 {
				if v >= tabPhi[ji+2] {
					continue
				}
				lo = tabPhi[ji-1]
			}
			if v < lo {
				u = v / lo
			} else if p := Phi(zi); v < p {
				u = (v - lo) / (p - lo)
			} else {
				continue
			}
			if !st.wholeYear && (y.memberMat[k] < start+u || y.memberFrom[k] > start+u) {
				continue // repaid before u, or not yet written at u
			}
			i := y.member[k]
			dead[i] = true
			events = append(events, Event{Loan: i, Year: int32(t), Time: u, Loss: y.memberLoss[k]})
			loss += y.memberLoss[k]
			if rootBits != nil {
				if rw, b := rootBits[k>>6], uint64(1)<<(uint64(k)&63); rw.bits&b != 0 {
					// The rest of the root's record (yearPlan.roots) is
					// read by the contagion step (chainScratch.fillRoots).
					roots = append(roots, rootKey{time: u, loan: i, firm: rw.rank + int32(bits.OnesCount64(rw.bits&(b-1)))})
				}
			}
		}
	}
	w.events = events
	if rootBits != nil {
		w.chain.roots, w.chain.rootsTo, w.chain.rootsPlan = roots, len(events), len(roots)
	}
	return loss
}

// upperPDOutside returns, for z outside the table, an upper bound p̄ of
// Φ(z) with the hazard r = −ln(1 − p̄) of a Bernoulli(p̄) trial and 1/r:
// below the table its first entry; above it Φ(z), capped at 1 − 2⁻⁵³ so
// that r stays finite (a trial then misses a candidate with probability
// e^(−r) ≈ 1.1·10⁻¹⁶, below float64 resolution). Inside the table the
// bound is tabUpper[j].
func upperPDOutside(z float64) (pmax, rate, invRate float64) {
	if z < tabLo {
		return tabLowest.pmax, tabLowest.rate, tabLowest.invRate
	}
	pmax = min(Phi(z), 1-0x1p-53)
	rate = -math.Log1p(-pmax)
	return pmax, rate, 1 / rate
}

// uniform maps 64 random bits to [0, 1) with 53 of them.
func uniform(x uint64) float64 { return float64(x>>11) * (1.0 / (1 << 53)) }
