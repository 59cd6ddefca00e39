package main

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/wenzhou/danbao/sim"
)

// TestImportanceSamplingExample is the criterion on the embedded
// example (3 years, total and guarantor loss), run only with DANBAO_LONG=1
// (a plain run of 80,000 paths and an --is run of 20,000, full runs, a few
// minutes on a loaded 2-core machine): --is 0.999 at 20,000 paths must
// have SE(ES 0.999) at least 5× smaller than plain Monte Carlo at 20,000
// paths, and the two must agree within 4 combined SE at 0.99 and 0.999
// (VaR and ES) and for the mean. Plain Monte Carlo's SE at 20,000 paths is
// 2 × its SE at 80,000 (SE ∝ 1/√paths): one 20,000-path run's own SE
// estimate is itself uncertain by about 20 % at 0.999.
func TestImportanceSamplingExample(t *testing.T) {
	if os.Getenv("DANBAO_LONG") == "" {
		t.Skip("set DANBAO_LONG=1: an 80,000-path and a 20,000-path run of the example over 3 years")
	}
	resetAfter(t, "run", "is", "losses-only", "horizon")
	doc := func(is, paths, seed string) sim.Document {
		out, err := run(t, "run", "--json", "--is", is, "--paths", paths, "--seed", seed, "--horizon", "3",
			"--portfolio", "", "--scenario", "baseline", "--out", "", "--report", "", "--levels", "")
		if err != nil {
			t.Fatal(err, out)
		}
		var d sim.Document
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Different seeds: the runs share no random numbers, so their
	// estimates are independent and the combined SE is √(se₁² + se₂²).
	plainDoc, isDoc := doc("0", "80000", "7"), doc("0.999", "20000", "1")
	for _, party := range []string{sim.PartyTotal, sim.PartyNames[sim.PartyGuarantor]} {
		plain, is := plainDoc.Loss[party], isDoc.Loss[party]
		ratio := 2 * float64(plain.SE.ES["0.999"]/is.SE.ES["0.999"])
		t.Logf("%s: SE(ES 0.999) at 20,000 paths: plain %.0f (2 × %.0f at 80,000), --is %.0f: %.1f× smaller (variance reduction %.0f)",
			party, 2*plain.SE.ES["0.999"], plain.SE.ES["0.999"], is.SE.ES["0.999"], ratio, ratio*ratio)
		if !(ratio >= 5) {
			t.Errorf("%s: SE(ES 0.999) only %.1f× smaller under --is", party, ratio)
		}
		z := func(name string, a, b, sa, sb sim.Money) {
			v := float64(a-b) / math.Hypot(float64(sa), float64(sb))
			t.Logf("%s %s: plain %.0f ± %.0f, --is %.0f ± %.0f, z = %.2f", party, name, a, sa, b, sb, v)
			if !(math.Abs(v) <= 4) {
				t.Errorf("%s %s: z = %.2f", party, name, v)
			}
		}
		z("mean", plain.Mean, is.Mean, plain.SE.Mean, is.SE.Mean)
		for _, k := range []string{"0.99", "0.999"} {
			z("VaR "+k, plain.VaR[k], is.VaR[k], plain.SE.VaR[k], is.SE.VaR[k])
			z("ES "+k, plain.ES[k], is.ES[k], plain.SE.ES[k], is.SE.ES[k])
		}
	}
}
