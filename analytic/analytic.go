// Package analytic gives closed-form and semi-analytic approximations of a
// credit portfolio's one-year loss distribution, to set beside the Monte
// Carlo engine: the asymptotic single-risk-factor (Vasicek) limit, the
// granularity adjustment for name concentration, and CreditRisk+ by Panjer
// recursion. Each runs in milliseconds on tens of thousands of loans.
//
// The portfolio is given as Exposures in a one-factor Gaussian model: loan
// i defaults in the year iff
//
//	√ρ_i·Y + √(1 − ρ_i)·ε_i < Φ⁻¹(PD_i)  and  U_i < Life_i
//
// with Y, ε_i standard normal and U_i (the default time) uniform on [0, 1),
// all independent. Given the loss-increasing factor z = −Y its default
// probability is
//
//	q_i(z) = Life_i · Φ( (Φ⁻¹(PD_i) + √ρ_i·z) / √(1 − ρ_i) )
//
// and its loss l_i = EAD_i · LGD_i (LGD deterministic). The formulas and
// their sources are in docs/analytic.md. The package is pure: no I/O.
package analytic

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
)

// ErrInvalid is wrapped by the errors about invalid exposures or levels.
var ErrInvalid = errors.New("invalid")

// Exposure is one loan for one year in the one-factor model (see the
// package doc).
type Exposure struct {
	EAD  float64 // exposure at default, yuan; ≥ 0
	LGD  float64 // loss given default, fraction of EAD in [0, 1]
	PD   float64 // unconditional default probability in the year, in (0, 1)
	Rho  float64 // asset correlation with the single factor, in [0, 1)
	Life float64 // fraction of the year the loan is on the books, in (0, 1]
}

// group is the exposures that share (PD, ρ, Life): the conditional PD is
// computed once per group.
type group struct {
	c, sqrtRho, sqrtOneMinus, life float64 // c = Φ⁻¹(PD)
	pd                             float64
	l, l2                          float64 // Σ l_i and Σ l_i² over the group
}

// Portfolio is a validated set of exposures, grouped for evaluation. It
// is read-only after New and safe for concurrent use.
type Portfolio struct {
	groups []group
	loss   []float64 // l_i, per exposure (CreditRisk+ bands them)
	rate   []float64 // Life_i·PD_i, per exposure
	ead    float64   // Σ EAD_i
	el     float64   // Σ l_i·Life_i·PD_i
}

// New validates exps and groups them. Exposures with zero loss are kept in
// the totals but add nothing to the loss. An invalid field is an error
// naming the exposure's index and the field.
func New(exps []Exposure) (*Portfolio, error) {
	type key struct{ pd, rho, life float64 }
	idx := map[key]int{}
	p := &Portfolio{}
	var errs []error
	for i, e := range exps {
		bad := func(field string, v float64) {
			errs = append(errs, fmt.Errorf("%w: exposure %d: %s = %v", ErrInvalid, i, field, v))
		}
		switch {
		case !(e.EAD >= 0) || math.IsInf(e.EAD, 0):
			bad("ead", e.EAD)
		case !(e.LGD >= 0 && e.LGD <= 1):
			bad("lgd", e.LGD)
		case !(e.PD > 0 && e.PD < 1):
			bad("pd", e.PD)
		case !(e.Rho >= 0 && e.Rho < 1):
			bad("rho", e.Rho)
		case !(e.Life > 0 && e.Life <= 1):
			bad("life", e.Life)
		default:
			l := e.EAD * e.LGD
			p.ead += e.EAD
			p.el += l * e.Life * e.PD
			k := key{e.PD, e.Rho, e.Life}
			g, ok := idx[k]
			if !ok {
				g = len(p.groups)
				idx[k] = g
				p.groups = append(p.groups, group{c: PhiInv(e.PD), sqrtRho: math.Sqrt(e.Rho),
					sqrtOneMinus: math.Sqrt(1 - e.Rho), life: e.Life, pd: e.PD})
			}
			p.groups[g].l += l
			p.groups[g].l2 += l * l
			if l > 0 {
				p.loss = append(p.loss, l)
				p.rate = append(p.rate, e.Life*e.PD)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(p.loss) == 0 {
		return nil, fmt.Errorf("%w: no exposure with a positive loss", ErrInvalid)
	}
	return p, nil
}

// EL returns the expected loss Σ l_i·Life_i·PD_i in yuan.
func (p *Portfolio) EL() float64 { return p.el }

// EAD returns Σ EAD_i in yuan.
func (p *Portfolio) EAD() float64 { return p.ead }

// Groups returns the number of distinct (PD, ρ, Life) triples.
func (p *Portfolio) Groups() int { return len(p.groups) }

// conditional holds the conditional moments of the loss at a factor value z:
//
//	μ(z) = Σ l_i q_i(z),   v(z) = Σ l_i² q_i(z)(1 − q_i(z))
//
// and the derivatives in z that the granularity adjustment needs.
type conditional struct {
	mu, dmu, d2mu, v, dv float64
}

// at returns the conditional moments at z. With d_i = (c_i + √ρ_i z)/√(1−ρ_i):
//
//	q_i' = Life_i φ(d_i) √ρ_i/√(1−ρ_i),  q_i'' = −Life_i d_i φ(d_i) ρ_i/(1−ρ_i)
func (p *Portfolio) at(z float64) conditional {
	var r conditional
	for _, g := range p.groups {
		d := (g.c + g.sqrtRho*z) / g.sqrtOneMinus
		q := g.life * Phi(d)
		phi := g.life * math.Exp(-d*d/2) / math.Sqrt(2*math.Pi)
		s := g.sqrtRho / g.sqrtOneMinus
		dq := phi * s
		d2q := -d * phi * s * s
		r.mu += g.l * q
		r.dmu += g.l * dq
		r.d2mu += g.l * d2q
		r.v += g.l2 * q * (1 - q)
		r.dv += g.l2 * dq * (1 - 2*q)
	}
	return r
}

// CondEL returns the conditional expected loss μ(z) = Σ l_i q_i(z) in yuan.
func (p *Portfolio) CondEL(z float64) float64 {
	var mu float64
	for _, g := range p.groups {
		mu += g.l * g.life * Phi((g.c+g.sqrtRho*z)/g.sqrtOneMinus)
	}
	return mu
}

// checkLevel rejects a confidence level outside (0, 1).
func checkLevel(alpha float64) error {
	if !(alpha > 0 && alpha < 1) {
		return fmt.Errorf("%w: level %v not in (0, 1)", ErrInvalid, alpha)
	}
	return nil
}

// gaussLegendre returns ∫_a^b f(z) dz by the n-point Gauss–Legendre rule.
func gaussLegendre(f func(float64) float64, a, b float64, n int) float64 {
	x, w := make([]float64, n), make([]float64, n)
	quad.Legendre{}.FixedLocations(x, w, a, b)
	var s float64
	for j := range x {
		s += w[j] * f(x[j])
	}
	return s
}

// The factor integrals stop zSpan beyond the level's quantile (the
// integrand then weighs less than φ(zSpan) ≈ 10⁻¹⁸ of its start), and the
// variance's at ±zSpan. The node counts were chosen as the fewest that
// hold the reference values (TestASRFMatchesReferenceLHP,
// TestSectorVariance) to 1e-9 and 1e-6.
const (
	zSpan      = 9
	tailNodes  = 40
	wholeNodes = 80
)

// ASRF returns the asymptotic single-risk-factor (large-portfolio) VaR and
// ES at level α, in yuan: the limit as every l_i/Σl → 0, where the loss is
// μ(Z) (Vasicek 2002; Gordy 2003):
//
//	VaR_α = μ(Φ⁻¹(α)),   ES_α = (1/(1−α)) ∫_{Φ⁻¹(α)}^∞ μ(z) φ(z) dz
//
// The integral is 40-point Gauss–Legendre over [Φ⁻¹(α), Φ⁻¹(α) + 9].
func (p *Portfolio) ASRF(alpha float64) (VaR, ES float64, err error) {
	if err := checkLevel(alpha); err != nil {
		return 0, 0, err
	}
	za := PhiInv(alpha)
	VaR = p.CondEL(za)
	tail := gaussLegendre(func(z float64) float64 { return p.CondEL(z) * phi(z) }, za, za+zSpan, tailNodes)
	return VaR, tail / (1 - alpha), nil
}

// GA returns the first-order granularity adjustment of VaR_α in the
// one-factor Gaussian model itself, in yuan (Gordy 2003, "A risk-factor
// model foundation for ratings-based bank capital rules", JFI 12;
// Martin and Wilde 2002; Emmer and Tasche 2005, eq. (9)):
//
//	GA = −1/(2φ(z)) · d/dz [ φ(z) v(z) / μ'(z) ]  at z = Φ⁻¹(α)
//	   = ½ [ z v/μ' − v'/μ' + v μ''/μ'² ]
//
// so that VaR_α ≈ μ(Φ⁻¹(α)) + GA for a finite portfolio.
func (p *Portfolio) GA(alpha float64) (float64, error) {
	if err := checkLevel(alpha); err != nil {
		return 0, err
	}
	z := PhiInv(alpha)
	r := p.at(z)
	if !(r.dmu > 0) {
		return 0, fmt.Errorf("%w: the conditional expected loss does not increase with the factor (all ρ = 0?)", ErrInvalid)
	}
	return 0.5 * (z*r.v/r.dmu - r.dv/r.dmu + r.v*r.d2mu/(r.dmu*r.dmu)), nil
}

// GLXi is the precision ξ of the systematic factor in Gordy and
// Lütkebohmert's formula (their calibration, also the Basel II second
// consultative paper's).
const GLXi = 0.25

// GLDelta returns δ = (q_α(X) − 1)·(ξ + (1 − ξ)/q_α(X)), where q_α(X) is
// the α-quantile of X ~ Gamma(shape ξ, rate ξ) (mean 1, variance 1/ξ),
// the CreditRisk+ factor behind Gordy and Lütkebohmert's formula. At
// α = 0.999 and ξ = 0.25 it is 4.83.
func GLDelta(alpha, xi float64) float64 {
	q := mathext.GammaIncRegInv(xi, alpha) / xi
	return (q - 1) * (xi + (1-xi)/q)
}

// GAGordyLutkebohmert returns the simplified granularity adjustment of
// Gordy and Lütkebohmert (2013), "Granularity adjustment for regulatory
// capital assessment", International Journal of Central Banking 9(3),
// in yuan:
//
//	GA = 1/(2K*) Σ s_i² C_i [ δ (K_i + R_i) − K_i ]   (as a share of Σ EAD)
//
// with s_i = EAD_i/Σ EAD, R_i = LGD_i·Life_i·PD_i (expected loss rate),
// K_i = LGD_i·q_i(Φ⁻¹(α)) − R_i (unexpected-loss capital of the ASRF
// model, without maturity adjustment), K* = Σ s_i K_i, δ = GLDelta(α, ξ)
// and C_i = (LGD_i² + VLGD_i)/LGD_i = LGD_i, since danbao's LGD is
// deterministic (VLGD = 0; the formula's quadratic VLGD terms vanish too).
// In yuan, with l_i = EAD_i·LGD_i and k_i = Life_i(p_i(Φ⁻¹(α)) − PD_i):
//
//	GA = Σ l_i² [ δ (k_i + Life_i PD_i) − k_i ] / (2 Σ l_i k_i)
func (p *Portfolio) GAGordyLutkebohmert(alpha, xi float64) (float64, error) {
	if err := checkLevel(alpha); err != nil {
		return 0, err
	}
	if !(xi > 0) {
		return 0, fmt.Errorf("%w: ξ = %v must be positive", ErrInvalid, xi)
	}
	delta := GLDelta(alpha, xi)
	z := PhiInv(alpha)
	var num, den float64
	for _, g := range p.groups {
		r := g.life * g.pd
		k := g.life*Phi((g.c+g.sqrtRho*z)/g.sqrtOneMinus) - r
		num += g.l2 * (delta*(k+r) - k)
		den += g.l * k
	}
	if !(den > 0) {
		return 0, fmt.Errorf("%w: no unexpected-loss capital (all ρ = 0?)", ErrInvalid)
	}
	return num / (2 * den), nil
}

// SectorVariance returns the variance σ² of a single CreditRisk+ sector
// (a Gamma factor S of mean 1) matched to the one-factor model: the
// conditional expected loss is EL·S in CreditRisk+ and μ(Z) here, so
//
//	σ² = Var μ(Z) / EL² = (∫ μ(z)² φ(z) dz − EL²) / EL²
//
// (80-point Gauss–Legendre over [−9, 9]).
func (p *Portfolio) SectorVariance() float64 {
	m2 := gaussLegendre(func(z float64) float64 { m := p.CondEL(z); return m * m * phi(z) }, -zSpan, zSpan, wholeNodes)
	return max(m2-p.el*p.el, 0) / (p.el * p.el)
}

// Distribution is a loss distribution on the lattice {0, Unit, 2·Unit, …}:
// P(L = n·Unit) = PMF[n]. The PMF stops where the remaining mass is below
// its Tail.
type Distribution struct {
	Unit float64   // yuan per lattice step
	PMF  []float64 // P(L = n·Unit)
	Tail float64   // 1 − Σ PMF, the mass beyond the last entry
}

// VaR returns the smallest loss l on the lattice with P(L ≤ l) ≥ α, in
// yuan, and ES the Acerbi–Tasche expected shortfall
//
//	ES_α = ( E[L·1{L > VaR}] + VaR·(P(L ≤ VaR) − α) ) / (1 − α)
//
// (the conventions of danbao's Monte Carlo). An error when α lies beyond
// the computed mass.
func (d *Distribution) VaR(alpha float64) (VaR, ES float64, err error) {
	if err := checkLevel(alpha); err != nil {
		return 0, 0, err
	}
	var cum float64
	for n, pn := range d.PMF {
		cum += pn
		if cum >= alpha {
			var above float64 // E[L 1{L > VaR}] in units
			for m := n + 1; m < len(d.PMF); m++ {
				above += float64(m) * d.PMF[m]
			}
			v := float64(n)
			return v * d.Unit, (above + v*(cum-alpha)) / (1 - alpha) * d.Unit, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: level %v beyond the computed distribution (mass %v)", ErrInvalid, alpha, 1-d.Tail)
}

// Mean returns Σ n·Unit·PMF[n].
func (d *Distribution) Mean() float64 {
	var s float64
	for n, pn := range d.PMF {
		s += float64(n) * pn
	}
	return s * d.Unit
}

// CreditRiskPlus returns the loss distribution of CreditRisk+ (Credit
// Suisse First Boston 1997) with one Gamma sector of variance sigma2
// holding every loan: given S ~ Gamma(mean 1, variance σ²), loan i
// defaults as a Poisson count of mean Life_i·PD_i·S. Losses are banded to
// ν_i = max(1, round(l_i/unit)) units, with the mean count scaled by
// l_i/(ν_i·unit) so that the expected loss is kept. With λ_j the mean
// count of band j, λ = Σ λ_j, δ = σ²λ/(1 + σ²λ) and a = 1/σ², the
// probability generating function of the loss in units is
// ((1 − δ)/(1 − δ Σ_j (λ_j/λ) s^j))^a, whose coefficients follow Panjer's
// recursion (Panjer 1981; CSFB 1997, A10):
//
//	g_0 = (1 + σ²λ)^(−a),   g_n = (δ/(nλ)) Σ_{j ≤ n} λ_j g_{n−j} (n − j + a·j)
//
// (σ² = 0 is the compound Poisson limit g_n = (1/n) Σ_j j λ_j g_{n−j}).
// The recursion stops when the remaining mass is below 1e-12, or at
// maxUnits (an error: choose a larger unit).
func (p *Portfolio) CreditRiskPlus(sigma2, unit float64, maxUnits int) (*Distribution, error) {
	if !(sigma2 >= 0) || math.IsInf(sigma2, 0) {
		return nil, fmt.Errorf("%w: sector variance %v", ErrInvalid, sigma2)
	}
	if !(unit > 0) || math.IsInf(unit, 0) {
		return nil, fmt.Errorf("%w: loss unit %v", ErrInvalid, unit)
	}
	bands := map[int]float64{}
	for i, l := range p.loss {
		nu := max(1, int(math.Round(l/unit)))
		if nu > maxUnits {
			return nil, fmt.Errorf("%w: a loss of %.2f yuan is %d units of %.2f, more than the %d computed", ErrInvalid, l, nu, unit, maxUnits)
		}
		bands[nu] += p.rate[i] * l / (float64(nu) * unit)
	}
	js := make([]int, 0, len(bands))
	var lambda float64
	for j, lj := range bands {
		js = append(js, j)
		lambda += lj
	}
	slices.Sort(js)
	lam := make([]float64, len(js))
	for k, j := range js {
		lam[k] = bands[j]
	}
	var logG0, delta, a float64
	poisson := sigma2 < 1e-12
	if poisson {
		logG0 = -lambda
	} else {
		a = 1 / sigma2
		logG0 = -a * math.Log1p(sigma2*lambda)
		delta = sigma2 * lambda / (1 + sigma2*lambda)
	}
	if logG0 < -700 {
		return nil, fmt.Errorf("%w: P(no loss) = e^%.0f underflows; CreditRisk+ by Panjer needs a smaller portfolio or a larger sector variance", ErrInvalid, logG0)
	}
	g := []float64{math.Exp(logG0)}
	cum := g[0]
	const eps = 1e-12
	for n := 1; 1-cum > eps; n++ {
		if n > maxUnits {
			return nil, fmt.Errorf("%w: the distribution needs more than %d units of %.2f yuan (mass %v reached)", ErrInvalid, maxUnits, unit, cum)
		}
		var s float64
		for k, j := range js {
			if j > n {
				break
			}
			if poisson {
				s += float64(j) * lam[k] * g[n-j]
			} else {
				s += lam[k] * g[n-j] * (float64(n-j) + a*float64(j))
			}
		}
		if poisson {
			s /= float64(n)
		} else {
			s *= delta / (float64(n) * lambda)
		}
		g = append(g, s)
		cum += s
	}
	return &Distribution{Unit: unit, PMF: g, Tail: max(1-cum, 0)}, nil
}

// Phi is the standard normal CDF, Φ(x) = ½·erfc(−x/√2).
func Phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// PhiInv is the standard normal quantile Φ⁻¹(p), p in (0, 1).
func PhiInv(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }

func phi(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }

// Vasicek returns the large-homogeneous-portfolio loss rate quantile and
// ES at level α for default probability pd and asset correlation ρ
// (Vasicek 2002, "The distribution of loan portfolio value", Risk 15(12)):
//
//	q_α  = Φ( (Φ⁻¹(pd) + √ρ Φ⁻¹(α)) / √(1 − ρ) )
//	ES_α = Φ₂(Φ⁻¹(pd), −Φ⁻¹(α); √ρ) / (1 − α) = (1/(1−α)) ∫_{Φ⁻¹(α)}^∞ p(z) φ(z) dz
func Vasicek(pd, rho, alpha float64) (q, es float64, err error) {
	p, err := New([]Exposure{{EAD: 1, LGD: 1, PD: pd, Rho: rho, Life: 1}})
	if err != nil {
		return 0, 0, err
	}
	return p.ASRF(alpha)
}
