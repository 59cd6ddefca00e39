package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

func smallSolve() solveOptions {
	return solveOptions{simOptions: simOptions{scenario: "baseline", paths: 800, seed: 1, workers: 2, horizon: 2},
		param: "growth.rate", target: models.TargetLeverageMin, scope: sim.CityScope, year: 2, p: 0.5, rng: "0,1", tol: 0.002}
}

// leverageMinCity returns P(leverage_min holds, city, year 2) of a run of
// the embedded example at growth.rate = g, on the solve's seed and paths.
func leverageMinCity(t *testing.T, o solveOptions, g float64) float64 {
	t.Helper()
	ro := smallRun()
	ro.paths, ro.seed, ro.horizon = o.paths, o.seed, o.horizon
	ro.sets = []string{"growth.rate=" + strconv.FormatFloat(g, 'g', -1, 64)}
	doc, _ := runJSON(t, ro)
	for _, tr := range doc.Targets {
		if tr.ID == models.TargetLeverageMin && tr.Scope == sim.CityScope && tr.Year == 2 {
			return float64(tr.PHold)
		}
	}
	t.Fatal("no leverage_min city year 2 row")
	return 0
}

// TestSolveGrowthForLeverage: the growth rate x at which the city's
// leverage_min (performance leverage ≥ 5) holds in year 2 with P 0.5.
// Growth adds new business, so leverage — and P(hold) — rise with it: runs
// on the same seed at x·1.02 hold with P ≥ 0.5 and at x·0.98 with P < 0.5.
// (Year 1 does not depend on growth in this model: new business starts
// after the first year-end, so year 2 is the first year it can move.)
func TestSolveGrowthForLeverage(t *testing.T) {
	o := smallSolve()
	o.json = true
	var stdout, stderr bytes.Buffer
	if err := runSolve(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatalf("solve: %v", err)
	}
	var r sim.SolveResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("not a solve document: %v\n%s", err, stdout.String())
	}
	x := float64(r.Value)
	if r.Schema != sim.SolveSchema || r.Direction != "increasing" || !(x > 0 && x < 1) {
		t.Fatalf("solve: %+v", r)
	}
	if float64(r.Holding.PHold) < 0.5 || float64(r.Failing.PHold) >= 0.5 || float64(r.Holding.Value) != x ||
		float64(r.Holding.Value-r.Failing.Value) > 0.002+1e-12 {
		t.Errorf("bracket: holding %+v failing %+v", r.Holding, r.Failing)
	}
	up, down := leverageMinCity(t, o, x*1.02), leverageMinCity(t, o, x*0.98)
	t.Logf("x = %v (P %v ± %v; %v at %v); P at 1.02x = %.4f, at 0.98x = %.4f", x, r.Holding.PHold, r.Holding.SE,
		r.Failing.PHold, r.Failing.Value, up, down)
	if up < 0.5 || down >= 0.5 {
		t.Errorf("P(hold) %.4f at 1.02x, %.4f at 0.98x: want ≥ 0.5 and < 0.5", up, down)
	}
}

// TestSolveBadInput: each mistake gets an error naming the valid choices.
func TestSolveBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*solveOptions)
		want []string
	}{
		{"unknown path", func(o *solveOptions) { o.param = "growth.rat" }, []string{"growth.rat", "rate"}},
		{"not numeric", func(o *solveOptions) { o.param = "model.copula" }, []string{"not a number", "growth.rate"}},
		{"no solution", func(o *solveOptions) { o.rng = "0,0.1" }, []string{"no solution", "below 0.5 at both ends"}},
		{"unknown target", func(o *solveOptions) { o.target = "leverage" }, []string{`unknown target "leverage"`, "leverage_min", "capital_min"}},
		{"unknown scope", func(o *solveOptions) { o.scope = "G-999" }, []string{`no scope "G-999"`, "city", "G-330302", "all"}},
		{"bad year", func(o *solveOptions) { o.year = 3 }, []string{"no year 3", "years: 1, 2"}},
		{"bad range", func(o *solveOptions) { o.rng = "1,0" }, []string{"lo < hi"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := smallSolve()
			o.paths = 100
			tc.edit(&o)
			var out bytes.Buffer
			err := runSolve(context.Background(), o, &out, &out)
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

// TestSolveReport: --report FILE.html writes the solve page (answer, both
// sides, every evaluation); a workbook is refused with a reason. The bank
// share at which bank_share_min (policy, ≥ 0.2) holds with P ≥ 0.5 is 0.2.
func TestSolveReport(t *testing.T) {
	o := solveOptions{simOptions: simOptions{scenario: "baseline", paths: 20, seed: 1, workers: 2, horizon: 1,
		sets: []string{"policy.allow_below_floor=true"}},
		param: "policy.bank_share", target: models.TargetBankShareMin, scope: "policy", year: 1, p: 0.5, rng: "0.1,0.3", tol: 0.01}
	o.report = filepath.Join(t.TempDir(), "solve.html")
	var stdout, stderr bytes.Buffer
	if err := runSolve(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatalf("solve: %v (%s)", err, stderr.String())
	}
	b, err := os.ReadFile(o.report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="solve-answer"`, `id="solve-sides"`, `id="solve-evaluations"`, "policy.bank_share", "最小取值"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	if !strings.Contains(stdout.String(), "value    0.2") {
		t.Errorf("answer:\n%s", stdout.String())
	}
	o.report = filepath.Join(t.TempDir(), "solve.xlsx")
	if err := runSolve(context.Background(), o, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "HTML report") {
		t.Errorf("xlsx: err = %v", err)
	}
}
