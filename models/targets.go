package models

import ()

// Leverage definitions (docs/model.md "Targets").
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

// Bases of "balance" (docs/model.md "Targets"):
// the loan basis is the outstanding principal of the guaranteed loans
// (在保贷款余额), the guaranteed basis the guarantor's part of it, balance ×
// guarantee ratio (担保责任余额).
const (
	BasisLoan       = "loan"
	BasisGuaranteed = "guaranteed"
)

// Fee definitions of the fee_max target.
const (
	// FeeCharged is the fee rate the guarantor charges (before the
	// county's fee subsidy): fee income / guaranteed balance-years.
	FeeCharged = "charged"
	// FeeBorrowerNet is the rate the borrower pays after the county's fee
	// subsidy (at most policy.fee_subsidy.borrower_max).
	FeeBorrowerNet = "borrower_net"
)

// Definitions named by the other targets' results.
const (
	CompRateReleased      = "released"                      // compensation paid / guarantees released in the year
	CapitalBoth           = "net_assets+registered_capital" // both at or above the minimum
	CapitalRegistered     = "registered_capital"
	CapitalNetAssets      = "net_assets"
	ConcentrationBorrower = "borrower" // one borrower_id's guaranteed balance / net assets
	ConcentrationGroup    = "group"    // one group_id's guaranteed balance / net assets
	BankSharePolicy       = "policy"   // the policy's bank share
	BankShareLoans        = "loans"    // the smallest bank share of a guarantor's loans
)

// LeverageLabel names a leverage definition with its balance basis where
// it has one: "performance/loan", "performance/guaranteed"; regulatory
// leverage is on the risk-weighted liability and fiscal on the guaranteed
// balance, whatever the basis.
func LeverageLabel(def, basis string) string {
	if def == LeveragePerformance {
		if basis == "" {
			basis = BasisLoan
		}
		return def + "/" + basis
	}
	return def
}

// Target is one threshold; Off disables it.
type Target struct {
	Threshold  float64 `yaml:"threshold" json:"threshold"`
	Definition string  `yaml:"definition,omitempty" json:"definition,omitempty"`
	Off        bool    `yaml:"off,omitempty" json:"off,omitempty"`
}

// Targets are the policy targets of docs/model.md "Targets", each changeable by scenario.
type Targets struct {
	// Basis is the balance basis of balance_min and of performance
	// leverage: BasisLoan (default) or BasisGuaranteed. Both are always
	// reported side by side; this chooses the one the targets judge.
	Basis string `yaml:"basis" json:"basis"`
	// BalanceMin: small/micro + agri balance on Basis > threshold yuan, city-wide. Default 2×10¹⁰ (200亿).
	BalanceMin Target `yaml:"balance_min" json:"balance_min"`
	// LeverageMin: leverage ≥ threshold, city and each guarantor. Default 5, performance.
	LeverageMin Target `yaml:"leverage_min" json:"leverage_min"`
	// LeverageMax: regulatory leverage ≤ threshold (10), or FocusedThreshold (15) for focused institutions.
	LeverageMax      Target  `yaml:"leverage_max" json:"leverage_max"`
	FocusedThreshold float64 `yaml:"leverage_max_focused" json:"leverage_max_focused"`
	// CompensationRateMax: compensation rate ≤ threshold, each guarantor and year. Default 0.05.
	CompensationRateMax Target `yaml:"compensation_rate_max" json:"compensation_rate_max"`
	// FeeMax: average guarantee fee < threshold, each guarantor and city.
	// Default 0.01, definition FeeCharged (or FeeBorrowerNet).
	FeeMax Target `yaml:"fee_max" json:"fee_max"`
	// CapitalMin: registered capital ≥ the county's minimum, and net assets
	// staying above it. ByCounty overrides the seed's minimums (WenzhouCounties).
	CapitalMin CapitalMin `yaml:"capital_min" json:"capital_min"`
	// BankShareMin: the policy's bank share ≥ threshold. Default 0.20.
	BankShareMin Target `yaml:"bank_share_min" json:"bank_share_min"`
	// ConcentrationMax: largest single borrower (borrower_id) ≤ threshold ×
	// net assets. Default 0.10.
	ConcentrationMax Target `yaml:"concentration_max" json:"concentration_max"`
	// ConcentrationGroupMax: largest related-party group (group_id) ≤
	// threshold × net assets; reported under the id concentration_max with
	// definition "group". Default 0.15.
	ConcentrationGroupMax Target `yaml:"concentration_group_max" json:"concentration_group_max"`
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
		Basis:                 BasisLoan,
		BalanceMin:            Target{Threshold: 2e10},
		LeverageMin:           Target{Threshold: 5, Definition: LeveragePerformance},
		LeverageMax:           Target{Threshold: 10, Definition: LeverageRegulatory},
		FocusedThreshold:      15,
		CompensationRateMax:   Target{Threshold: 0.05},
		FeeMax:                Target{Threshold: 0.01, Definition: FeeCharged},
		BankShareMin:          Target{Threshold: BankShareFloor},
		ConcentrationMax:      Target{Threshold: 0.10, Definition: ConcentrationBorrower},
		ConcentrationGroupMax: Target{Threshold: 0.15, Definition: ConcentrationGroup},
	}
}

// Validate rejects thresholds that cannot be meant. It returns a
// *ProblemsError whose paths start with "targets", or nil.
func (t *Targets) Validate() error {
	var ps Problems
	t.check(&ps)
	return ps.Err()
}

// check adds the problems of t to ps, in a fixed order.
func (t *Targets) check(ps *Problems) {
	pos := func(path string, v float64) {
		if !(v > 0) {
			ps.Invalid("targets."+path+".threshold", "%v must be positive", v)
		}
	}
	pos(TargetBalanceMin, t.BalanceMin.Threshold)
	pos(TargetLeverageMin, t.LeverageMin.Threshold)
	pos(TargetLeverageMax, t.LeverageMax.Threshold)
	pos(TargetCompRateMax, t.CompensationRateMax.Threshold)
	pos(TargetFeeMax, t.FeeMax.Threshold)
	pos(TargetConcentrationMax, t.ConcentrationMax.Threshold)
	pos("concentration_group_max", t.ConcentrationGroupMax.Threshold)
	for _, l := range []struct {
		path string
		d    string
	}{{TargetLeverageMin, t.LeverageMin.Definition}, {TargetLeverageMax, t.LeverageMax.Definition}} {
		switch l.d {
		case "", LeverageRegulatory, LeveragePerformance, LeverageFiscal:
		default:
			ps.Invalid("targets."+l.path+".definition", "%q must be regulatory, performance or fiscal", l.d)
		}
	}
	switch t.Basis {
	case "", BasisLoan, BasisGuaranteed:
	default:
		ps.Invalid("targets.basis", "%q must be loan or guaranteed", t.Basis)
	}
	switch t.FeeMax.Definition {
	case "", FeeCharged, FeeBorrowerNet:
	default:
		ps.Invalid("targets.fee_max.definition", "%q must be charged or borrower_net", t.FeeMax.Definition)
	}
}

// BasisOr returns the balance basis, BasisLoan when unset.
func (t *Targets) BasisOr() string {
	if t.Basis == "" {
		return BasisLoan
	}
	return t.Basis
}

// FeeDefinition returns fee_max's definition, FeeCharged when unset.
func (t *Targets) FeeDefinition() string {
	if t.FeeMax.Definition == "" {
		return FeeCharged
	}
	return t.FeeMax.Definition
}
