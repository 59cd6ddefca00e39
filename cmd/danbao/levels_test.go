package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/sim"
)

// TestLevels: --levels adds levels to the three every document has, in
// every var/es map, and bad levels are refused naming the value.
func TestLevels(t *testing.T) {
	resetAfter(t, "run", "levels", "losses-only", "horizon")
	out, err := run(t, "run", "--json", "--losses-only", "--paths", "300", "--seed", "2", "--horizon", "1", "--workers", "1",
		"--portfolio", "", "--scenario", "baseline", "--out", "", "--report", "", "--levels", "0.9999,0.9")
	if err != nil {
		t.Fatal(err, out)
	}
	var d sim.Document
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if want := []float64{0.9, 0.95, 0.99, 0.999, 0.9999}; !slices.Equal(d.Levels, want) {
		t.Errorf("levels %v, want %v", d.Levels, want)
	}
	tot := d.Loss[sim.PartyTotal]
	for _, k := range []string{"0.9", "0.95", "0.99", "0.999", "0.9999"} {
		if _, ok := tot.VaR[k]; !ok {
			t.Errorf("loss.total.var has no %q", k)
		}
		if _, ok := d.Defaults.ES[k]; !ok {
			t.Errorf("defaults.es has no %q", k)
		}
	}
	if !(tot.VaR["0.9999"] >= tot.VaR["0.999"]) {
		t.Errorf("VaR 0.9999 %v < VaR 0.999 %v", tot.VaR["0.9999"], tot.VaR["0.999"])
	}
	for _, bad := range []string{"0.99999", "1", "abc", "0.4"} {
		_, err := run(t, "run", "--json", "--losses-only", "--paths", "10", "--levels", bad)
		if err == nil || !strings.Contains(err.Error(), "--levels") {
			t.Errorf("--levels %s: err %v", bad, err)
		}
	}
}

// TestImportanceSamplingFlag: --is gives the importance_sampling block
// with --losses-only, and a level below 0.5 is refused naming it.
func TestImportanceSamplingFlag(t *testing.T) {
	resetAfter(t, "run", "is", "losses-only", "horizon", "out")
	out, err := run(t, "run", "--json", "--losses-only", "--is", "0.999", "--paths", "400", "--seed", "2", "--horizon", "1", "--workers", "1",
		"--portfolio", "", "--scenario", "baseline", "--out", "", "--report", "", "--levels", "")
	if err != nil {
		t.Fatal(err, out)
	}
	var d sim.Document
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.ImportanceSampling == nil || d.ImportanceSampling.Level != 0.999 || !(d.ImportanceSampling.ESS > 0) {
		t.Errorf("importance_sampling %+v", d.ImportanceSampling)
	}
	if _, err := run(t, "run", "--json", "--losses-only", "--is", "0.3", "--paths", "50"); err == nil || !strings.Contains(err.Error(), "--is 0.3") {
		t.Errorf("--is 0.3: err %v", err)
	}
}

// TestImportanceSamplingFullRun: --is with the policy ledger gives the
// weighted targets and party losses, and --out a weight column whose mean
// is the document's mean weight.
func TestImportanceSamplingFullRun(t *testing.T) {
	resetAfter(t, "run", "is", "losses-only", "horizon", "out")
	csvPath := filepath.Join(t.TempDir(), "p.csv")
	out, err := run(t, "run", "--json", "--losses-only=false", "--is", "0.99", "--paths", "300", "--seed", "2", "--horizon", "1", "--workers", "2",
		"--portfolio", "", "--scenario", "baseline", "--out", csvPath, "--report", "", "--levels", "")
	if err != nil {
		t.Fatal(err, out)
	}
	var d sim.Document
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.ImportanceSampling == nil || len(d.Targets) == 0 || d.Loss["guarantor"].ES == nil {
		t.Fatalf("importance_sampling %+v, %d targets", d.ImportanceSampling, len(d.Targets))
	}
	b, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	head := strings.Split(lines[0], ",")
	if head[len(head)-1] != "weight" || len(lines) != 301 {
		t.Fatalf("header %v, %d lines", head, len(lines))
	}
	var sw float64
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		w, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil || !(w > 0 && w <= 10) {
			t.Fatalf("weight %q: %v", f[len(f)-1], err)
		}
		sw += w
	}
	if got, want := sw/300, float64(d.ImportanceSampling.MeanWeight); math.Abs(got-want) > 1e-12 {
		t.Errorf("mean of the weight column %v, document's mean weight %v", got, want)
	}
}
