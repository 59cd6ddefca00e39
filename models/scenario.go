package models

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Scenario is everything a run assumes beyond the portfolio: the factor
// model, stress shocks, recoveries, new business, the loss-sharing policy,
// the targets and capital injections. The scenarios package reads it from
// YAML (every field has a dotted path, e.g. model.r2.industry) and the sim
// package takes it as a value.
type Scenario struct {
	Name        string `yaml:"name" json:"name"`
	Extends     string `yaml:"extends,omitempty" json:"extends,omitempty"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Rationale says why the scenario looks the way it does: what it
	// replays or assumes and how its numbers were chosen.
	Rationale string `yaml:"rationale,omitempty" json:"rationale,omitempty"`
	// Sources lists the documents the numbers come from, approximate
	// figures marked as such.
	Sources []string `yaml:"sources,omitempty" json:"sources,omitempty"`
	// Reproduces lists the figures a replay of history is built to
	// reproduce, each with its source or "estimate"; a test holds the
	// scenario to them (e.g. wenzhou-2011).
	Reproduces   []Figure    `yaml:"reproduces,omitempty" json:"reproduces,omitempty"`
	HorizonYears int         `yaml:"horizon_years" json:"horizon_years"` // 1..5; default 1
	Model        ModelParams `yaml:"model" json:"model"`
	Shocks       []Shock     `yaml:"shocks,omitempty" json:"shocks,omitempty"`
	// Economy states a stress as yearly paths of economic variables, which
	// the sensitivities turn into factor shifts (docs/economy.md).
	Economy    Economy     `yaml:"economy,omitempty" json:"economy,omitempty"`
	Recovery   Recovery    `yaml:"recovery" json:"recovery"`
	Growth     Growth      `yaml:"growth" json:"growth"`
	Policy     Policy      `yaml:"policy" json:"policy"`
	Targets    Targets     `yaml:"targets" json:"targets"`
	Injections []Injection `yaml:"injections,omitempty" json:"injections,omitempty"`
}

// Figure is one figure a scenario is built to reproduce.
type Figure struct {
	// Name says what is measured; docs/model.md defines the names used:
	// "recovery" (recovered / compensated over the horizon's defaults),
	// "loss_rate" ((compensated − recovered) / compensated) and
	// "worst_year_compensation_rate" (the city's mean compensation rate,
	// compensation paid / guarantees released, in its worst year).
	Name string `yaml:"name" json:"name"`
	// Value is the figure, a fraction (0.12 is 12 %).
	Value float64 `yaml:"value" json:"value"`
	// Source is the document the figure comes from, or "estimate".
	Source string `yaml:"source" json:"source"`
}

// MaxHorizonYears is the longest horizon a run may have.
const MaxHorizonYears = 5

// R2 holds the factor weights (shares of the latent variable's variance) of
// the model
//
//	X = √a_m·M + √a_i·I_k + √a_c·C_j + √(1 − a_m − a_i − a_c)·ε
//
// with M the macro factor, I_k the loan's industry factor, C_j its county
// factor and ε idiosyncratic noise, all standard normal.
type R2 struct {
	Macro    float64 `yaml:"macro" json:"macro"`
	Industry float64 `yaml:"industry" json:"industry"`
	County   float64 `yaml:"county" json:"county"`
}

// Sum returns a_m + a_i + a_c.
func (r R2) Sum() float64 { return r.Macro + r.Industry + r.County }

// Copulas.
const (
	CopulaGaussian = "gaussian"
	CopulaT        = "t"
)

// ModelParams is the factor model of docs/model.md "The model".
type ModelParams struct {
	// R2 are the global factor weights. Default macro 0.05, industry 0.08,
	// county 0.04 (estimates; docs/data.md). The macro weight agrees
	// with the calibration on testdata/history/wenzhou.csv (0.050, 95 %
	// 0.010–0.182); that history's industry and county split is invented,
	// so its weights are not used (docs/calibration.md).
	R2 R2 `yaml:"r2" json:"r2"`
	// R2BySegment overrides R2 for a segment (micro, small, agri, other).
	R2BySegment map[string]R2 `yaml:"r2_by_segment,omitempty" json:"r2_by_segment,omitempty"`
	// Copula is "gaussian" (default) or "t" (Student-t with TDof degrees of freedom).
	Copula string  `yaml:"copula" json:"copula"`
	TDof   float64 `yaml:"t_dof" json:"t_dof"` // default 8
	// Persistence φ is the AR(1) coefficient of every factor across years:
	// F_t = φ·F_{t−1} + √(1−φ²)·Z_t, so each F_t stays standard normal.
	Persistence float64 `yaml:"persistence" json:"persistence"`
	// IndustryCorrelation and CountyCorrelation are optional correlation
	// matrices among the industry and the county factors.
	IndustryCorrelation *Correlation `yaml:"industry_correlation,omitempty" json:"industry_correlation,omitempty"`
	CountyCorrelation   *Correlation `yaml:"county_correlation,omitempty" json:"county_correlation,omitempty"`
	// LGD makes LGDs move with a collateral (property) factor; off by default.
	LGD LGDModel `yaml:"lgd" json:"lgd"`
	// Contagion tunes the guarantee chains' contagion (docs/chains.md).
	Contagion ContagionModel `yaml:"contagion" json:"contagion"`
}

// Correlation is a correlation matrix over named factors. Factors of the
// portfolio not listed are uncorrelated with the rest.
type Correlation struct {
	Labels []string    `yaml:"labels" json:"labels"`
	Matrix [][]float64 `yaml:"matrix" json:"matrix"`
}

// Selector picks loans by attribute; an empty list matches everything.
type Selector struct {
	County    []string `yaml:"county,omitempty" json:"county,omitempty"`
	Industry  []string `yaml:"industry,omitempty" json:"industry,omitempty"`
	Product   []string `yaml:"product,omitempty" json:"product,omitempty"`
	Segment   []string `yaml:"segment,omitempty" json:"segment,omitempty"`
	Guarantor []string `yaml:"guarantor,omitempty" json:"guarantor,omitempty"`
	// CounterGuarantee selects loans by their counter_guarantee column:
	// [true] the loans with a counter-guarantee (e.g. to stress its
	// removal, which the seed asks for: their recoveries fall), [false]
	// those without.
	CounterGuarantee []bool `yaml:"counter_guarantee,omitempty" json:"counter_guarantee,omitempty"`
}

// Matches reports whether l is selected.
func (s Selector) Matches(l *Loan) bool {
	in := func(list []string, v string) bool {
		if len(list) == 0 {
			return true
		}
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	}
	if len(s.CounterGuarantee) > 0 && !slices.Contains(s.CounterGuarantee, l.CounterGuarantee) {
		return false
	}
	return in(s.County, l.County) && in(s.Industry, l.Industry) && in(s.Product, l.Product) &&
		in(s.Segment, l.Segment) && in(s.Guarantor, l.GuarantorID)
}

// Shock is one stress applied in the listed years (all years when empty).
// Factor kinds: the systematic factors of the model (docs/model.md "The
// model"). A factor reference (Shock.Factor, the names of importance
// sampling's shift) is "macro", "industry/<name>" or "county/<code>".
const (
	FactorMacro    = "macro"
	FactorIndustry = "industry"
	FactorCounty   = "county"
)

// ParseFactor splits a factor reference into its kind and name ("" for
// the macro factor). ok is false for anything else, including a kind
// without a name ("industry/").
func ParseFactor(ref string) (kind, name string, ok bool) {
	if ref == FactorMacro {
		return FactorMacro, "", true
	}
	kind, name, _ = strings.Cut(ref, "/")
	if (kind == FactorIndustry || kind == FactorCounty) && name != "" {
		return kind, name, true
	}
	return "", "", false
}

// FactorRef is the reference of a factor: "macro", or kind/name.
func FactorRef(kind, name string) string {
	if kind == FactorMacro {
		return FactorMacro
	}
	return kind + "/" + name
}

// A shock either shifts a factor's mean or scales PDs / adds to LGDs of the
// selected loans, or both.
type Shock struct {
	// Factor is "macro", "industry/<name>" or "county/<code>"; Shift is the
	// mean shift of that factor in standard deviations (negative = worse).
	Factor string  `yaml:"factor,omitempty" json:"factor,omitempty"`
	Shift  float64 `yaml:"shift,omitempty" json:"shift,omitempty"`
	// PDMultiplier scales the one-year PD of the selected loans (0 = no
	// change); the result is capped at MaxPD.
	PDMultiplier float64 `yaml:"pd_multiplier,omitempty" json:"pd_multiplier,omitempty"`
	// LGDAddOn is added to the selected loans' LGD (result clamped to [0, 1]).
	LGDAddOn float64 `yaml:"lgd_add_on,omitempty" json:"lgd_add_on,omitempty"`
	// R2Multiplier is a correlation stress: it scales the factor weights
	// a_m, a_i, a_c (model.r2, or the segment's) of the selected loans
	// (0 = no change). The stressed weights must still sum to less than 1,
	// and Where may select by county, industry and segment only, so loans
	// with equal loadings keep equal loadings.
	R2Multiplier float64 `yaml:"r2_multiplier,omitempty" json:"r2_multiplier,omitempty"`
	// InterestRateAddOn is an interest-rate stress: it is added to the
	// selected loans' yearly interest rate (result floored at 0), which
	// raises the normal interest inside the claim. Its effect on PDs is not
	// modelled; pair it with a PDMultiplier.
	InterestRateAddOn float64  `yaml:"interest_rate_add_on,omitempty" json:"interest_rate_add_on,omitempty"`
	Where             Selector `yaml:"where,omitempty" json:"where,omitempty"`
	Years             []int    `yaml:"years,omitempty" json:"years,omitempty"`
}

// MaxPD caps stressed PDs below 1.
const MaxPD = 0.999

// AppliesIn reports whether the shock acts in year t (1-based).
func (s Shock) AppliesIn(t int) bool {
	if len(s.Years) == 0 {
		return true
	}
	for _, y := range s.Years {
		if y == t {
			return true
		}
	}
	return false
}

// Recovery describes what the guarantor recovers after compensating.
type Recovery struct {
	// Scale multiplies each loan's recovery fraction (1 − lgd); 1 (default)
	// keeps the portfolio's LGDs, 0.4 turns a 30 % recovery into 12 %.
	Scale float64 `yaml:"scale" json:"scale"`
	// Lag is the fraction of the eventual recovery collected in each year
	// after the compensation year; it must sum to 1. Default [0.2, 0.5, 0.3]
	// (mean lag about two years; estimate, docs/data.md).
	Lag []float64 `yaml:"lag" json:"lag"`
	// LagConcentration c makes the lag random (docs/recoveries.md): the
	// fractions of each compensation year's recoveries collected in the
	// following years are drawn, per path and compensation year, from the
	// Dirichlet distribution with parameters c·lag, whose mean is lag (so
	// the mean lag is kept) and whose variance is lag_k·(1 − lag_k)/(c + 1).
	// 0 (default) keeps the fractions fixed at lag.
	LagConcentration float64 `yaml:"lag_concentration" json:"lag_concentration"`
}

// Growth is new business written each year. Each guarantor's live book is
// B(t) = B_0·(1 + Rate)^⌊t⌋ (B_0 its loan balance alive in the snapshot):
// a loan maturing inside the horizon is replaced at its maturity date by
// its renewal (same borrower, balance and term), with no overlap, and at
// the start of each year t ≥ 1 the guarantor writes B_0·((1+Rate)^t −
// (1+Rate)^(t−1)) of new loans copying its own. Rate 0 (the default) keeps
// the book flat; RunOff writes nothing, and the portfolio runs off as its
// loans mature. docs/model.md "New business" has the details.
type Growth struct {
	// Rate is the yearly growth of each guarantor's balance; default 0.
	Rate float64 `yaml:"rate" json:"rate"`
	// TermYears is the term of a new loan copying a loan without start or
	// maturity date; otherwise a new loan keeps the term of the loan it
	// copies. Default 2.
	TermYears int `yaml:"term_years" json:"term_years"`
	// RunOff switches new business off.
	RunOff bool `yaml:"run_off,omitempty" json:"run_off,omitempty"`
}

// Injection is a capital injection by the finance bureau.
type Injection struct {
	Guarantor string `yaml:"guarantor" json:"guarantor"`
	Year      int    `yaml:"year" json:"year"` // 0 = at the start, t = end of year t
	Amount    Cents  `yaml:"amount" json:"amount"`
}

// DefaultScenario returns the baseline assumptions: 4321 policy, default
// targets, one-year horizon.
func DefaultScenario() Scenario {
	return Scenario{
		Name:         "baseline",
		HorizonYears: 1,
		Model: ModelParams{
			R2:     R2{Macro: 0.05, Industry: 0.08, County: 0.04},
			Copula: CopulaGaussian,
			TDof:   8,
			LGD:    LGDModel{RhoMacro: 0.5},
		},
		Recovery: Recovery{Scale: 1, Lag: []float64{0.2, 0.5, 0.3}},
		Growth:   Growth{TermYears: 2},
		Policy:   Policy4321(),
		Targets:  DefaultTargets(),
	}
}

// Validate reports every impossible value of s: a *ProblemsError listing
// each problem by its dotted path (no file place), in a fixed order, or
// nil.
func (s *Scenario) Validate() error {
	var ps Problems
	bad := ps.Invalid
	if !(s.HorizonYears >= 1 && s.HorizonYears <= MaxHorizonYears) {
		bad("horizon_years", "%d is not in 1..%d", s.HorizonYears, MaxHorizonYears)
	}
	checkR2 := func(path string, r R2) {
		for _, w := range []struct {
			n string
			v float64
		}{{"macro", r.Macro}, {"industry", r.Industry}, {"county", r.County}} {
			if !(w.v >= 0 && w.v < 1) {
				bad(path+"."+w.n, "%v is not in [0, 1)", w.v)
			}
		}
		if !(r.Sum() < 1) {
			bad(path, "weights sum to %v; they must sum to less than 1", r.Sum())
		}
	}
	checkR2("model.r2", s.Model.R2)
	for _, seg := range slices.Sorted(maps.Keys(s.Model.R2BySegment)) {
		checkR2("model.r2_by_segment."+seg, s.Model.R2BySegment[seg])
	}
	switch s.Model.Copula {
	case CopulaGaussian:
	case CopulaT:
		if !(s.Model.TDof > 2) || math.IsInf(s.Model.TDof, 0) {
			bad("model.t_dof", "%v must be finite and > 2", s.Model.TDof)
		}
	default:
		bad("model.copula", "%q must be gaussian or t", s.Model.Copula)
	}
	if !(s.Model.Persistence >= 0 && s.Model.Persistence < 1) {
		bad("model.persistence", "%v is not in [0, 1)", s.Model.Persistence)
	}
	for _, nc := range []struct {
		name string
		c    *Correlation
	}{{"model.industry_correlation", s.Model.IndustryCorrelation}, {"model.county_correlation", s.Model.CountyCorrelation}} {
		name, c := nc.name, nc.c
		if c == nil {
			continue
		}
		n := len(c.Labels)
		if len(c.Matrix) != n {
			bad(name, "matrix has %d rows for %d labels", len(c.Matrix), n)
			continue
		}
		square := true
		for i, row := range c.Matrix {
			if len(row) != n {
				bad(name, "row %d has %d entries for %d labels", i+1, len(row), n)
				square = false
			}
		}
		if !square {
			continue // symmetry reads across rows
		}
		for i, row := range c.Matrix {
			for j, v := range row {
				if !(v >= -1 && v <= 1) || (i == j && v != 1) || c.Matrix[j][i] != v {
					bad(name, "entry (%d,%d) = %v: a correlation matrix is symmetric with a unit diagonal and entries in [−1, 1]", i+1, j+1, v)
				}
			}
		}
	}
	for i, sh := range s.Shocks {
		p := fmt.Sprintf("shocks[%d]", i)
		if _, _, ok := ParseFactor(sh.Factor); sh.Factor != "" && !ok {
			if kind := strings.TrimSuffix(sh.Factor, "/"); (kind == FactorIndustry || kind == FactorCounty) && sh.Factor == kind+"/" {
				bad(p+".factor", "%q names no %s", sh.Factor, kind)
			} else {
				bad(p+".factor", "%q must be macro, industry/<name> or county/<code>", sh.Factor)
			}
		}
		if math.IsNaN(sh.Shift) || math.IsInf(sh.Shift, 0) || math.Abs(sh.Shift) > 10 {
			bad(p+".shift", "%v is not a shift in [−10, 10] standard deviations", sh.Shift)
		}
		if !(sh.PDMultiplier >= 0) || math.IsInf(sh.PDMultiplier, 0) {
			bad(p+".pd_multiplier", "%v must be ≥ 0 (0 = unchanged)", sh.PDMultiplier)
		}
		if !(sh.LGDAddOn >= -1 && sh.LGDAddOn <= 1) {
			bad(p+".lgd_add_on", "%v is not in [−1, 1]", sh.LGDAddOn)
		}
		if !(sh.R2Multiplier >= 0) || math.IsInf(sh.R2Multiplier, 0) {
			bad(p+".r2_multiplier", "%v must be ≥ 0 (0 = unchanged)", sh.R2Multiplier)
		}
		if sh.R2Multiplier != 0 && (len(sh.Where.Product) > 0 || len(sh.Where.Guarantor) > 0 || len(sh.Where.CounterGuarantee) > 0) {
			bad(p+".where", "a shock with r2_multiplier may select by county, industry and segment only")
		}
		if !(sh.InterestRateAddOn >= -0.2 && sh.InterestRateAddOn <= 0.2) {
			bad(p+".interest_rate_add_on", "%v is not in [−0.2, 0.2]", sh.InterestRateAddOn)
		}
		for _, y := range sh.Years {
			if y < 1 || y > s.HorizonYears {
				bad(p+".years", "year %d is outside the horizon 1..%d", y, s.HorizonYears)
			}
		}
	}
	// Correlation stress: in every year, the product of the r2 multipliers
	// acting then (an upper bound, whatever they select) times the largest
	// weight sum must stay below 1.
	maxR2 := s.Model.R2.Sum()
	for _, r := range s.Model.R2BySegment {
		maxR2 = max(maxR2, r.Sum())
	}
	for t := 1; t <= s.HorizonYears && t <= MaxHorizonYears; t++ {
		m := 1.0
		for _, sh := range s.Shocks {
			if sh.R2Multiplier > 0 && sh.AppliesIn(t) {
				m *= sh.R2Multiplier
			}
		}
		if m != 1 && !(m*maxR2 < 1) {
			bad("shocks", "r2 multipliers acting in year %d scale the factor weights to sum %v; they must sum to less than 1", t, m*maxR2)
		}
	}
	s.Model.LGD.validate(bad)
	s.Model.Contagion.validate(bad)
	s.Economy.validate(s.HorizonYears, bad)
	if !(s.Recovery.Scale >= 0) || math.IsInf(s.Recovery.Scale, 0) {
		bad("recovery.scale", "%v must be ≥ 0", s.Recovery.Scale)
	}
	sum := 0.0
	for _, f := range s.Recovery.Lag {
		if !(f >= 0) {
			bad("recovery.lag", "fraction %v is negative", f)
		}
		sum += f
	}
	if len(s.Recovery.Lag) == 0 || math.Abs(sum-1) > 1e-9 {
		bad("recovery.lag", "fractions %v must sum to 1", s.Recovery.Lag)
	}
	if !(s.Recovery.LagConcentration >= 0 && s.Recovery.LagConcentration <= 1e6) {
		bad("recovery.lag_concentration", "%v is not in [0, 1e6] (0 = fixed lag)", s.Recovery.LagConcentration)
	}
	if !(s.Growth.Rate >= -0.5 && s.Growth.Rate <= 5) {
		bad("growth.rate", "%v is not in [−0.5, 5]", s.Growth.Rate)
	}
	if s.Growth.TermYears < 1 || s.Growth.TermYears > 10 {
		bad("growth.term_years", "%d is not in 1..10", s.Growth.TermYears)
	}
	for i, inj := range s.Injections {
		if inj.Year < 0 || inj.Year > s.HorizonYears {
			bad(fmt.Sprintf("injections[%d].year", i), "%d is outside 0..%d", inj.Year, s.HorizonYears)
		}
		if inj.Guarantor == "" {
			bad(fmt.Sprintf("injections[%d].guarantor", i), "is empty")
		}
	}
	s.Policy.check(&ps)
	s.Targets.check(&ps)
	return ps.Err()
}
