package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/calibrate"
)

// TestCalibrateOutRuns calibrates the documented Wenzhou history, writes
// the scenario with --out, runs it, and checks that the run's expected
// default rate in year 1 (mean defaults ÷ the portfolio's loans) is the
// history's mean default rate within 2 SE, where SE² = SE_history² +
// SE_MC² (the history's SE from the spread of its yearly rates; the run's
// Monte Carlo SE of the mean count ÷ loans).
func TestCalibrateOutRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("calibrate + run: skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "calibrated.yaml")
	var stdout, stderr bytes.Buffer
	o := calibrateOptions{history: "../../testdata/history/wenzhou.csv", by: "county", json: true, out: out, scenario: "baseline", bootstrap: 39, seed: 1, workers: 2}
	if err := runCalibrate(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatalf("calibrate: %v (stderr %q)", err, stderr.String())
	}
	var res calibrate.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	// The --json schema of the issue.
	var raw map[string]any
	_ = json.Unmarshal(stdout.Bytes(), &raw)
	for _, k := range []string{"pd", "r2", "persistence", "recovery", "n_years", "warnings"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("--json has no %q", k)
		}
	}
	if !strings.Contains(stdout.String(), `"pooled": {`) || !strings.Contains(stdout.String(), `"ci95": [`) {
		t.Errorf("--json lacks pd.pooled.ci95:\n%.400s", stdout.String())
	}
	if res.NYears != 16 || res.R2.Macro.Estimate == nil {
		t.Fatalf("n_years %d, macro %v", res.NYears, res.R2.Macro.Estimate)
	}
	yaml, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(yaml), "rationale:") || !strings.Contains(string(yaml), "95 % interval") {
		t.Errorf("scenario has no rationale with intervals:\n%s", yaml)
	}
	r := smallRun()
	r.scenario, r.paths, r.lossesOnly = out, 4000, true
	doc, _ := runJSON(t, r)
	y1 := doc.Years[0].Defaults
	n := float64(doc.Portfolio.Loans)
	got := float64(y1.Mean) / n
	se := math.Hypot(res.DefaultRateSE, float64(y1.SE.Mean)/n)
	t.Logf("history %.5f ± %.5f, run %.5f ± %.5f", res.DefaultRate, res.DefaultRateSE, got, float64(y1.SE.Mean)/n)
	if math.Abs(got-res.DefaultRate) > 2*se {
		t.Errorf("run's default rate %.5f is more than 2 SE (%.5f) from the history's %.5f", got, se, res.DefaultRate)
	}
}

func TestCalibrateRefusesBadHistory(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "h.csv")
	os.WriteFile(hist, []byte("year,county,industry,loans,defaults\n2012,A,x,10,11\n2013,A,x,-1,0\n"), 0o644)
	out := filepath.Join(dir, "s.yaml")
	var stdout, stderr bytes.Buffer
	err := runCalibrate(context.Background(), calibrateOptions{history: hist, by: "county", out: out, scenario: "baseline", bootstrap: 39, workers: 1}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "row 2, column \"defaults\"") || !strings.Contains(err.Error(), "row 3, column \"loans\"") {
		t.Fatalf("err = %v, want both rows named", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("--out was written despite the error")
	}
}
