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
//	Q = (1 − β)·N(μ, I) + β·N(0, I),   β = DefensiveShare
//
// instead of N(0, I), and carries the likelihood ratio
//
//	w = dP/dQ = 1 / ((1 − β)·exp(μ·z − |μ|²/2) + β)  ≤ 1/β
//
// which every statistic of the result document weighs it by. The plain
// component bounds the weights, so the body of the distribution (the
// mean, VaR 0.95) stays estimable; the shifted one puts most paths in
// the tail. The shift is μ = c·z* (c = ShiftScale), z* the point of the
// sphere |z| = Φ⁻¹(α) where the conditional expected loss over the
// horizon is largest: the most adverse factor scenario at "confidence" α,
// which in the one-factor model is the α-quantile of the factor itself
// (Glasserman and Li 2005,
// "Importance sampling for portfolio credit risk", Management Science 51,
// first step; their second step, exponential twisting of the conditional
// PDs, is not done: see docs/tails.md).

// defensiveShare is β, the share of paths drawn without the shift, and
// shiftScale is c, the shift's length as a share of the tail mode's: the
// sampling law is Q = (1 − β)·N(c·z*, I) + β·N(0, I), z* the tail mode at
// level α (tailMode). They set the cost of a run against its variance:
// a run's work grows with its defaults, and on the example (3 years) a
// path shifted by z* carries 2.75× the defaults of a plain path, one
// shifted by 0.55·z* 1.78×, so E_Q[defaults] is β + (1 − β)·1.78 ≈ 1.5×
// plain here, where β = 0.1, c = 1 gave 2.6× (and an --is run cost 2.6–2.9×
// a plain one). The pair was chosen on the example, among those with
// E_Q[defaults] about 1.5× plain, for the smallest SE(ES 0.999) of the
// total and the guarantor loss (docs/tails.md, "Choice of the mixture").
const (
	defensiveShare = 0.35
	shiftScale     = 0.55
)

// defensiveWeight returns w = 1/((1 − β)·e^(−logW) + β) from the
// accumulated logW = Σ (−μ·z + μ²/2).
func defensiveWeight(logW float64) float64 {
	return 1 / ((1-defensiveShare)*math.Exp(-logW) + defensiveShare)
}

// shiftIterations bounds the fixed-point search of TailShift.
const shiftIterations = 200

// TailShift returns the importance-sampling mean shift for level α,
// ShiftScale × the maximiser z* of the conditional expected loss μ(z) over
// the horizon on the sphere |z| = r, r = Φ⁻¹(α), where z are the factors' independent
// innovations (year by year: macro, industries, counties) and
//
//	μ(z) = Σ_t Σ_{i alive in t} l_{t,i} · life_{t,i} · Φ((thr_{t,i} − sys_{t,i}(z)) / σ_i)
//
// (life the part of year t the loan is on the books; earlier defaults are
// ignored, and each PD band stands for its loans, which only makes the
// proposal approximate, never the estimator biased). At a maximiser ∇μ is
// parallel to z, so TailShift (tailMode) iterates u ← (u + ∇μ(r·u)/|∇μ(r·u)|)/|…| from the direction of ∇μ(0)
// until u moves less than 1e-7. μ is evaluated per PD band of the fast
// sampler (shiftTerms), not per loan: the shift only shapes the sampling
// law, and the estimator is unbiased whatever it is. Under the t copula
// the thresholds are Student-t quantiles scaled by √(W_t/ν), and z has H
// more components, the normal scores of the years' χ² mixing variables,
// which the run shifts by a scale change of W (importance_t.go).
func (m *Model) TailShift(alpha float64) ([]float64, error) {
	if !(alpha >= 0.5 && alpha <= MaxLevel) {
		return nil, fmt.Errorf("%w: importance-sampling level %v not in [0.5, %v]", models.ErrInvalid, alpha, MaxLevel)
	}
	z, ok := m.tailMode(m.shiftTerms(), PhiInv(alpha))
	if !ok {
		return nil, fmt.Errorf("%w: the expected loss does not depend on the factors (all r2 are 0), nothing to shift", models.ErrInvalid)
	}
	for k := range z {
		z[k] *= shiftScale
	}
	return z, nil
}

// tailMode returns the point z of the sphere |z| = r where μ(z) over terms
// (see TailShift) is largest, by TailShift's fixed-point iteration, and
// false when μ does not depend on the factors. TailShift and Reverse share
// it.
func (m *Model) tailMode(terms []shiftTerm, r float64) ([]float64, bool) {
	d := m.innovations() + m.mixingDims()
	z := make([]float64, d)
	g := make([]float64, d)
	u := make([]float64, d)
	m.condEL(terms, z, g)
	if !normalize(u, g) {
		return nil, false
	}
	for range shiftIterations {
		for k := range z {
			z[k] = r * u[k]
		}
		m.condEL(terms, z, g)
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
