package sim

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// upliftPairs is a book of n independent pairs of firms: B_j guarantees
// A_j's bank debt for 500,000 yuan with a capacity of 1,000,000, so when
// A_j defaults B_j is called for C/K = 0.5 of its capacity and stands. A_j
// has one loan of 1,000,000 at PD pA, B_j one of 1,000,000 at PD pB; no
// maturities (but B's matB when not zero), no new business, no factor loadings (every firm independent,
// every capacity multiplier 1), two years.
func upliftPairs(t *testing.T, n int, pA, pB, u float64, matB models.Date) (*models.Portfolio, *models.Scenario) {
	t.Helper()
	nan := math.NaN()
	pf := &models.Portfolio{AsOf: asOf, Guarantors: []models.Guarantor{
		{GuarantorID: "GA", Level: "county", County: "330382", RegisteredCapital: 1000 * models.Wan, NetAssets: 1000 * models.Wan,
			GovernmentCapital: 1000 * models.Wan, InReguarantee: true, OpexRate: nan, InvestmentYield: nan},
	}}
	for j := range n {
		for _, f := range []struct {
			name string
			pd   float64
		}{{"A", pA}, {"B", pB}} {
			l := models.NewLoan()
			l.LoanID = fmt.Sprintf("L%s%d", f.name, j)
			l.BorrowerID = fmt.Sprintf("%s%d", f.name, j)
			l.GuarantorID, l.County, l.Industry = "GA", "330382", "footwear"
			l.Balance, l.PD, l.LGD, l.FeeRate = 100*models.Wan, f.pd, 0.5, 0.01
			if f.name == "B" {
				l.MaturityDate = matB
			}
			pf.Loans = append(pf.Loans, l)
		}
		pf.Links = append(pf.Links, models.Link{From: fmt.Sprintf("B%d", j), To: fmt.Sprintf("A%d", j), Amount: 50 * models.Wan, Capacity: 100 * models.Wan})
	}
	if err := pf.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 2
	sc.Growth.RunOff = true
	sc.Model.R2, sc.Model.R2BySegment = models.R2{}, nil
	sc.Model.Contagion.PDUplift = u
	return pf, &sc
}

// TestPDUpliftPairs checks the uplift against its closed form on
// upliftPairs (n = 1,000 pairs, pA = 0.3, pB = 0.05, u = 4, 400 paths).
// B_j survives year 1 with probability 1 − pB, independently of A_j; it
// was then called in year 1 exactly when A_j defaulted (probability pA),
// for C/K = 500,000/1,000,000 = 0.5, so its year-2 PD is
// pB·(1 + 4·0.5) = 0.15 instead of 0.05. Per path:
//
//	E[B defaults in year 2]          = n·(1 − pB)·(pA·3pB + (1 − pA)·pB) = 1000·0.95·0.08  = 76
//	E[contagion defaults in year 2]  = n·(1 − pB)·pA·(3pB − pB)           = 1000·0.95·0.03  = 28.5
//
// (year 2 calls never topple a B: 500,000 ≤ 1,000,000; the uplift's
// additional defaults are the only contagion defaults). Off (u = 0) the
// first expectation is n·(1 − pB)·pB = 47.5 and there is no contagion.
// When B's loans mature 547 days after the snapshot (φ = 182/365 of year 2
// on the books) both year-2 expectations scale by φ: the uplift's draws
// make up the sampler's φ·pB to φ·pB'.
// Tolerance: 4 SE, the SE from the paths' sample variance.
func TestPDUpliftPairs(t *testing.T) {
	const n, pA, pB, paths = 1000, 0.3, 0.05, 400
	const phi = 182.0 / 365
	for _, tc := range []struct {
		u              float64
		matB           models.Date
		wantB, wantCon float64
	}{
		{4, 0, n * (1 - pB) * (pA*3*pB + (1-pA)*pB), n * (1 - pB) * pA * 2 * pB},
		{0, 0, n * (1 - pB) * pB, 0},
		{4, asOf + 547, phi * n * (1 - pB) * (pA*3*pB + (1-pA)*pB), phi * n * (1 - pB) * pA * 2 * pB},
	} {
		for _, sampler := range []Sampler{Fast, Dense} {
			pf, sc := upliftPairs(t, n, pA, pB, tc.u, tc.matB)
			m := mustCompile(t, pf, sc)
			w := m.newWorker()
			var b, b2, con, con2 float64
			for p := range uint64(paths) {
				m.simulatePath(w, sampler, 7, p)
				nb := 0
				for _, e := range w.events {
					if e.Year == 1 && e.Loan%2 == 1 { // B_j's loan is 2j+1
						nb++
					}
				}
				nc := float64(w.chain.contDef[1])
				b, b2 = b+float64(nb), b2+float64(nb*nb)
				con, con2 = con+nc, con2+nc*nc
				if w.chain.contDef[0] != 0 {
					t.Fatalf("u=%v %s path %d: %d contagion defaults in year 1; no call topples a B", tc.u, sampler, p, w.chain.contDef[0])
				}
			}
			check := func(what string, s, s2, want float64) {
				mean := s / paths
				se := math.Sqrt((s2/paths - mean*mean) / (paths - 1))
				t.Logf("u=%v mat %d %s: %s %.2f ± %.2f, closed form %.2f", tc.u, tc.matB, sampler, what, mean, se, want)
				if math.Abs(mean-want) > 4*se+1e-12 {
					t.Errorf("u=%v %s: %s %.2f, want %.2f ± 4·%.2f", tc.u, sampler, what, mean, want, se)
				}
			}
			check("B defaults in year 2", b, b2, tc.wantB)
			check("contagion defaults in year 2", con, con2, tc.wantCon)
		}
	}
}

// TestPDUpliftLeavesYearOne: the uplift acts from the second year on, and
// draws from a stream of its own, so year 1 is the run without it path by
// path, and so are the sampler's draws of year 2 (the uplift only adds).
func TestPDUpliftLeavesYearOne(t *testing.T) {
	pf, sc := upliftPairs(t, 200, 0.3, 0.05, 0, 0)
	off := mustCompile(t, pf, sc)
	sc.Model.Contagion.PDUplift = 4
	on := mustCompile(t, pf, sc)
	p := Params{Paths: 300, Seed: 3, Workers: 2}
	rOff, err := Run(t.Context(), off, p)
	if err != nil {
		t.Fatal(err)
	}
	rOn, err := Run(t.Context(), on, p)
	if err != nil {
		t.Fatal(err)
	}
	more := 0
	for q := range p.Paths {
		if rOn.Loss[q*2] != rOff.Loss[q*2] || rOn.Defaults[q*2] != rOff.Defaults[q*2] {
			t.Fatalf("path %d year 1: loss %d defaults %d with the uplift, %d %d without", q, rOn.Loss[q*2], rOn.Defaults[q*2], rOff.Loss[q*2], rOff.Defaults[q*2])
		}
		direct := func(r *Result) int32 { return r.Defaults[q*2+1] - r.ContagionDefaults[q*2+1] }
		if direct(rOn) != direct(rOff) {
			t.Fatalf("path %d year 2: %d direct defaults with the uplift, %d without", q, direct(rOn), direct(rOff))
		}
		if rOn.Defaults[q*2+1] > rOff.Defaults[q*2+1] {
			more++
		}
	}
	if more == 0 {
		t.Error("the uplift added no year-2 default on any path")
	}
}

// TestPDUpliftValidate: the range is checked and named.
func TestPDUpliftValidate(t *testing.T) {
	for _, u := range []float64{-0.1, 21, math.NaN(), math.Inf(1)} {
		sc := models.DefaultScenario()
		sc.Model.Contagion.PDUplift = u
		err := sc.Validate()
		if err == nil || !strings.Contains(err.Error(), "model.contagion.pd_uplift") {
			t.Errorf("pd_uplift %v: error %v, want one naming model.contagion.pd_uplift", u, err)
		}
	}
}

// TestPDUpliftNotes: on the hand-worked chain of four (docs/chains.md), LA's
// default at 0.5 topples B and C and calls D for 400,000 of its capacity
// 2,000,000, which D pays: D alone carries an uplift into year 2, with
// C/K = 0.2. If D's own loan also defaults directly that year (at 0.8, after
// it paid), D is in default and carries none.
func TestPDUpliftNotes(t *testing.T) {
	pf, sc := chainOfFour(t)
	sc.HorizonYears = 2
	sc.Model.Contagion.PDUplift = 1
	m := mustCompile(t, pf, sc)
	for _, tc := range []struct {
		name   string
		events []Event
		want   []upFirm
	}{
		{"D pays", []Event{{Loan: 0, Time: 0.5}}, []upFirm{{firm: 3, ratio: 0.2}}},
		{"D pays, then defaults", []Event{{Loan: 0, Time: 0.5}, {Loan: 4, Time: 0.8}}, nil},
	} {
		w := m.newWorker()
		for _, e := range tc.events {
			w.events = append(w.events, e)
			w.dead[e.Loan] = true
		}
		m.chainYear(w, 0, 0, 1, 1, 0)
		if m.chains.firms[3] != "D" {
			t.Fatalf("firm 3 is %s, want D", m.chains.firms[3])
		}
		if got := w.up.next; !reflect.DeepEqual(got, tc.want) && (len(got) != 0 || len(tc.want) != 0) {
			t.Errorf("%s: firms carrying an uplift %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestPDUpliftStochasticLGD: with the stochastic LGD on, the uplift's
// defaults are booked at the path-year's LGD like every other, so on every
// path-year the last ContagionDefaults events (uplift, then toppled) carry
// exactly ContagionLoss, and all events the year's Loss; 1 and 3 workers
// agree.
func TestPDUpliftStochasticLGD(t *testing.T) {
	sc := oneFactor(0.2)
	sc.HorizonYears = 3
	sc.Model.LGD.Loading, sc.Model.LGD.RhoMacro = 0.3, 0.8
	sc.Model.Contagion.PDUplift = 3
	pf := ringed(2000, 5, 0.03)
	for i := range pf.Loans {
		pf.Loans[i].LGD = 0.5
	}
	if err := pf.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	m := mustCompile(t, pf, sc)
	if m.lgd == nil || m.uplift == nil {
		t.Fatal("the stochastic LGD or the uplift is off")
	}
	p := Params{Seed: 7, Paths: 200, Workers: 1}
	r := mustRun(t, m, p)
	p.Workers = 3
	if r3 := mustRun(t, m, p); !reflect.DeepEqual(r, r3) {
		t.Error("1 and 3 workers differ")
	}
	H := sc.HorizonYears
	w := m.newWorker()
	var uplifted int
	for path := range r.Paths {
		m.simulatePath(w, Fast, p.Seed, uint64(path))
		k := 0
		for y := range H {
			i := path*H + y
			n, nc := int(r.Defaults[i]), int(r.ContagionDefaults[i])
			var all, cont int64
			for j, e := range w.events[k : k+n] {
				all += e.Loss
				if j >= n-nc {
					cont += e.Loss
				}
			}
			if cont != r.ContagionLoss[i] || all != r.Loss[i] {
				t.Fatalf("path %d year %d: events' contagion loss %d, total %d; the run's %d and %d", path, y+1, cont, all, r.ContagionLoss[i], r.Loss[i])
			}
			if y > 0 {
				uplifted += nc
			}
			k += n
		}
	}
	if uplifted == 0 {
		t.Error("no contagion default after year 1: the test exercises nothing")
	}
}
