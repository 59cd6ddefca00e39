package sim

import (
	"context"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/wenzhou/danbao/models"
)

// TestBivariateNormal holds Φ₂ to two closed forms and to an independent
// quadrature:
//   - Φ₂(0, 0; r) = 1/4 + asin(r)/(2π) (Sheppard);
//   - Φ₂(h, k; 0) = Φ(h)·Φ(k);
//   - Φ₂(h, k; r) = ∫_{−∞}^{h} φ(x)·Φ((k − r·x)/√(1 − r²)) dx, integrated
//     with 400 Gauss–Legendre nodes on [−12, h].
func TestBivariateNormal(t *testing.T) {
	bv := newBivariateNormal()
	for _, r := range []float64{-0.9, -0.5, -0.1, 0.1, 0.3, 0.6, 0.9} {
		want := 0.25 + math.Asin(r)/(2*math.Pi)
		if got := bv.cdf(0, 0, r); math.Abs(got-want) > 1e-14 {
			t.Errorf("Φ₂(0,0;%v) = %v, want %v", r, got, want)
		}
	}
	for _, hk := range [][2]float64{{-2, 1}, {-3.1, -2.2}, {0.5, 0.7}} {
		h, k := hk[0], hk[1]
		if got, want := bv.cdf(h, k, 0), Phi(h)*Phi(k); math.Abs(got-want) > 1e-15 {
			t.Errorf("Φ₂(%v,%v;0) = %v, want %v", h, k, got, want)
		}
		for _, r := range []float64{-0.7, 0.2, 0.5, 0.9} {
			sr := math.Sqrt(1 - r*r)
			f := func(x float64) float64 {
				return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) * Phi((k-r*x)/sr)
			}
			want := quad.Fixed(f, -12, h, 400, nil, 0)
			if got := bv.cdf(h, k, r); math.Abs(got-want) > 1e-12 {
				t.Errorf("Φ₂(%v,%v;%v) = %.15g, quadrature %.15g", h, k, r, got, want)
			}
		}
	}
	// κ solves Φ₂(κ, c; r) = Φ(c)·μ.
	for _, c := range []float64{PhiInv(0.01), PhiInv(0.2)} {
		for _, mu := range []float64{0.05, 0.4, 0.9} {
			for _, r := range []float64{0, 0.15, 0.6} {
				kappa := bv.solveKappa(c, mu, r)
				if got, want := bv.cdf(kappa, c, r), Phi(c)*mu; math.Abs(got-want) > 1e-13*max(1, 1/want) {
					t.Errorf("c %v μ %v r %v: Φ₂(κ=%v) = %v, want %v", c, mu, r, kappa, got, want)
				}
			}
		}
	}
}

// lgdScenario is the default scenario over horizon years with the
// stochastic LGD at loading b and correlation ρ (b = 0: off).
func lgdScenario(horizon int, b, rho float64) *models.Scenario {
	sc := models.DefaultScenario()
	sc.HorizonYears = horizon
	sc.Model.R2 = models.R2{Macro: 0.15, Industry: 0.05, County: 0.03}
	sc.Model.LGD = models.LGDModel{Loading: b, RhoMacro: rho}
	return &sc
}

// TestLGDOffIsIdentical: with the loading 0 the model is off whatever
// rho_macro says; results, ledger included, equal the default scenario's
// bit for bit. (The golden files of report_test.go hold the default to
// what it gave before the stochastic LGD existed.)
func TestLGDOffIsIdentical(t *testing.T) {
	pf := mixed(1500, true)
	a := lgdScenario(2, 0, 0.5)
	b := lgdScenario(2, 0, -0.9)
	p := Params{Seed: 7, Paths: 600}
	oa, err := Execute(context.Background(), pf, a, p)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := Execute(context.Background(), pf, b, p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(oa.Paths.Loss, ob.Paths.Loss) || !slices.Equal(oa.Book.PartyLoss, ob.Book.PartyLoss) {
		t.Fatal("loading 0: results depend on rho_macro")
	}
}

// TestLGDMeanLossAndTail: switching the stochastic LGD on (b = 0.3,
// ρ = 0.8) leaves every default unchanged (its collateral stream is apart
// from the default draws), keeps the mean loss (mean LGD over defaults is
// each loan's LGD by construction of κ), and raises ES 0.99 (bad years
// recover less). The mean is held to 1 % and to 4 standard errors of the
// paired difference L_on − L_off; ES to be higher by more than 3 times
// √(SE_on² + SE_off²), the two estimates' standard errors (Summarize)
// combined as if independent (conservative: the runs share their defaults).
func TestLGDMeanLossAndTail(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 loans × 20,000 paths, twice")
	}
	pf := mixed(2000, true)
	const paths = 20000
	p := Params{Seed: 11, Paths: paths}
	off := mustRun(t, mustCompile(t, pf, lgdScenario(1, 0, 0.8)), p)
	on := mustRun(t, mustCompile(t, pf, lgdScenario(1, 0.3, 0.8)), p)
	if !slices.Equal(off.Defaults, on.Defaults) {
		t.Fatal("the stochastic LGD changed the defaults")
	}
	xOff, xOn := totalsYuan(off), totalsYuan(on)
	d := make([]float64, paths)
	for i := range d {
		d[i] = xOn[i] - xOff[i]
	}
	mOff, _ := meanSD(xOff)
	md, sdd := meanSD(d)
	se := sdd / math.Sqrt(paths)
	t.Logf("mean loss off %.0f, on %.0f yuan: difference %.0f ± %.0f (%.3f %% ± %.3f %%)",
		mOff, mOff+md, md, se, 100*md/mOff, 100*se/mOff)
	if math.Abs(md) > 0.01*mOff || math.Abs(md) > 4*se {
		t.Errorf("mean loss moved by %.0f yuan (%.2f %%), SE %.0f", md, 100*md/mOff, se)
	}
	sOff, sOn := summarize(xOff), summarize(xOn)
	k := slices.Index(Levels, 0.99)
	esOff, esOn := sOff.ES[k], sOn.ES[k]
	t.Logf("ES 0.99 off %.0f ± %.0f, on %.0f ± %.0f yuan", esOff, sOff.SEES[k], esOn, sOn.SEES[k])
	if !(esOn-esOff > 3*math.Hypot(sOff.SEES[k], sOn.SEES[k])) {
		t.Errorf("ES 0.99 on %.0f not above off %.0f by 3 SE", esOn, esOff)
	}
}

// TestLGDConditionalMean: given the macro factor M (shift included), the
// collateral factor is P = ρ·M + √(1 − ρ²)·Z, so the expected LGD of a loan
// has the closed form
//
//	E[ℓ(P) | M] = Φ((κ − √b·ρ·M) / √(1 − b·ρ²)).
//
// The test simulates paths, takes each path's M and the LGD its defaults
// are charged (loss / claim of a loan of 10⁷ fen, so rounding is below
// 1e-7), and checks, in four bins of M, that the mean of ℓ − E[ℓ | M] is
// within 4 standard errors of 0 while the bins' mean LGDs differ widely.
// It also checks that a default's loss is round(claim × ℓ(P)).
func TestLGDConditionalMean(t *testing.T) {
	pf := homogeneous(400, 0.05)
	for i := range pf.Loans {
		pf.Loans[i].Balance = 100_000 * models.Yuan
		pf.Loans[i].LGD = 0.45
	}
	const b, rho = 0.4, 0.7
	sc := lgdScenario(1, b, rho)
	sc.Model.R2 = models.R2{Macro: 0.2}
	m := mustCompile(t, pf, sc)
	kappa := m.lgd.kc[0].kappa
	w := m.newWorker()
	type bin struct{ n, sum, sum2, lgd float64 }
	bins := make([]bin, 4)
	binOf := func(M float64) int { return min(3, max(0, int(math.Floor(M+2)))) } // (−∞,−1), [−1,0), [0,1), [1,∞)
	claim := float64(m.ClaimFen(0, 0))
	for p := range 20000 {
		m.simulatePath(w, Fast, 3, uint64(p))
		if len(w.events) == 0 {
			continue
		}
		M := w.f.macroS
		e := w.events[0]
		l := float64(e.Loss) / claim
		if want := int64(math.Round(claim * m.LGDGiven(0, int(e.Loan), w.prop[0]))); e.Loss != want {
			t.Fatalf("path %d: loss %d fen, want round(claim × ℓ(P)) = %d", p, e.Loss, want)
		}
		r := l - Phi((kappa-math.Sqrt(b)*rho*M)/math.Sqrt(1-b*rho*rho))
		bn := &bins[binOf(M)]
		bn.n++
		bn.sum += r
		bn.sum2 += r * r
		bn.lgd += l
	}
	for i, bn := range bins {
		mean := bn.sum / bn.n
		se := math.Sqrt((bn.sum2/bn.n - mean*mean) / bn.n)
		t.Logf("bin %d: %5.0f paths with defaults, mean LGD %.4f, residual %+.5f ± %.5f", i, bn.n, bn.lgd/bn.n, mean, se)
		if bn.n < 200 || math.Abs(mean) > 4*se {
			t.Errorf("bin %d: residual %v ± %v over %v paths", i, mean, se, bn.n)
		}
	}
	if lo, hi := bins[3].lgd/bins[3].n, bins[0].lgd/bins[0].n; !(hi-lo > 0.15) {
		t.Errorf("mean LGD in the worst bin %v, best %v: the factor barely moves it", hi, lo)
	}
}

// TestLGDDeterminismAndAllocation: with the stochastic LGD and an economic
// path on, results (ledger included) are bit-identical for any worker
// count and block size, and a path allocates nothing.
func TestLGDDeterminismAndAllocation(t *testing.T) {
	pf := mixed(1500, true)
	sc := lgdScenario(3, 0.25, 0.6)
	sc.Economy = models.Economy{GDPGrowth: []float64{4, 5, 6}, PropertyPrices: []float64{-15, -5, 0}}
	paths := 900
	if testing.Short() {
		paths = 200 // the race detector's pass
	}
	base, err := Execute(context.Background(), pf, sc, Params{Seed: 5, Paths: paths, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, wk := range []int{2, 5} {
		for _, bs := range []int{1, 64} {
			o, err := Execute(context.Background(), pf, sc, Params{Seed: 5, Paths: paths, Workers: wk, BlockSize: bs})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.Paths.Loss, base.Paths.Loss) || !slices.Equal(o.Book.PartyLoss, base.Book.PartyLoss) {
				t.Fatalf("workers %d block %d: results differ", wk, bs)
			}
		}
	}
	m := mustCompile(t, pf, sc)
	for _, s := range []Sampler{Fast, Dense} {
		w := m.newWorker()
		for p := range 100 {
			m.simulatePath(w, s, 1, uint64(p))
		}
		p := uint64(0)
		if allocs := testing.AllocsPerRun(200, func() { m.simulatePath(w, s, 1, p%100); p++ }); allocs != 0 {
			t.Errorf("%v: %v allocations per path", s, allocs)
		}
	}
}

// BenchmarkLGD measures a path of the fast kernel on 20,000 loans over
// three years with the stochastic LGD off and on (b = 0.2, ρ = 0.5), and
// the compilation with it on:
//
//	go test ./sim -run '^$' -bench LGD -benchtime 2000x -count 3
func BenchmarkLGD(b *testing.B) {
	pf := mixed(20000, true)
	for _, load := range []float64{0, 0.2} {
		m := mustCompile(b, pf, lgdScenario(3, load, 0.5))
		name := "off"
		if load > 0 {
			name = "on"
		}
		b.Run("path/"+name, func(b *testing.B) {
			w := m.newWorker()
			p := uint64(0)
			for b.Loop() {
				m.simulatePath(w, Fast, 1, p)
				p++
			}
		})
		b.Run("compile/"+name, func(b *testing.B) {
			for b.Loop() {
				mustCompile(b, pf, lgdScenario(3, load, 0.5))
			}
		})
	}
}
