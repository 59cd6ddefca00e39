package calibrate

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"
)

// ghLive lists the Gauss–Hermite nodes whose weight exceeds 1e-10 (the
// others cannot move a likelihood whose factors are at most 1).
var ghLive = func() []int {
	var q []int
	for i, w := range ghW {
		if w > 1e-10 {
			q = append(q, i)
		}
	}
	return q
}()

// composite is the pairwise composite likelihood of the multi-factor
// Vasicek binomial mixture for one history (docs/calibration.md, "Factor
// loadings: pairwise composite likelihood").
//
// Group g's defaults in year t are Binomial(n, p_g(Y)) given its
// systematic factor Y = √a_m·M + √a_i·I_k + √a_c·C_j (variance ρ = a_m +
// a_i + a_c), with p_g(Y) = Φ((c_g − Y)/√(1 − ρ)). Two groups g ≠ h in the
// same year share the part of Y of variance s_τ (τ = their pair type):
//
//	s = a_m (other), a_m + a_i (same industry), a_m + a_c (same county),
//
// so with Y = √s·x + √(ρ − s)·u (x shared, u own) their joint likelihood is
//
//	L_gh,t = ∫ φ(x)·F_g(x)·F_h(x) dx,   F_g(x) = ∫ f_g(√s·x + √(ρ−s)·u)·φ(u) du,
//
// f_g(y) = p_g(y)^d·(1 − p_g(y))^(n−d) ÷ (its value at p = d/n). The
// composite log-likelihood is CL(a) = Σ_t Σ_{g<h} log L_gh,t. The
// thresholds c_g = Φ⁻¹(r̄_g) are fixed at their moment values (two-stage).
//
// Quadrature: the outer integral by the 32-point Gauss–Hermite rule (ghX,
// ghW); the inner one by integrating the piecewise-linear interpolant of f_g
// on a uniform y-grid exactly against the normal density, so a narrow
// binomial likelihood (many loans) or a small ρ − s (down to 0) is
// integrated without loss: with Ψ(t) = E[(t − Y)₊] for Y ~ N(m, v),
//
//	Ψ(t) = (t − m)·Φ((t − m)/√v) + √v·φ((t − m)/√v),
//	F(x) = Σ_k f(y_k)·[Ψ(y_{k+1}) − 2Ψ(y_k) + Ψ(y_{k−1})]/Δ,   m = √s·x.
//
// The grid spacing Δ is a third of the narrowest f_g's width in y (at most
// 1/64 of the grid's span), the span ±(6.7·√ρ + 4Δ).
type composite struct {
	p      *panel
	c      []float64 // per group: Φ⁻¹(r̄_g), −Inf when the group has no defaults
	d      []float64 // defaults, layout of p.n
	lnorm  []float64 // per group-year: log f at p = d/n
	widthZ float64   // narrowest f in z = (c − y)/√(1−ρ) units

	// scratch, reused across evaluations
	grid   []float64
	f      []float64
	w      [3][ghNodes][]float64 // kernel weights by pair type and outer node
	lo, hi [3][ghNodes]int       // band of non-negligible weights
	F      []float64             // per group-year, 3 types × ghNodes
	act    [][]int               // per year: groups with loans and finite c

	// fine > 1 divides the grid spacing by fine (tests of the quadrature)
	fine float64
}

func (cl *composite) refine() float64 { return max(cl.fine, 1) }

// setData fixes the history's defaults d (layout of p.d) and the moment
// thresholds.
func (cl *composite) setData(p *panel, d []float64) {
	T, G := p.T(), p.G()
	cl.p, cl.d = p, d
	if cl.c == nil {
		cl.c = make([]float64, G)
		cl.lnorm = make([]float64, G*T)
		cl.F = make([]float64, G*T*3*ghNodes)
		cl.act = make([][]int, T)
	}
	cl.widthZ = math.Inf(1)
	for g := range G {
		var sr, k float64
		for t := range T {
			if n := p.n[g*T+t]; n > 0 {
				sr += d[g*T+t] / n
				k++
			}
		}
		cl.c[g] = math.Inf(-1)
		if k > 0 && sr > 0 && sr < k {
			cl.c[g] = phiInv(sr / k)
		}
	}
	for t := range T {
		cl.act[t] = cl.act[t][:0]
		for g := range G {
			n := p.n[g*T+t]
			if n == 0 || math.IsInf(cl.c[g], 0) {
				continue
			}
			cl.act[t] = append(cl.act[t], g)
			dd := d[g*T+t]
			cl.lnorm[g*T+t] = logBinom(dd, n, dd/n)
			// width in z of the likelihood in p: sd of p̂ over the slope of Φ
			ph := min(max(dd, 1), n-1) / n
			if n == 1 {
				ph = 0.5
			}
			wz := math.Sqrt(ph*(1-ph)/n) / normPDF(phiInv(ph))
			cl.widthZ = min(cl.widthZ, wz)
		}
	}
}

// logBinom is d·log p + (n − d)·log(1 − p) with 0·log 0 = 0.
func logBinom(d, n, p float64) float64 {
	var s float64
	if d > 0 {
		s += d * math.Log(p)
	}
	if n > d {
		s += (n - d) * math.Log1p(-p)
	}
	return s
}

func normPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

// pairType is 0 (no factor shared but the macro), 1 (same industry) or 2
// (same county) for two different groups.
func (cl *composite) pairType(g, h int) int {
	switch {
	case cl.p.ind[g] == cl.p.ind[h]:
		return 1
	case cl.p.cty[g] == cl.p.cty[h]:
		return 2
	}
	return 0
}

// eval returns CL(a) and, when perYear is not nil, each year's share of it.
// It returns −Inf outside the model's range (a loading < 0 or Σa ≥ maxRho).
func (cl *composite) eval(a [3]float64, perYear []float64) float64 {
	rho := a[0] + a[1] + a[2]
	if a[0] < 0 || a[1] < 0 || a[2] < 0 || rho >= maxRho {
		return math.Inf(-1)
	}
	p := cl.p
	T := p.T()
	se := math.Sqrt(1 - rho)
	// the y-grid
	delta := cl.widthZ * se / (2 * cl.refine())
	span := 6.7*math.Sqrt(rho) + 4*delta
	delta = min(delta, 2*span/(64*cl.refine()))
	if !(delta > 0) { // ρ = 0: every type's F is f at y = 0
		delta, span = 1, 0
	}
	K := int(math.Ceil(2*span/delta)) + 1
	K = min(K, 4001)
	cl.grid = resize(cl.grid, K)
	cl.f = resize(cl.f, K)
	for k := range K {
		cl.grid[k] = -span + float64(k)*delta
	}
	s := [3]float64{a[0], a[0] + a[1], a[0] + a[2]}
	for tau := range 3 {
		ss, sv := math.Sqrt(s[tau]), math.Sqrt(max(rho-s[tau], 0))
		for _, q := range ghLive {
			m := ss * ghX[q]
			w := resize(cl.w[tau][q], K)
			cl.w[tau][q] = w
			lo, hi := K, -1
			reach := 8*sv + 2*delta
			for k, y := range cl.grid {
				if math.Abs(y-m) > reach {
					w[k] = 0
					continue
				}
				yl, yr := y-delta, y+delta
				w[k] = (psi(yr-m, sv) - 2*psi(y-m, sv) + psi(yl-m, sv)) / delta
				lo, hi = min(lo, k), max(hi, k)
			}
			cl.lo[tau][q], cl.hi[tau][q] = lo, hi
		}
	}
	// F per active group-year, over the window of the grid where f > e⁻³⁶
	for t := range T {
		for _, g := range cl.act[t] {
			i := g*T + t
			n, d, c, ln := p.n[i], cl.d[i], cl.c[g], cl.lnorm[i]
			logf := func(y float64) float64 {
				lp, lq := logPhiPair((c - y) / se)
				v := -ln
				if d > 0 {
					v += d * lp
				}
				if n > d {
					v += (n - d) * lq
				}
				return v
			}
			// the peak: p(y*) = d/n
			peak := K - 1
			if d == n {
				peak = 0
			} else if d > 0 {
				ys := c - se*phiInv(d/n)
				peak = min(max(int(math.Round((ys+span)/delta)), 0), K-1)
			}
			flo, fhi := peak, peak
			cl.f[peak] = math.Exp(logf(cl.grid[peak]))
			for flo > 0 {
				v := logf(cl.grid[flo-1])
				if v < -36 {
					break
				}
				flo--
				cl.f[flo] = math.Exp(v)
			}
			for fhi < K-1 {
				v := logf(cl.grid[fhi+1])
				if v < -36 {
					break
				}
				fhi++
				cl.f[fhi] = math.Exp(v)
			}
			F := cl.F[i*3*ghNodes : (i+1)*3*ghNodes]
			for tau := range 3 {
				for _, q := range ghLive {
					var v float64
					w := cl.w[tau][q]
					for k := max(cl.lo[tau][q], flo); k <= min(cl.hi[tau][q], fhi); k++ {
						v += w[k] * cl.f[k]
					}
					F[tau*ghNodes+q] = v
				}
			}
		}
	}
	var total float64
	for t := range T {
		var yr float64
		act := cl.act[t]
		for x, g := range act {
			Fg := cl.F[(g*T+t)*3*ghNodes:]
			for _, h := range act[x+1:] {
				tau := cl.pairType(g, h)
				fg := Fg[tau*ghNodes : (tau+1)*ghNodes]
				fh := cl.F[(h*T+t)*3*ghNodes+tau*ghNodes : (h*T+t)*3*ghNodes+(tau+1)*ghNodes]
				var L float64
				for _, q := range ghLive {
					L += ghW[q] * fg[q] * fh[q]
				}
				yr += math.Log(L)
			}
		}
		if perYear != nil {
			perYear[t] = yr
		}
		total += yr
	}
	return total
}

// psi is Ψ(t) = E[(t − Y)₊] for Y ~ N(0, sd²) ((t)₊ when sd = 0).
func psi(t, sd float64) float64 {
	if sd == 0 {
		return max(t, 0)
	}
	z := t / sd
	return t*phi(z) + sd*normPDF(z)
}

func resize(x []float64, n int) []float64 {
	if cap(x) < n {
		return make([]float64, n)
	}
	return x[:n]
}

// fit maximises CL over the identified loadings (ok; the others stay 0)
// from start (the moment estimates, floored at 0.005), by Nelder–Mead on
// x = √a (so a ≥ 0 holds and a = 0 is reachable), then polished by Newton
// steps (polish). It returns the loadings, H = −∂²CL/∂u² at them and
// whether H is positive definite.
func (cl *composite) fit(ok [3]bool, start [3]float64) ([3]float64, *mat.SymDense, bool, error) {
	var idx []int
	for i := range 3 {
		if ok[i] {
			idx = append(idx, i)
		}
	}
	toA := func(x []float64) [3]float64 {
		var a [3]float64
		for j, i := range idx {
			a[i] = x[j] * x[j]
		}
		return a
	}
	x0 := make([]float64, len(idx))
	for j, i := range idx {
		x0[j] = math.Sqrt(min(max(nanTo0(start[i]), 0.005), 0.5))
	}
	prob := optimize.Problem{Func: func(x []float64) float64 {
		v := cl.eval(toA(x), nil)
		if math.IsNaN(v) || math.IsInf(v, -1) {
			return math.Inf(1)
		}
		return -v
	}}
	set := &optimize.Settings{
		Converger:       &optimize.FunctionConverge{Absolute: 1e-2, Iterations: 8},
		MajorIterations: 400,
		FuncEvaluations: 1500,
	}
	res, err := optimize.Minimize(prob, x0, set, &optimize.NelderMead{SimplexSize: 0.05})
	if err != nil && res == nil {
		return [3]float64{}, nil, false, err
	}
	a, H, okH := cl.polish(toA(res.X), idx)
	return a, H, okH, nil
}

// logOffset is ε in the interval's scale u = log(a + ε): a variance-like
// parameter is closer to normal on a log scale, and ε keeps a = 0 finite.
const logOffset = 0.005

// du is the central-difference step of the derivatives in u = log(a + ε).
const du = 0.01

// at evaluates CL at the loadings a with a[idx[j]] moved by step[j] on
// the scale u = log(a + ε) (a floored at 0).
func (cl *composite) at(a [3]float64, idx []int, step []float64) float64 {
	b := a
	for j, i := range idx {
		b[i] = max(math.Exp(math.Log(a[i]+logOffset)+step[j])-logOffset, 0)
	}
	return cl.eval(b, nil)
}

// score sets g to ∂CL/∂u at a by forward differences (len(idx) + 1
// evaluations). The O(du) truncation error is nearly the same for every
// simulated history, so it cancels from the score's covariance.
func (cl *composite) score(a [3]float64, idx []int, g []float64) {
	step := make([]float64, len(idx))
	f0 := cl.at(a, idx, step)
	for j := range idx {
		clear(step)
		step[j] = du
		g[j] = (cl.at(a, idx, step) - f0) / du
	}
}

// gradHess returns CL, its slope g = ∂CL/∂u and H = −∂²CL/∂u² at a by
// central differences (1 + 2k + 2k(k − 1) evaluations for k loadings), and
// whether H is positive definite (false at a flat or boundary maximum).
func (cl *composite) gradHess(a [3]float64, idx []int) (float64, []float64, *mat.SymDense, bool) {
	k := len(idx)
	step := make([]float64, k)
	f0 := cl.at(a, idx, step)
	g := make([]float64, k)
	H := mat.NewSymDense(k, nil)
	for j := range k {
		clear(step)
		step[j] = du
		fp := cl.at(a, idx, step)
		step[j] = -du
		fm := cl.at(a, idx, step)
		g[j] = (fp - fm) / (2 * du)
		H.SetSym(j, j, -(fp+fm-2*f0)/(du*du))
		for l := j + 1; l < k; l++ {
			var s float64
			for _, sg := range [][2]float64{{1, 1}, {1, -1}, {-1, 1}, {-1, -1}} {
				clear(step)
				step[j], step[l] = sg[0]*du, sg[1]*du
				s += sg[0] * sg[1] * cl.at(a, idx, step)
			}
			H.SetSym(j, l, -s/(4*du*du))
		}
	}
	var ch mat.Cholesky
	return f0, g, H, ch.Factorize(H)
}

// newtonDecrement is the Newton decrement λ² = gᵀH⁻¹g below which the
// polish stops: CL is then within λ²/2 = 0.005 of its quadratic maximum,
// a distance of about √(λ²/H) ≈ 0.001 in u, a hundredth of a standard
// error of the loadings on the coverage design.
const newtonDecrement = 1e-2

// polish climbs from a (Nelder–Mead's stopping point) to the maximum of CL
// by Newton steps on u = log(a + ε): step H⁻¹g, halved until CL rises
// (at most 10 halvings; a loading pushed below 0 stays at 0), until the
// Newton decrement gᵀH⁻¹g is below newtonDecrement (at most 10 steps).
// It returns the loadings and H at them, so the sandwich uses the
// Hessian at the estimate. Nelder–Mead alone stops short now and then
// (its simplex collapses along a ridge of CL): on replication 7 of the
// coverage design it stopped 29.6 below the maximum, 1.5 standard errors
// away in r2.county, and such misses made the intervals look too narrow.
func (cl *composite) polish(a [3]float64, idx []int) ([3]float64, *mat.SymDense, bool) {
	k := len(idx)
	step := make([]float64, k)
	for range 10 {
		f0, g, H, ok := cl.gradHess(a, idx)
		if !ok {
			return a, H, false
		}
		var ch mat.Cholesky
		ch.Factorize(H)
		var x mat.VecDense
		if err := ch.SolveVecTo(&x, mat.NewVecDense(k, g)); err != nil {
			return a, H, false
		}
		if mat.Dot(&x, mat.NewVecDense(k, g)) < newtonDecrement {
			return a, H, true
		}
		moved := false
		for lambda := 1.0; lambda > 1e-3; lambda /= 2 {
			for j := range k {
				step[j] = lambda * x.AtVec(j)
			}
			if cl.at(a, idx, step) > f0 {
				for j, i := range idx {
					a[i] = max(math.Exp(math.Log(a[i]+logOffset)+step[j])-logOffset, 0)
				}
				moved = true
				break
			}
		}
		if !moved {
			return a, H, true
		}
	}
	_, _, H, ok := cl.gradHess(a, idx)
	return a, H, ok
}

// scoreDraws returns B parametric draws of the composite score at the
// estimate: history b is simulated from tr (the estimates, stream (seed,
// b)), its thresholds are re-estimated from it (so the draws carry the
// first stage's noise), and its score ∂CL*/∂u is taken at â. Draws are
// spread over workers and do not depend on them.
func scoreDraws(p *panel, tr *truth, a [3]float64, idx []int, B int, seed uint64, workers int) [][]float64 {
	out := make([][]float64, B)
	stream := func(b int) (uint64, uint64) { return seed ^ 0x5851f42d4c957f2d, uint64(b) }
	p.simulatedHistories(tr, B, workers, stream, func() func(b int, d []float64) {
		var cl composite
		return func(b int, d []float64) {
			cl.setData(p, d)
			out[b] = make([]float64, len(idx))
			cl.score(a, idx, out[b])
		}
	})
	return out
}

// godambe returns the sandwich covariance V = H⁻¹·J·H⁻¹ of û, with H the
// observed −∂²CL/∂u² and J the covariance of the score draws.
func godambe(H *mat.SymDense, draws [][]float64) [][]float64 {
	k, B := H.SymmetricDim(), len(draws)
	mean := make([]float64, k)
	for _, g := range draws {
		for j := range k {
			mean[j] += g[j] / float64(B)
		}
	}
	J := mat.NewSymDense(k, nil)
	for j := range k {
		for l := j; l < k; l++ {
			var s float64
			for _, g := range draws {
				s += (g[j] - mean[j]) * (g[l] - mean[l])
			}
			J.SetSym(j, l, s/float64(B-1))
		}
	}
	var ch mat.Cholesky
	ch.Factorize(H)
	var Hi mat.SymDense
	if err := ch.InverseTo(&Hi); err != nil {
		return nil
	}
	var tmp, v mat.Dense
	tmp.Mul(&Hi, J)
	v.Mul(&tmp, &Hi)
	V := make([][]float64, k)
	for j := range k {
		V[j] = make([]float64, k)
		for l := range k {
			V[j][l] = v.At(j, l)
		}
	}
	return V
}

// biasStep returns the one-step estimate b = H⁻¹·s̄ of the bias of û (u =
// log(a + ε)) from the score draws at the estimate (scoreDraws): the draws'
// histories are simulated at the model the estimate describes, so an
// unbiased estimator would give them mean score 0; û* − û ≈ H⁻¹·s*(û) for
// the estimate û* of each simulated history, so E[û*] − û ≈ H⁻¹·s̄. The
// corrected estimate is û − b.
//
// The draws are forward differences, (CL(u + du·e_j) − CL(u))/du =
// ∂_j CL − (du/2)·H_jj + O(du²): their truncation cancels from J but not
// from the mean, so s̄_j = mean_b(draw_bj) + (du/2)·H_jj with the observed
// H (the histories' own H_jj differ from it by sampling noise, a change in
// b of du/2 times a relative error of H, well under 0.001 in u).
//
// Only the free loadings (free[j]; those not held at 0) are corrected,
// b_F = (H_FF)⁻¹·s̄_F, the Newton step of the fit restricted to them; the
// others get b_j = 0 (a loading held at the boundary has no mean-zero
// score). It returns nil when H_FF is not positive definite.
func biasStep(H *mat.SymDense, draws [][]float64, free []bool) []float64 {
	k, B := H.SymmetricDim(), len(draws)
	var F []int
	for j := range k {
		if free[j] {
			F = append(F, j)
		}
	}
	b := make([]float64, k)
	if len(F) == 0 {
		return b
	}
	HF := mat.NewSymDense(len(F), nil)
	sF := mat.NewVecDense(len(F), nil)
	for x, j := range F {
		var m float64
		for _, g := range draws {
			m += g[j]
		}
		sF.SetVec(x, m/float64(B)+du/2*H.At(j, j))
		for y, l := range F {
			HF.SetSym(x, y, H.At(j, l))
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(HF) {
		return nil
	}
	var bF mat.VecDense
	if err := ch.SolveVecTo(&bF, sF); err != nil {
		return nil
	}
	for x, j := range F {
		b[j] = bF.AtVec(x)
	}
	return b
}

// waldInterval is the 95 % interval of a loading from its estimate û on
// the scale u = log(a + ε) and its standard error se:
//
//	[exp(û − z·se) − ε, exp(û + z·se) − ε] clamped to [0, maxRho],
//
// z the 97.5 % point of Student's t with B − 1 degrees of freedom (the
// score variance is estimated from B draws).
func waldInterval(u, se float64, B int) [2]float64 {
	z := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(B - 1)}.Quantile(0.975)
	return [2]float64{
		min(max(math.Exp(u-z*se)-logOffset, 0), maxRho),
		min(max(math.Exp(u+z*se)-logOffset, 0), maxRho),
	}
}

// logPhiTab holds log Φ(z) on z = −zTab + i·hTab, i = 0..2·zTab/hTab;
// logPhiPair interpolates it linearly: log Φ is concave with |(log Φ)”| ≤ 1,
// so the error is at most hTab²/8 ≈ 1.3e-7 per unit of d or n − d.
const (
	zTab = 12.0
	hTab = 1e-3
)

var logPhiTab = func() []float64 {
	n := int(2*zTab/hTab) + 1
	t := make([]float64, n)
	for i := range t {
		z := -zTab + float64(i)*hTab
		t[i] = math.Log(0.5 * math.Erfc(-z/math.Sqrt2))
	}
	return t
}()

// logPhiPair returns log Φ(z) and log(1 − Φ(z)) = log Φ(−z).
func logPhiPair(z float64) (lp, lq float64) {
	return logPhiLookup(z), logPhiLookup(-z)
}

func logPhiLookup(z float64) float64 {
	x := (z + zTab) / hTab
	if !(x >= 0) || x >= float64(len(logPhiTab)-1) {
		return math.Log(phi(z)) // outside the table (or NaN)
	}
	i := int(x)
	f := x - float64(i)
	return logPhiTab[i] + f*(logPhiTab[i+1]-logPhiTab[i])
}
