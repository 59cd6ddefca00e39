package sim

import (
	"fmt"
	"math"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// handWorked is the example of testdata/ledger/README.md: two guarantors, three
// loans, two years, two defaults placed by hand.
func handWorked(t *testing.T) (*Ledger, *LedgerResult) {
	return handWorkedReserves(t, false)
}

// handWorkedReserves is handWorked with policy.reserves.deduct set to deduct.
func handWorkedReserves(t *testing.T, deduct bool) (*Ledger, *LedgerResult) {
	t.Helper()
	pf, sc := handWorkedInputs(t)
	sc.Policy.Reserves.Deduct = deduct
	m := mustCompile(t, pf, sc)
	L, err := newLedger(m, pf, sc)
	if err != nil {
		t.Fatal(err)
	}
	obs, res := L.NewObserver(1, 1)
	obs.Observe(0, 0, []Event{{Loan: 0, Year: 0, Time: 0.5}, {Loan: 2, Year: 1, Time: 0.95}})
	return L, res
}

// handWorkedInputs returns the portfolio and scenario of
// testdata/ledger/README.md (reserves not deducted).
func handWorkedInputs(t *testing.T) (*models.Portfolio, *models.Scenario) {
	t.Helper()
	nan := math.NaN()
	pf := &models.Portfolio{AsOf: asOf, Guarantors: []models.Guarantor{
		{GuarantorID: "GA", Level: "county", County: "330382", RegisteredCapital: 1000 * models.Wan, NetAssets: 1000 * models.Wan,
			GovernmentCapital: 1000 * models.Wan, InReguarantee: true, OpexRate: nan, InvestmentYield: nan},
		{GuarantorID: "GB", Level: "county", County: "330381", RegisteredCapital: 500 * models.Wan, NetAssets: 500 * models.Wan,
			GovernmentCapital: 500 * models.Wan, InReguarantee: false, OpexRate: nan, InvestmentYield: nan},
	}}
	loan := func(id, g, county string, balance models.Cents, interest, fee, lgd float64, maturity models.Date) models.Loan {
		l := models.NewLoan()
		l.LoanID, l.GuarantorID, l.County, l.Industry = id, g, county, "electrical"
		l.Balance, l.InterestRate, l.FeeRate, l.PD, l.LGD, l.MaturityDate = balance, interest, fee, 0.02, lgd, maturity
		return l
	}
	pf.Loans = []models.Loan{
		loan("L1", "GA", "330382", 100*models.Wan, 0.0365, 0.01, 0.6, 0),
		loan("L2", "GA", "330382", 200*models.Wan, 0, 0.015, 0.5, asOf+365),
		loan("L3", "GB", "330381", 50*models.Wan, 0, 0.01, 1.0, 0),
	}
	if err := pf.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 2
	sc.Growth.RunOff = true // the example runs off: no new business
	sc.Policy.OpexRate, sc.Policy.InvestmentYield = 0.01, 0.02
	sc.Policy.CountyFund.Budget = map[string]models.Cents{"330382": 5 * models.Wan}
	sc.Policy.Reserves.Deduct = false
	return pf, &sc
}

// TestLedgerHandWorked reproduces every figure of testdata/ledger/README.md to
// the fen (metrics are float64 yuan built from exact fen, so == holds for
// amounts; ratios are compared to 1e-12).
func TestLedgerHandWorked(t *testing.T) {
	L, r := handWorked(t)
	// Party losses (README "Who pays"): L1's 601,800.00 and L3's 500,000.00.
	want := [NParties]int64{PartyBank: 22_036_000, PartyGuarantor: 77_444_000, PartyReguarantor: 1_350_000,
		PartyNationalFund: 1_350_000, PartyCountyFund: 8_000_000}
	var sum int64
	for k := range NParties {
		sum += r.PartyLoss[k]
		if r.PartyLoss[k] != want[k] {
			t.Errorf("%s loss = %d fen, want %d", PartyNames[k], r.PartyLoss[k], want[k])
		}
	}
	if sum != 110_180_000 {
		t.Errorf("party losses sum to %d fen, want the total 110,180,000", sum)
	}
	const GA, GB, city = 0, 1, 2
	for _, c := range []struct {
		name    string
		g, y, k int
		want    float64
	}{
		{"GA net assets y1", GA, 0, MetricNetAssets, 9_494_350},
		{"GA net assets y2", GA, 1, MetricNetAssets, 9_740_829},
		{"GA balance y1", GA, 0, MetricBalance, 0},
		{"GA compensation paid y1", GA, 0, MetricCompPaid, 802_400},
		{"GA released y1", GA, 0, MetricReleased, 2_400_000},
		{"GA compensation rate y1", GA, 0, MetricCompRate, 802_400.0 / 2_400_000},
		{"GA compensation rate on balance y1", GA, 0, MetricCompRateBalance, 802_400.0 / 2_400_000},
		{"GA recoveries y2", GA, 1, MetricRecoveries, 56_592},
		{"GA fee rate y1", GA, 0, MetricFeeRate, 20_000.0 / 2_000_000},
		{"GB net assets y1", GB, 0, MetricNetAssets, 5_100_000},
		{"GB net assets y2", GB, 1, MetricNetAssets, 5_201_800},
		{"GB balance y1", GB, 0, MetricBalance, 400_000},
		{"GB leverage (performance) y1", GB, 0, MetricLeveragePerf, 400_000.0 / 5_100_000},
		{"GB leverage (regulatory) y1", GB, 0, MetricLeverageReg, 300_000.0 / 5_100_000},
		{"GB leverage (fiscal) y1", GB, 0, MetricLeverageFiscal, 400_000.0 / 5_000_000},
		{"GB balance y2", GB, 1, MetricBalance, 0},
		{"GB compensation paid y2 (after the horizon)", GB, 1, MetricCompPaid, 0},
		{"city net assets y1", city, 0, MetricNetAssets, 9_494_350 + 5_100_000},
		{"city balance y1", city, 0, MetricBalance, 400_000},
	} {
		got := r.Metric(0, c.g, c.y, c.k)
		if math.Abs(got-c.want) > 1e-12*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	// County outlays: 乐清 330382 pays 50,000.00 risk compensation (its whole
	// budget) and 8,000.00 fee subsidy on L2 in year 1.
	c := indexOf(L.Counties)["330382"]
	if got := r.Outlays[(0*r.C+c)*r.H+0]; got != 5_800_000 {
		t.Errorf("330382 outlays y1 = %d fen, want 5,800,000", got)
	}
	if got := r.CountyComp[(0*r.C+c)*r.H+0]; got != 5_000_000 {
		t.Errorf("330382 risk compensation y1 = %d fen, want 5,000,000", got)
	}
}

// TestReservesHandWorked: the hand-worked example with reserves deducted
// from net assets (testdata/ledger/README.md "Reserves"), guarantor GB:
// reserves 0 in the snapshot; year 1 fees 4,000 → unearned-fee reserve
// 2,000 (as today: no change), compensation reserve 1 % × 400,000 = 4,000;
// year 2 fees 3,800 → unearned 1,900 (−100), balance 0 → compensation
// reserve capped at 10 % × 0 = 0 (−4,000, released).
func TestReservesHandWorked(t *testing.T) {
	_, r := handWorkedReserves(t, true)
	const GB = 1
	for _, c := range []struct {
		name string
		y, k int
		want float64
	}{
		{"GB net assets y1", 0, MetricNetAssets, 5_100_000 - 4_000},
		{"GB reserves y1", 0, MetricReserves, 2_000 + 4_000},
		{"GB net assets y2", 1, MetricNetAssets, 5_096_000 + 3_800 + 101_920 - 4_000 + 100 + 4_000},
		{"GB reserves y2", 1, MetricReserves, 1_900},
	} {
		if got := r.Metric(0, GB, c.y, c.k); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	// Not deducted: the same reserves are reported, net assets untouched.
	_, r = handWorked(t)
	if got := r.Metric(0, GB, 0, MetricReserves); got != 6_000 {
		t.Errorf("GB reserves y1 (not deducted) = %v, want 6,000", got)
	}
}

// TestStopLossOneBasis: the stop-loss cap and the nominal parts are on one
// basis, the loan. One guarantor in re-guarantee holds 100 loans of 100万
// (guarantee ratio 0.8, no interest, lgd 1 so nothing is recovered), all
// maturing at the end of year 1, so 100,000,000 of eligible loan principal
// (80,000,000 guaranteed) is released in year 1 whatever defaults. k loans
// default at 0.1: compensation paid k × 800,000, rate k %. Each fund's
// nominal part is 0.15 × k × 1,000,000 and its cap 0.15 × 0.05 ×
// 100,000,000 = 750,000:
//
//	k = 4 (80 % of the stop rate):  pays 600,000, what it pays with the stop-loss off
//	k = 5 (at the stop rate):       pays 750,000, exactly its nominal part
//	k = 6 (120 % of the stop rate): pays 750,000 = share × stop × released loan principal
//	                                 (900,000 with the stop-loss off)
func TestStopLossOneBasis(t *testing.T) {
	nan := math.NaN()
	pf := &models.Portfolio{AsOf: asOf, Guarantors: []models.Guarantor{
		{GuarantorID: "GA", Level: "county", County: "330382", RegisteredCapital: 1e4 * models.Wan, NetAssets: 1e4 * models.Wan,
			GovernmentCapital: 1e4 * models.Wan, InReguarantee: true, OpexRate: nan, InvestmentYield: nan},
	}}
	for i := range 100 {
		l := models.NewLoan()
		l.LoanID, l.GuarantorID, l.County, l.Industry = fmt.Sprintf("L%03d", i), "GA", "330382", "electrical"
		l.Balance, l.PD, l.LGD, l.MaturityDate = 100*models.Wan, 0.02, 1, asOf+365
		pf.Loans = append(pf.Loans, l)
	}
	if err := pf.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	paid := func(k int, stop float64) (reg, nat int64) {
		sc := models.DefaultScenario()
		sc.HorizonYears = 1
		sc.Growth.RunOff = true
		sc.Policy.Reguarantee.StopRate, sc.Policy.NationalFund.StopRate = stop, stop
		m := mustCompile(t, pf, &sc)
		L, err := newLedger(m, pf, &sc)
		if err != nil {
			t.Fatal(err)
		}
		obs, res := L.NewObserver(1, 1)
		var ev []Event
		for i := range k {
			ev = append(ev, Event{Loan: int32(i), Year: 0, Time: 0.1})
		}
		obs.Observe(0, 0, ev)
		if rate, want := res.Metric(0, 0, 0, MetricCompRate), float64(k)/100; math.Abs(rate-want) > 1e-15 {
			t.Fatalf("k = %d: compensation rate %v, want %v", k, rate, want)
		}
		return res.PartyLoss[PartyReguarantor], res.PartyLoss[PartyNationalFund]
	}
	const yuan = 100 // fen
	for _, c := range []struct {
		k          int
		want, free int64 // yuan: with the stop-loss, and without
	}{{4, 600_000, 600_000}, {5, 750_000, 750_000}, {6, 750_000, 900_000}} {
		reg, nat := paid(c.k, 0.05)
		freeReg, freeNat := paid(c.k, 0)
		if reg != c.want*yuan || nat != c.want*yuan {
			t.Errorf("k = %d: re-guarantor pays %d fen, national fund %d, want %d each", c.k, reg, nat, c.want*yuan)
		}
		if freeReg != c.free*yuan || freeNat != c.free*yuan {
			t.Errorf("k = %d, stop-loss off: re-guarantor pays %d fen, national fund %d, want %d each", c.k, freeReg, freeNat, c.free*yuan)
		}
	}
}
