package snapshot

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/wenzhou/danbao/models"
)

var (
	testCounties   = []string{"330302", "330303", "330304", "330305", "330324", "330326", "330327", "330328", "330329", "330381", "330382", "330383"}
	testIndustries = []string{"electrical", "footwear", "apparel", "auto_parts", "pumps_valves", "eyewear", "printing", "agriculture", "trade", "other"}
	testProducts   = []string{"general", "first_loan", "tech", "startup", "agri"}
	testSegments   = []string{"micro", "small", "agri", "other"}
	testBanks      = []string{"unknown", "ICBC", "ABC", "Wenzhou Bank", "农商行"}
)

// testPortfolio returns a valid portfolio of n loans, deterministic in seed,
// that exercises every column: unset optional floats (NaN), unset dates,
// both boolean values, non-ASCII strings, and money from 0 to 10⁹ yuan.
func testPortfolio(n int, seed uint64) *models.Portfolio {
	r := rand.New(rand.NewPCG(seed, 1))
	pf := &models.Portfolio{AsOf: models.Date(19723)} // 2024-01-01
	city := models.NewGuarantor()
	city.GuarantorID, city.Name, city.Level, city.County = "G-3303", "温州市融资担保有限公司", models.LevelCity, "3303"
	city.RegisteredCapital, city.NetAssets = 2*models.Yi, 2*models.Yi+12345
	city.Focused, city.OpexRate = true, 0.004
	pf.Guarantors = append(pf.Guarantors, city)
	for i, c := range testCounties[:9] {
		g := models.NewGuarantor()
		g.GuarantorID, g.Level, g.County = "G-"+c, models.LevelCounty, c
		g.RegisteredCapital = models.Cents(1+i%2) * models.Yi
		g.NetAssets = g.RegisteredCapital + models.Cents(r.Int64N(int64(models.Yi)))
		if i%3 == 0 {
			g.ParentID, g.ParentStake = city.GuarantorID, []float64{0.05, 0.15, 0.35, 1}[i%4]
			g.GovernmentCapital = g.RegisteredCapital / 2
		}
		if i%2 == 0 {
			g.Name = c + " 担保"
			g.InvestmentYield = 0.025
		}
		g.InReguarantee = i%4 != 3
		g.Reserves = models.Cents(r.Int64N(int64(10 * models.Wan)))
		pf.Guarantors = append(pf.Guarantors, g)
	}
	for i := range n {
		l := models.NewLoan()
		l.LoanID = fmt.Sprintf("L%07d", i)
		if i%5 != 0 {
			l.BorrowerID = fmt.Sprintf("B%06d", i/3)
		}
		l.GuarantorID = pf.Guarantors[r.IntN(len(pf.Guarantors))].GuarantorID
		l.BankID = testBanks[r.IntN(len(testBanks))]
		l.County = testCounties[r.IntN(len(testCounties))]
		l.Industry = testIndustries[r.IntN(len(testIndustries))]
		l.Product = testProducts[r.IntN(len(testProducts))]
		l.Segment = testSegments[r.IntN(len(testSegments))]
		l.Balance = models.Cents(r.Int64N(int64(10 * models.Wan * 100)))
		if i%7 == 0 {
			l.Balance = 0
		}
		if i%11 == 0 {
			l.Balance = models.MaxCents / 1000
		}
		if i%2 == 0 {
			l.GuaranteeRatio = 0.8
		}
		l.InterestRate = r.Float64() * 0.08
		if i%3 == 0 {
			l.FeeRate = r.Float64() * 0.02
		}
		if i%4 != 0 {
			l.StartDate = pf.AsOf - models.Date(r.IntN(700))
			l.MaturityDate = l.StartDate + models.Date(365+r.IntN(1000))
		}
		l.PD = 0.001 + r.Float64()*0.1
		l.LGD = r.Float64()
		l.ReguaranteeEligible = r.IntN(10) != 0
		l.CounterGuarantee = r.IntN(3) == 0
		pf.Loans = append(pf.Loans, l)
	}
	return pf
}

// checkedMem returns a checked allocator that fails t if any Arrow memory
// is still allocated when the test ends.
func checkedMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// diffPortfolios reports the first differences between two portfolios,
// comparing floats bitwise (NaN "not given" equals NaN).
func diffPortfolios(want, got *models.Portfolio) []string {
	var d []string
	if want.AsOf != got.AsOf {
		d = append(d, fmt.Sprintf("AsOf: want %v, got %v", want.AsOf, got.AsOf))
	}
	if len(want.Loans) != len(got.Loans) || len(want.Guarantors) != len(got.Guarantors) {
		return append(d, fmt.Sprintf("lengths: want %d loans %d guarantors, got %d, %d", len(want.Loans), len(want.Guarantors), len(got.Loans), len(got.Guarantors)))
	}
	feq := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
	}
	for i := range want.Loans {
		w, g := want.Loans[i], got.Loans[i]
		if !feq(w.GuaranteeRatio, g.GuaranteeRatio) || !feq(w.InterestRate, g.InterestRate) || !feq(w.FeeRate, g.FeeRate) ||
			!feq(w.PD, g.PD) || !feq(w.LGD, g.LGD) {
			d = append(d, fmt.Sprintf("loan %d floats: want %+v\n got %+v", i, w, g))
		} else if w.GuaranteeRatio, w.FeeRate, g.GuaranteeRatio, g.FeeRate = 0, 0, 0, 0; w != g {
			d = append(d, fmt.Sprintf("loan %d: want %+v\n got %+v", i, w, g))
		}
		if len(d) > 5 {
			return d
		}
	}
	for i := range want.Guarantors {
		w, g := want.Guarantors[i], got.Guarantors[i]
		if !feq(w.ParentStake, g.ParentStake) || !feq(w.OpexRate, g.OpexRate) || !feq(w.InvestmentYield, g.InvestmentYield) {
			d = append(d, fmt.Sprintf("guarantor %d floats: want %+v\n got %+v", i, w, g))
		} else if w.OpexRate, w.InvestmentYield, g.OpexRate, g.InvestmentYield = 0, 0, 0, 0; w != g {
			d = append(d, fmt.Sprintf("guarantor %d: want %+v\n got %+v", i, w, g))
		}
	}
	return d
}

// validated returns a copy of pf after Validate filled its defaults; the
// readers return portfolios in that state.
func validated(t testing.TB, pf *models.Portfolio) *models.Portfolio {
	t.Helper()
	c := &models.Portfolio{AsOf: pf.AsOf, Loans: append([]models.Loan(nil), pf.Loans...), Guarantors: append([]models.Guarantor(nil), pf.Guarantors...)}
	if err := c.Validate(models.DefaultFiles); err != nil {
		t.Fatalf("test portfolio is invalid: %v", err)
	}
	return c
}
