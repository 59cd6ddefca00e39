package sim

import (
	"context"
	"math"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// allEligible is mixed() with every loan re-guaranteed and below the cap.
func allEligible(n int) *models.Portfolio {
	pf := mixed(n, true)
	for i := range pf.Loans {
		pf.Loans[i].FeeRate = 0.01
	}
	return pf
}

func execute(t *testing.T, pf *models.Portfolio, sc *models.Scenario, paths int) *Outcome {
	t.Helper()
	o, err := Execute(context.Background(), pf, sc, Params{Seed: 21, Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestSplitIsLinear: with the stop-loss off and county budgets unlimited,
// every claim is split at fixed shares and recoveries flow back at the same
// shares, so each party's loss on every path is its share of the total
// loss, up to the fen rounding of each split (≤ 1 fen per default and party).
// The means then agree within float rounding.
func TestSplitIsLinear(t *testing.T) {
	pf := allEligible(2000)
	sc := models.DefaultScenario()
	sc.HorizonYears = 2
	sc.Policy.Reguarantee.StopRate, sc.Policy.NationalFund.StopRate = 0, 0
	sc.Model.R2 = models.R2{Macro: 0.1, Industry: 0.1, County: 0.1}
	o := execute(t, pf, &sc, 4000)
	shares := [NParties]float64{PartyBank: 0.2, PartyGuarantor: 0.4, PartyReguarantor: 0.15, PartyNationalFund: 0.15, PartyCountyFund: 0.1}
	var meanTotal float64
	for p := range o.Book.Paths {
		meanTotal += float64(o.Paths.TotalLoss(p))
	}
	meanTotal /= float64(o.Book.Paths)
	for k := range NParties {
		var mean float64
		var worst float64
		for p := range o.Book.Paths {
			got := float64(o.Book.PartyLoss[p*NParties+k])
			mean += got
			// Per path: within 1 fen per default and per year-end split.
			slack := float64(o.Paths.TotalDefaults(p)*3 + int64(2*o.Book.G*o.Book.H))
			if d := math.Abs(got - shares[k]*float64(o.Paths.TotalLoss(p))); d > slack {
				worst = max(worst, d)
			}
		}
		mean /= float64(o.Book.Paths)
		if worst > 0 {
			t.Errorf("%s: a path's loss is off its share by %.0f fen, more than the rounding slack", PartyNames[k], worst)
		}
		if rel := math.Abs(mean/(shares[k]*meanTotal) - 1); rel > 1e-4 {
			t.Errorf("%s: mean loss %.0f, share of the mean total %.0f (relative %.2g)", PartyNames[k], mean, shares[k]*meanTotal, rel)
		}
	}
}

// TestStopLossBinds: in a stressed run (PDs × 8) the compensation rate of
// re-guaranteed business passes 5 %, the re-guarantor and the national fund
// pay less than their nominal 15 %, and the guarantor carries exactly what
// they refuse: the parties' losses still add up to the total on every path.
func TestStopLossBinds(t *testing.T) {
	pf := allEligible(2000)
	sc := models.DefaultScenario()
	sc.Shocks = []models.Shock{{PDMultiplier: 8}}
	o := execute(t, pf, &sc, 2000)
	var total, reg, nat, guar float64
	for p := range o.Book.Paths {
		var sum int64
		for k := range NParties {
			sum += o.Book.PartyLoss[p*NParties+k]
		}
		if sum != o.Paths.TotalLoss(p) {
			t.Fatalf("path %d: parties' losses sum to %d fen, total %d", p, sum, o.Paths.TotalLoss(p))
		}
		total += float64(o.Paths.TotalLoss(p))
		reg += float64(o.Book.PartyLoss[p*NParties+PartyReguarantor])
		nat += float64(o.Book.PartyLoss[p*NParties+PartyNationalFund])
		guar += float64(o.Book.PartyLoss[p*NParties+PartyGuarantor])
	}
	rs, ns, gs := reg/total, nat/total, guar/total
	t.Logf("shares of the loss: re-guarantor %.4f, national fund %.4f, guarantor %.4f", rs, ns, gs)
	if !(rs < 0.15*0.9) || !(ns < 0.15*0.9) {
		t.Errorf("stop-loss does not bind: re-guarantor %.4f, national fund %.4f of the loss", rs, ns)
	}
	// What the funds refuse lands on the guarantor (the bank and county
	// shares are untouched: budgets are unlimited).
	if d := (gs - 0.4) - ((0.15 - rs) + (0.15 - ns)); math.Abs(d) > 1e-6 {
		t.Errorf("guarantor's extra share %.6f ≠ the funds' shortfall %.6f", gs-0.4, (0.15-rs)+(0.15-ns))
	}
}

// TestContributionsAddUp: in each dimension the Euler contributions add up
// to the ES they allocate (up to float summation error).
func TestContributionsAddUp(t *testing.T) {
	pf := allEligible(1500)
	sc := models.DefaultScenario()
	o := execute(t, pf, &sc, 3000)
	c, err := esContributions(context.Background(), o.Model, o.Paths, Params{}, 0.99, o.Ledger)
	if err != nil {
		t.Fatal(err)
	}
	x := totalsYuan(o.Paths)
	s := summarize(x)
	if math.Abs(float64(c.ES)-s.ES[1]) > 1e-6*s.ES[1] {
		t.Errorf("contributions' ES %.2f ≠ the run's ES(0.99) %.2f", c.ES, s.ES[1])
	}
	for dim, by := range c.By {
		var sum float64
		for _, v := range by {
			sum += float64(v)
		}
		if math.Abs(sum-float64(c.ES)) > 1e-6*float64(c.ES) {
			t.Errorf("%s contributions sum to %.2f, ES %.2f", dim, sum, c.ES)
		}
	}
}

// TestLedgerDoesNotAllocate: booking a path allocates nothing once the
// worker's scratch has grown.
func TestLedgerDoesNotAllocate(t *testing.T) {
	pf := allEligible(2000)
	sc := models.DefaultScenario()
	sc.HorizonYears = 3
	sc.Policy.CountyFund.Budget = map[string]models.Cents{"330382": 1000 * models.Yuan} // claims get sorted
	m := mustCompile(t, pf, &sc)
	L, err := newLedger(m, pf, &sc)
	if err != nil {
		t.Fatal(err)
	}
	obs, _ := L.NewObserver(100, 1)
	w := m.newWorker()
	for p := range 100 {
		m.simulatePath(w, Fast, 1, uint64(p))
		obs.Observe(0, p, w.events)
	}
	m.simulatePath(w, Fast, 1, 7)
	if len(w.events) == 0 {
		t.Fatal("path 7 has no defaults; pick another")
	}
	if allocs := testing.AllocsPerRun(100, func() { obs.Observe(0, 7, w.events) }); allocs != 0 {
		t.Errorf("%v allocations per path", allocs)
	}
	// A block of 100 paths, booked loan bucket by loan bucket.
	var events []Event
	var ends []int32
	for p := range 100 {
		m.simulatePath(w, Fast, 1, uint64(p))
		events = append(events, w.events...)
		ends = append(ends, int32(len(events)))
	}
	bo := obs.(BlockObserver)
	bo.ObserveBlock(0, 0, events, ends)
	if allocs := testing.AllocsPerRun(20, func() { bo.ObserveBlock(0, 0, events, ends) }); allocs != 0 {
		t.Errorf("%v allocations per block", allocs)
	}
}
