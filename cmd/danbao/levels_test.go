package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
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

// TestImportanceSamplingFlag: --is gives the importance_sampling block and
// the credit-loss figures with --losses-only; without it, and with --out,
// it is refused saying why.
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
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--losses-only=false"}, "add --losses-only"},
		{[]string{"--losses-only", "--out", filepath.Join(t.TempDir(), "p.arrow")}, "no weight column"},
		{[]string{"--losses-only", "--is", "0.3"}, "--is 0.3"},
	} {
		args := append([]string{"run", "--json", "--is", "0.999", "--paths", "50", "--out", ""}, tt.args...)
		if _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.args, err, tt.want)
		}
	}
}
