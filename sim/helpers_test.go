package sim

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// homogeneous returns n loans of 1 yuan, lgd 1 and the given pd, all in one
// industry and one county: with model.r2.industry = ρ and the other weights
// 0 this is the one-factor Vasicek portfolio of ../shared/reference.
func homogeneous(n int, pd float64) *models.Portfolio {
	pf := &models.Portfolio{Guarantors: []models.Guarantor{{GuarantorID: "G", Level: "city", County: "330300", RegisteredCapital: models.Yi, NetAssets: models.Yi, InReguarantee: true, OpexRate: math.NaN(), InvestmentYield: math.NaN()}}}
	for i := range n {
		l := models.NewLoan()
		l.LoanID = fmt.Sprintf("L%06d", i)
		l.GuarantorID, l.County, l.Industry = "G", "330382", "electrical"
		l.Balance = models.Yuan
		l.PD, l.LGD = pd, 1
		pf.Loans = append(pf.Loans, l)
	}
	return pf
}

// oneFactor returns the scenario of the one-factor model with correlation ρ
// carried by the industry factor.
func oneFactor(rho float64) *models.Scenario {
	sc := models.DefaultScenario()
	sc.Model.R2 = models.R2{Industry: rho}
	return &sc
}

func mustCompile(t testing.TB, pf *models.Portfolio, sc *models.Scenario) *Model {
	t.Helper()
	m, err := Compile(pf, sc)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustRun(t testing.TB, m *Model, p Params) *Result {
	t.Helper()
	r, err := Run(context.Background(), m, p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// totalsYuan returns every path's total loss in yuan.
func totalsYuan(r *Result) []float64 {
	x := make([]float64, r.Paths)
	for p := range x {
		x[p] = float64(r.TotalLoss(p)) / 100
	}
	return x
}

// aliveIn returns the fraction of year t (0-based) that loan i is on the
// books, as the ledger counts it (ledgerLoan.aliveIn): the length of
// [max(from, t), min(maturity, t+1)], or 0.
func (m *Model) aliveIn(i, t int) float64 {
	lo := max(m.from[i], float64(t))
	hi := min(m.maturity[i], float64(t+1))
	return max(0, hi-lo)
}

// checkAgree fails t unless the estimates a ± sa and b ± sb (independent
// runs) agree within 4 combined standard errors: |z| ≤ 4, z = (a − b)/√(sa² + sb²).
func checkAgree(t *testing.T, name string, a, sa, b, sb float64) {
	t.Helper()
	z := (a - b) / math.Hypot(sa, sb)
	t.Logf("%s: %.6g ± %.3g against %.6g ± %.3g, z = %.2f", name, a, sa, b, sb, z)
	if !(math.Abs(z) <= 4) {
		t.Errorf("%s: z = %.2f", name, z)
	}
}

// checkSummariesAgree is checkAgree on the mean and on VaR and ES at each
// of levels (the levels a and b were summarized at).
func checkSummariesAgree(t *testing.T, label string, a, b Summary, levels []float64) {
	t.Helper()
	checkAgree(t, label+" mean", a.Mean, a.SEMean, b.Mean, b.SEMean)
	for k, l := range levels {
		checkAgree(t, label+" VaR "+LevelString(l), a.VaR[k], a.SEVaR[k], b.VaR[k], b.SEVaR[k])
		checkAgree(t, label+" ES "+LevelString(l), a.ES[k], a.SEES[k], b.ES[k], b.SEES[k])
	}
}
