package main

import (
	"encoding/json"
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
