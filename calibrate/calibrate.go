package calibrate

import (
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"gonum.org/v1/gonum/stat/distuv"
)

// Options configures Calibrate. The zero value is valid.
type Options struct {
	// By lists the fields that define a PD group: any of county, industry,
	// segment. Default county, industry.
	By []string
	// Bootstrap is the number of parametric-bootstrap replicates behind the
	// persistence's bias correction and interval; default 199.
	Bootstrap int
	// ScoreDraws is the number of histories simulated at the estimates
	// whose composite scores give the sandwich variance of the loadings;
	// default 99, MinScoreDraws..MaxScoreDraws (fewer than 99 gives too
	// noisy a variance for the t correction: docs/calibration.md).
	ScoreDraws int
	// Seed keys the bootstrap's random streams; default 1.
	Seed uint64
	// Workers is the bootstrap's parallelism (never changes the result);
	// default GOMAXPROCS.
	Workers int
}

// Estimate is a point estimate with its 95 % interval. Both are null when
// the data cannot identify the quantity.
type Estimate struct {
	Estimate *float64    `json:"estimate"`
	CI95     *[2]float64 `json:"ci95"`
	// BiasCorrection (r2 loadings only) is what the one-step bias
	// correction added to the estimate, on the loading's scale: the
	// estimate without it is Estimate − BiasCorrection
	// (docs/calibration.md, "One-step bias correction").
	BiasCorrection *float64 `json:"bias_correction,omitempty"`
}

func newEstimate(x float64, ci [2]float64) Estimate {
	return Estimate{Estimate: &x, CI95: &ci}
}

// GroupPD is one group's PD: the shrunk estimate, its interval, and the
// data behind it.
type GroupPD struct {
	Estimate float64    `json:"estimate"`
	CI95     [2]float64 `json:"ci95"`
	Raw      float64    `json:"raw"` // defaults ÷ loans, unshrunk
	Loans    int64      `json:"loans"`
	Defaults int64      `json:"defaults"`
}

// PDResult is the PD part of a calibration.
type PDResult struct {
	Pooled   Estimate           `json:"pooled"`
	By       map[string]GroupPD `json:"by"`
	ByFields []string           `json:"by_fields"`
	// Prior is the beta prior the groups shrink toward: mean and
	// strength α + β (in loans).
	PriorMean     float64 `json:"prior_mean"`
	PriorStrength float64 `json:"prior_strength"`
	Method        string  `json:"method"`
}

// The range of Options.ScoreDraws. Each draw costs 4 evaluations of the
// composite likelihood (about 15 ms of CPU each on 15 years × 120 groups).
const (
	MinScoreDraws = 19
	MaxScoreDraws = 10000
)

// R2Result is the loadings part of a calibration.
type R2Result struct {
	Macro    Estimate `json:"macro"`
	Industry Estimate `json:"industry"`
	County   Estimate `json:"county"`
	// Bootstrap is the persistence's parametric-bootstrap replicates.
	Bootstrap int `json:"bootstrap"`
	// ScoreDraws is the histories simulated for the sandwich variance of
	// the loadings (their intervals' t has ScoreDraws − 1 degrees of
	// freedom).
	ScoreDraws int    `json:"score_draws"`
	Method     string `json:"method"`
}

// RecoveryResult is the recovery part of a calibration.
type RecoveryResult struct {
	// Rate is Σ recovered ÷ Σ compensation over the cohorts that report
	// it; null without recovery columns.
	Rate *float64 `json:"rate"`
	// Lag is the share of the eventual recovery collected in each year
	// after compensation (sums to 1); null without recovered_lag columns.
	Lag          []float64 `json:"lag"`
	Compensation string    `json:"compensation"` // Σ compensation of the cohorts used, yuan
	Recovered    string    `json:"recovered"`    // Σ recovered of those cohorts, yuan
	Method       string    `json:"method"`
}

// Result is a calibration: the --json document of danbao calibrate.
type Result struct {
	PD          PDResult       `json:"pd"`
	R2          R2Result       `json:"r2"`
	Persistence Estimate       `json:"persistence"`
	Recovery    RecoveryResult `json:"recovery"`
	NYears      int            `json:"n_years"`
	Years       [2]int         `json:"years"`
	NCounties   int            `json:"n_counties"`
	NIndustries int            `json:"n_industries"`
	Loans       int64          `json:"loans"`    // loan-years
	Defaults    int64          `json:"defaults"` // defaults
	// DefaultRate is the history's mean yearly default rate Σd ÷ Σn with
	// its standard error from the spread of the yearly rates (0 with one
	// year).
	DefaultRate   float64  `json:"default_rate"`
	DefaultRateSE float64  `json:"default_rate_se"`
	Warnings      []string `json:"warnings"`
}

// Method descriptions, also in docs/calibration.md.
const (
	methodPD = "empirical Bayes beta-binomial: prior Beta(α, β) with the pooled mean and a between-group spread fitted by moments; group PD = (d + α)/(n + α + β); interval from the Beta(d + α, n − d + β) posterior (ignores the correlation of defaults within a group across years); pooled interval ± 1.96 SE from the spread of the yearly rates"
	methodR2 = "maximum pairwise composite likelihood of the multi-factor Vasicek binomial mixture (every pair of groups in the same year: macro only, same industry, or same county; each pair's likelihood a 2-D normal integral of the binomial likelihoods, Gauss–Hermite outside, exact piecewise-linear inside; thresholds fixed at the groups' mean default rates; Nelder–Mead from the pairwise method-of-moments estimates, then Newton steps to the maximum), estimate and interval divided by the expected within-period share of the factors' variance w, (T − 1)/T without persistence, for the thresholds' use of the same years; 95 % intervals Wald on u = log(r2 + 0.005) with the Godambe sandwich variance H⁻¹JH⁻¹ (H the observed information, J the variance of the score over histories simulated at the estimates ÷ w with re-estimated thresholds; Student t with draws − 1 degrees of freedom); one-step bias correction û − H⁻¹·s̄ (s̄ the mean of those scores), the interval centred on it"
	methodRe = "Σ recovered ÷ Σ compensation; lag k share from the cohorts that report lag k (censored cohorts leave it blank)"
)

// MinYearsLoadings and MinYearsPersistence are the fewest years of history
// from which the loadings and the persistence are estimated.
const (
	MinYearsLoadings    = 5
	MinYearsPersistence = 8
)

// Calibrate estimates the model's parameters from h.
func Calibrate(h *History, o Options) (*Result, error) {
	if len(h.Records) == 0 {
		return nil, fmt.Errorf("calibrate: history %s has no rows", h.File)
	}
	if err := countOption(&o.Bootstrap, 199, 19, 10000, "calibrate: bootstrap"); err != nil {
		return nil, err
	}
	if err := countOption(&o.ScoreDraws, 99, MinScoreDraws, MaxScoreDraws, "calibrate: score draws"); err != nil {
		return nil, err
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if len(o.By) == 0 {
		o.By = []string{"county", "industry"}
	}
	for _, f := range o.By {
		if f != "county" && f != "industry" && f != "segment" {
			return nil, fmt.Errorf("calibrate: --by %q: must be county, industry or segment", f)
		}
	}
	res := &Result{Warnings: []string{}}
	p := newPanel(h)
	T := p.T()
	res.NYears, res.Years = T, [2]int{p.years[0], p.years[T-1]}
	res.NCounties, res.NIndustries = len(p.counties), len(p.industries)
	for _, r := range h.Records {
		res.Loans += r.Loans
		res.Defaults += r.Defaults
	}
	if res.Loans == 0 {
		return nil, fmt.Errorf("calibrate: history %s has no loans", h.File)
	}
	for t, y := range p.years {
		var n float64
		for g := range p.cty {
			n += p.n[g*T+t]
		}
		if n == 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("year %d has no loans", y))
		}
	}
	res.DefaultRate, res.DefaultRateSE = pooledRate(p)
	res.PD = groupPDs(h, o.By, res)

	res.R2 = R2Result{Bootstrap: o.Bootstrap, ScoreDraws: o.ScoreDraws, Method: methodR2}
	res.calibrateLoadings(p, o)
	res.Recovery = recovery(h)
	return res, nil
}

// pooledRate returns r = Σd/Σn over all years and groups and its standard
// error as a ratio estimator clustered by year:
//
//	SE² = Σ_t (D_t − r·N_t)² / (N̄²·T·(T − 1)),   N̄ = Σ_t N_t / T
func pooledRate(p *panel) (r, se float64) {
	T := p.T()
	D, N := make([]float64, T), make([]float64, T)
	var sd, sn float64
	for g := range p.cty {
		for t := range T {
			D[t] += p.d[g*T+t]
			N[t] += p.n[g*T+t]
			sd += p.d[g*T+t]
			sn += p.n[g*T+t]
		}
	}
	r = sd / sn
	if T < 2 {
		return r, 0 // no spread to measure; groupPDs warns
	}
	nbar := sn / float64(T)
	var s float64
	for t := range T {
		e := D[t] - r*N[t]
		s += e * e
	}
	return r, math.Sqrt(s / (nbar * nbar * float64(T) * float64(T-1)))
}

// groupPDs estimates each group's PD, shrunk toward the pool (empirical
// Bayes): with D_g defaults in N_g loan-years, μ = ΣD/ΣN and the
// intra-group correlation of the beta-binomial fitted by moments,
//
//	ρ̂ = (S/(μ(1−μ)) − (G−1)) / (N − ΣN_g²/N − (G−1)),  S = Σ_g N_g·(D_g/N_g − μ)²
//
// clamped to [1e-6, 0.5], the prior is Beta(α, β) with α + β = 1/ρ̂ − 1 and
// α/(α + β) = μ, and the group PD is the posterior mean (D_g + α)/(N_g + α + β).
func groupPDs(h *History, by []string, res *Result) PDResult {
	type agg struct{ n, d int64 }
	groups := map[string]*agg{}
	for _, r := range h.Records {
		parts := make([]string, len(by))
		for i, f := range by {
			switch f {
			case "county":
				parts[i] = r.County
			case "industry":
				parts[i] = r.Industry
			case "segment":
				parts[i] = r.Segment
			}
		}
		k := strings.Join(parts, "/")
		a := groups[k]
		if a == nil {
			a = &agg{}
			groups[k] = a
		}
		a.n += r.Loans
		a.d += r.Defaults
	}
	N, D := float64(res.Loans), float64(res.Defaults)
	mu := D / N
	G := float64(len(groups))
	// Sum in key order: a map's order changes between runs, and so would
	// the last digits of S and Σ N² (and of every group's estimate).
	var S, sumN2 float64
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		a := groups[k]
		if a.n == 0 {
			continue
		}
		x := float64(a.d)/float64(a.n) - mu
		S += float64(a.n) * x * x
		sumN2 += float64(a.n) * float64(a.n)
	}
	rho := 0.5
	if mu > 0 && mu < 1 && G > 1 {
		den := N - sumN2/N - (G - 1)
		if den > 0 {
			rho = (S/(mu*(1-mu)) - (G - 1)) / den
		}
		rho = min(max(rho, 1e-6), 0.5)
	}
	strength := 1/rho - 1
	alpha, beta := mu*strength, (1-mu)*strength
	out := PDResult{By: make(map[string]GroupPD, len(groups)), ByFields: by, PriorMean: mu, PriorStrength: strength, Method: methodPD}
	for k, a := range groups {
		pa, pb := float64(a.d)+alpha, float64(a.n-a.d)+beta
		gp := GroupPD{Loans: a.n, Defaults: a.d, Estimate: pa / (pa + pb)}
		if a.n > 0 {
			gp.Raw = float64(a.d) / float64(a.n)
		}
		if pa > 0 && pb > 0 {
			b := distuv.Beta{Alpha: pa, Beta: pb}
			gp.CI95 = [2]float64{b.Quantile(0.025), b.Quantile(0.975)}
		}
		out.By[k] = gp
	}
	se := res.DefaultRateSE
	if res.NYears < 2 {
		out.Pooled = Estimate{Estimate: &mu}
		res.Warnings = append(res.Warnings, "one year of history: the pooled PD has no interval")
	} else {
		out.Pooled = newEstimate(mu, [2]float64{max(0, mu-1.96*se), min(1, mu+1.96*se)})
	}
	if res.Defaults == 0 {
		res.Warnings = append(res.Warnings, "the history has no defaults: PDs are shrunk toward 0 and the loadings cannot be estimated")
	}
	return out
}

// calibrateLoadings fills res.R2 and res.Persistence, or warns why a
// loading cannot be identified.
func (res *Result) calibrateLoadings(p *panel, o Options) {
	T, G := p.T(), p.G()
	var haveOther, haveInd, haveCty bool
	for g := range G {
		for h := g + 1; h < G; h++ {
			si, sc := p.ind[g] == p.ind[h], p.cty[g] == p.cty[h]
			haveOther = haveOther || (!si && !sc)
			haveInd = haveInd || (si && !sc)
			haveCty = haveCty || (sc && !si)
		}
	}
	warn := func(format string, args ...any) { res.Warnings = append(res.Warnings, fmt.Sprintf(format, args...)) }
	switch {
	case T < MinYearsLoadings:
		warn("%d years of history: at least %d are needed to estimate the factor loadings; r2 is not estimated (keep the scenario's values)", T, MinYearsLoadings)
		return
	case res.Defaults == 0:
		return
	case !haveOther:
		warn("no two groups differ in both county and industry: r2.macro cannot be told apart from r2.industry and r2.county; r2 is not estimated")
		return
	}
	ok := [3]bool{true, haveInd, haveCty}
	if !haveInd {
		warn("no industry appears in two counties: r2.industry is not identified and is not estimated")
	}
	if !haveCty {
		warn("no county has two industries: r2.county is not identified and is not estimated")
	}
	if T < 10 {
		warn("%d years of history: r2.macro rests on %d realisations of the macro factor; its interval is wide", T, T)
	}
	if len(p.industries) < 3 && haveInd {
		warn("%d industries: r2.industry is weakly identified", len(p.industries))
	}
	if len(p.counties) < 3 && haveCty {
		warn("%d counties: r2.county is weakly identified", len(p.counties))
	}
	lag := T >= MinYearsPersistence
	if !lag {
		warn("%d years of history: at least %d are needed to estimate the persistence; it is not estimated", T, MinYearsPersistence)
	}
	var mo moments
	mo.observe(p, p.d)
	est := mo.fit(p, ok, lag)

	// Maximum pairwise composite likelihood from the moment estimates.
	var cl composite
	cl.setData(p, p.d)
	a, H, okH, err := cl.fit(ok, est.r2)
	if err != nil {
		warn("composite likelihood: %v; r2 is not estimated", err)
		return
	}
	var idx []int
	for i := range 3 {
		if ok[i] {
			idx = append(idx, i)
		}
	}
	// The parametric model at the estimates: shrunk group PDs (so that a
	// group without defaults still has some) and, when the lag moment is
	// significant (z > 1.645, one-sided 5 %), the persistence; a spurious
	// φ̂ > 0 would widen every interval.
	tr := &truth{pd: make([]float64, G), r2: a}
	persistent := lag && mo.lagZ > 1.645
	if persistent {
		tr.phi = min(max(nanTo0(est.phi), 0), 0.95)
	}
	var sd, sn float64
	for g := range G {
		for t := range T {
			sd += p.d[g*T+t]
			sn += p.n[g*T+t]
		}
	}
	for g := range G {
		var dg, ng float64
		for t := range T {
			dg += p.d[g*T+t]
			ng += p.n[g*T+t]
		}
		tr.pd[g] = (dg + sd/sn) / (ng + 1) // one pseudo-loan at the pooled rate
	}
	// The score histories are drawn at the bias-corrected loadings â/w
	// (w = withinShare): the thresholds each history re-estimates absorb a
	// share 1 − w of the factors' variance again, so the loadings that
	// history's composite likelihood points to are w·(â/w) = â, the point
	// where the score is taken, as for the observed history, whose true
	// loadings â/w estimates. Drawn at â itself they would point to w·â,
	// and the factor-driven part of the score's variance would shrink by
	// about w² (the interval by w, 7 % at T = 15).
	//
	// The same draws give the one-step bias correction (biasStep): their
	// mean score, 0 for an unbiased estimator, times H⁻¹ estimates the
	// bias of û that the division by w leaves; the estimate and the centre
	// of its interval are û − b.
	var V [][]float64
	var b []float64
	if okH {
		w := withinShare(tr.phi, T)
		sc := *tr
		if rho := (a[0] + a[1] + a[2]) / w; rho < maxRho {
			sc.r2 = [3]float64{a[0] / w, a[1] / w, a[2] / w}
		}
		draws := scoreDraws(p, &sc, a, idx, o.ScoreDraws, o.Seed, o.Workers)
		V = godambe(H, draws)
		free := make([]bool, len(idx))
		for j, i := range idx {
			free[j] = a[i] >= heldAtZero
		}
		b = biasStep(H, draws, free)
	}
	if V == nil || b == nil {
		V = nil
		warn("the composite likelihood is flat at its maximum (Hessian not positive definite): the loadings have no interval")
	}
	names := []string{"macro", "industry", "county"}
	dst := []*Estimate{&res.R2.Macro, &res.R2.Industry, &res.R2.County}
	for j, i := range idx {
		if V == nil {
			x := a[i]
			*dst[i] = Estimate{Estimate: &x}
			continue
		}
		u := math.Log(a[i] + logOffset)
		ubc := max(u-b[j], math.Log(logOffset)) // the corrected loading ≥ 0
		ci := waldInterval(ubc, math.Sqrt(V[j][j]), o.ScoreDraws)
		// Each group's threshold is its own mean default rate over the T
		// years, so it absorbs the factors' mean over those years: the
		// likelihood sees the loadings' within-period variance (the
		// incidental-parameter bias of a variance with an estimated mean;
		// measured −6 % to −11 % at T = 15 without persistence). Estimate
		// and interval are divided by its expected share (withinShare).
		k := 1 / withinShare(tr.phi, T)
		ci = [2]float64{min(ci[0]*k, maxRho), min(ci[1]*k, maxRho)}
		raw := min(a[i]*k, maxRho)
		e := newEstimate(min((math.Exp(ubc)-logOffset)*k, maxRho), ci)
		bc := *e.Estimate - raw
		e.BiasCorrection = &bc
		*dst[i] = e
		if a[i] < heldAtZero {
			warn("r2.%s estimated at 0 (the groups' default rates co-move no more than independence implies); its upper bound is %.3g", names[i], ci[1])
		}
	}
	if !lag || math.IsNaN(est.phi) {
		return
	}
	// The persistence by moments, bias-corrected by a parametric bootstrap
	// at the estimates. The lag-1 autocovariance of a short series is
	// biased toward 0; the bootstrap (simulated at φ̂) estimates that bias:
	// φ̂_bc = 2φ̂ − mean(φ*), and the basic interval
	// [2φ̂ − q*₀.₉₇₅, 2φ̂ − q*₀.₀₂₅] holds it, clamped to [0, 0.99].
	bs := bootstrap(p, tr, ok, true, o.Bootstrap, o.Seed, o.Workers)
	reps := slices.DeleteFunc(slices.Clone(bs.phi), math.IsNaN)
	if len(reps) > 0 {
		m := 0.0
		for _, x := range reps {
			m += x
		}
		bc := 2*est.phi - m/float64(len(reps))
		lo := min(max(2*est.phi-quantile(slices.Clone(reps), 0.975), 0), 0.99)
		hi := min(max(2*est.phi-quantile(slices.Clone(reps), 0.025), 0), 0.99)
		bc = min(max(bc, lo), hi)
		res.Persistence = newEstimate(min(bc, 0.95), [2]float64{lo, hi})
	}
}

// heldAtZero is the loading below which the fit counts a loading as held
// at the boundary 0: it gets a warning and no bias correction.
const heldAtZero = 1e-4

// withinShare is the expected share of a stationary AR(1) factor's
// variance left within a period of T years once the period mean is taken
// out:
//
//	E[(1/T)·Σ_t (F_t − F̄)²] = 1 − Var(F̄),  Var(F̄) = (T + 2·Σ_{l=1}^{T−1} (T − l)·φ^l) / T²
//
// (T − 1)/T when φ = 0.
func withinShare(phi float64, T int) float64 {
	v := float64(T)
	pl := 1.0
	for l := 1; l < T; l++ {
		pl *= phi
		v += 2 * float64(T-l) * pl
	}
	return 1 - v/float64(T*T)
}

// recovery estimates the recovery rate and lag profile from h's recovery
// columns: for lag k the cohorts (years) that report recovered_lagk give
//
//	h_k = Σ recovered_lagk ÷ Σ compensation,   rate = Σ_k h_k,   lag_k = h_k / rate
//
// and without lag columns rate = Σ recovered ÷ Σ compensation over the
// rows that give both.
func recovery(h *History) RecoveryResult {
	out := RecoveryResult{Method: methodRe}
	var hk [MaxLag]float64
	anyLag := false
	var compAll, recAll decimal.Decimal
	for k := range MaxLag {
		var comp, rec decimal.Decimal
		for _, r := range h.Records {
			if r.HasLag[k] && r.HasCompensation {
				comp = comp.Add(r.Compensation)
				rec = rec.Add(r.RecoveredLag[k])
				anyLag = true
			}
		}
		if comp.Sign() > 0 {
			hk[k], _ = rec.Div(comp).Float64()
		}
	}
	for _, r := range h.Records {
		if r.HasCompensation && (r.HasRecovered || r.HasLag[0]) {
			compAll = compAll.Add(r.Compensation)
			if r.HasRecovered {
				recAll = recAll.Add(r.Recovered)
			} else {
				for k := range MaxLag {
					recAll = recAll.Add(r.RecoveredLag[k])
				}
			}
		}
	}
	out.Compensation, out.Recovered = compAll.StringFixed(2), recAll.StringFixed(2)
	if anyLag {
		s := 0.0
		for _, x := range hk {
			s += x
		}
		if s > 0 {
			last := 0
			for k, x := range hk {
				if x > 0 {
					last = k
				}
			}
			out.Lag = make([]float64, last+1)
			for k := range out.Lag {
				out.Lag[k] = hk[k] / s
			}
			out.Rate = &s
		}
		return out
	}
	if compAll.Sign() > 0 {
		r, _ := recAll.Div(compAll).Float64()
		out.Rate = &r
	}
	return out
}

// countOption sets the count option *v to def when it is 0 (not given),
// and checks that it lies in lo..hi; the error names the option (what),
// its value and the range.
func countOption(v *int, def, lo, hi int, what string) error {
	if *v == 0 {
		*v = def
	}
	if *v < lo || *v > hi {
		return fmt.Errorf("%s %d must be in %d..%d", what, *v, lo, hi)
	}
	return nil
}
