package danbao_test

import (
	"context"
	"math"
	"testing"

	"github.com/wenzhou/danbao"
	"github.com/wenzhou/danbao/models/synth"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// TestChainsRaiseTail: on the example's book with `gen --chains`, contagion
// raises ES 0.99 / EL of the total loss over the baseline horizon, and the
// direct + contagion split adds up path by path (and so in the mean).
//
// Tolerance: the two ratios come from independent-looking estimates; the
// difference must exceed 3 standard errors, each ratio's SE taken as
// SE(ES 0.99)/EL (the mean's SE is an order smaller) and the two combined
// as if independent (they are positively correlated through common random
// numbers, so this overstates the SE of the difference).
func TestChainsRaiseTail(t *testing.T) {
	if testing.Short() {
		t.Skip("two runs of the example book (about 20 s)")
	}
	sc, err := scenarios.Builtin("baseline")
	if err != nil {
		t.Fatal(err)
	}
	p := sim.Params{Seed: 5, Paths: 20000}
	ratio := func(chains bool) (r, se float64, doc *sim.Document, res *sim.Result) {
		pf, err := synth.Generate(synth.Options{Loans: danbao.ExampleLoans, Seed: danbao.ExampleSeed, Chains: chains})
		if err != nil {
			t.Fatal(err)
		}
		doc, res, err = sim.SimulateLosses(context.Background(), pf, &sc, p)
		if err != nil {
			t.Fatal(err)
		}
		tot := doc.Loss[sim.PartyTotal]
		el, es := float64(tot.Mean), float64(tot.ES["0.99"])
		return es / el, float64(tot.SE.ES["0.99"]) / el, doc, res
	}
	r0, se0, _, _ := ratio(false)
	r1, se1, doc, res := ratio(true)
	t.Logf("ES 0.99 / EL: without chains %.3f ± %.3f, with %.3f ± %.3f", r0, se0, r1, se1)
	if d := r1 - r0; d < 3*math.Hypot(se0, se1) {
		t.Errorf("chains raise ES 0.99 / EL by %.3f, less than 3 SE = %.3f", d, 3*math.Hypot(se0, se1))
	}
	c := doc.Contagion
	if c == nil || c.Links == 0 {
		t.Fatal("no contagion block")
	}
	H := res.Horizon
	for q := range res.Paths {
		var cl, cd int64
		for y := range H {
			cl += res.ContagionLoss[q*H+y]
			cd += int64(res.ContagionDefaults[q*H+y])
		}
		if cl < 0 || cl > res.TotalLoss(q) || cd < 0 || cd > res.TotalDefaults(q) {
			t.Fatalf("path %d: contagion %d fen of %d, %d defaults of %d", q, cl, res.TotalLoss(q), cd, res.TotalDefaults(q))
		}
	}
	tot := doc.Loss[sim.PartyTotal]
	if sum := float64(c.Direct.Mean + c.Contagion.Mean); math.Abs(sum-float64(tot.Mean)) > 1e-6*float64(tot.Mean) {
		t.Errorf("direct + contagion mean = %.2f, total mean %.2f", sum, float64(tot.Mean))
	}
	if c.Contagion.Mean <= 0 || len(c.Cascades) == 0 {
		t.Errorf("contagion mean %v, %d cascades", c.Contagion.Mean, len(c.Cascades))
	}
	t.Logf("mean loss: direct %.0f + contagion %.0f = %.0f yuan; largest cascade %+v",
		float64(c.Direct.Mean), float64(c.Contagion.Mean), float64(tot.Mean), c.Cascades[0])
}
