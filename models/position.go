package models

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"strconv"
)

// Position is a portfolio's position today, before any simulation: what is
// outstanding, by guarantor and by county, industry, product and segment;
// each guarantor's leverage in the three definitions of docs/model.md and the
// city-wide (consolidated) one; fees; the largest borrower; and which
// targets hold today. Money is exact (Cents, JSON decimal strings of yuan);
// ratios are float64 (JSON null when not finite, e.g. a leverage over zero
// capital).
type Position struct {
	AsOf      string `json:"as_of,omitempty"` // snapshot date, YYYY-MM-DD
	Loans     int    `json:"loans"`
	Borrowers int    `json:"borrowers"`
	// Balance is Σ loan balance; Guaranteed is Σ balance × guarantee ratio
	// (GuaranteedBalance); RiskWeighted is Σ RiskWeight × guaranteed.
	Balance      Cents `json:"balance"`
	Guaranteed   Cents `json:"guaranteed"`
	RiskWeighted Cents `json:"risk_weighted"`
	// SmallMicroAgriBalance and SmallMicroAgriGuaranteed are the loan and
	// guaranteed balances of segments micro, small and agri: the
	// balance_min target's figure on Basis (targets.basis) is one of them.
	SmallMicroAgriBalance    Cents  `json:"small_micro_agri_balance"`
	SmallMicroAgriGuaranteed Cents  `json:"small_micro_agri_guaranteed"`
	Basis                    string `json:"basis"` // targets.basis: "loan" or "guaranteed"
	// AverageFee is the yearly fee rate the guarantors charge, weighted by
	// the guaranteed balance as the projection does: Σ guaranteed × fee /
	// Σ guaranteed, a loan without fee_rate paying the policy's schedule.
	// AverageFeeBorrowerNet is the same after the county's fee subsidy,
	// fee capped at policy.fee_subsidy.borrower_max.
	AverageFee            Ratio `json:"average_fee"`
	AverageFeeBorrowerNet Ratio `json:"average_fee_borrower_net"`
	// ExpectedCompensationRate is the year-1 compensation rate the PDs
	// imply, without simulation (docs/model.md "Expected compensation rate").
	ExpectedCompensationRate Ratio `json:"expected_compensation_rate"`

	City       Consolidated        `json:"city"`
	Guarantors []GuarantorPosition `json:"guarantors"` // in portfolio order

	// Breakdowns. ByCounty is in code order; the others by balance,
	// largest first (ties by key).
	ByCounty   []Bucket `json:"by_county"`
	ByIndustry []Bucket `json:"by_industry"`
	ByProduct  []Bucket `json:"by_product"`
	BySegment  []Bucket `json:"by_segment"`

	// Targets lists every check of a target that is not Off, in the order
	// balance_min, leverage_min, leverage_max, fee_max, capital_min,
	// concentration_max, bank_share_min; within one id city and policy
	// scopes come first, then guarantors in portfolio order.
	Targets []Check `json:"targets"`
}

// Bucket is the business in one county, industry, product or segment.
type Bucket struct {
	Key        string `json:"key"`
	Name       string `json:"name,omitempty"` // Chinese name of a county code
	Loans      int    `json:"loans"`
	Balance    Cents  `json:"balance"`
	Guaranteed Cents  `json:"guaranteed"`
}

// Leverage is one institution's (or the city's) leverage in the three
// definitions of docs/model.md "Targets".
type Leverage struct {
	// Regulatory is RiskWeighted / (net assets − equity held in other
	// guarantors); the cap is 10, or 15 for focused institutions.
	Regulatory Ratio `json:"regulatory"`
	// Performance is guaranteed balance / net assets (the guaranteed
	// basis); PerformanceLoan is loan balance / net assets (the loan basis).
	Performance     Ratio `json:"performance"`
	PerformanceLoan Ratio `json:"performance_loan"`
	// Fiscal is guaranteed balance / capital contributed by government.
	Fiscal Ratio `json:"fiscal"`
}

// OfBasis returns the leverage of a definition with performance leverage
// on the balance basis given (BasisLoan or BasisGuaranteed).
func (l Leverage) OfBasis(definition, basis string) float64 {
	if definition == LeveragePerformance && basis != BasisGuaranteed {
		return float64(l.PerformanceLoan)
	}
	return l.Of(definition)
}

// Of returns the leverage of a definition (LeverageRegulatory, …), with
// performance leverage on the guaranteed basis; an unknown definition
// gives NaN.
func (l Leverage) Of(definition string) float64 {
	switch definition {
	case LeverageRegulatory:
		return float64(l.Regulatory)
	case LeveragePerformance:
		return float64(l.Performance)
	case LeverageFiscal:
		return float64(l.Fiscal)
	}
	return math.NaN()
}

// GuarantorPosition is one institution's position.
type GuarantorPosition struct {
	ID      string `json:"guarantor_id"`
	Name    string `json:"name,omitempty"`
	Level   string `json:"level"`
	County  string `json:"county"`
	Focused bool   `json:"focused"`

	Loans        int   `json:"loans"`
	Balance      Cents `json:"balance"`
	Guaranteed   Cents `json:"guaranteed"`
	RiskWeighted Cents `json:"risk_weighted"`

	NetAssets         Cents `json:"net_assets"`
	RegisteredCapital Cents `json:"registered_capital"`
	GovernmentCapital Cents `json:"government_capital"`
	// EquityInOthers is Σ parent_stake × net assets over the guarantors
	// whose parent_id is this one: the equity it holds in other
	// guarantors, valued at its share of their net assets (equity method;
	// the snapshot does not carry the book value of the investment).
	EquityInOthers Cents `json:"equity_in_others"`

	Leverage   Leverage `json:"leverage"`
	AverageFee Ratio    `json:"average_fee"` // charged, guaranteed-weighted
	// AverageFeeBorrowerNet is AverageFee after the county's fee subsidy.
	AverageFeeBorrowerNet Ratio `json:"average_fee_borrower_net"`
	// ExpectedCompensationRate is the year-1 compensation rate the PDs
	// imply (docs/model.md "Expected compensation rate").
	ExpectedCompensationRate Ratio `json:"expected_compensation_rate"`

	// LargestBorrower is the borrower_id with the largest guaranteed
	// balance at this guarantor (Σ over its loans; ties: smallest id), and
	// ConcentrationLimit is targets.ConcentrationMax × net assets.
	LargestBorrower           string `json:"largest_borrower,omitempty"`
	LargestBorrowerGuaranteed Cents  `json:"largest_borrower_guaranteed"`
	ConcentrationLimit        Cents  `json:"concentration_limit"`
	// LargestGroup is the group_id with the largest guaranteed balance at
	// this guarantor ("" when no loan has a group), and
	// GroupConcentrationLimit is targets.ConcentrationGroupMax × net assets.
	LargestGroup            string `json:"largest_group,omitempty"`
	LargestGroupGuaranteed  Cents  `json:"largest_group_guaranteed"`
	GroupConcentrationLimit Cents  `json:"group_concentration_limit"`

	// MinBankShare is the smallest share a bank keeps on any of the
	// guarantor's loans, 1 − the largest guarantee ratio (NaN: no loans).
	MinBankShare Ratio `json:"min_bank_share"`

	// CapitalMin is the county's capital minimum (zero: none, or not a
	// county institution).
	CapitalMin Cents `json:"capital_min"`
}

// Consolidated is the city-wide system as one balance sheet. Summing the
// institutions' net assets would count the city institution's equity in
// county ones twice (once in the city's net assets as an investment, once
// in the county's own net assets), so it is removed once:
//
//	net assets   = Σ net assets − Σ EquityInOthers
//	gov. capital = Σ government capital − Σ min(parent_stake × registered capital, government capital)
//
// over all guarantors, the second sum over those with a parent (the city
// institution is itself government-funded, so its paid-in stake in a
// county institution counts in that one's government capital). Every loan
// counts once: guarantees are not shared between institutions.
type Consolidated struct {
	Balance           Cents    `json:"balance"`
	Guaranteed        Cents    `json:"guaranteed"`
	RiskWeighted      Cents    `json:"risk_weighted"`
	NetAssets         Cents    `json:"net_assets"`
	GovernmentCapital Cents    `json:"government_capital"`
	Leverage          Leverage `json:"leverage"` // regulatory and performance both over NetAssets
}

// Check is one target at one scope today.
type Check struct {
	ID    string `json:"id"`    // target id of docs/model.md, e.g. "leverage_min"
	Scope string `json:"scope"` // "city", "policy" or a guarantor_id
	// Definition is always set: the balance basis of balance_min ("loan",
	// "guaranteed"), the leverage definition of a leverage check with its
	// basis ("performance/loan", "regulatory"), fee_max's "charged" or
	// "borrower_net", what a capital_min check compares
	// ("registered_capital", "net_assets"), concentration_max's "borrower",
	// bank_share_min's "policy" or "loans".
	Definition string `json:"definition"`
	// Unit of Value and Threshold: "yuan", "multiple" (leverage) or
	// "rate" (fee, bank share, concentration as a share of net assets).
	Unit      string `json:"unit"`
	Value     Ratio  `json:"value"`
	Threshold Ratio  `json:"threshold"`
	// Amount and Limit are the exact money compared, for balance_min,
	// capital_min and concentration_max.
	Amount *Cents `json:"amount,omitempty"`
	Limit  *Cents `json:"limit,omitempty"`
	Holds  bool   `json:"holds"`
}

// Ratio is a dimensionless float64 that encodes as JSON null when it is
// NaN or infinite (JSON has no such numbers).
type Ratio float64

// MarshalJSON writes r as a JSON number, or null when r is not finite.
func (r Ratio) MarshalJSON() ([]byte, error) {
	f := float64(r)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number, or null as NaN.
func (r *Ratio) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = Ratio(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*r = Ratio(f)
	return nil
}

// GuaranteedBalance returns the guaranteed part of the loan's balance,
// balance × guarantee_ratio rounded to the fen, with the ratio of
// Policy.GuaranteeRatio (1 − pol.BankShare for a loan without one, or for
// every loan under bank_share_applies: all).
func (l *Loan) GuaranteedBalance(pol *Policy) Cents {
	return l.Balance.MulRate(l.guaranteeRatio(pol))
}

func (l *Loan) guaranteeRatio(pol *Policy) float64 { return pol.GuaranteeRatio(l) }

// RiskWeight returns the loan's weight in the regulatory guarantee
// liability (融资担保责任余额计量办法 as docs/model.md applies it): 0.75 for
// small/micro loans with balance ≤ 500万 and agri loans ≤ 200万, 1
// otherwise. (The rule itself counts a borrower's whole balance, 单户在保余额;
// docs/model.md and this function take each loan's.)
func (l *Loan) RiskWeight() float64 {
	switch {
	case (l.Segment == SegmentMicro || l.Segment == SegmentSmall) && l.Balance <= 500*Wan:
		return 0.75
	case l.Segment == SegmentAgri && l.Balance <= 200*Wan:
		return 0.75
	}
	return 1
}

// ratioOf returns num/den as a Ratio: +Inf for a positive num over den ≤ 0,
// 0 for 0/0 (no business and no capital).
func ratioOf(num, den Cents) Ratio {
	if den <= 0 {
		if num == 0 {
			return 0
		}
		return Ratio(math.Inf(1))
	}
	return Ratio(float64(num) / float64(den))
}

// ratioTolerance absorbs float64 rounding when a ratio is compared with a
// threshold given in decimal (1 − 0.2 ≠ 0.8 in binary for some values).
const ratioTolerance = 1e-12

// Describe computes today's position of pf under pol and tg. It is
// deterministic: it depends only on the order-independent sums of its
// inputs and on the order of pf.Guarantors. pf should be valid (see
// Portfolio.Validate); loans of a guarantor_id not in pf.Guarantors count
// in the totals and breakdowns only, and an empty borrower_id is the
// loan_id. Describe never modifies pf.
func Describe(pf *Portfolio, pol Policy, tg Targets) Position {
	pos := Position{Loans: len(pf.Loans), Guarantors: make([]GuarantorPosition, len(pf.Guarantors)), Basis: tg.BasisOr()}
	if !pf.AsOf.IsZero() {
		pos.AsOf = pf.AsOf.String()
	}
	gidx := pf.GuarantorIndex()
	for i, g := range pf.Guarantors {
		gc := g.GovernmentCapital
		if gc < 0 { // not given and not yet defaulted by Validate
			gc = g.RegisteredCapital
		}
		pos.Guarantors[i] = GuarantorPosition{ID: g.GuarantorID, Name: g.Name, Level: g.Level, County: g.County,
			Focused: g.Focused, NetAssets: g.NetAssets, RegisteredCapital: g.RegisteredCapital, GovernmentCapital: gc}
	}

	type agg struct {
		loans             int
		balance, guar     Cents
		rw                Cents
		feeW, feeNetW     float64 // Σ guaranteed × fee (charged, borrower's net), in fen
		compE, relE       float64 // expected year-1 compensation and guarantees released, fen
		maxRatio          float64 // largest guarantee ratio (smallest bank share)
		borrowers, groups map[string]Cents
		largest           string
		largestGuarantee  Cents
	}
	per := make([]agg, len(pf.Guarantors))
	for i := range per {
		per[i].borrowers, per[i].groups = map[string]Cents{}, map[string]Cents{}
	}
	var cityFeeW, cityFeeNetW, cityCompE, cityRelE float64
	buckets := [4]map[string]*Bucket{{}, {}, {}, {}}
	borrowers := map[string]struct{}{}
	for i := range pf.Loans {
		l := &pf.Loans[i]
		guar := l.GuaranteedBalance(&pol)
		rw := guar.MulRate(l.RiskWeight())
		fee := l.FeeRate
		if math.IsNaN(fee) {
			fee = pol.Fee.RateFor(l.Balance)
		}
		feeW := float64(guar) * fee
		feeNetW := float64(guar) * min(fee, pol.FeeSubsidy.BorrowerMax)
		compE, relE := l.expectedYearOne(pf.AsOf, &pol, guar)
		borrower := cmp.Or(l.BorrowerID, l.LoanID)
		borrowers[borrower] = struct{}{}

		pos.Balance += l.Balance
		pos.Guaranteed += guar
		pos.RiskWeighted += rw
		cityFeeW += feeW
		cityFeeNetW += feeNetW
		cityCompE += compE
		cityRelE += relE
		if SmallOrAgri(l.Segment) {
			pos.SmallMicroAgriGuaranteed += guar
			pos.SmallMicroAgriBalance += l.Balance
		}
		for k, key := range [4]string{l.County, l.Industry, l.Product, l.Segment} {
			b := buckets[k][key]
			if b == nil {
				b = &Bucket{Key: key}
				if k == 0 {
					if name := CountyName(key); name != key {
						b.Name = name
					}
				}
				buckets[k][key] = b
			}
			b.Loans++
			b.Balance += l.Balance
			b.Guaranteed += guar
		}

		gi, ok := gidx[l.GuarantorID]
		if !ok {
			continue
		}
		a := &per[gi]
		a.loans++
		a.balance += l.Balance
		a.guar += guar
		a.rw += rw
		a.feeW += feeW
		a.feeNetW += feeNetW
		a.compE += compE
		a.relE += relE
		a.maxRatio = math.Max(a.maxRatio, l.guaranteeRatio(&pol))
		a.borrowers[borrower] += guar
		if l.GroupID != "" {
			a.groups[l.GroupID] += guar
		}
	}
	pos.Borrowers = len(borrowers)
	pos.AverageFee = Ratio(cityFeeW / float64(pos.Guaranteed))
	pos.AverageFeeBorrowerNet = Ratio(cityFeeNetW / float64(pos.Guaranteed))
	if pos.Guaranteed == 0 {
		pos.AverageFee, pos.AverageFeeBorrowerNet = Ratio(math.NaN()), Ratio(math.NaN())
	}
	pos.ExpectedCompensationRate = ratioOfF(cityCompE, cityRelE)

	// Equity held in other guarantors.
	for _, g := range pf.Guarantors {
		if pi, ok := gidx[g.ParentID]; ok && g.ParentID != g.GuarantorID {
			pos.Guarantors[pi].EquityInOthers += g.NetAssets.MulRate(g.ParentStake)
		}
	}

	city := &pos.City
	city.Balance, city.Guaranteed, city.RiskWeighted = pos.Balance, pos.Guaranteed, pos.RiskWeighted
	for i := range pos.Guarantors {
		gp, a := &pos.Guarantors[i], &per[i]
		gp.Loans, gp.Balance, gp.Guaranteed, gp.RiskWeighted = a.loans, a.balance, a.guar, a.rw
		gp.Leverage = Leverage{
			Regulatory:      ratioOf(a.rw, gp.NetAssets-gp.EquityInOthers),
			Performance:     ratioOf(a.guar, gp.NetAssets),
			PerformanceLoan: ratioOf(a.balance, gp.NetAssets),
			Fiscal:          ratioOf(a.guar, gp.GovernmentCapital),
		}
		gp.AverageFee, gp.AverageFeeBorrowerNet = Ratio(math.NaN()), Ratio(math.NaN())
		if a.guar > 0 {
			gp.AverageFee = Ratio(a.feeW / float64(a.guar))
			gp.AverageFeeBorrowerNet = Ratio(a.feeNetW / float64(a.guar))
		}
		gp.ExpectedCompensationRate = ratioOfF(a.compE, a.relE)
		for b, v := range a.borrowers {
			if v > a.largestGuarantee || (v == a.largestGuarantee && (a.largest == "" || b < a.largest)) {
				a.largest, a.largestGuarantee = b, v
			}
		}
		gp.LargestBorrower, gp.LargestBorrowerGuaranteed = a.largest, a.largestGuarantee
		gp.LargestGroup, gp.LargestGroupGuaranteed = largestOf(a.groups)
		gp.GroupConcentrationLimit = gp.NetAssets.MulRate(tg.ConcentrationGroupMax.Threshold)
		gp.MinBankShare = Ratio(math.NaN())
		if a.loans > 0 {
			// Rounded to 12 decimals so that 1 − 0.8 reads 0.2, not 0.19999999999999996.
			gp.MinBankShare = Ratio(math.Round((1-a.maxRatio)*1e12) / 1e12)
		}
		gp.ConcentrationLimit = gp.NetAssets.MulRate(tg.ConcentrationMax.Threshold)
		if gp.Level == LevelCounty {
			gp.CapitalMin = tg.CapitalMin.MinimumFor(gp.County)
		}

		city.NetAssets += gp.NetAssets - gp.EquityInOthers
		city.GovernmentCapital += gp.GovernmentCapital
		if g := pf.Guarantors[i]; g.ParentID != "" && g.ParentID != g.GuarantorID {
			if _, ok := gidx[g.ParentID]; ok {
				city.GovernmentCapital -= min(g.RegisteredCapital.MulRate(g.ParentStake), gp.GovernmentCapital)
			}
		}
	}
	city.Leverage = Leverage{
		Regulatory:      ratioOf(city.RiskWeighted, city.NetAssets),
		Performance:     ratioOf(city.Guaranteed, city.NetAssets),
		PerformanceLoan: ratioOf(city.Balance, city.NetAssets),
		Fiscal:          ratioOf(city.Guaranteed, city.GovernmentCapital),
	}

	byBalance := func(a, b *Bucket) int {
		return cmp.Or(cmp.Compare(b.Balance, a.Balance), cmp.Compare(a.Key, b.Key))
	}
	for k, dst := range []*[]Bucket{&pos.ByCounty, &pos.ByIndustry, &pos.ByProduct, &pos.BySegment} {
		list := make([]*Bucket, 0, len(buckets[k]))
		for _, b := range buckets[k] {
			list = append(list, b)
		}
		if k == 0 {
			slices.SortFunc(list, func(a, b *Bucket) int { return cmp.Compare(a.Key, b.Key) })
		} else {
			slices.SortFunc(list, byBalance)
		}
		*dst = make([]Bucket, len(list))
		for i, b := range list {
			(*dst)[i] = *b
		}
	}

	pos.Targets = checks(&pos, pol, tg)
	return pos
}

// checks evaluates the targets that can be judged on today's snapshot
// (compensation_rate_max needs a year of simulation and is left out):
//
//	balance_min        city       small/micro + agri balance on targets.basis > threshold (yuan)
//	leverage_min       city, each leverage (definition, default performance on targets.basis) ≥ threshold
//	leverage_max       each       leverage (default regulatory) ≤ threshold, focused ≤ FocusedThreshold
//	fee_max            city, each average fee (charged, or borrower_net) < threshold (guarantors with business)
//	capital_min        each county guarantor with a minimum: registered capital ≥ it, net assets ≥ it
//	concentration_max  each       largest borrower's guaranteed balance ≤ threshold × net assets (definition
//	                              "borrower"), largest group's ≤ concentration_group_max × net assets ("group")
//	bank_share_min     policy     policy bank share ≥ threshold;
//	                   each       smallest bank share of its loans (1 − largest guarantee ratio) ≥ threshold
//
// Ratios are compared with a tolerance of 1e-12 (ratioTolerance); money exactly.
func checks(pos *Position, pol Policy, tg Targets) []Check {
	var out []Check
	ratio := func(id, scope, def, unit string, v, th float64, holds bool) {
		out = append(out, Check{ID: id, Scope: scope, Definition: def, Unit: unit, Value: Ratio(v), Threshold: Ratio(th), Holds: holds})
	}
	money := func(id, scope, def string, amount, limit Cents, holds bool) {
		out = append(out, Check{ID: id, Scope: scope, Definition: def, Unit: "yuan",
			Value: Ratio(amount.Yuan()), Threshold: Ratio(limit.Yuan()), Amount: &amount, Limit: &limit, Holds: holds})
	}
	if t := tg.BalanceMin; !t.Off {
		limit := RoundCents(t.Threshold)
		v := pos.SmallMicroAgriBalance
		if pos.Basis == BasisGuaranteed {
			v = pos.SmallMicroAgriGuaranteed
		}
		money(TargetBalanceMin, "city", pos.Basis, v, limit, v > limit)
	}
	if t := tg.LeverageMin; !t.Off {
		def := cmp.Or(t.Definition, LeveragePerformance)
		label := LeverageLabel(def, pos.Basis)
		v := pos.City.Leverage.OfBasis(def, pos.Basis)
		ratio(TargetLeverageMin, "city", label, "multiple", v, t.Threshold, v >= t.Threshold-ratioTolerance)
		for _, g := range pos.Guarantors {
			v := g.Leverage.OfBasis(def, pos.Basis)
			ratio(TargetLeverageMin, g.ID, label, "multiple", v, t.Threshold, v >= t.Threshold-ratioTolerance)
		}
	}
	if t := tg.LeverageMax; !t.Off {
		def := cmp.Or(t.Definition, LeverageRegulatory)
		for _, g := range pos.Guarantors {
			th := t.Threshold
			if g.Focused && tg.FocusedThreshold > 0 {
				th = tg.FocusedThreshold
			}
			v := g.Leverage.Of(def)
			ratio(TargetLeverageMax, g.ID, def, "multiple", v, th, v <= th+ratioTolerance)
		}
	}
	if t := tg.FeeMax; !t.Off {
		def := tg.FeeDefinition()
		fee := func(charged, net Ratio) float64 {
			if def == FeeBorrowerNet {
				return float64(net)
			}
			return float64(charged)
		}
		if pos.Guaranteed > 0 {
			v := fee(pos.AverageFee, pos.AverageFeeBorrowerNet)
			ratio(TargetFeeMax, "city", def, "rate", v, t.Threshold, v < t.Threshold-ratioTolerance)
		}
		for _, g := range pos.Guarantors {
			if g.Guaranteed > 0 {
				v := fee(g.AverageFee, g.AverageFeeBorrowerNet)
				ratio(TargetFeeMax, g.ID, def, "rate", v, t.Threshold, v < t.Threshold-ratioTolerance)
			}
		}
	}
	if !tg.CapitalMin.Off {
		for _, g := range pos.Guarantors {
			if g.CapitalMin > 0 {
				money(TargetCapitalMin, g.ID, "registered_capital", g.RegisteredCapital, g.CapitalMin, g.RegisteredCapital >= g.CapitalMin)
				money(TargetCapitalMin, g.ID, "net_assets", g.NetAssets, g.CapitalMin, g.NetAssets >= g.CapitalMin)
			}
		}
	}
	if t := tg.ConcentrationMax; !t.Off {
		for _, g := range pos.Guarantors {
			c := Check{ID: TargetConcentrationMax, Scope: g.ID, Definition: ConcentrationBorrower, Unit: "rate",
				Value: ratioOf(g.LargestBorrowerGuaranteed, g.NetAssets), Threshold: Ratio(t.Threshold),
				Amount: &g.LargestBorrowerGuaranteed, Limit: &g.ConcentrationLimit,
				Holds: g.LargestBorrowerGuaranteed <= g.ConcentrationLimit}
			out = append(out, c)
		}
	}
	if t := tg.ConcentrationGroupMax; !t.Off {
		for _, g := range pos.Guarantors {
			if g.LargestGroup == "" {
				continue
			}
			out = append(out, Check{ID: TargetConcentrationMax, Scope: g.ID, Definition: ConcentrationGroup, Unit: "rate",
				Value: ratioOf(g.LargestGroupGuaranteed, g.NetAssets), Threshold: Ratio(t.Threshold),
				Amount: &g.LargestGroupGuaranteed, Limit: &g.GroupConcentrationLimit,
				Holds: g.LargestGroupGuaranteed <= g.GroupConcentrationLimit})
		}
	}
	if t := tg.BankShareMin; !t.Off {
		ratio(TargetBankShareMin, "policy", BankSharePolicy, "rate", pol.BankShare, t.Threshold, pol.BankShare >= t.Threshold-ratioTolerance)
		for _, g := range pos.Guarantors {
			if g.Loans > 0 {
				v := float64(g.MinBankShare)
				ratio(TargetBankShareMin, g.ID, BankShareLoans, "rate", v, t.Threshold, v >= t.Threshold-ratioTolerance)
			}
		}
	}
	return out
}

// ratioOfF is num/den, NaN when den ≤ 0.
func ratioOfF(num, den float64) Ratio {
	if den <= 0 {
		return Ratio(math.NaN())
	}
	return Ratio(num / den)
}

// expectedYearOne returns the loan's expected year-1 compensation and
// guarantees released, in fen, implied by its PD without simulation
// (docs/model.md "Expected compensation rate"):
//
//	E[compensation] = pd × guaranteed × (1 + r × grace/365)   (r: interest_rate, when in scope)
//	E[released]     = guaranteed × (m + pd)
//
// where m is how many times the loan's place in the book matures in year 1
// when each maturing loan is renewed at its maturity for the same term
// (0 for a loan without a maturity date or maturing after year 1). To
// first order in pd: a default both pays compensation and releases the
// guarantee.
func (l *Loan) expectedYearOne(asOf Date, pol *Policy, guar Cents) (comp, released float64) {
	claim := float64(guar)
	if pol.InterestInScope {
		claim *= 1 + max(l.InterestRate, 0)*float64(pol.GraceDays)/365
	}
	m := 0.0
	if !asOf.IsZero() && !l.MaturityDate.IsZero() {
		tau := l.MaturityDate.YearsSince(asOf)
		if tau > 0 && tau <= 1 {
			term := 2.0 // growth.term_years' default
			if !l.StartDate.IsZero() {
				term = max(0.5, l.MaturityDate.YearsSince(l.StartDate))
			}
			m = 1 + math.Floor((1-tau)/term)
		}
	}
	return l.PD * claim, float64(guar) * (m + l.PD)
}

// largestOf returns the key with the largest amount (ties: the smallest
// key), or "" and 0 for an empty map.
func largestOf(m map[string]Cents) (string, Cents) {
	var best string
	var v Cents
	for k, x := range m {
		if x > v || (x == v && (best == "" || k < best)) {
			best, v = k, x
		}
	}
	return best, v
}
