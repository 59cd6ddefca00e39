package sim

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/wenzhou/danbao/models"
)

// lgdModel is the compiled stochastic recovery model (models.LGDModel,
// docs/recoveries.md). Each path-year draws a collateral (property) factor
//
//	P_t = ρ·(M_t + s_M,t) + √(1 − ρ²)·Z_t + s_P,t
//
// with M_t + s_M,t the macro factor as the latent variables use it (stress
// shift included), Z_t standard normal from the path's collateral stream
// (independent of the default draws) and s_P,t the economic scenario's
// property shift. A loan i defaulting in year t loses
//
//	loss = round(EAD_t × ℓ_i,t(P_t)),   ℓ_i,t(P) = Φ((κ_i,t − √b·P) / √(1 − b))
//
// of its claim. κ_i,t makes the mean LGD over defaults the loan's LGD μ
// (lgd_t of Compile) exactly, when there is no stress shift: with
// Y = √b·P + √(1 − b)·ξ (ξ standard normal), ℓ(P) = Pr(Y < κ | P), and
// Y and the loan's latent variable X are standard bivariate normal with
// correlation r = √b·ρ·√a_m, so
//
//	E[1{default}·ℓ] = Pr(Y < κ, X < c) = Φ₂(κ, c; r) = pd·μ
//
// with c = Φ⁻¹(pd) (compileLGD solves it for κ). Hence E[loss] is the
// fixed-LGD run's, and E[LGD | default] = μ. With r = 0, κ = Φ⁻¹(μ). Under
// the t copula the same κ is used; the identity is then approximate.
type lgdModel struct {
	sqrtB, invSqrt1mB float64      // √b, 1/√(1 − b)
	rho, rhoC         float64      // ρ, √(1 − ρ²)
	shift             []float64    // [t] s_P,t
	kc                []kappaClaim // [t*n + i]
}

// kappaClaim is what a default of loan i in year t reads: κ_i,t and the
// claim EAD_t in fen, side by side so that it costs one cache miss.
type kappaClaim struct {
	kappa, claim float64
}

// lgdStreamDomain keys a path's collateral stream, (seed ⊕ lgdStreamDomain,
// path), apart from its default stream (seed, path): switching the model
// on leaves every default draw unchanged.
const lgdStreamDomain = 0x6c67645f636f6c6c // "lgd_coll"

// compileLGD builds the stochastic LGD of m; mu[t*n+i] is loan i's LGD in
// year t and property[t] the collateral factor's shift.
func compileLGD(m *Model, p models.LGDModel, mu, property []float64) *lgdModel {
	b := p.Loading
	lg := &lgdModel{sqrtB: math.Sqrt(b), invSqrt1mB: 1 / math.Sqrt(1-b), rho: p.RhoMacro,
		rhoC: math.Sqrt(1 - p.RhoMacro*p.RhoMacro), shift: property, kc: make([]kappaClaim, len(mu))}
	bv := newBivariateNormal()
	type key struct{ c, mu, r float64 }
	cache := map[key]float64{}
	n := m.n
	for t := range m.Horizon {
		for i := range n {
			c := m.thr[t*n+i]
			if m.copulaT {
				c = PhiInv(m.pdOf(c))
			}
			k := key{c, mu[t*n+i], lg.sqrtB * p.RhoMacro * m.loadings[m.loanCell[t*n+i]].m}
			kappa, ok := cache[k]
			if !ok {
				kappa = bv.solveKappa(k.c, k.mu, k.r)
				cache[k] = kappa
			}
			lg.kc[t*n+i] = kappaClaim{kappa, float64(m.claim[t*n+i])}
		}
	}
	return lg
}

// collateral returns P_t given the macro factor value macroS (shift
// included) and the collateral stream's standard normal z.
func (lg *lgdModel) collateral(t int, macroS, z float64) float64 {
	return lg.rho*macroS + lg.rhoC*z + lg.shift[t]
}

// lossesTo sets the loss of each of events (defaults of year t) under the
// collateral factor value P and returns their sum, in fen. It first reads
// every event's record, so that their cache misses overlap rather than
// wait behind each Φ (as Ledger.touch does), then computes.
func (lg *lgdModel) lossesTo(m *Model, w *worker, events []Event, t int, P float64) (loss int64) {
	n := m.n
	x := lg.sqrtB * P
	kc := lg.kc[t*n : (t+1)*n]
	var sink float64
	for k := range events {
		sink += kc[events[k].Loan].kappa
	}
	w.sink += sink
	for k := range events {
		r := &kc[events[k].Loan]
		l := Phi((r.kappa - x) * lg.invSqrt1mB)
		events[k].Loss = int64(math.Round(r.claim * l))
		loss += events[k].Loss
	}
	return loss
}

// lossOf is the loss lossesTo gives loan i's default in year t when x =
// √b·P, in fen (n is the model's number of loans).
func (lg *lgdModel) lossOf(n, t int, i int32, x float64) int64 {
	r := &lg.kc[t*n+int(i)]
	return int64(math.Round(r.claim * Phi((r.kappa-x)*lg.invSqrt1mB)))
}

// LGDGiven returns ℓ(P), loan i's LGD in year t (0-based) given the
// collateral factor P; with the stochastic LGD off, its fixed LGD
// loss/claim.
func (m *Model) LGDGiven(t, i int, P float64) float64 {
	if m.lgd == nil {
		return float64(m.loss[t*m.n+i]) / float64(m.claim[t*m.n+i])
	}
	lg := m.lgd
	return Phi((lg.kc[t*m.n+i].kappa - lg.sqrtB*P) * lg.invSqrt1mB)
}

// bivariateNormal evaluates the standard bivariate normal CDF by the
// formula of Sheppard as Drezner and Wesolowsky (1990) use it,
//
//	Φ₂(h, k; r) = Φ(h)·Φ(k) + (1/2π)·∫_0^{asin r} exp(−(h² + k² − 2hk·sin θ) / (2·cos² θ)) dθ,
//
// with 20-node Gauss–Legendre quadrature in θ: Genz (2004) uses 20 nodes
// for double precision up to |r| = 0.925, and TestBivariateNormal holds it
// to 1e-12 against an independent quadrature for |r| ≤ 0.9. Our
// r = √b·ρ·√a_m is far smaller in practice.
type bivariateNormal struct {
	x, w []float64 // nodes and weights on [0, 1]
	// For the last r: a = asin r and, per node, sin(a·x) and 2·cos²(a·x)
	// (compileLGD asks for few distinct r).
	r, a         float64
	sin, twoCos2 []float64
}

const bvnNodes = 20

func newBivariateNormal() *bivariateNormal {
	bv := &bivariateNormal{x: make([]float64, bvnNodes), w: make([]float64, bvnNodes),
		sin: make([]float64, bvnNodes), twoCos2: make([]float64, bvnNodes), r: math.NaN()}
	quad.Legendre{}.FixedLocations(bv.x, bv.w, 0, 1)
	return bv
}

// cdf returns Φ₂(h, k; r), |r| < 1.
func (bv *bivariateNormal) cdf(h, k, r float64) float64 {
	switch {
	case math.IsInf(h, -1) || math.IsInf(k, -1):
		return 0
	case math.IsInf(h, 1):
		return Phi(k)
	case math.IsInf(k, 1):
		return Phi(h)
	}
	if r != bv.r {
		bv.r, bv.a = r, math.Asin(r)
		for j, x := range bv.x {
			sin, cos := math.Sincos(bv.a * x)
			bv.sin[j], bv.twoCos2[j] = sin, 2*cos*cos
		}
	}
	var s float64
	for j, w := range bv.w {
		s += w * math.Exp(-(h*h+k*k-2*h*k*bv.sin[j])/bv.twoCos2[j])
	}
	return Phi(h)*Phi(k) + bv.a*s/(2*math.Pi)
}

// solveKappa returns κ with Φ₂(κ, c; r) = Φ(c)·mu: Newton's method on the
// increasing function κ ↦ Φ₂(κ, c; r), whose derivative is
// φ(κ)·Φ((c − r·κ)/√(1 − r²)), safeguarded by bisection. mu 0 gives −∞,
// mu 1 gives +∞; r = 0 gives Φ⁻¹(mu) exactly.
func (bv *bivariateNormal) solveKappa(c, mu, r float64) float64 {
	switch {
	case mu <= 0:
		return math.Inf(-1)
	case mu >= 1:
		return math.Inf(1)
	case r == 0 || math.IsInf(c, -1):
		return PhiInv(mu)
	}
	target := Phi(c) * mu
	sr := math.Sqrt(1 - r*r)
	lo, hi := -40.0, 40.0
	kappa := PhiInv(mu)
	for range 100 {
		f := bv.cdf(kappa, c, r) - target
		if f > 0 {
			hi = kappa
		} else {
			lo = kappa
		}
		d := math.Exp(-kappa*kappa/2) / math.Sqrt(2*math.Pi) * Phi((c-r*kappa)/sr)
		next := kappa - f/d
		if !(next > lo && next < hi) || d == 0 {
			next = (lo + hi) / 2
		}
		if math.Abs(next-kappa) < 1e-13 {
			return next
		}
		kappa = next
	}
	return kappa
}
