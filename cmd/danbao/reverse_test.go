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

func smallReverse(target, scope string) reverseOptions {
	return reverseOptions{simOptions: simOptions{scenario: "baseline", paths: 200, seed: 1, workers: 2, horizon: 1, json: true},
		target: target, scope: scope, year: 1, maxSigma: sim.DefaultReverseMax, tol: 1e-3, scale: 1}
}

func reverseJSON(t *testing.T, o reverseOptions) *sim.ReverseResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := runReverse(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatalf("reverse: %v", err)
	}
	var r sim.ReverseResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("not a reverse document: %v\n%s", err, stdout.String())
	}
	return &r
}

// pHold runs scenario file on portfolio (a snapshot folder, "" the
// example; P paths, seed 2) and returns P(hold) ± SE of the target row
// (id, scope, year 1).
func pHold(t *testing.T, portfolio, file, id, scope string, P int) (p, se float64) {
	t.Helper()
	ro := smallRun()
	ro.portfolio, ro.scenario, ro.paths, ro.seed = portfolio, file, P, 2
	doc, _ := runJSON(t, ro)
	for _, tr := range doc.Targets {
		if tr.ID == id && tr.Scope == scope && tr.Year == 1 {
			return float64(tr.PHold), float64(tr.SE)
		}
	}
	t.Fatalf("no %s %s year 1 row", id, scope)
	return 0, 0
}

// TestReverseScenarioFails: the scenario danbao reverse writes makes its
// target fail with P ≥ 0.5, and the same factor shifts × 0.8 leave it
// holding with P > 0.5 — on the embedded example without its guarantee
// chains (exampleWithoutChains), one year, the city's
// compensation rate (≤ 5 %), each scenario run on 3,000 fresh paths (seed
// 2; binomial SE ≈ 0.009).
// Why 0.5 at the point: the run adds the random factors F to the shifts
// s*; the safe set {E[margin | F] ≤ 0} is convex in F for loss-driven
// targets (the conditional loss is convex where PDs < 1/2), so the
// half-space beyond its tangent plane at s*, of probability 1/2, fails
// (docs/decisions.md "Reverse stress"). Measured here: P(fail) 0.630 ±
// 0.009 at the point, P(hold) 0.546 ± 0.009 at 0.8× (on the example before
// it carried chains). With the chains the conditional loss is steeper in
// F (capacities fall with S, contagion adds defaults where F is bad), so
// the point fails more often than the half-space argument gives and 0.8×
// still fails: P(fail) 0.719 ± 0.008 at the point, P(hold) 0.457 ± 0.009
// at 0.8× (README "Risk team"); the ½ argument is for the factor model
// alone, which is what this test holds. (capital_min of
// G-330382 in year 1 passes too, but narrowly: P(fail) 0.514 ± 0.009 on
// seed 2, 0.545 ± 0.008 on 4,000 paths of seed 7; at 0.8× P(hold) 0.594.)
func TestReverseScenarioFails(t *testing.T) {
	if testing.Short() {
		t.Skip("about 8 s: a reverse search and three runs of 3,000 paths")
	}
	const P = 3000
	for _, tc := range []struct{ id, scope string }{
		{models.TargetCompRateMax, sim.CityScope},
	} {
		t.Run(tc.id+"/"+tc.scope, func(t *testing.T) {
			dir := t.TempDir()
			pf := exampleWithoutChains(t)
			o := smallReverse(tc.id, tc.scope)
			o.portfolio = pf
			o.writeScenario = filepath.Join(dir, "rev.yaml")
			r := reverseJSON(t, o)
			_, sc, err := o.load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			milder := filepath.Join(dir, "rev08.yaml")
			if err := writeReverseScenario(context.Background(), milder, sc, r, 0.8); err != nil {
				t.Fatal(err)
			}
			at, se := pHold(t, pf, o.writeScenario, tc.id, tc.scope, P)
			at08, se08 := pHold(t, pf, milder, tc.id, tc.scope, P)
			base, _ := pHold(t, pf, "baseline", tc.id, tc.scope, P)
			t.Logf("|z| = %.3f σ (%d points); P(hold): baseline %.4f, at the point %.4f ± %.4f (P(fail) %.4f), at 0.8× %.4f ± %.4f",
				float64(r.Sigma), len(r.Evaluations), base, at, se, 1-at, at08, se08)
			if 1-at < 0.5 {
				t.Errorf("the written scenario fails with P %.4f ± %.4f < 0.5", 1-at, se)
			}
			if at08 <= 0.5 {
				t.Errorf("the shifts × 0.8 hold with P %.4f ± %.4f ≤ 0.5", at08, se08)
			}
		})
	}
}

// TestReverseBadFlags: mistakes name the valid choices; exit 1 is main's.
func TestReverseBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*reverseOptions)
		want []string
	}{
		{"no target", func(o *reverseOptions) { o.target = "" }, []string{"--target is required", "capital_min"}},
		{"unknown target", func(o *reverseOptions) { o.target = "capital" }, []string{`unknown target "capital"`, "capital_min", "leverage_max"}},
		{"unknown scope", func(o *reverseOptions) { o.scope = "G-999" }, []string{`no scope "G-999"`, "G-330381", "G-330382"}},
		{"unknown year", func(o *reverseOptions) { o.year = 4 }, []string{"no year 4", "years: 1"}},
		{"cannot fail", func(o *reverseOptions) { o.target, o.scope = models.TargetLeverageMax, "G-CITY"; o.maxSigma = 2 },
			[]string{"holds at every point searched up to |z| = 2σ", "capital_min"}},
		{"bad scale", func(o *reverseOptions) { o.scale = 0 }, []string{"--scale 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := smallReverse(models.TargetCapitalMin, "G-330382")
			o.paths = 20
			tc.edit(&o)
			var stdout, stderr bytes.Buffer
			err := runReverse(context.Background(), o, &stdout, &stderr)
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

// TestReverseReport: --report FILE.html writes the reverse report of
// capital_min of G-330382 on the example (one year): |z| as printed by
// --json, the margin in 万元 (capital_min's margin is in yuan), the factor
// and segment tables, the shocks and the method; a workbook is refused
// with a reason before anything runs.
func TestReverseReport(t *testing.T) {
	o := smallReverse(models.TargetCapitalMin, "G-330382")
	o.paths, o.tol = 60, 1e-2
	o.report = filepath.Join(t.TempDir(), "reverse.html")
	r := reverseJSON(t, o)
	b, err := os.ReadFile(o.report)
	if err != nil {
		t.Fatal(err)
	}
	sigma := "|z| = " + strconv.FormatFloat(float64(r.Sigma), 'f', 3, 64) + " σ"
	for _, want := range []string{"<style>", `id="reverse-result"`, "capital_min", "G-330382", sigma, "Φ(−|z|) = ", "万元",
		`id="reverse-factors"`, `<span lang="zh">宏观因子</span>`, `id="reverse-segments"`, `id="reverse-evaluations"`,
		`id="reverse-search"`, `id="reverse-shocks"`, "- factor: macro", `id="reverse-method"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	o.report = filepath.Join(t.TempDir(), "reverse.xlsx")
	var stdout, stderr bytes.Buffer
	if err := runReverse(context.Background(), o, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "HTML report") {
		t.Errorf("xlsx: err = %v", err)
	}
	if _, err := os.Stat(o.report); !os.IsNotExist(err) {
		t.Errorf("xlsx: a file was written (%v)", err)
	}
}
