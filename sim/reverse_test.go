package sim

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// reverseBook is a homogeneous one-factor book for reverse stress: n loans
// of 10万 yuan (lgd 1, no interest, no fee, no maturity) at pd, guaranteed
// 80 % (bank share 0.2) by one county guarantor in 乐清 (capital minimum
// 2亿) with net assets na, outside re-guarantee, the county fund's budget
// 0, no opex, yield or reserves: its net assets at the end of year 1 fall
// by exactly 0.8 × 10万 for each default compensated within the year.
// Only the macro factor loads, with weight ρ.
func reverseBook(t *testing.T, n int, pd, rho float64, na models.Cents) (*models.Portfolio, *models.Scenario) {
	t.Helper()
	nan := math.NaN()
	pf := &models.Portfolio{Guarantors: []models.Guarantor{{GuarantorID: "GA", Level: "county", County: "330382",
		RegisteredCapital: 3 * models.Yi, NetAssets: na, GovernmentCapital: 3 * models.Yi, OpexRate: nan, InvestmentYield: nan}}}
	for i := range n {
		l := models.NewLoan()
		l.LoanID = fmt.Sprintf("L%06d", i)
		l.GuarantorID, l.County, l.Industry = "GA", "330382", "electrical"
		l.Balance, l.PD, l.LGD, l.FeeRate = 10*models.Wan, pd, 1, 0
		pf.Loans = append(pf.Loans, l)
	}
	if err := pf.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	sc := models.DefaultScenario()
	sc.Model.R2 = models.R2{Macro: rho}
	sc.Growth.RunOff = true
	sc.Policy.OpexRate, sc.Policy.InvestmentYield = 0, 0
	sc.Policy.Reserves.Deduct = false
	sc.Policy.CountyFund.Budget = map[string]models.Cents{"330382": 0}
	return pf, &sc
}

// TestReverseOneFactor: in the homogeneous one-factor book the reverse
// point of capital_min is closed form. Given the macro factor F, a loan
// defaults in year 1 with p(F) = Φ((Φ⁻¹(pd) − √ρ·F)/√(1 − ρ)) at a time
// uniform in the year, and its claim is paid grace = 30 days later, so
// within year 1 with probability 1 − 30/365. The conditional mean of net
// assets is
//
//	E[NA_1 | F] = NA_0 − n · 0.8 · 10万 · (1 − 30/365) · p(F)
//
// and it reaches the minimum 2亿 at p* = (NA_0 − 2亿)/(n·0.8·10万·(1 − 30/365)):
//
//	F* = (Φ⁻¹(pd) − √(1 − ρ)·Φ⁻¹(p*)) / √ρ
//
// (n = 20,000, pd 1 %, ρ 0.2, NA_0 2.4亿: p* = 2.7240 %, F* = −1.3555).
// Reverse's macro factor must match within 1 %, every other factor be 0,
// and |z| = |F*|. Monte Carlo error: the mean default rate over 200 paths
// of 20,000 loans has relative SE ≈ 0.3 %, i.e. ≈ 0.2 % on F*.
func TestReverseOneFactor(t *testing.T) {
	const n, pd, rho = 20000, 0.01, 0.2
	na := 24000 * models.Wan
	pf, sc := reverseBook(t, n, pd, rho, na)
	res, err := Reverse(context.Background(), pf, sc, ReverseOptions{Target: models.TargetCapitalMin, Scope: "GA", Year: 1},
		Params{Seed: 3, Paths: 200, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	f := 1 - 30.0/365
	pStar := float64(na-2*models.Yi) / 100 / (n * 0.8 * 1e5 * f)
	want := (PhiInv(pd) - math.Sqrt(1-rho)*PhiInv(pStar)) / math.Sqrt(rho)
	var macro float64
	for _, x := range res.Factors {
		switch {
		case x.Factor == "macro" && x.Year == 1:
			macro = float64(x.Value)
		case x.Value != 0:
			t.Errorf("factor %s year %d = %v, want 0 (only the macro factor loads)", x.Factor, x.Year, x.Value)
		}
	}
	t.Logf("p* = %.5f; F* analytic %.5f, reverse %.5f (%.3f %%), |z| %.5f; margin %.0f ± %.0f yuan, P(fail | F) %.3f, %d points",
		pStar, want, macro, 100*(macro/want-1), float64(res.Sigma), float64(res.Margin), float64(res.MarginStdErr), float64(res.PFail), len(res.Evaluations))
	if math.Abs(macro/want-1) > 0.01 {
		t.Errorf("macro factor %v, analytic %v: off by more than 1 %%", macro, want)
	}
	if math.Abs(float64(res.Sigma)-math.Abs(macro)) > 1e-9 {
		t.Errorf("|z| = %v, want |F| = %v (one factor, no AR(1) in one year)", res.Sigma, math.Abs(macro))
	}
	if len(res.Segments) != 1 || math.Abs(float64(res.Segments[0].ConditionalPD)/pStar-1) > 0.01 {
		t.Errorf("segments %+v: want one, its conditional PD ≈ p* = %v", res.Segments, pStar)
	}
	sh := res.Shocks(0.8)
	if len(sh) != 1 || sh[0].Factor != "macro" || math.Abs(sh[0].Shift-0.8*macro) > 1e-6 || len(sh[0].Years) != 1 || sh[0].Years[0] != 1 {
		t.Errorf("Shocks(0.8) = %+v, want macro %v in year 1", sh, 0.8*macro)
	}
}

// TestReverseBadInput: each mistake is an error that names the valid
// choices or says why the target cannot be reversed.
func TestReverseBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		na   models.Cents
		edit func(*ReverseOptions, *models.Scenario)
		want []string
	}{
		{"unknown target", 24000 * models.Wan, func(o *ReverseOptions, _ *models.Scenario) { o.Target = "capital" },
			[]string{`unknown target "capital"`, "capital_min", "compensation_rate_max"}},
		{"unknown scope", 24000 * models.Wan, func(o *ReverseOptions, _ *models.Scenario) { o.Scope = "GB" },
			[]string{`no scope "GB"`, "GA"}},
		{"unknown year", 24000 * models.Wan, func(o *ReverseOptions, _ *models.Scenario) { o.Year = 2 },
			[]string{"no year 2", "years: 1"}},
		{"policy scope", 24000 * models.Wan, func(o *ReverseOptions, _ *models.Scenario) { o.Target, o.Scope = models.TargetBankShareMin, "policy" },
			[]string{"bank_share_min (scope policy) is a policy setting", "capital_min"}},
		{"scope all", 24000 * models.Wan, func(o *ReverseOptions, _ *models.Scenario) { o.Scope = "all" },
			[]string{"scope all is the joint row", "one guarantor or the city"}},
		{"cannot fail in range", 24000 * models.Wan, func(o *ReverseOptions, _ *models.Scenario) { o.MaxSigma = 1 },
			[]string{"holds at every point searched up to |z| = 1σ", "cannot fail"}},
		{"fails at origin", 20001 * models.Wan, func(*ReverseOptions, *models.Scenario) {},
			[]string{"already fails with every factor at 0"}},
		{"t copula", 24000 * models.Wan, func(_ *ReverseOptions, sc *models.Scenario) { sc.Model.Copula, sc.Model.TDof = models.CopulaT, 5 },
			[]string{"Gaussian copula", "model.copula: t"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pf, sc := reverseBook(t, 2000, 0.01, 0.2, tc.na)
			o := ReverseOptions{Target: models.TargetCapitalMin, Scope: "GA", Year: 1}
			tc.edit(&o, sc)
			_, err := Reverse(context.Background(), pf, sc, o, Params{Seed: 1, Paths: 20, Workers: 1})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestReverseWorkers: the answer does not depend on the number of workers
// (common random numbers per path; the margins are summed in path order).
func TestReverseWorkers(t *testing.T) {
	pf, sc := reverseBook(t, 2000, 0.01, 0.2, 20500*models.Wan)
	sc.HorizonYears, sc.Model.Persistence = 2, 0.5
	sc.Model.R2 = models.R2{Macro: 0.1, Industry: 0.05, County: 0.05}
	var first *ReverseResult
	for _, w := range []int{1, 2, 3} {
		res, err := Reverse(context.Background(), pf, sc, ReverseOptions{Target: models.TargetCapitalMin, Scope: "GA", Year: 2},
			Params{Seed: 5, Paths: 40, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = res
			t.Logf("|z| %.4f, margin %.0f, %d factors", float64(res.Sigma), float64(res.Margin), len(res.Factors))
			continue
		}
		if fmt.Sprint(res) != fmt.Sprint(first) {
			t.Errorf("workers %d: %+v\nworkers 1: %+v", w, res, first)
		}
	}
	// Two years with persistence 0.5: year 2's factor value is φ·F_1 + √(1−φ²)·z_2.
	for _, f := range first.Factors {
		if f.Year == 2 && f.Factor == "macro" {
			var f1, z2 float64
			for _, g := range first.Factors {
				if g.Factor == "macro" && g.Year == 1 {
					f1 = float64(g.Value)
				}
			}
			z2 = float64(f.Z)
			if want := 0.5*f1 + math.Sqrt(0.75)*z2; math.Abs(float64(f.Value)-want) > 1e-12 {
				t.Errorf("macro year 2 = %v, want φ·F_1 + √(1−φ²)·z_2 = %v", f.Value, want)
			}
		}
	}
}
