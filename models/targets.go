package models

import (
	"fmt"
	"strings"
)

// Leverage definitions (DESIGN.md "Projection and targets").
const (
	// LeverageRegulatory is risk-weighted guarantee liability (75 % for
	// small/micro loans ≤ 500万 and agri loans ≤ 200万, 100 % otherwise) over
	// net assets less equity held in other guarantors.
	LeverageRegulatory = "regulatory"
	// LeveragePerformance is guaranteed balance / net assets.
	LeveragePerformance = "performance"
	// LeverageFiscal is guaranteed balance / capital contributed by government.
	LeverageFiscal = "fiscal"
)

// Target is one threshold; Off disables it.
type Target struct {
	Threshold  float64 `yaml:"threshold" json:"threshold"`
	Definition string  `yaml:"definition,omitempty" json:"definition,omitempty"`
	Off        bool    `yaml:"off,omitempty" json:"off,omitempty"`
}

// Targets are the policy targets of DESIGN.md, each changeable by scenario.
type Targets struct {
	// BalanceMin: small/micro + agri guaranteed balance > threshold yuan, city-wide. Default 2×10¹⁰ (200亿).
	BalanceMin Target `yaml:"balance_min" json:"balance_min"`
	// LeverageMin: leverage ≥ threshold, city and each guarantor. Default 5, performance.
	LeverageMin Target `yaml:"leverage_min" json:"leverage_min"`
	// LeverageMax: regulatory leverage ≤ threshold (10), or FocusedThreshold (15) for focused institutions.
	LeverageMax      Target  `yaml:"leverage_max" json:"leverage_max"`
	FocusedThreshold float64 `yaml:"leverage_max_focused" json:"leverage_max_focused"`
	// CompensationRateMax: compensation rate ≤ threshold, each guarantor and year. Default 0.05.
	CompensationRateMax Target `yaml:"compensation_rate_max" json:"compensation_rate_max"`
	// FeeMax: average guarantee fee < threshold, each guarantor and city. Default 0.01.
	FeeMax Target `yaml:"fee_max" json:"fee_max"`
	// CapitalMin: registered capital ≥ the county's minimum, and net assets
	// staying above it. ByCounty overrides the seed's minimums (WenzhouCounties).
	CapitalMin CapitalMin `yaml:"capital_min" json:"capital_min"`
	// BankShareMin: the policy's bank share ≥ threshold. Default 0.20.
	BankShareMin Target `yaml:"bank_share_min" json:"bank_share_min"`
	// ConcentrationMax: largest single borrower ≤ threshold × net assets. Default 0.10.
	ConcentrationMax Target `yaml:"concentration_max" json:"concentration_max"`
}

// CapitalMin is the capital-minimum target per county.
type CapitalMin struct {
	Off      bool             `yaml:"off,omitempty" json:"off,omitempty"`
	ByCounty map[string]Cents `yaml:"by_county,omitempty" json:"by_county,omitempty"`
}

// MinimumFor returns the capital minimum of a county code (0: none).
func (c CapitalMin) MinimumFor(county string) Cents {
	if v, ok := c.ByCounty[county]; ok {
		return v
	}
	for _, w := range WenzhouCounties {
		if w.Code == county {
			return w.CapitalMin
		}
	}
	return 0
}

// DefaultTargets returns the seed's targets.
func DefaultTargets() Targets {
	return Targets{
		BalanceMin:          Target{Threshold: 2e10},
		LeverageMin:         Target{Threshold: 5, Definition: LeveragePerformance},
		LeverageMax:         Target{Threshold: 10, Definition: LeverageRegulatory},
		FocusedThreshold:    15,
		CompensationRateMax: Target{Threshold: 0.05},
		FeeMax:              Target{Threshold: 0.01},
		BankShareMin:        Target{Threshold: BankShareFloor},
		ConcentrationMax:    Target{Threshold: 0.10},
	}
}

// Validate rejects thresholds that cannot be meant.
func (t *Targets) Validate() error {
	var errs []string
	pos := func(path string, v float64) {
		if !(v > 0) {
			errs = append(errs, fmt.Sprintf("targets.%s.threshold: %v must be positive", path, v))
		}
	}
	pos("balance_min", t.BalanceMin.Threshold)
	pos("leverage_min", t.LeverageMin.Threshold)
	pos("leverage_max", t.LeverageMax.Threshold)
	pos("compensation_rate_max", t.CompensationRateMax.Threshold)
	pos("fee_max", t.FeeMax.Threshold)
	pos("concentration_max", t.ConcentrationMax.Threshold)
	for path, d := range map[string]string{"leverage_min": t.LeverageMin.Definition, "leverage_max": t.LeverageMax.Definition} {
		switch d {
		case "", LeverageRegulatory, LeveragePerformance, LeverageFiscal:
		default:
			errs = append(errs, fmt.Sprintf("targets.%s.definition: %q must be regulatory, performance or fiscal", path, d))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return nil
}
