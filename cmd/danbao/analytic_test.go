package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wenzhou/danbao"
	"github.com/wenzhou/danbao/models/snapshot"
	"github.com/wenzhou/danbao/sim"
)

// TestAnalyticBesideMonteCarlo: on a one-factor version of the embedded
// example without its guarantee chains (the closed forms have no
// contagion; exampleWithoutChains) (r2.macro = 0.2, no industry or county factor; 32,712 loans
// with maturities and new business within the year), the closed forms'
// VaR (ASRF + granularity adjustment) and ES (ASRF) of the year-1 total
// loss agree with a plain Monte Carlo run of 20,000 paths within 4 of the
// run's standard errors at 0.95, 0.99 and 0.999, and the expected loss
// within 4 SE. This ties FirstYearExposures (PD, loss, life in the year)
// to the engine’s own definitions. Measured (seed 3): z between −0.69 and +0.65.
func TestAnalyticBesideMonteCarlo(t *testing.T) {
	if testing.Short() {
		t.Skip("a 20,000-path run of the example")
	}
	resetAfter(t, "run", "set", "losses-only", "horizon")
	resetAfter(t, "analytic", "set", "levels")
	oneFactor := []string{"--set", "model.r2.macro=0.2", "--set", "model.r2.industry=0", "--set", "model.r2.county=0"}
	pf := exampleWithoutChains(t)
	out, err := run(t, append([]string{"analytic", "--json", "--levels", "0.95,0.99,0.999", "--portfolio", pf, "--scenario", "baseline"}, oneFactor...)...)
	if err != nil {
		t.Fatal(err, out)
	}
	var a analyticDoc
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if a.IgnoredLinks != 0 {
		t.Errorf("ignored_links %d on a portfolio without links", a.IgnoredLinks)
	}
	out, err = run(t, append([]string{"run", "--json", "--losses-only", "--horizon", "1", "--paths", "20000", "--seed", "3", "--workers", "2", "--portfolio", pf, "--scenario", "baseline", "--out", "", "--report", ""}, oneFactor...)...)
	if err != nil {
		t.Fatal(err, out)
	}
	var d sim.Document
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	mc := d.Loss[sim.PartyTotal]
	check := func(name string, got, want, se sim.Money) {
		z := float64(got-want) / float64(se)
		t.Logf("%s: analytic %.0f, Monte Carlo %.0f ± %.0f, z = %.2f", name, got, want, se, z)
		if math.IsNaN(z) || math.Abs(z) > 4 {
			t.Errorf("%s: analytic %.0f vs Monte Carlo %.0f ± %.0f (z = %.2f)", name, got, want, se, z)
		}
	}
	check("EL", a.EL, mc.Mean, mc.SE.Mean)
	for _, k := range []string{"0.95", "0.99", "0.999"} {
		check("VaR "+k, a.Granularity.VaR[k], mc.VaR[k], mc.SE.VaR[k])
		check("ES "+k, a.ASRF.ES[k], mc.ES[k], mc.SE.ES[k])
	}

	// On the example itself (with its chains) the closed forms say what
	// they leave out.
	out, err = run(t, "analytic", "--json", "--portfolio", "", "--scenario", "baseline", "--levels", "0.99")
	if err != nil {
		t.Fatal(err, out)
	}
	var ex analyticDoc
	if err := json.Unmarshal([]byte(out), &ex); err != nil {
		t.Fatal(err)
	}
	if ex.IgnoredLinks != 7878 {
		t.Errorf("analytic on the example: ignored_links %d, want its 7,878 links", ex.IgnoredLinks)
	}
}

// exampleWithoutChains writes the embedded example without its links
// table to a temporary snapshot folder and returns the folder: the
// portfolio of tests whose reference has no contagion.
func exampleWithoutChains(t *testing.T) string {
	t.Helper()
	pf, err := danbao.Example()
	if err != nil {
		t.Fatal(err)
	}
	pf.Links = nil
	dir := filepath.Join(t.TempDir(), "example-no-chains")
	if err := snapshot.Write(dir, pf); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRunAnalytic: run --analytic puts the closed forms in the document
// (schema danbao.analytic/v1, the run's levels) and beside year 1 in the
// text.
func TestRunAnalytic(t *testing.T) {
	resetAfter(t, "run", "analytic", "losses-only", "horizon", "levels")
	args := []string{"run", "--analytic", "--losses-only", "--paths", "200", "--seed", "4", "--horizon", "1", "--workers", "1",
		"--portfolio", "", "--scenario", "baseline", "--out", "", "--report", "", "--levels", "0.9999"}
	out, err := run(t, append(args, "--json")...)
	if err != nil {
		t.Fatal(err, out)
	}
	var d sim.Document
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	var a analyticDoc
	if err := json.Unmarshal(d.Analytic, &a); err != nil || a.Schema != AnalyticSchema {
		t.Fatalf("analytic %s (%v)", d.Analytic, err)
	}
	if _, ok := a.ASRF.VaR["0.9999"]; !ok || !(a.EL > 0) {
		t.Errorf("analytic %+v", a)
	}
	out, err = run(t, append(args, "--json=false")...)
	if err != nil || !strings.Contains(out, "Year 1 beside the closed forms") {
		t.Errorf("text output (%v):\n%s", err, out)
	}
}
