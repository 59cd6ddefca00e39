package sim

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/wenzhou/danbao/models"
)

// ReverseSchema names the reverse stress document's format (danbao
// reverse --json, POST /v1/reverse).
const ReverseSchema = "danbao.reverse/v1"

// Defaults of ReverseOptions.
const (
	DefaultReversePaths = 200 // idiosyncratic paths per evaluation
	DefaultReverseMax   = 8.0 // σ: the largest |z| searched
	reverseStep         = 0.5 // σ: the grid that brackets the radius
	reverseTol          = 1e-3
)

// ReverseOptions says which target Reverse breaks (docs/decisions.md
// "Reverse stress").
type ReverseOptions struct {
	// Target, Scope and Year (1-based) pick one row of the result
	// document's targets, as in Solve; Scope is a guarantor id or city
	// ("policy" and "all" rows are not driven by the factors one guarantor
	// at a time). The first definition of the id is taken
	// (concentration_max: the borrower limit).
	Target, Scope string
	Year          int
	// MaxSigma bounds the search: a target that still holds at
	// |z| = MaxSigma is an error. 0 means DefaultReverseMax.
	MaxSigma float64
	// Tol is the width, in σ, of the final bracket of the radius; 0 means 1e-3.
	Tol float64
}

// ReverseFactor is one factor in one year at the reverse point.
type ReverseFactor struct {
	Year   int    `json:"year"`
	Factor string `json:"factor"` // "macro", "industry/<name>" or "county/<code>", as scenario shocks name it
	Kind   string `json:"kind"`   // macro, industry, county
	Code   string `json:"code"`   // the industry or county code; "" for macro
	// Value is the factor F_t at the reverse point, in standard deviations
	// (the shift a scenario shock adds); Z is its own independent
	// innovation z (Value = the AR(1) and correlations applied to z).
	Value Number `json:"value"`
	Z     Number `json:"z"`
}

// ReverseSegment is a group of the scope's loans (one industry in one
// county, one year) with its PD before and given the reverse point.
type ReverseSegment struct {
	Year     int    `json:"year"`
	Industry string `json:"industry"`
	County   string `json:"county"`
	Loans    int    `json:"loans"`
	// Claim is Σ the loans' claim (loan basis: principal + interest to the
	// claim date) in yuan, the weight of both PDs.
	Claim Money `json:"claim"`
	// PD is the claim-weighted mean of the loans' pd_t (scenario shocks
	// included); ConditionalPD that of Φ((Φ⁻¹(pd_t) − sys_t)/σ) at the
	// reverse point.
	PD            Number `json:"pd"`
	ConditionalPD Number `json:"conditional_pd"`
}

// ReversePoint is one evaluated radius of the search.
type ReversePoint struct {
	Sigma    Number `json:"sigma"`
	Margin   Number `json:"margin"`    // conditional mean margin, > 0: fails
	MarginSE Number `json:"margin_se"` // its standard error over the paths
	PFail    Number `json:"p_fail"`    // share of the idiosyncratic paths failing
}

// ReverseResult is the answer of Reverse.
type ReverseResult struct {
	Schema     string `json:"schema"` // ReverseSchema
	Scenario   string `json:"scenario"`
	Target     string `json:"target"`
	Scope      string `json:"scope"`
	Year       int    `json:"year"`
	Definition string `json:"definition"`
	Threshold  Number `json:"threshold"`
	// Paths and Seed: the idiosyncratic paths behind every conditional
	// mean (common random numbers at every point).
	Paths int    `json:"paths"`
	Seed  uint64 `json:"seed"`
	// Sigma is |z| at the reverse point: its Mahalanobis norm, the
	// "joint probability in σ". TailProbability = Φ(−Sigma) is the
	// probability of the half-space beyond the tangent plane there.
	Sigma           Number `json:"sigma"`
	TailProbability Number `json:"tail_probability"`
	// Margin, MarginStdErr and PFail are at the reverse point: the
	// conditional mean of the target's margin (> 0 fails; yuan for
	// balance_min and capital_min, the metric's unit otherwise), its
	// standard error over the paths, and the share of paths failing.
	Margin       Number `json:"margin"`
	MarginStdErr Number `json:"margin_se"`
	PFail        Number `json:"p_fail"`
	// OriginMargin is the conditional mean margin with every factor at 0.
	OriginMargin Number           `json:"origin_margin"`
	Factors      []ReverseFactor  `json:"factors"`
	Segments     []ReverseSegment `json:"segments"` // the worst hit, by conditional PD (≥ 0.5 % of the year's claim)
	Evaluations  []ReversePoint   `json:"evaluations"`
	// RunInfo is how the search was done, set by the caller (sim reads
	// no clock): the only part that differs between two searches of the
	// same inputs.
	RunInfo RunInfo `json:"run_info"`
}

// Shocks returns the reverse point as scenario shocks: one factor shift
// per factor and year, Value × scale, rounded to 1e-6 σ (shifts below that
// are left out).
func (r *ReverseResult) Shocks(scale float64) []models.Shock {
	var out []models.Shock
	for _, f := range r.Factors {
		v := math.Round(float64(f.Value)*scale*1e6) / 1e6
		if v == 0 {
			continue
		}
		out = append(out, models.Shock{Factor: f.Factor, Shift: v, Years: []int{f.Year}})
	}
	return out
}

// reverseSegments is the number of segments ReverseResult lists, among
// those holding at least reverseSegmentShare of the scope's claim in their
// year.
const (
	reverseSegments     = 10
	reverseSegmentShare = 0.005
)

// Reverse finds the most likely factor scenario under which a target
// fails: the point z* of least norm |z| of the factors' independent
// standard normal innovations (the factors are F = L·z through the
// correlations and the AR(1), as the engine draws them, so |z| is their
// Mahalanobis norm) at which the target's conditional mean margin
//
//	h(z) = E[margin | F = L·z]
//
// reaches 0. h is the engine's own: the loans' PDs given the factors are
// Φ((Φ⁻¹(pd) − sys(F))/σ) (sys = √a_m·M + √a_i·I_k + √a_c·C_j, σ =
// √(1 − Σa)), and p.Paths paths of idiosyncratic draws at those PDs go
// through the whole policy ledger; the margin is the target's (metric −
// threshold, signed so that > 0 fails), averaged over them.
//
// The search: for a radius r the candidate is the point of the sphere
// |z| = r where the scope's conditional expected loss through year Y
// (compensation_rate_max: in year Y) is largest (tailMode, shared with
// importance sampling); r is bracketed on a 0.5σ grid from 0 and bisected
// to Tol. The t copula is refused (its conditional PDs also depend on the
// χ² mixing variable).
func Reverse(ctx context.Context, pf *models.Portfolio, sc *models.Scenario, opt ReverseOptions, p Params) (*ReverseResult, error) {
	if p.Paths <= 0 {
		p.Paths = DefaultReversePaths
	}
	if p.Paths > MaxPaths {
		return nil, fmt.Errorf("%w: paths %d not in 1..%d", models.ErrInvalid, p.Paths, MaxPaths)
	}
	maxR := opt.MaxSigma
	if maxR == 0 {
		maxR = DefaultReverseMax
	}
	if !(maxR > 0 && maxR <= 10) {
		return nil, fmt.Errorf("%w: max sigma %v not in (0, 10]", models.ErrInvalid, opt.MaxSigma)
	}
	tol := opt.Tol
	if tol == 0 {
		tol = reverseTol
	}
	if !(tol > 0 && tol < reverseStep) {
		return nil, fmt.Errorf("%w: tol %v not in (0, %v)", models.ErrInvalid, opt.Tol, reverseStep)
	}
	if p.ISLevel != 0 {
		return nil, fmt.Errorf("%w: reverse stress takes no importance sampling (the factors are fixed at each point)", models.ErrInvalid)
	}
	m, L, err := compileWithLedger(pf, sc, false)
	if err != nil {
		return nil, err
	}
	if m.copulaT {
		return nil, fmt.Errorf("%w: reverse stress needs the Gaussian copula; this scenario sets model.copula: t (its conditional PDs depend on the χ² mixing variable too); set model.copula: gaussian", models.ErrInvalid)
	}
	rv := &reverser{m: m, L: L, p: p, opt: opt}
	res := &ReverseResult{Schema: ReverseSchema, Scenario: sc.Name, Target: opt.Target, Scope: opt.Scope, Year: opt.Year,
		Paths: p.Paths, Seed: p.Seed}

	z0 := make([]float64, m.innovations())
	at0, err := rv.eval(ctx, z0)
	if err != nil {
		return nil, err
	}
	res.Definition, res.Threshold, res.OriginMargin = rv.def, Number(rv.thr), Number(at0.Margin)
	res.Evaluations = append(res.Evaluations, at0)
	if at0.Margin > 0 {
		return nil, fmt.Errorf("%w: %s (%s, year %d) already fails with every factor at 0: conditional mean margin %.6g > 0 (P(fail) %.3f given the factors), so no stress is needed; reverse a target that holds at the origin",
			models.ErrInvalid, opt.Target, opt.Scope, opt.Year, float64(at0.Margin), float64(at0.PFail))
	}
	terms := m.shiftTermsWhere(rv.keep())
	if len(terms) == 0 {
		return nil, fmt.Errorf("%w: %s has no loans with a loss in years 1..%d", models.ErrInvalid, opt.Scope, opt.Year)
	}
	// Bracket the radius on the grid, then bisect.
	point := func(r float64) ([]float64, ReversePoint, error) {
		z, ok := m.tailMode(terms, r)
		if !ok {
			return nil, ReversePoint{}, fmt.Errorf("%w: the expected loss of %s does not depend on the factors (r2 all 0)", models.ErrInvalid, opt.Scope)
		}
		e, err := rv.eval(ctx, z)
		e.Sigma = Number(r)
		res.Evaluations = append(res.Evaluations, e)
		return z, e, err
	}
	lo, hi := 0.0, math.NaN()
	var zHi []float64
	var eHi ReversePoint
	for r := reverseStep; r <= maxR+1e-12; r += reverseStep {
		r = min(r, maxR)
		z, e, err := point(r)
		if err != nil {
			return nil, err
		}
		if e.Margin > 0 {
			hi, zHi, eHi = r, z, e
			break
		}
		lo = r
	}
	if math.IsNaN(hi) {
		last := res.Evaluations[len(res.Evaluations)-1]
		return nil, fmt.Errorf("%w: %s (%s, year %d) holds at every point searched up to |z| = %vσ (margin %.6g at %vσ, %.6g at 0): it cannot fail through the factors within that range; choose another target (%s), scope or year, or a larger max sigma (≤ 10)",
			models.ErrInvalid, opt.Target, opt.Scope, opt.Year, maxR, float64(last.Margin), maxR, float64(at0.Margin), strings.Join(reversible(rv.rows), ", "))
	}
	for hi-lo > tol {
		mid := (lo + hi) / 2
		z, e, err := point(mid)
		if err != nil {
			return nil, err
		}
		if e.Margin > 0 {
			hi, zHi, eHi = mid, z, e
		} else {
			lo = mid
		}
	}
	slices.SortStableFunc(res.Evaluations, func(a, b ReversePoint) int { return cmp.Compare(a.Sigma, b.Sigma) })
	res.Sigma, res.TailProbability = Number(hi), Number(Phi(-hi))
	res.Margin, res.MarginStdErr, res.PFail = eHi.Margin, eHi.MarginSE, eHi.PFail
	res.Factors = m.reverseFactors(zHi)
	res.Segments = rv.segments(zHi)
	return res, nil
}

// reverser evaluates one target's conditional mean margin.
type reverser struct {
	m    *Model
	L    *Ledger
	p    Params
	opt  ReverseOptions
	def  string         // the target's definition, set by eval
	thr  float64        // its threshold
	rows []TargetResult // the run's target rows (id, scope, year), set by eval
}

// keep selects the loans of the scope in the years the target looks at.
func (rv *reverser) keep() func(t int, i int32) bool {
	Y := rv.opt.Year
	comp := rv.opt.Target == models.TargetCompRateMax
	scope := rv.opt.Scope
	loans := rv.m.Loans
	return func(t int, i int32) bool {
		if t+1 > Y || comp && t+1 != Y {
			return false
		}
		return scope == CityScope || loans[i].GuarantorID == scope
	}
}

// conditional returns a copy of m with the factors fixed at F (H·d values,
// stress shifts included): loan i defaults in year t iff ε < (thr − sys)/σ,
// so its PD is the conditional PD Φ((thr − sys)/σ); the copy's loadings
// are 0 and its plans are rebuilt for the new thresholds.
func (m *Model) conditional(F []float64) *Model {
	c := *m
	d := 1 + m.factors.nInd + m.factors.nCty
	nI := m.factors.nInd
	c.loadings = make([]loading, len(m.loadings))
	for k, ld := range m.loadings {
		c.loadings[k] = loading{sigma: 1, ind: ld.ind, cty: ld.cty}
	}
	c.thr = make([]float64, len(m.thr))
	top := PhiInv(models.MaxPD)
	for t := range m.Horizon {
		Ft := F[t*d : (t+1)*d]
		for i := range m.n {
			ld := &m.loadings[m.loanCell[t*m.n+i]]
			sys := ld.m*Ft[0] + ld.i*Ft[1+ld.ind] + ld.c*Ft[1+nI+int(ld.cty)]
			c.thr[t*m.n+i] = min((m.thr[t*m.n+i]-sys)/ld.sigma, top)
		}
	}
	c.years = make([]yearPlan, m.Horizon)
	for t := range m.Horizon {
		c.years[t] = c.planYear(t)
	}
	if c.chains != nil {
		c.chains.planRoots(&c, c.years)
	}
	return &c
}

// eval runs the conditional model at innovations z and returns the
// target's mean margin and share of failing paths over rv.p.Paths paths.
func (rv *reverser) eval(ctx context.Context, z []float64) (ReversePoint, error) {
	m := rv.m
	F := make([]float64, len(z))
	m.factorPath(F, z, true)
	cm := m.conditional(F)
	p := rv.p
	p.Levels = nil
	if p.Workers <= 0 {
		p.Workers = 1
	}
	obs, book := rv.L.NewObserver(p.Paths, p.Workers)
	p.Observer = obs
	if _, err := Run(ctx, cm, p); err != nil {
		return ReversePoint{}, err
	}
	var found bool
	var rows []TargetResult
	var pt ReversePoint
	var policy bool
	rv.L.eachTarget(book, func(id, scope string, year int, thr float64, def string, miss func(q int) float64) {
		rows = append(rows, TargetResult{ID: id, Scope: scope, Year: year})
		if found || id != rv.opt.Target || scope != rv.opt.Scope || year != rv.opt.Year {
			return
		}
		found = true
		if scope == "policy" {
			policy = true
			return
		}
		rv.def, rv.thr = def, thr
		var s, s2 float64
		var fail int
		for q := range book.Paths {
			x := miss(q)
			if x > 0 {
				fail++
			}
			s += x
			s2 += x * x
		}
		N := float64(book.Paths)
		mean := s / N
		pt = ReversePoint{Margin: Number(mean), MarginSE: Number(math.Sqrt(max(s2/N-mean*mean, 0) / N)),
			PFail: Number(float64(fail) / N)}
	})
	rv.rows = rows
	switch {
	case !found:
		_, err := findTarget(rows, rv.opt.Target, rv.opt.Scope, rv.opt.Year)
		if rv.opt.Scope == "all" {
			err = fmt.Errorf("%w: scope all is the joint row of the guarantors; reverse one guarantor or the city", models.ErrInvalid)
		}
		return ReversePoint{}, err
	case policy:
		return ReversePoint{}, fmt.Errorf("%w: %s (scope policy) is a policy setting, not driven by the factors; reverse a target of a guarantor or the city (%s)",
			models.ErrInvalid, rv.opt.Target, strings.Join(reversible(rows), ", "))
	}
	return pt, nil
}

// reverseFactors lists the factors F = L·z (without the scenario's own
// shifts) and their innovations, year by year: macro, industries, counties.
func (m *Model) reverseFactors(z []float64) []ReverseFactor {
	F := make([]float64, len(z))
	m.factorPath(F, z, false)
	nI, nC := m.factors.nInd, m.factors.nCty
	d := 1 + nI + nC
	out := make([]ReverseFactor, 0, len(z))
	for t := range m.Horizon {
		for k := range d {
			f := ReverseFactor{Year: t + 1, Kind: models.FactorMacro, Value: Number(F[t*d+k]), Z: Number(z[t*d+k])}
			switch {
			case k >= 1 && k <= nI:
				f.Kind, f.Code = models.FactorIndustry, m.Industries[k-1]
			case k > nI:
				f.Kind, f.Code = models.FactorCounty, m.Counties[k-1-nI]
			}
			f.Factor = models.FactorRef(f.Kind, f.Code)
			out = append(out, f)
		}
	}
	return out
}

// segments groups the scope's loans of the years the target looks at by
// (year, industry, county) and returns the reverseSegments groups of
// highest conditional PD at innovations z among those with at least
// reverseSegmentShare of the year's claim.
func (rv *reverser) segments(z []float64) []ReverseSegment {
	m := rv.m
	F := make([]float64, len(z))
	m.factorPath(F, z, true)
	nI := m.factors.nInd
	d := 1 + nI + m.factors.nCty
	keep := rv.keep()
	type key struct {
		t        int
		ind, cty string
	}
	type acc struct {
		n             int
		w, pd, condPD float64
	}
	groups := map[key]*acc{}
	for t := range m.Horizon {
		Ft := F[t*d : (t+1)*d]
		start := float64(t)
		for i := range m.n {
			if m.maturity[i] <= start || int(m.start[i]) > t || !keep(t, int32(i)) {
				continue
			}
			ld := &m.loadings[m.loanCell[t*m.n+i]]
			thr := m.thr[t*m.n+i]
			sys := ld.m*Ft[0] + ld.i*Ft[1+ld.ind] + ld.c*Ft[1+nI+int(ld.cty)]
			l := &m.Loans[i]
			k := key{t + 1, l.Industry, l.County}
			a := groups[k]
			if a == nil {
				a = &acc{}
				groups[k] = a
			}
			w := float64(m.claim[t*m.n+i])
			a.n++
			a.w += w
			a.pd += w * Phi(thr)
			a.condPD += w * Phi((thr-sys)/ld.sigma)
		}
	}
	total := map[int]float64{} // Σ claim per year
	for k, a := range groups {
		total[k.t] += a.w
	}
	out := make([]ReverseSegment, 0, len(groups))
	for k, a := range groups {
		if !(a.w >= reverseSegmentShare*total[k.t]) || a.w <= 0 {
			continue // too small a part of the scope's book to speak of
		}
		out = append(out, ReverseSegment{Year: k.t, Industry: k.ind, County: k.cty, Loans: a.n,
			Claim: Money(a.w / 100), PD: Number(a.pd / a.w), ConditionalPD: Number(a.condPD / a.w)})
	}
	slices.SortFunc(out, func(a, b ReverseSegment) int {
		if c := cmp.Compare(b.ConditionalPD, a.ConditionalPD); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Year, b.Year), strings.Compare(a.Industry, b.Industry), strings.Compare(a.County, b.County))
	})
	return out[:min(len(out), reverseSegments)]
}

// reversible lists the target ids of rows with a guarantor or city scope.
func reversible(rows []TargetResult) []string {
	var ids []string
	for _, r := range rows {
		if r.Scope != "policy" && !slices.Contains(ids, r.ID) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}
