package sim

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// TestChainOfFourIsOneChain: the hand-worked chain's four firms (B→A,
// C→B, B→C, D→C) are one component, named by its smallest borrower "A".
func TestChainOfFourIsOneChain(t *testing.T) {
	pf, sc := chainOfFour(t)
	m := mustCompile(t, pf, sc)
	of, names, firms := m.chains.chainOf()
	if len(names) != 1 || names[0] != "A" || firms[0] != 4 {
		t.Fatalf("chains %v with %v firms, want [A] with [4]", names, firms)
	}
	for f, k := range of {
		if k != 0 {
			t.Errorf("firm %s in chain %d, want 0", m.chains.firms[f], k)
		}
	}
}

// TestChainContributionsAddUp: on allEligible(1520) (three counties), every
// borrower of county 330382 is in a ring of five consecutive ones (the last
// ring shorter, two or more) and no other borrower is in a link. Then, as Euler
// contributions are additive over loans:
//
//   - not_in_chain + Σ chains = ES 0.99 of the total loss;
//   - Σ chains = the contribution of county 330382, and not_in_chain that
//     of the two other counties;
//   - the chains are the rings, named by their first borrower, 5 firms each.
//
// Two years with pd_uplift 1, so contagion and uplift defaults are in the
// tail paths too. Tolerances are float rounding (1e-9 of ES).
func TestChainContributionsAddUp(t *testing.T) {
	pf := allEligible(1520)
	var ring []string
	wantFirms := map[string]int{}
	closeRing := func() {
		for k := range ring {
			if len(ring) > 1 {
				pf.Links = append(pf.Links, models.Link{From: ring[k], To: ring[(k+1)%len(ring)], Amount: 20 * models.Wan, Capacity: -1})
			}
		}
		if len(ring) > 1 {
			wantFirms[ring[0]] = len(ring)
		}
		ring = ring[:0]
	}
	for i := range pf.Loans {
		l := &pf.Loans[i]
		l.BorrowerID = fmt.Sprintf("F%04d", i)
		if l.County == "330382" {
			ring = append(ring, l.BorrowerID)
			if len(ring) == 5 {
				closeRing()
			}
		}
	}
	if len(ring) == 1 {
		t.Fatal("the last ring has one firm; choose another book size")
	}
	closeRing()
	if err := pf.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 2
	sc.Model.Contagion.PDUplift = 1
	o := execute(t, pf, &sc, 3000)
	c, err := esContributions(context.Background(), o.Model, o.Paths, Params{Workers: 2}, 0.99, o.Ledger)
	if err != nil {
		t.Fatal(err)
	}
	cc := c.Chains
	if cc == nil {
		t.Fatal("no chain contributions on a portfolio with links")
	}
	es := float64(c.ES)
	tol := 1e-9 * es
	sum := float64(cc.NotInChain)
	for k, ch := range cc.Chains {
		sum += float64(ch.ES)
		if want, ok := wantFirms[ch.Chain]; !ok || ch.Firms != want {
			t.Errorf("chain %q has %d firms, want a ring's first borrower with %d", ch.Chain, ch.Firms, want)
		}
		if k > 0 && ch.ES > cc.Chains[k-1].ES {
			t.Errorf("chains not largest first at %d", k)
		}
	}
	if len(cc.Chains) != len(wantFirms) {
		t.Errorf("%d chains, want %d", len(cc.Chains), len(wantFirms))
	}
	t.Logf("ES %.2f = not in chain %.2f + %d chains %.2f (largest %s %.2f)", es, cc.NotInChain, len(cc.Chains),
		sum-float64(cc.NotInChain), cc.Chains[0].Chain, cc.Chains[0].ES)
	if math.Abs(sum-es) > tol {
		t.Errorf("not in chain + chains = %.6f, ES %.6f", sum, es)
	}
	county := c.By["county"]
	if d := sum - float64(cc.NotInChain) - float64(county["330382"]); math.Abs(d) > tol {
		t.Errorf("chains sum to %.6f, county 330382 contributes %.6f", sum-float64(cc.NotInChain), county["330382"])
	}
	if d := float64(cc.NotInChain) - float64(county["330381"]+county["330302"]); math.Abs(d) > tol {
		t.Errorf("not in chain %.6f, the other counties %.6f", cc.NotInChain, county["330381"]+county["330302"])
	}
	one, err := esContributions(context.Background(), o.Model, o.Paths, Params{Workers: 1}, 0.99, o.Ledger)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(one.Chains, c.Chains) {
		t.Error("chain contributions differ between 1 and 2 workers")
	}
	if c.By["chain"] != nil {
		t.Error(`the chains are also in By["chain"]`)
	}
	if o.Paths.ContagionDefaults == nil {
		t.Fatal("no contagion split")
	}
	var cont int64
	for _, d := range o.Paths.ContagionDefaults {
		cont += int64(d)
	}
	if cont == 0 {
		t.Error("no contagion default in 3,000 paths: the test does not exercise contagion")
	}
}
