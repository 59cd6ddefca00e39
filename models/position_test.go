package models_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// threeLoans is the hand-made portfolio every figure below is worked out on.
//
//	guarantor  level   county  registered  net assets  gov. capital   parent        focused
//	G-CITY     city    330300  1000万       1200万      800万          —             no
//	G-A        county  330382  500万        400万       (= registered) G-CITY, 50 %  yes
//
//	loan  borrower  guarantor  county  industry     product     segment  balance  ratio      fee
//	L1    B1        G-CITY     330305  footwear     first_loan  micro    300万    (0.8)      (1 %: schedule, ≤ 500万)
//	L2    B2        G-A        330382  electrical   tech        small    600万    0.7        0.8 %
//	L3    B2        G-A        330382  agriculture  agri        agri     250万    0.9        0.5 %
//
// Per loan (guaranteed = balance × ratio; weight 0.75 for small/micro ≤ 500万
// and agri ≤ 200万, else 1; fee weight = balance × fee):
//
//	L1  guaranteed 240万  weight 0.75 (micro, 300万 ≤ 500万)  risk-weighted 180万  fee 2.4万
//	L2  guaranteed 420万  weight 1    (small, 600万 > 500万)  risk-weighted 420万  fee 3.36万
//	L3  guaranteed 225万  weight 1    (agri, 250万 > 200万)   risk-weighted 225万  fee 1.125万
//
// (fee weight = guaranteed × fee, the basis on which fees are charged).
func threeLoans() *models.Portfolio {
	loan := func(id, borrower, g, county, ind, prod, seg string, wan int64, ratio, fee float64) models.Loan {
		l := models.NewLoan()
		l.LoanID, l.BorrowerID, l.GuarantorID, l.County, l.Industry, l.Product, l.Segment = id, borrower, g, county, ind, prod, seg
		l.Balance = models.Cents(wan) * models.Wan
		l.GuaranteeRatio, l.FeeRate = ratio, fee
		l.PD, l.LGD = 0.02, 0.7
		return l
	}
	city := models.NewGuarantor()
	city.GuarantorID, city.Level, city.County = "G-CITY", models.LevelCity, models.WenzhouCityCode
	city.RegisteredCapital, city.NetAssets, city.GovernmentCapital = 1000*models.Wan, 1200*models.Wan, 800*models.Wan
	a := models.NewGuarantor()
	a.GuarantorID, a.Level, a.County, a.Focused = "G-A", models.LevelCounty, "330382", true
	a.RegisteredCapital, a.NetAssets = 500*models.Wan, 400*models.Wan
	a.ParentID, a.ParentStake = "G-CITY", 0.5
	pf := &models.Portfolio{
		AsOf:       mustDate("2022-12-31"),
		Guarantors: []models.Guarantor{city, a},
		Loans: []models.Loan{
			loan("L1", "B1", "G-CITY", "330305", "footwear", "first_loan", "micro", 300, math.NaN(), math.NaN()),
			loan("L2", "B2", "G-A", "330382", "electrical", "tech", "small", 600, 0.7, 0.008),
			loan("L3", "B2", "G-A", "330382", "agriculture", "agri", "agri", 250, 0.9, 0.005),
		},
	}
	if err := pf.Validate(models.DefaultFiles); err != nil { // fills G-A's government capital = 500万
		panic(err)
	}
	return pf
}

func mustDate(s string) models.Date {
	d, err := models.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

const wan = models.Wan

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func TestDescribeFigures(t *testing.T) {
	pf := threeLoans()
	before := fmt.Sprintf("%+v", *pf)
	p := models.Describe(pf, models.Policy4321(), models.DefaultTargets())
	if after := fmt.Sprintf("%+v", *pf); after != before {
		t.Error("Describe modified the portfolio")
	}

	for _, c := range []struct {
		name      string
		got, want models.Cents
	}{
		{"balance", p.Balance, 1150 * wan},                          // 300 + 600 + 250
		{"guaranteed", p.Guaranteed, 885 * wan},                     // 240 + 420 + 225
		{"risk-weighted", p.RiskWeighted, 825 * wan},                // 180 + 420 + 225
		{"small/micro+agri", p.SmallMicroAgriGuaranteed, 885 * wan}, // every segment qualifies
		{"small/micro+agri loan balance", p.SmallMicroAgriBalance, 1150 * wan},
		{"G-CITY guaranteed", p.Guarantors[0].Guaranteed, 240 * wan},
		{"G-CITY risk-weighted", p.Guarantors[0].RiskWeighted, 180 * wan},
		{"G-CITY equity in others", p.Guarantors[0].EquityInOthers, 200 * wan}, // 0.5 × G-A's 400万
		{"G-A guaranteed", p.Guarantors[1].Guaranteed, 645 * wan},              // 420 + 225
		{"G-A risk-weighted", p.Guarantors[1].RiskWeighted, 645 * wan},
		{"G-A government capital", p.Guarantors[1].GovernmentCapital, 500 * wan}, // defaulted to registered
		{"G-CITY largest borrower (B1)", p.Guarantors[0].LargestBorrowerGuaranteed, 240 * wan},
		{"G-CITY concentration limit", p.Guarantors[0].ConcentrationLimit, 120 * wan}, // 10 % × 1200万
		{"G-A largest borrower (B2: L2 + L3)", p.Guarantors[1].LargestBorrowerGuaranteed, 645 * wan},
		{"G-A concentration limit", p.Guarantors[1].ConcentrationLimit, 40 * wan}, // 10 % × 400万
		{"G-A capital minimum (乐清)", p.Guarantors[1].CapitalMin, 2 * models.Yi},
		{"G-CITY capital minimum (city: none)", p.Guarantors[0].CapitalMin, 0},
		// City: net assets (1200 − 200) + (400 − 0) = 1400万; government
		// capital 800 + 500 − min(0.5 × 500, 500) = 1050万.
		{"city net assets", p.City.NetAssets, 1400 * wan},
		{"city government capital", p.City.GovernmentCapital, 1050 * wan},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if p.Loans != 3 || p.Borrowers != 2 || p.AsOf != "2022-12-31" {
		t.Errorf("loans %d, borrowers %d, as of %q", p.Loans, p.Borrowers, p.AsOf)
	}
	if p.Guarantors[0].LargestBorrower != "B1" || p.Guarantors[1].LargestBorrower != "B2" {
		t.Errorf("largest borrowers %q, %q", p.Guarantors[0].LargestBorrower, p.Guarantors[1].LargestBorrower)
	}

	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"average fee", float64(p.AverageFee), 6.885 / 885},                                    // (2.4 + 3.36 + 1.125)万 / 885万 = 0.0077797
		{"G-CITY average fee", float64(p.Guarantors[0].AverageFee), 0.01},                      // schedule, 300万 ≤ 500万
		{"G-A average fee", float64(p.Guarantors[1].AverageFee), 4.485 / 645},                  // (3.36 + 1.125) / 645 = 0.0069535
		{"average fee, borrower net", float64(p.AverageFeeBorrowerNet), 6.885 / 885},           // every fee ≤ the 1 % borrower cap
		{"G-CITY performance (loan)", float64(p.Guarantors[0].Leverage.PerformanceLoan), 0.25}, // 300 / 1200
		{"G-A performance (loan)", float64(p.Guarantors[1].Leverage.PerformanceLoan), 2.125},   // 850 / 400
		{"city performance (loan)", float64(p.City.Leverage.PerformanceLoan), 1150.0 / 1400},
		{"G-CITY regulatory", float64(p.Guarantors[0].Leverage.Regulatory), 0.18},  // 180 / (1200 − 200)
		{"G-CITY performance", float64(p.Guarantors[0].Leverage.Performance), 0.2}, // 240 / 1200
		{"G-CITY fiscal", float64(p.Guarantors[0].Leverage.Fiscal), 0.3},           // 240 / 800
		{"G-A regulatory", float64(p.Guarantors[1].Leverage.Regulatory), 1.6125},   // 645 / (400 − 0)
		{"G-A performance", float64(p.Guarantors[1].Leverage.Performance), 1.6125}, // 645 / 400
		{"G-A fiscal", float64(p.Guarantors[1].Leverage.Fiscal), 1.29},             // 645 / 500
		{"city regulatory", float64(p.City.Leverage.Regulatory), 825.0 / 1400},     // 0.589286
		{"city performance", float64(p.City.Leverage.Performance), 885.0 / 1400},   // 0.632143
		{"city fiscal", float64(p.City.Leverage.Fiscal), 885.0 / 1050},             // 0.842857
		{"G-CITY min bank share", float64(p.Guarantors[0].MinBankShare), 0.2},      // 1 − 0.8
		{"G-A min bank share", float64(p.Guarantors[1].MinBankShare), 0.1},         // 1 − 0.9 (L3)
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	wantBuckets := map[string]string{
		"county":   "330305 洞头区 1 300 240; 330382 乐清市 2 850 645", // code order
		"industry": "electrical 1 600 420; footwear 1 300 240; agriculture 1 250 225",
		"product":  "tech 1 600 420; first_loan 1 300 240; agri 1 250 225",
		"segment":  "small 1 600 420; micro 1 300 240; agri 1 250 225",
	}
	for name, bs := range map[string][]models.Bucket{"county": p.ByCounty, "industry": p.ByIndustry, "product": p.ByProduct, "segment": p.BySegment} {
		var parts []string
		for _, b := range bs {
			parts = append(parts, strings.Join(strings.Fields(fmt.Sprintf("%s %s %d %d %d", b.Key, b.Name, b.Loans, b.Balance/wan, b.Guaranteed/wan)), " "))
		}
		if got := strings.Join(parts, "; "); got != wantBuckets[name] {
			t.Errorf("by %s: %s\nwant %s", name, got, wantBuckets[name])
		}
	}

	// Default targets: 200亿, leverage ≥ 5, ≤ 10 (15 focused), fee < 1 %,
	// capital ≥ 2亿 in 乐清, concentration ≤ 10 %, bank share ≥ 20 %.
	want := []string{
		"balance_min city loan 1150万 vs 2000000万: ✗",          // 1150万 is not > 200亿 (loan basis, the default)
		"leverage_min city performance/loan 0.821428571429 ✗", // 1150 / 1400
		"leverage_min G-CITY performance/loan 0.25 ✗",
		"leverage_min G-A performance/loan 2.125 ✗",
		"leverage_max G-CITY regulatory 0.18 ≤ 10 ✓",
		"leverage_max G-A regulatory 1.6125 ≤ 15 ✓", // focused
		"fee_max city charged 0.00777966101695 ✓",
		"fee_max G-CITY charged 0.01 ✗", // exactly 1 % is not below 1 %
		"fee_max G-A charged 0.00695348837209 ✓",
		"capital_min G-A registered_capital 500万 vs 20000万: ✗",
		"capital_min G-A net_assets 400万 vs 20000万: ✗",
		"concentration_max G-CITY borrower 240万 vs 120万: ✗",
		"concentration_max G-A borrower 645万 vs 40万: ✗",
		"bank_share_min policy policy 0.2 ✓",
		"bank_share_min G-CITY loans 0.2 ✓", // 1 − 0.8 in binary is 0.19999999999999996; the tolerance accepts it
		"bank_share_min G-A loans 0.1 ✗",    // L3's ratio 0.9 leaves the bank 10 %
	}
	got := renderChecks(p.Targets)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("targets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func renderChecks(cs []models.Check) []string {
	var out []string
	for _, c := range cs {
		mark := "✗"
		if c.Holds {
			mark = "✓"
		}
		var v string
		switch {
		case c.Amount != nil:
			v = fmt.Sprintf("%d万 vs %d万:", *c.Amount/wan, *c.Limit/wan)
		case c.ID == "leverage_max":
			v = fmt.Sprintf("%.12g ≤ %g", float64(c.Value), float64(c.Threshold))
		default:
			v = fmt.Sprintf("%.12g", float64(c.Value))
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s", c.ID, c.Scope, c.Definition, v, mark))
	}
	return out
}

// TestDescribeTargets varies the targets: thresholds right at a value hold
// (≥ and ≤ are inclusive), a guarantor that is not focused gets the plain
// cap, and Off targets produce no checks.
func TestDescribeTargets(t *testing.T) {
	pf := threeLoans()
	tg := models.DefaultTargets()
	tg.Basis = models.BasisGuaranteed // balance_min and performance leverage on the guaranteed part
	tg.LeverageMin.Threshold = 1.6125 // G-A's performance leverage exactly
	tg.LeverageMax.Threshold = 1      // G-CITY 0.18 holds
	tg.FocusedThreshold = 1.6125      // G-A focused: holds at equality
	tg.BalanceMin.Threshold = 884.99e4
	tg.ConcentrationMax.Threshold = 0.2 // G-CITY: 240万 ≤ 0.2 × 1200万 = 240万 holds at equality
	tg.FeeMax.Off, tg.CapitalMin.Off, tg.BankShareMin.Off = true, true, true
	p := models.Describe(pf, models.Policy4321(), tg)
	want := []string{
		"balance_min city guaranteed 885万 vs 884万: ✓", // 885万 > 884.99万
		"leverage_min city performance/guaranteed 0.632142857143 ✗",
		"leverage_min G-CITY performance/guaranteed 0.2 ✗",
		"leverage_min G-A performance/guaranteed 1.6125 ✓",
		"leverage_max G-CITY regulatory 0.18 ≤ 1 ✓",
		"leverage_max G-A regulatory 1.6125 ≤ 1.6125 ✓",
		"concentration_max G-CITY borrower 240万 vs 240万: ✓",
		"concentration_max G-A borrower 645万 vs 80万: ✗",
	}
	if got := renderChecks(p.Targets); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("targets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	pf.Guarantors[1].Focused = false // now the plain cap of 1 applies to G-A
	tg.LeverageMin.Definition = models.LeverageFiscal
	p = models.Describe(pf, models.Policy4321(), tg)
	for _, c := range p.Targets {
		if c.ID == "leverage_max" && c.Scope == "G-A" && (c.Holds || c.Threshold != 1) {
			t.Errorf("unfocused G-A: %+v", c)
		}
		if c.ID == "leverage_min" && c.Scope == "G-A" && (c.Definition != "fiscal" || !near(float64(c.Value), 1.29) || c.Holds) {
			t.Errorf("fiscal leverage_min for G-A: %+v", c)
		}
	}

	// The policy's bank share sets the ratio of loans without one: at 30 %,
	// L1 is 210万 guaranteed and G-CITY's smallest bank share is 0.3.
	pol := models.Policy4321()
	pol.BankShare = 0.3
	p = models.Describe(pf, pol, models.DefaultTargets())
	if p.Guarantors[0].Guaranteed != 210*wan || !near(float64(p.Guarantors[0].MinBankShare), 0.3) {
		t.Errorf("bank share 0.3: G-CITY guaranteed %v, min bank share %v", p.Guarantors[0].Guaranteed, p.Guarantors[0].MinBankShare)
	}
}

// TestDescribeJSON: money as decimal strings, an infinite leverage as null.
func TestDescribeJSON(t *testing.T) {
	pf := threeLoans()
	pf.Guarantors[0].NetAssets = 200 * wan // equal to its equity in G-A: regulatory denominator 0
	p := models.Describe(pf, models.Policy4321(), models.DefaultTargets())
	if !math.IsInf(float64(p.Guarantors[0].Leverage.Regulatory), 1) {
		t.Fatalf("regulatory leverage over zero capital = %v, want +Inf", p.Guarantors[0].Leverage.Regulatory)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`"balance":"11500000.00"`,
		`"leverage":{"regulatory":null,"performance":1.2,"performance_loan":1.5,"fiscal":0.3}`, // G-CITY: 240/200, 300/200, 240/800
		`"id":"leverage_max","scope":"G-CITY","definition":"regulatory","unit":"multiple","value":null,"threshold":10,"holds":false`,
		`"definition":"loan","unit":"yuan","value":1.15e+07,"threshold":2e+10,"amount":"11500000.00","limit":"20000000000.00","holds":false`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	var back models.Position
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Guaranteed != p.Guaranteed || !math.IsNaN(float64(back.Guarantors[0].Leverage.Regulatory)) {
		t.Errorf("round trip: guaranteed %v, regulatory %v", back.Guaranteed, back.Guarantors[0].Leverage.Regulatory)
	}
}

// TestDescribeEdges: an empty portfolio and a loan of an unknown guarantor
// give a position without panicking.
func TestDescribeEdges(t *testing.T) {
	p := models.Describe(&models.Portfolio{}, models.Policy4321(), models.DefaultTargets())
	if p.Loans != 0 || !math.IsNaN(float64(p.AverageFee)) || len(p.Targets) != 3 { // balance_min, leverage_min city, bank_share_min policy
		t.Errorf("empty portfolio: %+v", p)
	}
	if _, err := json.Marshal(p); err != nil {
		t.Errorf("empty portfolio JSON: %v", err)
	}
	pf := threeLoans()
	pf.Loans[0].GuarantorID = "G-NONE"
	pf.Loans[0].BorrowerID = ""
	p = models.Describe(pf, models.Policy4321(), models.DefaultTargets())
	if p.Guaranteed != 885*wan || p.Guarantors[0].Loans != 0 || p.Borrowers != 2 {
		t.Errorf("unknown guarantor: total %v, G-CITY loans %d, borrowers %d", p.Guaranteed, p.Guarantors[0].Loans, p.Borrowers)
	}
}

// TestDescribeGroups: concentration per related-party group (group_id) at
// 15 % of net assets, beside the per-borrower limit. L2 and L3 (G-A, 645万
// guaranteed) form group R1: limit 15 % × 400万 = 60万, fails; L1 (G-CITY,
// 240万) is group R2: limit 15 % × 1200万 = 180万, fails. A guarantor
// without groups gets no group check.
func TestDescribeGroups(t *testing.T) {
	pf := threeLoans()
	pf.Loans[0].GroupID, pf.Loans[1].GroupID, pf.Loans[2].GroupID = "R2", "R1", "R1"
	p := models.Describe(pf, models.Policy4321(), models.DefaultTargets())
	var got []string
	for _, c := range p.Targets {
		if c.ID == "concentration_max" && c.Definition == models.ConcentrationGroup {
			got = append(got, renderChecks([]models.Check{c})...)
		}
	}
	want := []string{"concentration_max G-CITY group 240万 vs 180万: ✗", "concentration_max G-A group 645万 vs 60万: ✗"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("group checks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	pf.Loans[0].GroupID = ""
	p = models.Describe(pf, models.Policy4321(), models.DefaultTargets())
	for _, c := range p.Targets {
		if c.Definition == models.ConcentrationGroup && c.Scope == "G-CITY" {
			t.Errorf("G-CITY has no group but got a group check: %+v", c)
		}
	}
}
