package sim

import "math"

// Sampler chooses how defaults are drawn given the factors. Both draw the
// same distribution; they consume the random stream differently after the
// factors, so their paths differ.
type Sampler int

const (
	// Fast groups loans into cells of equal loadings and PD bands. Per
	// path-year it computes the band's upper conditional PD p_max once,
	// draws candidates among the band's loans as independent Bernoulli(p_max)
	// trials by geometric skipping (gap ~ ⌊ln U / ln(1 − p_max)⌋), and accepts
	// a candidate with probability p_i/p_max, where p_i is its own
	// conditional PD: exact thinning, so each loan defaults with probability
	// p_i independently given the factors. Work per path-year is
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

// Event is one default on a path.
type Event struct {
	Loan int32   // index into the portfolio's loans
	Year int32   // 0-based year of the default
	Time float64 // time of default within the year, in [0, 1)
}

// worker is the per-goroutine scratch of the kernel; nothing in it escapes.
type worker struct {
	s        *Stream
	f        *factorState
	sys      []float64 // systematic part per cell, this year
	dead     []bool    // [loan] defaulted on this path
	events   []Event   // this path's defaults, in order
	pathLoss []int64   // [t] this path's loss per year, fen
	pathDef  []int32   // [t] this path's defaults per year
}

func (m *Model) newWorker() *worker {
	return &worker{
		s:        NewStream(),
		f:        m.factors.newState(),
		sys:      make([]float64, len(m.loadings)),
		dead:     make([]bool, m.n),
		events:   make([]Event, 0, 1024),
		pathLoss: make([]int64, m.Horizon),
		pathDef:  make([]int32, m.Horizon),
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
	w.s.Reset(seed, p)
	for t := range m.Horizon {
		m.factors.draw(w.s, t, w.f)
		// Under the t copula the latent variable is X/√(W/ν) with one
		// W ~ χ²_ν per path-year scaling the systematic and the idiosyncratic
		// parts alike; default iff X < √(W/ν)·t_ν⁻¹(pd), so the thresholds
		// scale by √(W/ν).
		scale := 1.0
		if m.copulaT {
			scale = math.Sqrt(w.s.ChiSquare(m.nu) / m.nu)
		}
		for c, ld := range m.loadings {
			w.sys[c] = ld.m*w.f.macroS + ld.i*w.f.indS[ld.ind] + ld.c*w.f.ctyS[ld.cty]
		}
		before := len(w.events)
		if sampler == Dense {
			w.pathLoss[t] = m.denseYear(w, t, scale)
		} else {
			w.pathLoss[t] = m.fastYear(w, t, scale)
		}
		w.pathDef[t] = int32(len(w.events) - before)
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
		w.events = append(w.events, Event{Loan: i, Year: int32(t), Time: u})
		loss += losses[i]
	}
	return loss
}

// fastYear draws year t band by band (see Fast) and returns its loss in fen.
//
// Within a cell, the bands' Bernoulli(p̄_b) candidate trials are generated
// by one running exponential variate E: with hazard r_b = −ln(1 − p̄_b) per
// trial, the next candidate is ⌊E/r_b⌋ trials on if that falls inside the
// band; otherwise E − r_b·(trials left) carries over to the next band,
// which by the memorylessness of the exponential is again Exp(1). A band
// without a candidate, the common case, then costs a multiply and a
// compare, not a random draw.
func (m *Model) fastYear(w *worker, t int, scale float64) (loss int64) {
	y := &m.years[t]
	start := float64(t)
	for _, cp := range y.cells {
		sys := w.sys[cp.load]
		inv := 1 / m.loadings[cp.load].sigma
		e := w.s.rnd.ExpFloat64()
		for _, b := range y.bands[cp.bandLo:cp.bandHi] {
			z := (scale*b.thr - sys) * inv
			var pmax, rate, invRate float64
			if j := phiIndex(z); j >= 0 {
				// upper bound of Φ(z), its hazard −ln(1 − p̄) and 1/hazard
				pmax, rate, invRate = tabPhi[j+2], tabRate[j+2], tabInvRate[j+2]
			} else if z < tabLo {
				pmax, rate, invRate = tabPhi[0], tabRate[0], tabInvRate[0]
			} else {
				pmax = Phi(z)
				rate = -math.Log1p(-pmax)
				invRate = 1 / rate
			}
			if !(pmax > 0) {
				continue // no hazard: e carries over unchanged
			}
			next, hi := int64(b.lo), int64(b.hi)
			for next < hi {
				if need := rate * float64(hi-next); e >= need {
					e -= need // no candidate in the rest of the band
					break
				}
				k := next + int64(e*invRate) // invRate is 0 when p̄ = 1: every trial a candidate
				e = w.s.rnd.ExpFloat64()
				if k >= hi {
					break // rounding at the band's end: take a fresh e
				}
				next = k + 1
				i := y.member[k]
				if w.dead[i] {
					continue
				}
				// Accept with probability Φ(z_i)/pmax, squeezed between
				// the table's bounds; Φ exactly only in between.
				v := w.s.Float64() * pmax
				zi := z
				if !b.same {
					zi = (scale*y.memberThr[k] - sys) * inv
				}
				if ji := phiIndex(zi); ji >= 0 {
					if v >= tabPhi[ji+2] || (v >= tabPhi[ji-1] && v >= Phi(zi)) {
						continue
					}
				} else if v >= Phi(zi) {
					continue
				}
				u := w.s.Float64()
				if y.memberMat[k] < start+u || y.memberFrom[k] > start+u {
					continue
				}
				w.dead[i] = true
				w.events = append(w.events, Event{Loan: i, Year: int32(t), Time: u})
				loss += y.memberLoss[k]
			}
		}
	}
	return loss
}
