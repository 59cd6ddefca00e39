package sim

import (
	"fmt"
	"math"

	"github.com/wenzhou/danbao/models"
)

// Importance sampling (docs/tails.md). Every path draws its independent
// standard normal factor innovations z (H years × (macro, industries,
// counties)) from the defensive mixture (Hesterberg 1995, "Weighted
// average importance sampling and defensive mixture distributions",
// Technometrics 37)
//
//	Q = β·N(0, I) + Σ_{t=1..H} ((1 − β)/H)·N(μ_t, I),   β = defensiveShare
//
// instead of N(0, I), and carries the likelihood ratio (the balance
// heuristic: every component's density, whichever drew z)
//
//	w = dP/dQ = 1 / (β + ((1 − β)/H)·Σ_t exp(μ_t·z − |μ_t|²/2))  ≤ 1/β
//
// which every statistic of the result document weighs it by. The plain
// component bounds the weights, so the body of the distribution (the
// mean, VaR 0.95) stays estimable; the shifted ones put most paths in
// the tail. The shift μ_t = c·z*_t (c = shiftScale) is zero outside year
// t's innovations, and z*_t is the point of the sphere |z| = Φ⁻¹(α) among
// those where the conditional expected loss over the horizon is largest
// when only year t's innovations may move: the most adverse factor
// scenario at "confidence" α whose shock falls in year t. One shift per
// year because the tail of a multi-year loss is reached by one bad year
// far more often than by three moderately bad ones (the loss is convex
// in a year's factors); a single mode over the whole horizon spreads the
// shock evenly and leaves the one-year tails to the few plain paths, whose
// weights then dominate the variance (docs/tails.md, "Choice of the
// mixture"). In the one-factor, one-year model z*_1 is the α-quantile of
// the factor itself (Glasserman and Li 2005, "Importance sampling for
// portfolio credit risk", Management Science 51, first step; their
// second step, exponential twisting of the conditional PDs, is not done:
// see docs/tails.md).

// defensiveShare is β, the share of paths drawn without a shift, and
// shiftScale is c, a shift's length as a share of its tail mode's. They
// set the cost of a run against its variance: a run's work grows with
// its defaults, and faster than them on a book with guarantee chains
// (the cascades). On the example (3 years, chains) a path shifted by
// 0.65·z*_t carries 1.82× the defaults of a plain path, so
// E_Q[defaults] = β + (1 − β)·1.82 ≈ 1.41× plain. The pair was chosen on
// the example, among those with E_Q[defaults] about 1.4× plain, for the
// variance reduction of ES 0.999 of the total and the guarantor loss
// (docs/tails.md, "Choice of the mixture").
const (
	defensiveShare = 0.5
	shiftScale     = 0.65
)

// maxShifted is the most shifted components a sampling law has: one a
// year (isMixtureAt).
const maxShifted = models.MaxHorizonYears

// isMixture is the sampling law of an importance-sampling run, the
// defensive mixture
//
//	Q = β·N(0, I) + Σ_k π_k·N(μ_k, I),   β = defensiveShare = 1 − Σ_k π_k
//
// whose likelihood ratio for the draws z (the balance heuristic of Veach
// and Guibas 1995: every component's density, whichever drew z) is
//
//	w = dP/dQ = φ(z) / (β·φ(z) + Σ_k π_k·φ(z − μ_k)) = 1 / (β + Σ_k π_k·exp(μ_k·z − |μ_k|²/2))  ≤ 1/β.
type isMixture struct {
	shifts [][]float64 // μ_k: innovations() values, then mixingDims()
	probs  []float64   // π_k
	// Under the t copula, mixScale[k][t] is component k's scale s_t of
	// year t's χ² mixing variable and mixLogScale[k][t] its logarithm
	// (importance_t.go); nil under the Gaussian copula.
	mixScale, mixLogScale [][]float64
}

// component returns the component that a path whose first uniform draw is
// u draws from: −1 (the plain one) for u < β, then k for u in the k-th
// interval of length π_k.
func (q *isMixture) component(u float64) int {
	if u < defensiveShare {
		return -1
	}
	c := defensiveShare
	for k, p := range q.probs[:len(q.probs)-1] {
		if c += p; u < c {
			return k
		}
	}
	return len(q.probs) - 1
}

// weight returns w = 1/(β + Σ_k π_k·e^(−logW_k)) from the accumulated
// logW_k = Σ (−μ_k·z + |μ_k|²/2) = log(φ(z)/φ(z − μ_k)) (see isMixture).
func (q *isMixture) weight(logW *[maxShifted]float64) float64 {
	s := defensiveShare
	for k, p := range q.probs {
		s += p * math.Exp(-logW[k])
	}
	return 1 / s
}

// shiftIterations bounds the fixed-point search of tailMode.
const shiftIterations = 200

// TailShift returns the shifts of the importance-sampling law for level α
// added together: year t's innovations carry μ_t, c·z*_t (see isMixture;
// the shifts are zero outside their year, so the sum lists each year's
// once). z*_t is the maximiser of the conditional expected loss μ(z) over
// the horizon on the sphere |z| = r, r = Φ⁻¹(α), among the z that are
// zero outside year t's innovations (macro, industries, counties), where
//
//	μ(z) = Σ_t Σ_{i alive in t} l_{t,i} · life_{t,i} · Φ((thr_{t,i} − sys_{t,i}(z)) / σ_i)
//
// (life the part of year t the loan is on the books; earlier defaults are
// ignored, and each PD band stands for its loans, which only makes the
// proposal approximate, never the estimator biased). At a maximiser the
// projection of ∇μ on year t is parallel to z, so tailModeIn iterates
// u ← (u + g(r·u)/|g(r·u)|)/|…|, g the projected gradient, from the
// direction of g(0) until u moves less than 1e-7. μ is evaluated per PD
// band of the fast sampler (shiftTerms), not per loan: the shift only
// shapes the sampling law, and the estimator is unbiased whatever it is.
// Under the t copula the thresholds are Student-t quantiles and μ(z)
// takes the χ² mixing variable at W/ν = 1; the run shifts the factors
// only and draws W from its own law, so the weight is the factors'
// likelihood ratio alone and the estimator stays unbiased (a shift of W,
// Chan and Kroese 2010, is not done: docs/tails.md).
func (m *Model) TailShift(alpha float64) ([]float64, error) {
	q, err := m.isMixtureAt(alpha)
	if err != nil {
		return nil, err
	}
	return q.sum(), nil
}

// sum returns Σ_k μ_k.
func (q *isMixture) sum() []float64 {
	out := make([]float64, len(q.shifts[0]))
	for _, mu := range q.shifts {
		for k, v := range mu {
			out[k] += v
		}
	}
	return out
}

// isMixtureAt returns the sampling law of an importance-sampling run at
// level α (see isMixture and TailShift): one shift c·z*_t a year, each
// with probability (1 − β)/H.
func (m *Model) isMixtureAt(alpha float64) (*isMixture, error) {
	if !(alpha >= 0.5 && alpha <= MaxLevel) {
		return nil, fmt.Errorf("%w: importance-sampling level %v not in [0.5, %v]", models.ErrInvalid, alpha, MaxLevel)
	}
	H := m.Horizon
	terms, r, d := m.shiftTerms(), PhiInv(alpha), m.innovations()/H
	q := &isMixture{}
	for t := range H {
		mix := -1 // under the t copula year t's mixing score moves too
		if m.mixingDims() > 0 {
			mix = H*d + t
		}
		z, ok := m.tailModeIn(terms, r, t*d, (t+1)*d, mix)
		if !ok {
			return nil, fmt.Errorf("%w: the expected loss does not depend on year %d's factors (all r2 are 0, or no loan is on the books), nothing to shift", models.ErrInvalid, t+1)
		}
		for k := range z {
			z[k] *= shiftScale
		}
		q.shifts = append(q.shifts, z)
		q.probs = append(q.probs, (1-defensiveShare)/float64(H))
	}
	m.setMixing(q)
	return q, nil
}

// tailMode returns the point z of the sphere |z| = r where μ(z) over terms
// (see TailShift) is largest, by TailShift's fixed-point iteration, and
// false when μ does not depend on the factors. TailShift and Reverse share
// it.
func (m *Model) tailMode(terms []shiftTerm, r float64) ([]float64, bool) {
	return m.tailModeIn(terms, r, 0, m.innovations()+m.mixingDims(), -1)
}

// tailModeIn is tailMode over the points of the sphere whose coordinates
// other than [lo, hi) and mix (none if negative) are 0: the gradient is
// projected on them.
func (m *Model) tailModeIn(terms []shiftTerm, r float64, lo, hi, mix int) ([]float64, bool) {
	d := m.innovations() + m.mixingDims()
	z := make([]float64, d)
	g := make([]float64, d)
	u := make([]float64, d)
	project := func() {
		var keep float64
		if mix >= 0 {
			keep = g[mix]
		}
		clear(g[:lo])
		clear(g[hi:])
		if mix >= 0 {
			g[mix] = keep
		}
	}
	m.condEL(terms, z, g)
	project()
	if !normalize(u, g) {
		return nil, false
	}
	for range shiftIterations {
		for k := range z {
			z[k] = r * u[k]
		}
		m.condEL(terms, z, g)
		project()
		if !normalize(g, g) {
			break
		}
		var moved float64
		for k := range u {
			g[k] += u[k] // g becomes u + ∇μ/|∇μ|, normalised next
		}
		normalize(g, g)
		for k := range u {
			moved += (g[k] - u[k]) * (g[k] - u[k])
			u[k] = g[k]
		}
		if moved < 1e-14 {
			break
		}
	}
	for k := range z {
		z[k] = r * u[k]
	}
	return z, true
}

// innovations returns the number of independent normals a path draws for
// the factors: H·(1 + industries + counties).
func (m *Model) innovations() int {
	return m.Horizon * (1 + m.factors.nInd + m.factors.nCty)
}

// normalize sets dst = x/|x| and reports whether |x| > 0.
func normalize(dst, x []float64) bool {
	var n float64
	for _, v := range x {
		n += v * v
	}
	n = math.Sqrt(n)
	if !(n > 0) {
		return false
	}
	for k, v := range x {
		dst[k] = v / n
	}
	return true
}

// shiftTerm is one PD band of one cell in one year, as TailShift's μ(z)
// sees it: the band's loans weighted by loss × life, at the threshold of
// their loss-weighted mean PD (the band's PDs are within BandRatio of each
// other).
type shiftTerm struct {
	t, load int32
	thr, l  float64 // threshold; Σ l·life over the band, fen
}

// shiftTerms lists the bands of every year with their weight and
// threshold (see shiftTerm).
func (m *Model) shiftTerms() []shiftTerm { return m.shiftTermsWhere(nil) }

// shiftTermsWhere is shiftTerms over the members (loan i in year t, 0-based)
// for which keep is true; nil keeps every member.
func (m *Model) shiftTermsWhere(keep func(t int, i int32) bool) []shiftTerm {
	var out []shiftTerm
	for t := range m.Horizon {
		y := &m.years[t]
		start := float64(t)
		for _, cp := range y.cells {
			for _, bd := range y.bands[cp.bandLo:cp.bandHi] {
				var l, lpd float64
				for k := bd.lo; k < bd.hi; k++ {
					life := min(y.memberMat[k], start+1) - max(y.memberFrom[k], start)
					if life <= 0 || keep != nil && !keep(t, y.member[k]) {
						continue
					}
					w := float64(y.memberLoss[k]) * min(life, 1)
					l += w
					lpd += w * m.pdOf(y.memberThr[k])
				}
				if l > 0 {
					out = append(out, shiftTerm{t: int32(t), load: cp.load, thr: m.thrOf(lpd / l), l: l})
				}
			}
		}
	}
	return out
}

// condEL returns μ(z) (see TailShift) over terms in fen and writes ∂μ/∂z
// into grad (under the t copula z and grad end with the H mixing scores). The factors follow factorModel: F_t = a_t·F_{t−1} + b_t·C·z_t
// (a_0 = 0, b_0 = 1, a_t = φ, b_t = √(1 − φ²); C the group's Cholesky
// factor), plus the scenario's stress shift; the gradient goes back
// through both.
func (m *Model) condEL(terms []shiftTerm, z, grad []float64) float64 {
	f := &m.factors
	H, nI, nC := m.Horizon, f.nInd, f.nCty
	d := 1 + nI + nC
	F := make([]float64, H*d) // factor values, stress shift included
	m.factorPath(F, z, true)
	gF := make([]float64, H*d) // ∂μ/∂F_t, direct
	// Under the t copula year t's thresholds scale by q_t = √(W_t/ν), W_t
	// the mixing variable at score v_t = z[H·d + t] (importance_t.go);
	// ∂μ/∂v_t = Σ l·φ(x)·thr/σ · dq_t/dv_t.
	mix := m.mixingDims() > 0
	q := make([]float64, H)
	dq := make([]float64, H)
	for t := range q {
		q[t] = 1
		if mix {
			q[t], dq[t] = m.mixingAt(z[H*d+t])
			grad[H*d+t] = 0
		}
	}
	var mu float64
	for _, tm := range terms {
		t := int(tm.t)
		Ft := F[t*d : (t+1)*d]
		g := gF[t*d : (t+1)*d]
		ld := &m.loadings[tm.load]
		sys := ld.m*Ft[0] + ld.i*Ft[1+ld.ind] + ld.c*Ft[1+nI+int(ld.cty)]
		x := (q[t]*tm.thr - sys) / ld.sigma
		mu += tm.l * Phi(x)
		dsys := -tm.l * math.Exp(-x*x/2) / (math.Sqrt(2*math.Pi) * ld.sigma)
		g[0] += dsys * ld.m
		g[1+ld.ind] += dsys * ld.i
		g[1+nI+int(ld.cty)] += dsys * ld.c
		if mix {
			grad[H*d+t] -= dsys * tm.thr * dq[t]
		}
	}
	// Back through the AR(1): G_t = g_t + φ·G_{t+1}; ∂μ/∂z_t = b_t·Cᵀ·G_t.
	G := make([]float64, d)
	for t := H - 1; t >= 0; t-- {
		for k := range d {
			G[k] = gF[t*d+k] + f.phi*G[k] // G starts at 0 after the last year
		}
		b := 1.0
		if t > 0 {
			b = math.Sqrt(1 - f.phi*f.phi)
		}
		gz := grad[t*d : (t+1)*d]
		gz[0] = b * G[0]
		correlateT(gz[1:1+nI], G[1:1+nI], f.cholInd, b)
		correlateT(gz[1+nI:], G[1+nI:], f.cholCty, b)
	}
	return mu
}

// factorPath writes into F (H·d values, year by year: macro, industries,
// counties) the factors the innovations z give through the AR(1) and the
// Cholesky factors (see condEL), plus the scenario's stress shift when
// stressed is true.
func (m *Model) factorPath(F, z []float64, stressed bool) {
	f := &m.factors
	H, nI, nC := m.Horizon, f.nInd, f.nCty
	d := 1 + nI + nC
	prev := make([]float64, d)
	cur := make([]float64, d)
	for t := range H {
		a, b := 0.0, 1.0
		if t > 0 {
			a, b = f.phi, math.Sqrt(1-f.phi*f.phi)
		}
		zt := z[t*d : (t+1)*d]
		cur[0] = a*prev[0] + b*zt[0]
		correlate(cur[1:1+nI], prev[1:1+nI], zt[1:1+nI], f.cholInd, a, b)
		correlate(cur[1+nI:], prev[1+nI:], zt[1+nI:], f.cholCty, a, b)
		copy(prev, cur)
		Ft := F[t*d : (t+1)*d]
		copy(Ft, cur)
		if !stressed {
			continue
		}
		Ft[0] += f.shiftMacro[t]
		for k := range nI {
			Ft[1+k] += f.shiftInd[t*nI+k]
		}
		for j := range nC {
			Ft[1+nI+j] += f.shiftCty[t*nC+j]
		}
	}
}

// correlate sets dst = a·prev + b·C·z (C lower triangular n×n row-major;
// nil is the identity).
func correlate(dst, prev, z, chol []float64, a, b float64) {
	n := len(dst)
	for k := range n {
		v := z[k]
		if chol != nil {
			v = 0
			for l, c := range chol[k*n : k*n+k+1] {
				v += c * z[l]
			}
		}
		dst[k] = a*prev[k] + b*v
	}
}

// correlateT sets dst = b·Cᵀ·G.
func correlateT(dst, G, chol []float64, b float64) {
	n := len(dst)
	for l := range n {
		if chol == nil {
			dst[l] = b * G[l]
			continue
		}
		var v float64
		for k := l; k < n; k++ {
			v += chol[k*n+l] * G[k]
		}
		dst[l] = b * v
	}
}
