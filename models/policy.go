package models

import (
	"maps"
	"math"
	"slices"
	"strings"
)

// BankShareFloor is the national minimum share of every loss a bank keeps
// (银担分险 ≥ 20 %; 国办发〔2019〕6号 and the seed).
const BankShareFloor = 0.20

// Policy is who pays a loss and what the guarantee business earns and costs
// (docs/model.md "Policy: who pays a loss"). Defaults are Policy4321's.
//
// For a default with claim C = principal + normal interest to the claim date
// (the compensation scope; no penalty or compound interest):
//
//	bank          BankShare × C
//	re-guarantor  Reguarantee.Share × C     (eligible loans, stop-loss capped)
//	national fund NationalFund.Share × C    (idem, through the re-guarantor)
//	county fund   CountyFund.Share × C      (up to the county's yearly budget)
//	guarantor     the rest
type Policy struct {
	// Template names the sharing template the shares came from ("4321",
	// "4222" or "custom"); informational.
	Template string `yaml:"template,omitempty" json:"template,omitempty"`
	// BankShare is the part of each claim the bank keeps. Default 0.20, the
	// national floor; below it only with AllowBelowFloor (for sweeps).
	BankShare       float64 `yaml:"bank_share" json:"bank_share"`
	AllowBelowFloor bool    `yaml:"allow_below_floor,omitempty" json:"allow_below_floor,omitempty"`
	// BankShareApplies says which loans BankShare applies to:
	// BankShareUnset ("unset", the default; "" reads the same) the loans
	// without their own guarantee_ratio and all new business, BankShareAll
	// ("all") every loan, overriding the loans' own ratios.
	BankShareApplies string `yaml:"bank_share_applies,omitempty" json:"bank_share_applies,omitempty"`
	// GraceDays is the time from default to compensation; default 30, never
	// less (seed: 代偿宽限期不少于30天).
	GraceDays int `yaml:"grace_days" json:"grace_days"`
	// InterestInScope puts normal interest to the claim date inside the
	// claim (default true; the seed limits the scope to principal and
	// normal interest, never penalty or compound interest).
	InterestInScope bool `yaml:"interest_in_scope" json:"interest_in_scope"`

	Reguarantee  Reguarantee  `yaml:"reguarantee" json:"reguarantee"`
	NationalFund NationalFund `yaml:"national_fund" json:"national_fund"`
	CountyFund   CountyFund   `yaml:"county_fund" json:"county_fund"`
	Fee          FeeSchedule  `yaml:"fee" json:"fee"`
	FeeSubsidy   FeeSubsidy   `yaml:"fee_subsidy" json:"fee_subsidy"`
	Reserves     Reserves     `yaml:"reserves" json:"reserves"`

	// OpexRate is yearly operating cost as a fraction of the guaranteed
	// balance, for guarantors without their own opex_rate. Default 0.004
	// (estimate).
	OpexRate float64 `yaml:"opex_rate" json:"opex_rate"`
	// InvestmentYield is the yearly yield on net assets, for guarantors
	// without their own. Default 0.025 (estimate: deposits and bonds).
	InvestmentYield float64 `yaml:"investment_yield" json:"investment_yield"`
}

// Values of Policy.BankShareApplies.
const (
	BankShareUnset = "unset"
	BankShareAll   = "all"
)

// GuaranteeRatio returns the part of loan l the guarantor covers under p:
// 1 − BankShare when the loan follows the bank share (FollowsBankShare),
// else the loan's own ratio.
func (p *Policy) GuaranteeRatio(l *Loan) float64 {
	if p.FollowsBankShare(l) {
		return 1 - p.BankShare
	}
	return l.GuaranteeRatio
}

// FollowsBankShare reports whether loan l's guarantee ratio is 1 −
// BankShare (and so moves with it): when BankShareApplies is "all", or
// when the loan has no guarantee_ratio of its own (NaN). This is the
// guarantee-ratio rule, written once.
func (p *Policy) FollowsBankShare(l *Loan) bool {
	return p.BankShareApplies == BankShareAll || math.IsNaN(l.GuaranteeRatio)
}

// Reguarantee is the provincial re-guarantor's part (再担保).
type Reguarantee struct {
	// Share of each eligible claim reimbursed. Default 0.15 (4321 template).
	Share float64 `yaml:"share" json:"share"`
	// StopRate: when a guarantor's compensation rate on re-guaranteed
	// business passes it in a year, the re-guarantor pays only up to it.
	// Default 0.05 (seed; 0.03 as a sensitivity). 0 disables the stop-loss.
	StopRate float64 `yaml:"stop_rate" json:"stop_rate"`
	// MaxBalance is the largest loan balance eligible. Default 1000万.
	MaxBalance Cents `yaml:"max_balance" json:"max_balance"`
	// FeeRate is the yearly re-guarantee fee on the re-guaranteed share of
	// the balance; FeeRateSmall applies to loans ≤ SmallLoanMax.
	// Defaults 0.005, 0.003 and 500万 (docs/model.md "Policy: who pays a loss").
	FeeRate      float64 `yaml:"fee_rate" json:"fee_rate"`
	FeeRateSmall float64 `yaml:"fee_rate_small" json:"fee_rate_small"`
	SmallLoanMax Cents   `yaml:"small_loan_max" json:"small_loan_max"`
}

// NationalFund is the national financing guarantee fund's part, paid through
// the re-guarantor on the same eligible claims.
type NationalFund struct {
	Share    float64 `yaml:"share" json:"share"`         // default 0.15 (4321)
	StopRate float64 `yaml:"stop_rate" json:"stop_rate"` // default 0.05; 0 disables
}

// CountyFund is the county risk-compensation fund (风险补偿).
type CountyFund struct {
	// Share of each claim reimbursed. Default 0.10 (4321).
	Share float64 `yaml:"share" json:"share"`
	// Budget is the yearly budget per county code; a county not listed has
	// DefaultBudget. A negative DefaultBudget means unlimited.
	Budget        map[string]Cents `yaml:"budget,omitempty" json:"budget,omitempty"`
	DefaultBudget Cents            `yaml:"default_budget" json:"default_budget"`
}

// BudgetFor returns the yearly budget of county, or −1 when unlimited.
func (c CountyFund) BudgetFor(county string) Cents {
	if b, ok := c.Budget[county]; ok {
		return b
	}
	return c.DefaultBudget
}

// FeeSchedule is the guarantee fee for loans without their own fee_rate.
type FeeSchedule struct {
	Rate       float64 `yaml:"rate" json:"rate"`               // loans ≤ LargeAbove; default 0.01
	RateLarge  float64 `yaml:"rate_large" json:"rate_large"`   // loans above; default 0.015
	LargeAbove Cents   `yaml:"large_above" json:"large_above"` // default 500万
}

// RateFor returns the scheduled yearly fee rate of a loan of this balance.
func (f FeeSchedule) RateFor(balance Cents) float64 {
	if balance > f.LargeAbove {
		return f.RateLarge
	}
	return f.Rate
}

// FeeSubsidy is the county budget topping up fees so borrowers pay at most
// BorrowerMax: the county pays max(0, fee rate − BorrowerMax) × balance.
type FeeSubsidy struct {
	BorrowerMax float64 `yaml:"borrower_max" json:"borrower_max"` // default 0.01 (seed: 平均担保费率不高于1%)
}

// Reserves are the national rules' provisions (融资担保责任余额计量办法 and
// the 2017 reserve rules): an unearned-fee reserve of UnearnedFee × the
// year's fee income (charged), and a compensation reserve adding
// CompensationAdd × year-end guaranteed balance until it reaches
// CompensationCap × that balance (released down to the cap when the
// balance falls). Reserves are liabilities: with Deduct (default true) the
// yearly change of both is deducted from net assets, as in statutory
// accounts; without it they are only reported. docs/model.md "Reserves".
type Reserves struct {
	Deduct          bool    `yaml:"deduct" json:"deduct"`                     // default true
	UnearnedFee     float64 `yaml:"unearned_fee" json:"unearned_fee"`         // default 0.5
	CompensationAdd float64 `yaml:"compensation_add" json:"compensation_add"` // default 0.01
	CompensationCap float64 `yaml:"compensation_cap" json:"compensation_cap"` // default 0.10
}

// Policy4321 is the default template: bank 20 %, re-guarantor 15 % and
// national fund 15 % (the "3"), county fund 10 %, guarantor 40 %.
func Policy4321() Policy {
	return Policy{
		Template:        "4321",
		BankShare:       0.20,
		GraceDays:       30,
		InterestInScope: true,
		Reguarantee: Reguarantee{Share: 0.15, StopRate: 0.05, MaxBalance: 1000 * Wan,
			FeeRate: 0.005, FeeRateSmall: 0.003, SmallLoanMax: 500 * Wan},
		NationalFund:    NationalFund{Share: 0.15, StopRate: 0.05},
		CountyFund:      CountyFund{Share: 0.10, DefaultBudget: -1},
		Fee:             FeeSchedule{Rate: 0.01, RateLarge: 0.015, LargeAbove: 500 * Wan},
		FeeSubsidy:      FeeSubsidy{BorrowerMax: 0.01},
		Reserves:        Reserves{Deduct: true, UnearnedFee: 0.5, CompensationAdd: 0.01, CompensationCap: 0.10},
		OpexRate:        0.004,
		InvestmentYield: 0.025,
	}
}

// Policy4222 is the alternative template: bank 20 %, re-guarantor 20 %,
// national fund 20 %, no county share, guarantor 40 %.
func Policy4222() Policy {
	p := Policy4321()
	p.Template = "4222"
	p.Reguarantee.Share = 0.20
	p.NationalFund.Share = 0.20
	p.CountyFund.Share = 0
	return p
}

// GuarantorShare returns 1 − the other parties' nominal shares.
func (p *Policy) GuarantorShare() float64 {
	return 1 - p.BankShare - p.Reguarantee.Share - p.NationalFund.Share - p.CountyFund.Share
}

// Validate rejects impossible policies. It returns a *ProblemsError
// whose paths start with "policy", or nil.
func (p *Policy) Validate() error {
	var ps Problems
	p.check(&ps)
	return ps.Err()
}

// check adds the problems of p to ps, in a fixed order.
func (p *Policy) check(ps *Problems) {
	bad := func(path, format string, args ...any) {
		ps.Invalid(strings.TrimSuffix("policy."+path, "."), format, args...)
	}
	share := func(path string, v float64) {
		if !(v >= 0 && v <= 1) {
			bad(path, "%v is not a share in [0, 1]", v)
		}
	}
	share("bank_share", p.BankShare)
	if p.BankShare < BankShareFloor && !p.AllowBelowFloor {
		bad("bank_share", "%v is below the national floor %v (set policy.allow_below_floor for a sweep)", p.BankShare, BankShareFloor)
	}
	switch p.BankShareApplies {
	case "", BankShareUnset, BankShareAll:
	default:
		bad("bank_share_applies", "%q must be unset or all", p.BankShareApplies)
	}
	if p.GraceDays < 30 || p.GraceDays > 365 {
		bad("grace_days", "%d is not in 30..365 (the seed sets at least 30 days)", p.GraceDays)
	}
	share("reguarantee.share", p.Reguarantee.Share)
	share("reguarantee.stop_rate", p.Reguarantee.StopRate)
	share("national_fund.share", p.NationalFund.Share)
	share("national_fund.stop_rate", p.NationalFund.StopRate)
	share("county_fund.share", p.CountyFund.Share)
	if p.Reguarantee.MaxBalance < 0 {
		bad("reguarantee.max_balance", "%v is negative", p.Reguarantee.MaxBalance)
	}
	if g := p.GuarantorShare(); g < -1e-12 {
		bad("", "shares sum to %v > 1 (bank %v + re-guarantor %v + national fund %v + county fund %v)",
			1-g, p.BankShare, p.Reguarantee.Share, p.NationalFund.Share, p.CountyFund.Share)
	}
	for _, county := range slices.Sorted(maps.Keys(p.CountyFund.Budget)) {
		if b := p.CountyFund.Budget[county]; b < 0 {
			bad("county_fund.budget."+county, "%v is negative", b)
		}
	}
	for _, r := range []struct {
		path string
		v    float64
	}{{"fee.rate", p.Fee.Rate}, {"fee.rate_large", p.Fee.RateLarge}, {"fee_subsidy.borrower_max", p.FeeSubsidy.BorrowerMax},
		{"reguarantee.fee_rate", p.Reguarantee.FeeRate}, {"reguarantee.fee_rate_small", p.Reguarantee.FeeRateSmall},
		{"reserves.unearned_fee", p.Reserves.UnearnedFee}, {"reserves.compensation_add", p.Reserves.CompensationAdd},
		{"reserves.compensation_cap", p.Reserves.CompensationCap}, {"opex_rate", p.OpexRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			bad(r.path, "%v is not a rate in [0, 1]", r.v)
		}
	}
	if !(p.InvestmentYield > -1 && p.InvestmentYield < 1) || math.IsNaN(p.InvestmentYield) {
		bad("investment_yield", "%v is not in (−1, 1)", p.InvestmentYield)
	}
}
