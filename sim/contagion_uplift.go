package sim

import (
	"slices"

	"github.com/wenzhou/danbao/models"
)

// uplift is model.contagion.pd_uplift compiled (docs/chains.md "PD
// uplift"): a firm h called in year t for C_h in total that stood
// (C_h ≤ K_h, its capacity that year) carries into year t+1
//
//	pd'_i = min(pd_i,t+1 × (1 + u·C_h/K_h), MaxPD)
//
// on each of its loans i. The sampler has already drawn year t+1 at pd_i
// (its stream is untouched, so every other default stays in place); a loan
// alive for a fraction φ of the year that the sampler left standing then
// defaults in addition with probability
//
//	(p' − p) / (1 − φ·p),   p = Φ((s·thr − S)/σ),  p' = Φ((s·thr' − S)/σ),
//
// (the conditional PDs given the year's factors S, the t copula's scale s;
// thr' = Φ⁻¹(pd'), or t_ν⁻¹) at a time uniform over the part of the year it
// is on the books, drawn from the path's own uplift stream: in all, the
// loan defaults in year t+1 with conditional probability φ·p'. These
// defaults are counted as contagion defaults and call the firm's own
// guarantors like any other default.
type uplift struct {
	u float64
	// The loans of firm f (chains.firms) are loans[loansLo[f]:loansLo[f+1]],
	// in loan order (the book and its new business); pd[t*len(loans) + k]
	// is loans[k]'s pd_t.
	loansLo, loans []int32
	firmOf         []int32 // [loan] its firm, −1 when its borrower is in no link
	pd             []float64
	quantile       func(float64) float64
}

// upliftStreamDomain keys a path's uplift stream, (seed ⊕ upliftStreamDomain,
// path), apart from the sampler's and the collateral's.
const upliftStreamDomain = 0x75706c6966745f70 // "uplift_p"

// upFirm is a firm called this year that stood, and its calls over its
// capacity, C/K in (0, 1].
type upFirm struct {
	firm  int32
	ratio float64
}

// upScratch is a worker's uplift state: the firms that carry an uplift
// into the next year, and the uplift stream.
type upScratch struct {
	next   []upFirm // noted by contagion in year t, used in year t+1
	cur    []upFirm
	stream *Stream
	// noted[f] == stamp when firm f is in next already (firmsHit may list
	// a firm twice) or has a direct default this year (it is in default:
	// no uplift); one stamp per path-year.
	noted []uint64
	stamp uint64
}

// compileUplift compiles cm for the chains of m; nil when pd_uplift is off,
// so that the run is exactly the run without it.
func compileUplift(m *Model, cm models.ContagionModel) *uplift {
	if m.chains == nil || !cm.On() {
		return nil
	}
	c := m.chains
	up := &uplift{u: cm.PDUplift, quantile: PhiInv}
	cdf := Phi
	if m.copulaT {
		nu := m.nu
		up.quantile = func(p float64) float64 { return studentTInv(p, nu) }
		cdf = func(x float64) float64 { return studentTCDF(x, nu) }
	}
	// The firms' loans, found by borrower (the uplift keeps its own lists
	// rather than the contagion loop's).
	idx := make(map[string]int32, len(c.firms))
	for f, b := range c.firms {
		idx[b] = int32(f)
	}
	firmOf := make([]int32, m.n)
	count := make([]int32, len(c.firms)+1)
	for i := range m.n {
		firmOf[i] = -1
		if f, ok := idx[borrowerOf(&m.Loans[i])]; ok {
			firmOf[i] = f
			count[f+1]++
		}
	}
	up.firmOf = firmOf
	up.loansLo = prefix(count)
	up.loans = make([]int32, up.loansLo[len(c.firms)])
	next := slices.Clone(up.loansLo[:len(c.firms)])
	for i, f := range firmOf {
		if f >= 0 {
			up.loans[next[f]] = int32(i)
			next[f]++
		}
	}
	L := len(up.loans)
	up.pd = make([]float64, m.Horizon*L)
	for t := range m.Horizon {
		for k, i := range up.loans {
			up.pd[t*L+k] = cdf(m.thr[t*m.n+int(i)])
		}
	}
	return up
}

// noteCalled records, at the end of a path-year's contagion, the firms
// that were called and stood (0 < calls ≤ capacity: a toppled firm's calls
// exceed its capacity), each once, for the next year's uplift.
func (up *uplift) noteCalled(w *worker) {
	s, us := w.chain, w.up
	for _, h := range s.firmsHit {
		if fs := &s.firm[h]; fs.called > 0 && fs.called <= fs.capT && us.noted[h] != us.stamp {
			us.noted[h] = us.stamp
			us.next = append(us.next, upFirm{firm: h, ratio: float64(fs.called) / float64(fs.capT)})
		}
	}
}

// chainYear is year t's step of the guarantee chains after the sampler
// (its direct defaults start at w.events[before]): the uplifted firms'
// additional defaults, then contagion. It returns their loss in fen and
// keeps the contagion split per year.
func (m *Model) chainYear(w *worker, t, before int, scale float64, seed, p uint64) int64 {
	s := w.chain
	s.path = p
	if m.uplift == nil {
		return m.contagion(w, t, before)
	}
	if w.up == nil {
		w.up = &upScratch{stream: newStream(), noted: make([]uint64, len(m.uplift.loansLo)-1)}
	}
	us := w.up
	if t == 0 {
		us.stream.Reset(seed^upliftStreamDomain, p)
		us.next = us.next[:0] // left over from the previous path's last year
	}
	us.cur, us.next = us.next, us.cur[:0]
	n0 := len(w.events)
	upLoss := m.upliftDefaults(w, t, scale)
	upDef := int32(len(w.events) - n0)
	// The firms with a default of their own this year are in default:
	// noteCalled leaves them out even if they were called and stood first.
	us.stamp++
	for _, e := range w.events[before:] {
		if f := m.uplift.firmOf[e.Loan]; f >= 0 {
			us.noted[f] = us.stamp
		}
	}
	loss := m.contagion(w, t, before)
	s.contLoss[t] += upLoss
	s.contDef[t] += upDef
	return upLoss + loss
}

// upliftDefaults draws year t's additional defaults of the loans of the
// firms noted in year t−1 (see uplift) into w.events and returns their
// loss in fen.
func (m *Model) upliftDefaults(w *worker, t int, scale float64) (loss int64) {
	up := m.uplift
	rs := w.up.stream
	L := len(up.loans)
	start := float64(t)
	for _, uf := range w.up.cur {
		mult := 1 + up.u*uf.ratio
		for k := up.loansLo[uf.firm]; k < up.loansLo[uf.firm+1]; k++ {
			i := int(up.loans[k])
			from, mat := m.from[i], m.maturity[i]
			if w.dead[i] || int(m.start[i]) > t || mat <= start || from >= start+1 {
				continue
			}
			u, v := rs.Float64(), rs.Float64()
			if from > start+u || mat < start+u {
				continue // off the books at u
			}
			phi := min(mat, start+1) - max(from, start)
			pd := up.pd[t*L+int(k)]
			pdUp := min(pd*mult, models.MaxPD)
			cell := m.loanCell[t*m.n+i]
			ld := &m.loadings[cell]
			p := Phi((scale*m.thr[t*m.n+i] - w.sys[cell]) / ld.sigma)
			pUp := Phi((scale*up.quantile(pdUp) - w.sys[cell]) / ld.sigma)
			if !(v*(1-phi*p) < pUp-p) {
				continue
			}
			l := m.loss[t*m.n+i]
			if lg := m.lgd; lg != nil {
				l = lg.lossOf(m.n, t, int32(i), lg.sqrtB*w.prop[t]) // the path-year's LGD, as the ledger books it
			}
			w.dead[i] = true
			w.events = append(w.events, Event{Loan: int32(i), Year: int32(t), Time: u, Loss: l})
			loss += l
		}
	}
	return loss
}
