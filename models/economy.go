package models

import (
	"fmt"
	"math"
	"strings"
)

// Economy is a scenario's stress stated in economic terms: yearly paths of
// economic variables, one value per simulated year (year 1 first), at most
// horizon_years values. An empty path leaves its variable at the baseline
// (EconomyBaseline), and so do the years after a shorter path. The sim
// package turns the paths into factor shifts (in standard deviations) with
// the sensitivities of DefaultSensitivities; docs/economy.md gives the
// formula and the table.
type Economy struct {
	// GDPGrowth is Wenzhou's real GDP growth, % y/y (6.0 is +6 %).
	GDPGrowth []float64 `yaml:"gdp_growth,omitempty" json:"gdp_growth,omitempty"`
	// Exports is the change of Wenzhou's goods exports in yuan, % y/y (−15 is a 15 % fall).
	Exports []float64 `yaml:"exports,omitempty" json:"exports,omitempty"`
	// PropertyPrices is the change of Wenzhou's new-home prices, % y/y (−20 is a 20 % fall).
	PropertyPrices []float64 `yaml:"property_prices,omitempty" json:"property_prices,omitempty"`
	// LoanRate is the one-year loan prime rate (LPR) during the year, % a year (a level, not a change).
	LoanRate []float64 `yaml:"loan_rate,omitempty" json:"loan_rate,omitempty"`
}

// Economic variables, by their YAML names.
const (
	VarGDPGrowth      = "gdp_growth"
	VarExports        = "exports"
	VarPropertyPrices = "property_prices"
	VarLoanRate       = "loan_rate"
)

// EconomicVariable describes one variable of Economy: its unit, its
// baseline value (the path against which deviations are measured) with the
// baseline's source, and the range a scenario may give.
type EconomicVariable struct {
	Name     string
	Unit     string
	Baseline float64
	Source   string
	Min, Max float64
}

// EconomyBaseline lists the variables with their baselines, in the order
// of Economy's fields. A scenario's deviation in year t is
//
//	d_v,t = x_v,t − baseline_v   (percentage points)
//
// and is 0 for a variable the scenario does not give.
var EconomyBaseline = []EconomicVariable{
	{VarGDPGrowth, "% y/y", 6.0, "Wenzhou's real GDP growth in 2023, about 6 % (温州市2023年国民经济和社会发展统计公报, approximate); year 1 of the example is 2023", -30, 30},
	{VarExports, "% y/y", 5.0, "estimate: a modest trend growth of Wenzhou's goods exports in yuan", -80, 200},
	{VarPropertyPrices, "% y/y", 0.0, "estimate: flat new-home prices", -60, 100},
	{VarLoanRate, "% a year", 3.45, "one-year LPR, 3.45 % from August 2023 (People's Bank of China)", 0, 30},
}

// Path returns the path of variable name (nil when not given) and whether
// name is a variable.
func (e *Economy) Path(name string) ([]float64, bool) {
	switch name {
	case VarGDPGrowth:
		return e.GDPGrowth, true
	case VarExports:
		return e.Exports, true
	case VarPropertyPrices:
		return e.PropertyPrices, true
	case VarLoanRate:
		return e.LoanRate, true
	}
	return nil, false
}

// IsZero reports whether no path is given.
func (e *Economy) IsZero() bool {
	return len(e.GDPGrowth) == 0 && len(e.Exports) == 0 && len(e.PropertyPrices) == 0 && len(e.LoanRate) == 0
}

// validate reports, through bad, every path longer than horizon (a
// shorter path leaves the later years at the baseline) or whose values are not finite or outside the variable's range.
func (e *Economy) validate(horizon int, bad func(path, format string, args ...any)) {
	for _, v := range EconomyBaseline {
		p, _ := e.Path(v.Name)
		if len(p) == 0 {
			continue
		}
		name := "economy." + v.Name
		if len(p) > horizon {
			bad(name, "%d values for horizon_years %d: give at most one value per simulated year (%s); years after the path stay at the baseline", len(p), horizon, v.Unit)
		}
		for i, x := range p {
			if math.IsNaN(x) || !(x >= v.Min && x <= v.Max) {
				bad(fmt.Sprintf("%s[%d]", name, i), "%v is not in [%v, %v] (%s)", x, v.Min, v.Max, v.Unit)
			}
		}
	}
}

// Factor names of a sensitivity beyond the factor references of a shock
// (FactorMacro, "industry/<name>", "county/<code>"): every county at once,
// and the collateral (property) factor of the stochastic LGD
// (ModelParams.LGD).
const (
	FactorProperty  = "property"
	FactorAnyCounty = "county/*"
)

// Sensitivity is the shift of one factor, in standard deviations, per
// percentage point of one variable's deviation from its baseline.
type Sensitivity struct {
	Factor   string  // "macro", "industry/<id>", "county/<code>", "county/*" or "property"
	Variable string  // an EconomyBaseline name
	Beta     float64 // σ per percentage point
	Source   string  // where the figure comes from, or "estimate: " and the reasoning
}

// DefaultSensitivities is the linear map from economic deviations to
// factor shifts (docs/economy.md explains each row). The shift of factor f
// in year t is
//
//	s_f,t = Σ_v β_f,v · d_v,t
//
// summed over the rows naming f (a county takes the "county/*" rows and
// its own). A negative shift is worse (more defaults; for "property", a
// higher LGD). Factors without a row are not moved.
var DefaultSensitivities = []Sensitivity{
	{FactorMacro, VarGDPGrowth, 0.5, "estimate: one standard deviation of Wenzhou's yearly GDP growth about its trend is about 2 points (2010–2019, excluding the 2020 break), so a 1-point shortfall is about 0.5σ of the city-wide factor"},
	{FactorMacro, VarLoanRate, -0.25, "estimate: a 1-point rise in the lending rate (2011's rise was 0.75 points, with a crisis on top) is a quarter of a bad year for small firms' debt service"},
	{"industry/footwear", VarExports, 0.075, "estimate: export share of sales about 0.75 over a 10-point standard deviation of export growth (β = share / 10)"},
	{"industry/apparel", VarExports, 0.06, "estimate: export share about 0.6, β = share / 10"},
	{"industry/eyewear", VarExports, 0.05, "estimate: export share about 0.5, β = share / 10"},
	{"industry/auto_parts", VarExports, 0.02, "estimate: export share about 0.2, β = share / 10"},
	{"industry/electrical", VarExports, 0.015, "estimate: export share about 0.15 (柳市's low-voltage electrical goods sell mostly at home), β = share / 10"},
	{"industry/pumps_valves", VarExports, 0.015, "estimate: export share about 0.15, β = share / 10"},
	{"industry/printing_packaging", VarExports, 0.01, "estimate: packages the exporters' goods; indirect share about 0.1, β = share / 10"},
	{"industry/trade_services", VarExports, 0.005, "estimate: ships and trades for exporters; indirect share about 0.05, β = share / 10"},
	{FactorAnyCounty, VarPropertyPrices, 0.05, "estimate: property is the usual collateral and a large part of local demand and land revenue; a 20 % fall is a 1σ county downturn. No county-specific figure is known, so every county takes the same coefficient"},
	{FactorProperty, VarPropertyPrices, 0.1, "estimate: the collateral factor is the year's standardised property-price change; the yearly standard deviation of Wenzhou's price changes is about 10 points (the 2011–2014 fall was about −10 % a year)"},
}

// EconomyShift returns the shift of factor (as in Sensitivity.Factor; a
// county as "county/<code>") in year t (0-based) under e with the
// sensitivities sens:
//
//	s_f,t = Σ_{rows for f} β · (x_v,t − baseline_v)
//
// A variable whose path is not given contributes nothing.
func EconomyShift(e *Economy, sens []Sensitivity, factor string, t int) float64 {
	var s float64
	for _, r := range sens {
		if r.Factor != factor && (r.Factor != FactorAnyCounty || !strings.HasPrefix(factor, "county/")) {
			continue
		}
		p, _ := e.Path(r.Variable)
		if t >= len(p) {
			continue
		}
		s += r.Beta * (p[t] - baselineOf(r.Variable))
	}
	return s
}

func baselineOf(name string) float64 {
	for _, v := range EconomyBaseline {
		if v.Name == name {
			return v.Baseline
		}
	}
	return math.NaN()
}
