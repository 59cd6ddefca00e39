package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/wenzhou/danbao"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

func topupJSON(t *testing.T, o topupOptions) *sim.TopupResult {
	t.Helper()
	o.json = true
	var stdout, stderr bytes.Buffer
	if err := runTopup(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatalf("topup: %v (stderr %q)", err, stderr.String())
	}
	var r sim.TopupResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("stdout is not a top-up document: %v\n%s", err, stdout.String())
	}
	return &r
}

func smallTopup() topupOptions {
	return topupOptions{simOptions: simOptions{scenario: "baseline", paths: 400, seed: 1, workers: 2, horizon: 2},
		confidence: "0.9,0.95,0.99"}
}

// TestTopupExample: on the embedded example, 龙湾 (330303) and 平阳 (330326)
// have registered capital below the seed's 2亿 (net assets above it), so
// their top-up is the gap on every path; 泰顺 (330329) has net assets below
// its 1亿 minimum, so its top-up is at least the gap and grows with α.
// Counties add up to the city, and the text names the idle capital.
func TestTopupExample(t *testing.T) {
	r := topupJSON(t, smallTopup())
	if r.Schema != sim.TopupSchema || r.Paths != 400 || r.HorizonYears != 2 || len(r.Guarantors) != 10 || len(r.Confidences) != 3 {
		t.Fatalf("header: schema %q, %d paths, horizon %d, %d guarantors", r.Schema, r.Paths, r.HorizonYears, len(r.Guarantors))
	}
	pf, err := danbao.Example()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]sim.GuarantorTopup{}
	for _, g := range r.Guarantors {
		byID[g.Guarantor] = g
	}
	gap := func(id string, min models.Cents) sim.Money {
		for _, g := range pf.Guarantors {
			if g.GuarantorID == id {
				return sim.Money(float64(min-g.RegisteredCapital) / 100)
			}
		}
		t.Fatalf("no guarantor %s", id)
		return 0
	}
	for _, id := range []string{"G-330303", "G-330326"} {
		g := byID[id]
		want := gap(id, 2*models.Yi)
		if math.Abs(float64(g.RegisteredGap-want)) > 0.005 || g.At[0].Amount != g.RegisteredGap || g.At[2].Amount != g.RegisteredGap {
			t.Errorf("%s: gap %v (want %v), top-ups %v, %v", id, g.RegisteredGap, want, g.At[0].Amount, g.At[2].Amount)
		}
	}
	ts := byID["G-330329"]
	if !(ts.At[0].Amount > ts.RegisteredGap && ts.At[2].Amount > ts.At[0].Amount) {
		t.Errorf("泰顺: gap %v, top-ups %v, %v", ts.RegisteredGap, ts.At[0].Amount, ts.At[2].Amount)
	}
	for k := range r.Confidences {
		var sum sim.Money
		for _, c := range r.Counties {
			sum += c.At[k].Amount
		}
		// Each amount is rounded to the fen in the JSON: the sum of the
		// rounded county amounts is within half a fen per county of the
		// rounded total.
		if total := r.City.At[k].Total; math.Abs(float64(sum-total)) > 0.005*float64(len(r.Counties))+1e-9 {
			t.Errorf("at %v: counties %v, city %v", r.Confidences[k], sum, total)
		}
	}

	o := smallTopup()
	var stdout, stderr bytes.Buffer
	if err := runTopup(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	for _, want := range []string{"By guarantor", "330329 泰顺县", "registered gap", "By county", "Leverage (performance) ≥ 5",
		"Idle capital:", "G-330329 from 90 %", "* 95 %", "99.9 %"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

// TestTopupHoldsOnExample is issue 5's acceptance test on the embedded
// example: 泰顺's top-up at 0.95 (seed 1), injected at t = 0 and re-run on
// seed 2, keeps its capital targets in every year on a share of paths
// within 2 standard errors of 0.95. SE = √(α(1−α)(1/P + 1/P')): the top-up
// is itself a quantile estimated from P paths (see the sim test of the
// same name).
func TestTopupHoldsOnExample(t *testing.T) {
	const alpha, P = 0.95, 1500
	pf, err := danbao.Example()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Builtin("baseline")
	if err != nil {
		t.Fatal(err)
	}
	sc.HorizonYears = 2
	o, err := sim.Execute(context.Background(), pf, &sc, sim.Params{Seed: 1, Paths: P})
	if err != nil {
		t.Fatal(err)
	}
	r, err := sim.Topup(o, []float64{alpha})
	if err != nil {
		t.Fatal(err)
	}
	const id = "G-330329"
	g := o.GuarantorIndex(id)
	x := r.Guarantors[g].At[0].Amount
	if before, _ := o.CapitalHold(g); before != 0 {
		t.Fatalf("%s holds its capital targets on %v of paths without a top-up; the test wants a binding need", id, before)
	}
	sc.Injections = append(sc.Injections, models.Injection{Guarantor: id, Year: 0, Amount: models.Cents(math.Ceil(float64(x) * 100))})
	o2, err := sim.Execute(context.Background(), pf, &sc, sim.Params{Seed: 2, Paths: P})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := o2.CapitalHold(g)
	se := math.Sqrt(alpha * (1 - alpha) * 2 / P)
	t.Logf("%s: top-up %.2f yuan; seed 2 with it: P(capital targets hold every year) = %.4f (z = %.2f)", id, x, got, (got-alpha)/se)
	if math.Abs(got-alpha) > 2*se {
		t.Errorf("%s: P(hold) %.4f is more than 2 SE (%.4f) from %v", id, got, se, alpha)
	}
}

// TestWenzhou2011Compensation is issue 5's acceptance test of the 2011
// replay: it drives every county guarantor's compensation rate well above
// the 5 % target — in its worst year each averages more than twice the
// target (the replay puts the city's worst year at about 12 %, the figure
// it states it reproduces; TestWenzhou2011Reproduces) — and the summary of
// danbao run says so. 1,000 paths: the lowest county, 龙湾 (G-330303),
// averages about 11.1 % in its worst year (3,000 paths, seed 11), and at
// 300 paths its estimate scattered by about a point (9.7 % on seed 1 with
// the example's guarantee chains), too close to the 10 % it must exceed.
func TestWenzhou2011Compensation(t *testing.T) {
	o := runOptions{simOptions: simOptions{scenario: "wenzhou-2011", paths: 1000, seed: 1, workers: 2, sampler: "fast", json: true}}
	doc, _ := runJSON(t, o)
	pf, err := danbao.Example()
	if err != nil {
		t.Fatal(err)
	}
	county := 0
	for _, g := range pf.Guarantors {
		if g.Level != models.LevelCounty {
			continue
		}
		county++
		peak := 0.0
		for _, y := range doc.Years {
			peak = max(peak, float64(y.Metrics[g.GuarantorID]["compensation_rate"].Mean))
		}
		if !(peak > 2*0.05) {
			t.Errorf("%s: mean compensation rate at most %.3f in every year under the 2011 replay", g.GuarantorID, peak)
		}
	}
	if county == 0 {
		t.Fatal("the example has no county guarantors")
	}

	o.json = false
	var stdout, stderr bytes.Buffer
	if err := runSimulation(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	for _, want := range []string{"Compensation rate (compensation paid / guarantees released; target ≤ 5.0 %)",
		"County guarantors above the 5.0 % target: 9 of 9 average more than it in their worst year"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestTopupErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*topupOptions)
		want string
	}{
		{"confidence 1", func(o *topupOptions) { o.confidence = "0.9,1" }, "--confidence 1"},
		{"not a number", func(o *topupOptions) { o.confidence = "0.9,high" }, `value 2 "high"`},
		{"paths", func(o *topupOptions) { o.paths = 0 }, "--paths 0"},
		{"set", func(o *topupOptions) { o.sets = []string{"policy.bank_sahre=0.3"} }, "bank_sahre"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := smallTopup()
			tc.edit(&o)
			err := runTopup(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestTopupCommand drives the cobra command once, for the flag wiring.
func TestTopupCommand(t *testing.T) {
	out, err := run(t, "topup", "--paths", "100", "--seed", "4", "--horizon", "1", "--workers", "1", "--sampler", "fast", "--confidence", "0.8", "--json")
	defer rootCmd.SetArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	var r sim.TopupResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Paths != 100 || r.Seed != 4 || r.HorizonYears != 1 || r.Workers != 1 || len(r.Confidences) != 1 || r.Confidences[0] != 0.8 {
		t.Errorf("header %+v", r)
	}
}
