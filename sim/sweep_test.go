package sim

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// bankShareGrid stands in for scenarios.SweepPoints (which sim may not
// import): sc with policy.bank_share at each value, allow_below_floor set
// at every point when a value is below the floor, as the floor rule says.
func bankShareGrid(sc *models.Scenario, values []float64) *models.SweepGrid {
	g := &models.SweepGrid{Axes: []models.SweepAxis{{Param: models.BankSharePath, Values: values}}, MovesBankShare: true}
	below := slices.ContainsFunc(values, func(v float64) bool { return v < models.BankShareFloor })
	if below {
		g.Notes = []string{"policy.allow_below_floor set to true at every point (test grid)"}
	}
	for _, v := range values {
		pt := *sc
		pt.Policy.BankShare = v
		pt.Policy.AllowBelowFloor = pt.Policy.AllowBelowFloor || below
		g.Points = append(g.Points, pt)
	}
	return g
}

func mustSweep(t testing.TB, pf *models.Portfolio, sc *models.Scenario, values []float64, opt SweepOptions, p Params) *SweepResult {
	t.Helper()
	r, err := Sweep(context.Background(), pf, bankShareGrid(sc, values), opt, p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// diff returns the difference of party between points k and k+1.
func diff(t testing.TB, r *SweepResult, k int, party string) SweepDiff {
	t.Helper()
	for _, d := range r.Differences {
		if d.From == r.Values[k] && d.To == r.Values[k+1] && d.Party == party {
			return d
		}
	}
	t.Fatalf("no difference %v → %v for %s", r.Values[k], r.Values[k+1], party)
	return SweepDiff{}
}

// TestSweepBankShare is issue 5's acceptance test on the headline sweep,
// bank share 0, 0.1, …, 0.5: as the bank carries more, the guarantor's mean
// loss falls and the bank's rises, point after point; the total credit loss
// is the same on every path at every point (a policy parameter does not
// move defaults under common random numbers), and the paired standard
// error of every adjacent difference is at most the independent-runs one
// (equal only for the bank's first step: at bank share 0 the bank carries
// nothing on any path, so pairing has nothing to cancel). How far below it
// is depends on the step against the shares; TestSweepSmooth measures it.
// Going below the 20 % floor sets allow_below_floor and says so.
func TestSweepBankShare(t *testing.T) {
	pf := thinCapital(2000)
	sc := thinScenario(pf)
	values := []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5}
	r := mustSweep(t, pf, sc, values, SweepOptions{}, Params{Seed: 11, Paths: 2000})
	if sc.Policy.AllowBelowFloor || sc.Policy.BankShare != 0.2 {
		t.Errorf("the base scenario was changed: %+v", sc.Policy)
	}
	if len(r.Points) != len(values) || len(r.Differences) != (len(values)-1)*(NParties+1) || r.HorizonYears != 2 {
		t.Fatalf("%d points, %d differences, horizon %d", len(r.Points), len(r.Differences), r.HorizonYears)
	}
	if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "allow_below_floor") {
		t.Errorf("notes %q do not say allow_below_floor was set", r.Notes)
	}
	for k := 1; k < len(values); k++ {
		g0, g1 := r.Points[k-1].Loss["guarantor"].Mean, r.Points[k].Loss["guarantor"].Mean
		b0, b1 := r.Points[k-1].Loss["bank"].Mean, r.Points[k].Loss["bank"].Mean
		if !(g1 < g0) || !(b1 > b0) {
			t.Errorf("bank share %v → %v: guarantor %.0f → %.0f, bank %.0f → %.0f; want falling, rising", values[k-1], values[k], g0, g1, b0, b1)
		}
		tot := diff(t, r, k-1, PartyTotal)
		if tot.Mean != 0 || tot.SEPaired != 0 {
			t.Errorf("total loss moved between %v and %v: %+v", values[k-1], values[k], tot)
		}
		for _, party := range []string{"guarantor", "bank"} {
			d := diff(t, r, k-1, party)
			t.Logf("%s %.1f → %.1f: Δ mean %12.2f, SE paired %9.2f, independent %9.2f (ratio %.3f)",
				party, values[k-1], values[k], d.Mean, d.SEPaired, d.SEIndependent, d.SEPaired/d.SEIndependent)
			if !(d.SEPaired <= d.SEIndependent*(1+1e-9)) || (values[k-1] > 0 && !(d.SEPaired < d.SEIndependent/2)) {
				t.Errorf("%s %v → %v: paired SE %v, independent %v", party, values[k-1], values[k], d.SEPaired, d.SEIndependent)
			}
		}
	}
	// Targets and outlays are there, and bank_share_min fails below the floor.
	for k, pt := range r.Points {
		var bsm *SweepTarget
		for i := range pt.Targets {
			if pt.Targets[i].ID == models.TargetBankShareMin {
				bsm = &pt.Targets[i]
			}
		}
		if bsm == nil || len(bsm.PHold) != 2 || (values[k] < 0.2) != (bsm.Lowest == 0) {
			t.Errorf("bank share %v: bank_share_min %+v", values[k], bsm)
		}
		if len(pt.Outlays["total"]) != 2 || !(pt.Outlays["total"][0] > 0) || !(pt.Topup >= 0) {
			t.Errorf("bank share %v: outlays %v, top-up %v", values[k], pt.Outlays["total"], pt.Topup)
		}
	}
	// A higher bank share leaves the guarantor more capital: the top-up falls.
	if !(r.Points[5].Topup < r.Points[0].Topup) {
		t.Errorf("top-up at bank share 0.5 %v, at 0 %v", r.Points[5].Topup, r.Points[0].Topup)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"schema":"danbao.sweep/v1"`, `"se_paired":"`, `"topup":"`, `"p_hold":[`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}

// TestSweepSmooth: what common random numbers buy. With the stop-loss off
// and county budgets unlimited the split is linear (TestSplitIsLinear): at
// bank share s the guarantor carries (0.6 − s)·L_p and the bank s·L_p of
// the same total L_p on every path, so the ratio of the paired to the
// independent-runs standard error of a step s → s' is, up to fen rounding,
//
//	|s' − s| / √(a² + a'²),   a = the party's share at s, a' at s'.
//
// It is small when the step is small against the shares: on 0.20, 0.25, …,
// 0.40 below 1/5 for both parties (at most 0.05/√(0.2² + 0.25²) = 0.156).
// The same grid with the stop-loss and budgets on must stay below 1/5 too.
func TestSweepSmooth(t *testing.T) {
	pf := thinCapital(2000)
	values := []float64{0.2, 0.25, 0.3, 0.35, 0.4}
	for _, linear := range []bool{true, false} {
		sc := thinScenario(pf)
		if linear {
			sc.Policy.Reguarantee.StopRate, sc.Policy.NationalFund.StopRate = 0, 0
		} else {
			sc.Policy.CountyFund.DefaultBudget = 2000 * models.Yuan
		}
		r := mustSweep(t, pf, sc, values, SweepOptions{}, Params{Seed: 12, Paths: 2000})
		for k := 1; k < len(values); k++ {
			s0, s1 := values[k-1], values[k]
			for _, tc := range []struct {
				party  string
				a0, a1 float64
			}{{"guarantor", 0.6 - s0, 0.6 - s1}, {"bank", s0, s1}} {
				d := diff(t, r, k-1, tc.party)
				ratio := float64(d.SEPaired / d.SEIndependent)
				want := math.Abs(s1-s0) / math.Hypot(tc.a0, tc.a1)
				t.Logf("linear %v, %s %.2f → %.2f: SE paired/independent %.4f (linear split: %.4f)", linear, tc.party, s0, s1, ratio, want)
				if linear && math.Abs(ratio/want-1) > 1e-3 {
					t.Errorf("%s %v → %v: ratio %v, want %v", tc.party, s0, s1, ratio, want)
				}
				if !(ratio < 0.2) {
					t.Errorf("linear %v, %s %v → %v: paired SE %v is not below 1/5 of the independent %v", linear, tc.party, s0, s1, d.SEPaired, d.SEIndependent)
				}
			}
		}
	}
}

// TestSweepResponse: the behavioural response multiplies PDs by
// 1 + e·(0.2 − s): nothing changes at s = 0.2, defaults rise below it and
// fall above it; a multiplier ≤ 0 is an error.
func TestSweepResponse(t *testing.T) {
	pf := thinCapital(1000)
	sc := thinScenario(pf)
	p := Params{Seed: 13, Paths: 500}
	values := []float64{0.1, 0.2, 0.3}
	off := mustSweep(t, pf, sc, values, SweepOptions{}, p)
	on := mustSweep(t, pf, sc, values, SweepOptions{ResponseElasticity: 2}, p)
	if on.Response == nil || on.Response.Elasticity != 2 || off.Response != nil {
		t.Errorf("response %+v / %+v", on.Response, off.Response)
	}
	a, _ := json.Marshal(off.Points[1].Loss)
	b, _ := json.Marshal(on.Points[1].Loss)
	if string(a) != string(b) || on.Points[1].PDMultiplier != 1 {
		t.Errorf("at the floor the response changed the losses (multiplier %v)", on.Points[1].PDMultiplier)
	}
	if m := float64(on.Points[0].PDMultiplier); math.Abs(m-1.2) > 1e-12 {
		t.Errorf("multiplier at 0.1 = %v, want 1.2", m)
	}
	lo, hi := on.Points[0].Loss[PartyTotal].Mean, on.Points[2].Loss[PartyTotal].Mean
	if !(lo > off.Points[0].Loss[PartyTotal].Mean && hi < off.Points[2].Loss[PartyTotal].Mean) {
		t.Errorf("total loss with response %v, %v; without %v, %v", lo, hi, off.Points[0].Loss[PartyTotal].Mean, off.Points[2].Loss[PartyTotal].Mean)
	}
	if _, err := Sweep(context.Background(), pf, bankShareGrid(sc, []float64{0.4}), SweepOptions{ResponseElasticity: 5}, p); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("multiplier 0: err = %v", err)
	}
}

func TestSweepErrors(t *testing.T) {
	pf := thinCapital(200)
	sc := thinScenario(pf)
	p := Params{Seed: 1, Paths: 50}
	one := bankShareGrid(sc, []float64{0.3})
	for _, tc := range []struct {
		name string
		g    *models.SweepGrid
		opt  SweepOptions
		want string
	}{
		{"no values", bankShareGrid(sc, nil), SweepOptions{}, "no values"},
		{"NaN", bankShareGrid(sc, []float64{math.NaN()}), SweepOptions{}, "not finite"},
		{"points", &models.SweepGrid{Axes: one.Axes}, SweepOptions{}, "0 points for 1 values"},
		{"invalid point", bankShareGrid(sc, []float64{1.5}), SweepOptions{}, "bank_share"},
		{"confidence", one, SweepOptions{Confidence: 1}, "confidence"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Sweep(context.Background(), pf, tc.g, tc.opt, p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Sweep(ctx, pf, one, SweepOptions{}, p); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}
