package sim

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// chainOfFour is the hand-worked chain of docs/chains.md: one county
// guarantor GA (in re-guarantee, stop-loss off, county fund unlimited),
// four firms, one cycle (B and C guarantee each other, 互保).
//
//	firm  loans                                  capacity
//	A     LA 1,000,000 lgd 0.5                   1,000,000 (1 × own balance)
//	B     LB   600,000 lgd 0.5                     600,000 (1 × 600,000)
//	C     LC1  300,000 lgd 1.0, LC2 100,000 lgd 0.5   150,000 (given on its link)
//	D     LD 2,000,000 lgd 0.5                   2,000,000 (1 × 2,000,000)
//
//	links  B→A 800,000;  C→B 250,000 (capacity 150,000);  B→C 500,000;  D→C 900,000
//
// (DefaultCapacityMultiple = 1; no factor loadings, so every capacity
// multiplier exp(S − R²/2) is 1.)
func chainOfFour(t *testing.T) (*models.Portfolio, *models.Scenario) {
	t.Helper()
	nan := math.NaN()
	pf := &models.Portfolio{AsOf: asOf, Guarantors: []models.Guarantor{
		{GuarantorID: "GA", Level: "county", County: "330382", RegisteredCapital: 1000 * models.Wan, NetAssets: 1000 * models.Wan,
			GovernmentCapital: 1000 * models.Wan, InReguarantee: true, OpexRate: nan, InvestmentYield: nan},
	}}
	loan := func(id, borrower string, balance models.Cents, lgd float64) models.Loan {
		l := models.NewLoan()
		l.LoanID, l.BorrowerID, l.GuarantorID, l.County, l.Industry = id, borrower, "GA", "330382", "footwear"
		l.Balance, l.PD, l.LGD, l.FeeRate = balance, 0.02, lgd, 0.01
		return l
	}
	pf.Loans = []models.Loan{
		loan("LA", "A", 100*models.Wan, 0.5),
		loan("LB", "B", 60*models.Wan, 0.5),
		loan("LC1", "C", 30*models.Wan, 1.0),
		loan("LC2", "C", 10*models.Wan, 0.5),
		loan("LD", "D", 200*models.Wan, 0.5),
	}
	pf.Links = []models.Link{
		{From: "B", To: "A", Amount: 80 * models.Wan, Capacity: -1},
		{From: "C", To: "B", Amount: 25 * models.Wan, Capacity: 15 * models.Wan},
		{From: "B", To: "C", Amount: 50 * models.Wan, Capacity: -1},
		{From: "D", To: "C", Amount: 90 * models.Wan, Capacity: -1},
	}
	if err := pf.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 1
	sc.Growth.RunOff = true
	sc.Policy.Reguarantee.StopRate, sc.Policy.NationalFund.StopRate = 0, 0
	sc.Policy.CountyFund.DefaultBudget = -1
	sc.Policy.CountyFund.Budget = nil
	// No factor loadings: the capacity multiplier exp(S − R²/2) is 1 (the
	// worker's systematic parts are 0 before a path is drawn).
	sc.Model.R2, sc.Model.R2BySegment = models.R2{}, nil
	return pf, &sc
}

// TestContagionHandWorked: LA defaults directly at 0.5 (claim 1,000,000).
//
//   - B is called for min(800,000, 1,000,000) = 800,000 > 600,000: B
//     topples at 0.5; LB defaults (claim 600,000).
//   - B's default calls C for min(250,000, 600,000) = 250,000 > 150,000: C
//     topples at 0.5; LC1 and LC2 default (claim 400,000).
//   - C's default calls B (the cycle): B is down, no call. It calls D for
//     min(900,000, 400,000) = 400,000 ≤ 2,000,000: D pays and stands.
//
// Losses: direct LA 500,000; contagion LB 300,000 + LC1 300,000 + LC2
// 50,000 = 650,000; total 1,150,000.
//
// The ledger (paid at 0.5 + 30/365, in year 1; no stop-loss; county fund
// unlimited): the claims 2,000,000 are split 20/15/15/10/40 (bank,
// re-guarantor, national fund, county fund, guarantor: 400,000 / 300,000 /
// 300,000 / 200,000 / 800,000). Recoveries 2,000,000 − 1,150,000 = 850,000
// are shared in proportion to what each paid: 170,000 / 127,500 / 127,500 /
// 85,000 / 340,000. Ultimate losses: bank 230,000; re-guarantor 172,500;
// national fund 172,500; county fund 115,000; guarantor 460,000 (sum
// 1,150,000).
func TestContagionHandWorked(t *testing.T) {
	pf, sc := chainOfFour(t)
	m := mustCompile(t, pf, sc)
	w := m.newWorker()
	w.events = append(w.events, Event{Loan: 0, Year: 0, Time: 0.5}) // LA, drawn directly
	w.dead[0] = true
	loss := m.contagion(w, 0, 0)
	if loss != 65_000_000 {
		t.Errorf("contagion loss = %d fen, want 65,000,000", loss)
	}
	want := []Event{{0, 0, 0.5, 0}, {1, 0, 0.5, m.LossFen(0, 1)}, {2, 0, 0.5, m.LossFen(0, 2)}, {3, 0, 0.5, m.LossFen(0, 3)}}
	if !reflect.DeepEqual(w.events, want) {
		t.Errorf("events = %v, want %v (LA direct; LB, LC1, LC2 by contagion)", w.events, want)
	}
	if w.chain.contDef[0] != 3 || w.chain.contLoss[0] != 65_000_000 {
		t.Errorf("contagion defaults %d loss %d, want 3 and 65,000,000", w.chain.contDef[0], w.chain.contLoss[0])
	}
	// root 1: A is the second firm the links name (B→A comes first).
	wantCascade := Cascade{Path: 0, Year: 0, Time: 0.5, Root: "A", root: 1, Firms: 2, Defaults: 3, Loss: 65_000_000}
	if got := m.chains.largestCascades([][]Cascade{w.chain.cascades}); len(got) != 1 || got[0] != wantCascade {
		t.Errorf("cascades = %+v, want [%+v]", got, wantCascade)
	}

	L, err := newLedger(m, pf, sc)
	if err != nil {
		t.Fatal(err)
	}
	obs, res := L.NewObserver(1, 1)
	obs.Observe(0, 0, w.events)
	wantParty := [NParties]int64{PartyBank: 23_000_000, PartyReguarantor: 17_250_000, PartyNationalFund: 17_250_000,
		PartyCountyFund: 11_500_000, PartyGuarantor: 46_000_000}
	var sum int64
	for k := range NParties {
		sum += res.PartyLoss[k]
		if res.PartyLoss[k] != wantParty[k] {
			t.Errorf("%s loss = %d fen, want %d", PartyNames[k], res.PartyLoss[k], wantParty[k])
		}
	}
	if sum != 115_000_000 {
		t.Errorf("party losses sum to %d fen, want 115,000,000", sum)
	}

	// The scratch is clean for the next year/path: the same direct default
	// gives the same cascade again.
	w.events, w.dead = w.events[:0], make([]bool, m.n)
	w.events = append(w.events, Event{Loan: 0, Year: 0, Time: 0.5})
	w.dead[0] = true
	if again := m.contagion(w, 0, 0); again != loss {
		t.Errorf("second time: contagion loss %d, want %d", again, loss)
	}
	// A direct default of D calls no one (no link guarantees D's debt).
	w.events, w.dead = w.events[:0], make([]bool, m.n)
	w.events = append(w.events, Event{Loan: 4, Year: 0, Time: 0.2})
	if got := m.contagion(w, 0, 0); got != 0 || len(w.events) != 1 {
		t.Errorf("D's default: contagion loss %d, %d events; want none", got, len(w.events))
	}
}

// ringed returns homogeneous(n, pd) with the borrowers in rings of size k
// (L_j guarantees L_{j+1} within its ring, for 1 yuan, its capacity 0.5
// yuan: a call of 1 yuan topples unless the multiplier exp(S − R²/2) is
// at least 2, S ~ N(0, 0.2) here: P ≈ 4 %).
func ringed(n, k int, pd float64) *models.Portfolio {
	pf := homogeneous(n, pd)
	for r := 0; r+k <= n; r += k {
		for j := range k {
			pf.Links = append(pf.Links, models.Link{From: pf.Loans[r+j].LoanID, To: pf.Loans[r+(j+1)%k].LoanID, Amount: models.Yuan, Capacity: 50})
		}
	}
	return pf
}

// TestContagionRun: with chains, the direct part of year 1 of every path
// (Loss − ContagionLoss) equals the run without links to the fen (later
// years differ: a loan toppled before is no longer drawn), contagion adds
// losses, results do not depend on the number of workers, and an empty
// links table is bit for bit the run without links.
func TestContagionRun(t *testing.T) {
	sc := oneFactor(0.2)
	sc.HorizonYears = 2
	plain := homogeneous(2000, 0.03)
	if err := plain.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	chained := ringed(2000, 5, 0.03)
	if err := chained.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	empty := homogeneous(2000, 0.03)
	empty.Links = []models.Link{}
	if err := empty.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	for _, sampler := range []Sampler{Fast, Dense} {
		p := Params{Seed: 11, Paths: 400, Sampler: sampler, Workers: 1, BlockSize: 16}
		base := mustRun(t, mustCompile(t, plain, sc), p)
		withEmpty := mustRun(t, mustCompile(t, empty, sc), p)
		if !reflect.DeepEqual(base, withEmpty) {
			t.Errorf("%v: an empty links table changed the result", sampler)
		}
		mc := mustCompile(t, chained, sc)
		r1 := mustRun(t, mc, p)
		p.Workers = 3
		r3 := mustRun(t, mc, p)
		if !reflect.DeepEqual(r1, r3) {
			t.Errorf("%v: 1 and 3 workers differ", sampler)
		}
		var cont int64
		for i := range r1.Loss {
			cont += r1.ContagionLoss[i]
			if r1.ContagionLoss[i] < 0 || r1.ContagionLoss[i] > r1.Loss[i] {
				t.Fatalf("%v: path-year %d: contagion loss %d of %d", sampler, i, r1.ContagionLoss[i], r1.Loss[i])
			}
			if i%sc.HorizonYears != 0 {
				continue // later years: loans toppled before are no longer drawn
			}
			if d := r1.Loss[i] - r1.ContagionLoss[i]; d != base.Loss[i] {
				t.Fatalf("%v: path-year %d: direct loss %d, run without links %d", sampler, i, d, base.Loss[i])
			}
			if d := r1.Defaults[i] - r1.ContagionDefaults[i]; d != base.Defaults[i] {
				t.Fatalf("%v: path-year %d: direct defaults %d, run without links %d", sampler, i, d, base.Defaults[i])
			}
		}
		// Every direct default of a ring topples its guarantor, which
		// topples the next, around the ring (four more in year 1 when
		// none of the ring defaulted before): contagion is most of the loss.
		roots := map[string]bool{}
		for _, cs := range r1.Cascades {
			roots[cs.Root] = true
		}
		if cont == 0 || len(r1.Cascades) != MaxCascades || len(roots) != MaxCascades || r1.Cascades[0].Firms != 4 {
			t.Errorf("%v: contagion loss %d, cascades %+v", sampler, cont, r1.Cascades)
		}
	}
}

func BenchmarkContagion(b *testing.B) {
	sc := oneFactor(0.2)
	for _, k := range []int{0, 5} {
		pf := homogeneous(20000, 0.03)
		if k > 0 {
			pf = ringed(20000, k, 0.03)
		}
		if err := pf.Validate(models.DefaultFiles); err != nil {
			b.Fatal(err)
		}
		m := mustCompile(b, pf, sc)
		b.Run(fmt.Sprintf("ring%d", k), func(b *testing.B) {
			for b.Loop() {
				mustRun(b, m, Params{Seed: 1, Paths: 200, Workers: 1})
			}
		})
	}
}

// TestContagionShards: the paths of a run split in two and joined by
// ConcatResults equal the single run, contagion split and cascades too.
func TestContagionShards(t *testing.T) {
	sc := oneFactor(0.2)
	pf := ringed(1000, 4, 0.03)
	if err := pf.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	m := mustCompile(t, pf, sc)
	whole := mustRun(t, m, Params{Seed: 3, Paths: 300})
	a := mustRun(t, m, Params{Seed: 3, Paths: 120})
	b := mustRun(t, m, Params{Seed: 3, Paths: 180, FirstPath: 120})
	joined, err := ConcatResults([]*Result{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(joined.ContagionLoss, whole.ContagionLoss) || !reflect.DeepEqual(joined.ContagionDefaults, whole.ContagionDefaults) ||
		!reflect.DeepEqual(joined.Cascades, whole.Cascades) {
		t.Errorf("joined shards differ from the whole run:\n%+v\n%+v", joined.Cascades, whole.Cascades)
	}
}

// TestContagionStochasticLGD: with chains and the stochastic LGD both on,
// a contagion default's loss is the path-year's ℓ(P_t), the loss the
// ledger books (Event.Loss after lossesTo), in the split and in the
// cascades alike. Checked without the code under test's own sums: each
// path is drawn again (simulatePath) and, per year, the losses of its
// events after the direct ones (Defaults − ContagionDefaults of them) add
// up to ContagionLoss, the others to Loss − ContagionLoss; in year 1 that
// direct part is the run without links to the fen; each kept cascade's
// loss is that of the contagion events at its root's time. Results are
// the same for 1 and 3 workers.
func TestContagionStochasticLGD(t *testing.T) {
	sc := oneFactor(0.2)
	sc.HorizonYears = 2
	sc.Model.LGD.Loading, sc.Model.LGD.RhoMacro = 0.3, 0.8
	plain := homogeneous(2000, 0.03)
	chained := ringed(2000, 5, 0.03)
	for i := range chained.Loans {
		plain.Loans[i].LGD, chained.Loans[i].LGD = 0.5, 0.5 // the LGD model needs lgd < 1 to move
	}
	for _, pf := range []*models.Portfolio{plain, chained} {
		if err := pf.Validate(models.DefaultFiles); err != nil {
			t.Fatal(err)
		}
	}
	p := Params{Seed: 7, Paths: 300, Workers: 1, BlockSize: 16}
	base := mustRun(t, mustCompile(t, plain, sc), p)
	m := mustCompile(t, chained, sc)
	if m.lgd == nil {
		t.Fatal("the stochastic LGD is off")
	}
	r := mustRun(t, m, p)
	p.Workers = 3
	if r3 := mustRun(t, m, p); !reflect.DeepEqual(r, r3) {
		t.Error("1 and 3 workers differ")
	}
	H := sc.HorizonYears
	w := m.newWorker()
	var cont int64
	fixedDiffers := false
	for path := range r.Paths {
		m.simulatePath(w, Fast, p.Seed, uint64(path))
		k := 0
		for y := range H {
			i := path*H + y
			direct := int(r.Defaults[i] - r.ContagionDefaults[i])
			var dLoss, cLoss int64
			for j := range int(r.Defaults[i]) {
				e := w.events[k+j]
				if j < direct {
					dLoss += e.Loss
				} else {
					cLoss += e.Loss
					fixedDiffers = fixedDiffers || e.Loss != m.LossFen(y, int(e.Loan))
				}
			}
			if cLoss != r.ContagionLoss[i] || dLoss+cLoss != r.Loss[i] {
				t.Fatalf("path %d year %d: events give direct %d + contagion %d fen; the result %d − %d",
					path, y+1, dLoss, cLoss, r.Loss[i], r.ContagionLoss[i])
			}
			if y == 0 && dLoss != base.Loss[i] {
				t.Fatalf("path %d year 1: direct loss %d fen, run without links %d", path, dLoss, base.Loss[i])
			}
			cont += cLoss
			k += int(r.Defaults[i])
		}
		for _, cs := range r.Cascades {
			if cs.Path != uint64(path) {
				continue
			}
			var loss int64
			n := 0
			for _, e := range w.events {
				if int(e.Year) == cs.Year && e.Time == cs.Time && chained.Loans[e.Loan].LoanID != cs.Root {
					loss += e.Loss
					n++
				}
			}
			if loss != cs.Loss || n != cs.Defaults {
				t.Errorf("cascade %+v: its events give %d defaults, %d fen", cs, n, loss)
			}
		}
	}
	if cont == 0 || len(r.Cascades) == 0 || !fixedDiffers {
		t.Errorf("no contagion under the stochastic LGD to check: loss %d, %d cascades, losses differ from fixed: %v", cont, len(r.Cascades), fixedDiffers)
	}
}
