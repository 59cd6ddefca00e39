package sim

import (
	"math"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// handWorked is the example of testdata/ledger/README.md: two guarantors, three
// loans, two years, two defaults placed by hand.
func handWorked(t *testing.T) (*Ledger, *LedgerResult) {
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
	m := mustCompile(t, pf, &sc)
	L, err := NewLedger(m, pf, &sc)
	if err != nil {
		t.Fatal(err)
	}
	obs, res := L.NewObserver(1, 1)
	obs.Observe(0, 0, []Event{{Loan: 0, Year: 0, Time: 0.5}, {Loan: 2, Year: 1, Time: 0.95}})
	return L, res
}

// TestLedgerHandWorked reproduces every figure of testdata/ledger/README.md to
// the fen (metrics are float64 yuan built from exact fen, so == holds for
// amounts; ratios are compared to 1e-12).
func TestLedgerHandWorked(t *testing.T) {
	L, r := handWorked(t)
	// Party losses (README "Who pays"): L1's 601,800.00 and L3's 500,000.00.
	want := [NParties]int64{PartyBank: 22_036_000, PartyGuarantor: 77_984_000, PartyReguarantor: 1_080_000,
		PartyNationalFund: 1_080_000, PartyCountyFund: 8_000_000}
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
		{"GA net assets y1", GA, 0, MetricNetAssets, 9_485_350},
		{"GA net assets y2", GA, 1, MetricNetAssets, 9_732_369},
		{"GA balance y1", GA, 0, MetricBalance, 0},
		{"GA compensation paid y1", GA, 0, MetricCompPaid, 802_400},
		{"GA released y1", GA, 0, MetricReleased, 2_400_000},
		{"GA compensation rate y1", GA, 0, MetricCompRate, 802_400.0 / 2_400_000},
		{"GA compensation rate on balance y1", GA, 0, MetricCompRateBalance, 802_400.0 / 2_400_000},
		{"GA recoveries y2", GA, 1, MetricRecoveries, 57_312},
		{"GA fee rate y1", GA, 0, MetricFeeRate, 20_000.0 / 2_000_000},
		{"GB net assets y1", GB, 0, MetricNetAssets, 5_100_000},
		{"GB net assets y2", GB, 1, MetricNetAssets, 5_201_800},
		{"GB balance y1", GB, 0, MetricBalance, 400_000},
		{"GB leverage (performance) y1", GB, 0, MetricLeveragePerf, 400_000.0 / 5_100_000},
		{"GB leverage (regulatory) y1", GB, 0, MetricLeverageReg, 300_000.0 / 5_100_000},
		{"GB leverage (fiscal) y1", GB, 0, MetricLeverageFiscal, 400_000.0 / 5_000_000},
		{"GB balance y2", GB, 1, MetricBalance, 0},
		{"GB compensation paid y2 (after the horizon)", GB, 1, MetricCompPaid, 0},
		{"city net assets y1", city, 0, MetricNetAssets, 9_485_350 + 5_100_000},
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
