package calibrate

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// ghNodes is the number of Gauss–Hermite nodes of the one-dimensional
// integral behind the bivariate normal probabilities (largest node ≈ 7.1).
const ghNodes = 32

// ghX and ghW are the nodes and weights for ∫ φ(x) f(x) dx ≈ Σ ghW·f(ghX).
var ghX, ghW = func() ([]float64, []float64) {
	x, w := make([]float64, ghNodes), make([]float64, ghNodes)
	quad.Hermite{}.FixedLocations(x, w, math.Inf(-1), math.Inf(1))
	for i := range x { // ∫ e^{−u²} g(u) du with x = √2·u
		x[i] *= math.Sqrt2
		w[i] /= math.Sqrt(math.Pi)
	}
	return x, w
}()

// moments holds what the moment estimator needs from one history: group
// thresholds and weights, and the observed pair covariances.
type moments struct {
	c, w, pd []float64 // per group: Φ⁻¹(r̄_g), weight, r̄_g
	// Observed Σ over ordered pairs (g ≠ h) of w_g·w_h·Ĉov(r_g, r_h), by
	// pair type; lag is Σ over all ordered pairs (g, h) of
	// w_g·w_h·Ĉov(r_{g,t}, r_{h,t−1}).
	all, ind, cty, lag float64
	// lagZ is S_lag's z-score under no persistence: Σ_t a_t·a_{t−1} ÷
	// √(Σ_t a_t²·a_{t−1}²), a_t = Σ_g e_gt.
	lagZ float64
	// scratch: per-industry and per-county sums
	ai, ac []float64
}

// loadingEstimate is one fit: the raw (possibly negative) loadings and
// persistence, NaN where not estimable.
type loadingEstimate struct {
	r2  [3]float64 // macro, industry, county
	phi float64
}

// observe computes the observed moments of defaults d (layout of p.d).
//
// With r_gt = d_gt/n_gt, r̄_g its mean over the years with loans, w_g the
// mean number of loans of group g and e_gt = w_g·(r_gt − r̄_g) (0 in a
// year without loans), the observed pair sums are
//
//	S_all = Σ_t [(Σ_g e_gt)² − Σ_g e_gt²] / (T − 1)
//	S_ind = Σ_t Σ_k [(Σ_{g∈k} e_gt)² − Σ_{g∈k} e_gt²] / (T − 1)   (same industry)
//	S_cty likewise over counties
//	S_lag = Σ_{t≥2} (Σ_g e_gt)(Σ_g e_{g,t−1}) / (T − 1)
func (mo *moments) observe(p *panel, d []float64) {
	T, G := p.T(), p.G()
	if mo.c == nil {
		mo.c, mo.w, mo.pd = make([]float64, G), make([]float64, G), make([]float64, G)
		mo.ai, mo.ac = make([]float64, len(p.industries)), make([]float64, len(p.counties))
	}
	for g := range G {
		var sr, sn, k float64
		for t := range T {
			if n := p.n[g*T+t]; n > 0 {
				sr += d[g*T+t] / n
				sn += n
				k++
			}
		}
		if k == 0 {
			mo.pd[g], mo.w[g], mo.c[g] = 0, 0, math.Inf(-1)
			continue
		}
		mo.pd[g], mo.w[g] = sr/k, sn/k
		mo.c[g] = phiInv(mo.pd[g])
	}
	mo.all, mo.ind, mo.cty, mo.lag = 0, 0, 0, 0
	prev, lagSS := 0.0, 0.0
	for t := range T {
		clear(mo.ai)
		clear(mo.ac)
		var a, b float64
		for g := range G {
			n := p.n[g*T+t]
			if n == 0 {
				continue
			}
			e := mo.w[g] * (d[g*T+t]/n - mo.pd[g])
			a += e
			b += e * e
			mo.ai[p.ind[g]] += e
			mo.ac[p.cty[g]] += e
		}
		mo.all += a*a - b
		mo.ind += sumSq(mo.ai) - b
		mo.cty += sumSq(mo.ac) - b
		if t > 0 {
			mo.lag += a * prev
			lagSS += a * a * prev * prev
		}
		prev = a
	}
	mo.lagZ = 0
	if lagSS > 0 {
		mo.lagZ = mo.lag / math.Sqrt(lagSS)
	}
	div := float64(T - 1)
	mo.all /= div
	mo.ind /= div
	mo.cty /= div
	mo.lag /= div
}

func sumSq(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return s
}

// pairSums returns the model's pair sums at latent correlation ρ for every
// pair type, each minus its independence value:
//
//	P_τ(ρ) = Σ_{(g,h)∈τ} w_g·w_h·[Φ₂(c_g, c_h; ρ) − Φ(c_g)·Φ(c_h)]
//
// for τ = all ordered pairs g ≠ h, same industry, same county, and self
// (g = h). Φ₂ is computed with the one-factor identity
//
//	Φ₂(c_g, c_h; ρ) = ∫ φ(x)·q_g(x)·q_h(x) dx,  q_g(x) = Φ((c_g − √ρ·x)/√(1−ρ))
//
// so every pair sum is a square of per-industry (per-county) sums of
// w_g·q_g(x) under a Gauss–Hermite rule: G·ghNodes evaluations of Φ.
func (mo *moments) pairSums(p *panel, rho float64) (all, ind, cty, self float64) {
	sr, s1 := math.Sqrt(rho), math.Sqrt(1-rho)
	for q, x := range ghX {
		clear(mo.ai)
		clear(mo.ac)
		var a, b float64
		for g, c := range mo.c {
			v := mo.w[g] * phi((c-sr*x)/s1)
			a += v
			b += v * v
			mo.ai[p.ind[g]] += v
			mo.ac[p.cty[g]] += v
		}
		w := ghW[q]
		all += w * (a*a - b)
		ind += w * (sumSq(mo.ai) - b)
		cty += w * (sumSq(mo.ac) - b)
		self += w * b
	}
	// independence values: the same sums with q_g = Φ(c_g) = r̄_g
	clear(mo.ai)
	clear(mo.ac)
	var a, b float64
	for g, pd := range mo.pd {
		v := mo.w[g] * pd
		a += v
		b += v * v
		mo.ai[p.ind[g]] += v
		mo.ac[p.cty[g]] += v
	}
	return all - (a*a - b), ind - (sumSq(mo.ai) - b), cty - (sumSq(mo.ac) - b), self - b
}

// maxRho bounds the latent correlations the estimator solves for.
const maxRho = 0.95

// fit solves the moment equations of the observed history:
//
//	P_other(a_m) = S_other,  P_ind(a_m + a_i) = S_ind,  P_cty(a_m + a_c) = S_cty
//
// with S_other = S_all − S_ind − S_cty (pairs sharing neither county nor
// industry), each by bracketing on ρ ∈ [0, maxRho] (the pair sums increase
// with ρ), and, when lag is true, the persistence φ from
//
//	Σ_τ P_τ(φ·ρ_τ) = S_lag
//
// over the four pair types (ρ_self = a_m + a_i + a_c). ok says which
// equations have pairs; a loading without them is NaN.
func (mo *moments) fit(p *panel, ok [3]bool, lag bool) loadingEstimate {
	other := func(rho float64) float64 {
		a, i, c, _ := mo.pairSums(p, rho)
		return a - i - c
	}
	est := loadingEstimate{r2: [3]float64{math.NaN(), math.NaN(), math.NaN()}, phi: math.NaN()}
	if !ok[0] {
		return est
	}
	// Starting brackets from the slopes at ρ = 0 (Plackett: ∂Φ₂/∂ρ = φ₂,
	// which is φ(c_g)·φ(c_h) at ρ = 0).
	clear(mo.ai)
	clear(mo.ac)
	var a, b float64
	for g, c := range mo.c {
		v := mo.w[g] * math.Exp(-c*c/2) / math.Sqrt(2*math.Pi)
		a += v
		b += v * v
		mo.ai[p.ind[g]] += v
		mo.ac[p.cty[g]] += v
	}
	dInd, dCty := sumSq(mo.ai)-b, sumSq(mo.ac)-b
	dOther := a*a - b - dInd - dCty
	yOther := mo.all - mo.ind - mo.cty
	am := solveIncreasing(other, yOther, yOther/dOther)
	est.r2[0] = am
	if ok[1] {
		est.r2[1] = solveIncreasing(func(r float64) float64 { _, i, _, _ := mo.pairSums(p, r); return i }, mo.ind, mo.ind/dInd) - am
	}
	if ok[2] {
		est.r2[2] = solveIncreasing(func(r float64) float64 { _, _, c, _ := mo.pairSums(p, r); return c }, mo.cty, mo.cty/dCty) - am
	}
	if lag {
		rm := max(am, 0)
		ri := rm + max(nanTo0(est.r2[1]), 0)
		rc := rm + max(nanTo0(est.r2[2]), 0)
		rs := min(ri+rc-rm, maxRho)
		f := func(ph float64) float64 {
			var s float64
			_, _, _, self := mo.pairSums(p, ph*rs)
			s += self
			a, i, c, _ := mo.pairSums(p, ph*rm)
			s += a - i - c
			_, i, _, _ = mo.pairSums(p, ph*ri)
			s += i
			_, _, c, _ = mo.pairSums(p, ph*rc)
			s += c
			return s
		}
		if rs > 0 {
			est.phi = solveIncreasing(f, mo.lag, 0.5)
		}
	}
	return est
}

func nanTo0(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x
}

// solveIncreasing returns x in [0, maxRho] with f(x) = y for f increasing
// and f(0) = 0 (0 when y ≤ 0, maxRho when y ≥ f(maxRho)), by the Illinois
// variant of regula falsi to |Δx| < 1e-6, starting from the bracket
// [0, 1.5·guess + 0.01] (widened while f is still below y).
func solveIncreasing(f func(float64) float64, y, guess float64) float64 {
	if !(y > 0) {
		return 0
	}
	lo, hi := 0.0, maxRho
	if guess > 0 && 1.5*guess+0.01 < maxRho {
		hi = 1.5*guess + 0.01
	}
	flo, fhi := -y, f(hi)-y
	for fhi <= 0 && hi < maxRho {
		lo, flo = hi, fhi
		hi = min(2*hi, maxRho)
		fhi = f(hi) - y
	}
	if fhi <= 0 {
		return hi
	}
	side := 0
	for range 100 {
		x := (lo*fhi - hi*flo) / (fhi - flo)
		if !(x > lo && x < hi) {
			x = (lo + hi) / 2
		}
		fx := f(x) - y
		switch {
		case fx == 0:
			return x
		case fx < 0:
			lo, flo = x, fx
			if side == -1 {
				fhi /= 2
			}
			side = -1
		default:
			hi, fhi = x, fx
			if side == 1 {
				flo /= 2
			}
			side = 1
		}
		if hi-lo < 1e-6 {
			break
		}
	}
	return (lo + hi) / 2
}
