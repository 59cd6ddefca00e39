package sim

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// thinCapital is mixed(n) (PDs 0.2–12 %, mean about 6 %) split between two
// guarantors with thin net assets, so that the capital-linked targets bind
// on part of the paths within two years:
//
//   - "G" (city level, no capital minimum): net assets at 1/8 of its
//     risk-weighted balance, regulatory leverage 8 against the cap of 10;
//   - "GC" (county 330399, capital minimum set by the scenario, see
//     thinScenario): net assets 1/6 of its risk-weighted balance.
//
// Loans of county 330381 go to GC, the others to G.
func thinCapital(n int) *models.Portfolio {
	pf := mixed(n, true)
	var rwG, rwC float64
	for i := range pf.Loans {
		l := &pf.Loans[i]
		rw := 0.8 * float64(l.Balance) * 0.75 // guaranteed 80 %, weight 75 % (small loans)
		if l.County == "330381" {
			l.GuarantorID = "GC"
			rwC += rw
		} else {
			rwG += rw
		}
	}
	nan := math.NaN()
	pf.Guarantors = []models.Guarantor{
		{GuarantorID: "G", Level: models.LevelCity, County: "330300", RegisteredCapital: models.Cents(rwG / 6),
			NetAssets: models.Cents(rwG / 6), GovernmentCapital: -1, InReguarantee: true, OpexRate: nan, InvestmentYield: nan},
		{GuarantorID: "GC", Level: models.LevelCounty, County: "330399", RegisteredCapital: models.Cents(rwC / 4.5),
			NetAssets: models.Cents(rwC / 4.5), GovernmentCapital: -1, InReguarantee: true, OpexRate: nan, InvestmentYield: nan},
	}
	return pf
}

// thinScenario is a two-year run of thinCapital with GC's capital minimum
// at 70 % of its net assets. The concentration limits are off: with net
// assets this thin a single loan is over 10 % of them, and the fixture is
// about leverage and capital minimums (TestTopupConcentration covers them).
func thinScenario(pf *models.Portfolio) *models.Scenario {
	sc := models.DefaultScenario()
	sc.HorizonYears = 2
	sc.Targets.CapitalMin.ByCounty = map[string]models.Cents{"330399": pf.Guarantors[1].NetAssets * 7 / 10}
	sc.Targets.ConcentrationMax.Off, sc.Targets.ConcentrationGroupMax.Off = true, true
	return &sc
}

func mustExecute(t testing.TB, pf *models.Portfolio, sc *models.Scenario, p Params) *Outcome {
	t.Helper()
	o, err := Execute(context.Background(), pf, sc, p)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func mustTopup(t testing.TB, o *Outcome, conf ...float64) *TopupResult {
	t.Helper()
	tp, err := Topup(o, conf)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// injected returns sc with amount (yuan, rounded up to the fen) injected into
// guarantor id at t = 0.
func injected(sc *models.Scenario, id string, amount Money) *models.Scenario {
	cp := *sc
	cp.Injections = append([]models.Injection(nil), sc.Injections...)
	cp.Injections = append(cp.Injections, models.Injection{Guarantor: id, Year: 0, Amount: models.Cents(math.Ceil(float64(amount) * 100))})
	return &cp
}

// TestTopupNeedIsLinear: an injection X at t = 0 moves net assets by
// X·(1+y)^(t+1) and changes no default, so on the same seed the capital
// targets hold with X in exactly on the paths where the need X_p ≤ X (up
// to the fen rounding of investment income, which matters only for a path
// within a few fen of X). Without injection, CapitalHold is the share of
// paths with X_p ≤ 0.
func TestTopupNeedIsLinear(t *testing.T) {
	pf := thinCapital(2000)
	sc := thinScenario(pf)
	p := Params{Seed: 7, Paths: 2000}
	o := mustExecute(t, pf, sc, p)
	tp := mustTopup(t, o, 0.9)
	for g, gt := range tp.Guarantors {
		var none int
		for q := range o.Book.Paths {
			if o.Book.NeedX[q*o.Book.G+g] <= 0 {
				none++
			}
		}
		if got, _ := o.CapitalHold(g); got != float64(none)/float64(o.Book.Paths) {
			t.Errorf("%s: CapitalHold %v, share of paths needing nothing %v", gt.Guarantor, got, float64(none)/float64(o.Book.Paths))
		}
		if !(gt.PNeed > 0.2 && gt.PNeed < 0.9) {
			t.Errorf("%s: P(need) = %v; the fixture should bind on part of the paths", gt.Guarantor, gt.PNeed)
		}
		x := gt.At[0].Amount
		o2 := mustExecute(t, pf, injected(sc, gt.Guarantor, x), p)
		got, _ := o2.CapitalHold(g)
		if want := float64(gt.At[0].PCapital); math.Abs(got-want) > 1.5/float64(o.Book.Paths) {
			t.Errorf("%s: with %.2f injected on the same seed, targets hold on %.4f of paths; need ≤ X on %.4f", gt.Guarantor, x, got, want)
		}
		// Leverage after the injection, as Topup computes it, is the re-run's.
		pl, by := newLevCheck(o.Ledger, o.Book).guarantor(g, float64(x), true)
		pl2, by2 := newLevCheck(o2.Ledger, o2.Book).guarantor(g, 0, true)
		if pl != pl2 || !equalNumbers(by, by2) {
			t.Errorf("%s: P(leverage_min) with the injection: computed %v %v, re-run %v %v", gt.Guarantor, pl, by, pl2, by2)
		}
	}
}

func equalNumbers(a, b []Number) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTopupHoldsOutOfSample is issue 5's acceptance test: re-running with
// the recommended top-up at 0.95 injected, on a different seed, gives
// P(capital targets hold in every year) within 2 standard errors of 0.95.
//
// The standard error: the top-up is the 0.95-quantile of the need on seed
// 7's P paths, so its true coverage F(X̂) has variance ≈ α(1−α)/P
// (Bahadur), and the re-run's share of P' paths adds the binomial
// α(1−α)/P'. Independent seeds: SE = √(α(1−α)(1/P + 1/P')). The binomial SE
// of the re-run alone, √(α(1−α)/P'), is logged beside it.
func TestTopupHoldsOutOfSample(t *testing.T) {
	pf := thinCapital(2000)
	sc := thinScenario(pf)
	const alpha, P = 0.95, 4000
	o := mustExecute(t, pf, sc, Params{Seed: 7, Paths: P})
	tp := mustTopup(t, o, alpha)
	for g, gt := range tp.Guarantors {
		x := gt.At[0].Amount
		if !(x > 0) || float64(gt.PNeed) < 0.1 {
			t.Fatalf("%s: top-up %v, P(need) %v: the fixture's need must bind", gt.Guarantor, x, gt.PNeed)
		}
		o2 := mustExecute(t, pf, injected(sc, gt.Guarantor, x), Params{Seed: 8, Paths: P})
		got, seBinom := o2.CapitalHold(g)
		se := math.Sqrt(alpha * (1 - alpha) * (1.0/P + 1.0/P))
		t.Logf("%s: top-up %.2f yuan (P(need) %.3f on seed 7); seed 8: P(capital targets hold) %.4f with it (z = %.2f; binomial-only z = %.2f)",
			gt.Guarantor, x, gt.PNeed, got, (got-alpha)/se, (got-alpha)/seBinom)
		if math.Abs(got-alpha) > 2*se {
			t.Errorf("%s: P(hold) = %.4f with the 0.95 top-up in, more than 2 SE (%.4f) from 0.95", gt.Guarantor, got, se)
		}
	}
}

// TestTopupShape: the curve rises with α, counties add up to the city, the
// in-sample coverage is at least α, the pooled need is at least each
// guarantor's top-up, and the order-statistic interval brackets the estimate.
func TestTopupShape(t *testing.T) {
	pf := thinCapital(1000)
	sc := thinScenario(pf)
	o := mustExecute(t, pf, sc, Params{Seed: 3, Paths: 2000})
	tp := mustTopup(t, o, 0.9, 0.95, 0.99)
	if tp.Schema != TopupSchema || tp.Paths != 2000 || tp.HorizonYears != 2 || len(tp.Guarantors) != 2 || len(tp.Counties) != 2 {
		t.Fatalf("header %+v", tp)
	}
	for _, gt := range tp.Guarantors {
		prev := Money(-1)
		for _, l := range gt.Curve {
			if l.Amount < prev || l.Amount < 0 {
				t.Errorf("%s: curve not rising at %v: %v after %v", gt.Guarantor, l.Confidence, l.Amount, prev)
			}
			prev = l.Amount
			if l.PCapital < l.Confidence {
				t.Errorf("%s: at %v the top-up covers %v of paths", gt.Guarantor, l.Confidence, l.PCapital)
			}
			if !(l.Low <= l.Amount && l.Amount <= l.High) {
				t.Errorf("%s: at %v interval [%v, %v] misses %v", gt.Guarantor, l.Confidence, l.Low, l.High, l.Amount)
			}
		}
		if len(gt.At[0].PLeverageMinByYear) != 2 {
			t.Errorf("%s: P(leverage_min) by year %v", gt.Guarantor, gt.At[0].PLeverageMinByYear)
		}
	}
	gc := tp.Guarantors[1]
	if want := Money(0); gc.RegisteredGap != want {
		t.Errorf("GC registered gap %v, want 0 (registered = net assets > minimum)", gc.RegisteredGap)
	}
	for k := range tp.Confidences {
		var sum Money
		for _, c := range tp.Counties {
			sum += c.At[k].Amount
		}
		city := tp.City.At[k]
		if math.Abs(float64(sum-city.Total)) > 1e-6*float64(city.Total) {
			t.Errorf("at %v counties add to %v, city total %v", tp.Confidences[k], sum, city.Total)
		}
		// Σ_g need ≥ each need on every path, so its quantile is at least
		// each guarantor's (it may exceed the sum of them: VaR is not subadditive).
		for _, gt := range tp.Guarantors {
			if city.Pooled < gt.At[k].Amount {
				t.Errorf("at %v pooled %v < %s's %v", tp.Confidences[k], city.Pooled, gt.Guarantor, gt.At[k].Amount)
			}
		}
		if city.PCapitalAll > tp.Confidences[k]+0.05 || city.PCapitalAll < 2*tp.Confidences[k]-1 {
			t.Errorf("at %v all hold on %v of paths (Fréchet bounds [2α−1, α])", tp.Confidences[k], city.PCapitalAll)
		}
	}
	if _, err := Topup(o, []float64{1}); err == nil {
		t.Error("confidence 1 accepted")
	}
	raw, err := json.Marshal(tp)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"schema":"danbao.topup/v1"`, `"amount":"`, `"p_leverage_min_before":`, `"idle_capital":`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}

// TestTopupIdleCapital: a guarantor at performance leverage 6 whose capital
// minimum sits above its registered capital must take the gap in; the
// injection pulls its leverage below 5 on every path, and the top-up is
// flagged idle. Without the minimum nothing is needed and nothing is idle.
func TestTopupIdleCapital(t *testing.T) {
	pf := thinCapital(1000)
	pf.Loans = pf.Loans[:0:0]
	for _, l := range thinCapital(1000).Loans {
		if l.GuarantorID == "GC" {
			pf.Loans = append(pf.Loans, l)
		}
	}
	pf.Guarantors = pf.Guarantors[1:]
	var gb float64
	for _, l := range pf.Loans {
		gb += 0.8 * float64(l.Balance)
	}
	pf.Guarantors[0].NetAssets = models.Cents(gb / 6)
	pf.Guarantors[0].RegisteredCapital = pf.Guarantors[0].NetAssets
	sc := models.DefaultScenario()
	sc.HorizonYears = 2
	sc.Shocks = []models.Shock{{PDMultiplier: 0.1}} // few losses: leverage stays near 6
	sc.Targets.CapitalMin.ByCounty = map[string]models.Cents{"330399": pf.Guarantors[0].RegisteredCapital * 2}
	sc.Targets.ConcentrationMax.Off, sc.Targets.ConcentrationGroupMax.Off = true, true // as in thinScenario
	o := mustExecute(t, pf, &sc, Params{Seed: 5, Paths: 500})
	gt := mustTopup(t, o, 0.95).Guarantors[0]
	l := gt.At[0]
	if want := Money(float64(pf.Guarantors[0].RegisteredCapital) / 100); gt.RegisteredGap != want || l.Amount < want {
		t.Errorf("registered gap %v (want %v), top-up %v", gt.RegisteredGap, want, l.Amount)
	}
	if !(gt.PLeverageMinBefore > 0.9) || l.PLeverageMin != 0 || !l.Idle {
		t.Errorf("P(leverage ≥ 5) before %v, after %v, idle %v; want > 0.9, 0, true", gt.PLeverageMinBefore, l.PLeverageMin, l.Idle)
	}
	sc.Targets.CapitalMin.ByCounty = nil
	o = mustExecute(t, pf, &sc, Params{Seed: 5, Paths: 500})
	l = mustTopup(t, o, 0.95).Guarantors[0].At[0]
	if l.Amount != 0 || l.Idle {
		t.Errorf("without a minimum: top-up %v, idle %v", l.Amount, l.Idle)
	}
}

// TestTopupConcentration: the capital need includes the concentration
// limits. The hand-worked example's GB (net assets 5,000,000, capital
// minimum switched off, regulatory leverage far below its cap) has one borrower, L3,
// with 400,000 guaranteed: 8 % of net assets, within 10 %. With
// concentration_max at 0.05 it needs net assets of 400,000 / 0.05 =
// 8,000,000 in every year; its largest shortfall, discounted at its 2 %
// yield, is year 1's: (8,000,000 − 5,100,000) / 1.02. With L3 and a
// related-party group partner at 15 % the group limit binds instead.
func TestTopupConcentration(t *testing.T) {
	run := func(mutate func(*models.Portfolio, *models.Scenario)) (*Ledger, *LedgerResult) {
		t.Helper()
		pf, sc := handWorkedInputs(t)
		sc.Targets.CapitalMin.Off = true // 瑞安's 2亿 would dwarf the rest
		mutate(pf, sc)
		m := mustCompile(t, pf, sc)
		L, err := newLedger(m, pf, sc)
		if err != nil {
			t.Fatal(err)
		}
		obs, res := L.NewObserver(1, 1)
		obs.Observe(0, 0, nil) // no defaults
		return L, res
	}
	const GB = 1
	_, r := run(func(pf *models.Portfolio, sc *models.Scenario) { sc.Targets.ConcentrationMax.Threshold = 0.05 })
	na1 := r.Metric(0, GB, 0, MetricNetAssets)
	if na1 != 5_100_000 {
		t.Fatalf("GB net assets y1 = %v, want 5,100,000", na1)
	}
	if want := (8_000_000 - na1) / 1.02; math.Abs(r.NeedX[GB]-want) > 1e-6 {
		t.Errorf("GB need with the borrower limit at 5 %% = %v, want %v", r.NeedX[GB], want)
	}
	// L3 (GB, 400,000) and a new loan L4 of another borrower (GB, 400,000
	// guaranteed) in one group: 800,000 ≤ 15 % × NA needs 5,333,333.33.
	_, r = run(func(pf *models.Portfolio, sc *models.Scenario) {
		l4 := pf.Loans[2]
		l4.LoanID, l4.BorrowerID = "L4", "L4"
		pf.Loans = append(pf.Loans, l4)
		pf.Loans[2].GroupID, pf.Loans[3].GroupID = "R1", "R1"
	})
	na1 = r.Metric(0, GB, 0, MetricNetAssets)
	want := max((800_000/0.15-na1)/1.02, (800_000/0.15-r.Metric(0, GB, 1, MetricNetAssets))/(1.02*1.02))
	if math.Abs(r.NeedX[GB]-want) > 1e-6 || !(want > 0) {
		t.Errorf("GB need with a group of 800,000 = %v, want %v (> 0)", r.NeedX[GB], want)
	}
}
