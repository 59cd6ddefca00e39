package sim

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// reference is ../shared/reference/onefactor_exact.json, copied to
// testdata/reference: the exact loss distribution of N = 1000 loans of
// exposure 1, lgd 1, pd 1 %, ρ = 0.2 in the one-factor Gaussian copula,
// computed by quadrature (exact_onefactor.py), not by Monte Carlo.
type reference struct {
	Cases []struct {
		N              int                `json:"n"`
		PD             float64            `json:"pd"`
		Rho            float64            `json:"rho"`
		EL             float64            `json:"el"`
		SD             float64            `json:"sd"`
		VaR            map[string]float64 `json:"var"`
		ESAcerbiTasche map[string]float64 `json:"es_acerbi_tasche"`
	} `json:"cases"`
}

func loadReference(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile("../testdata/reference/onefactor_exact.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestOneFactorExact holds both samplers to the exact finite-N distribution.
//
// Tolerance: |MC − exact| ≤ 4·SE for EL and ES, where SE is the run's own
// standard error (sd/√P for EL, the influence-function SE for ES; 4 SE
// leaves room for the ~10 comparisons made here). VaR lives on the integer lattice, so it is
// checked with the distribution-free order-statistic bound instead: the MC
// VaR is L_(k), k = ⌈αP⌉, and must lie within the exact quantiles at levels
// α ± 4·√(α(1−α)/P).
func TestOneFactorExact(t *testing.T) {
	ref := loadReference(t).Cases[0]
	m := mustCompile(t, homogeneous(ref.N, ref.PD), oneFactor(ref.Rho))
	const paths = 200_000
	for _, s := range []Sampler{Fast, Dense} {
		if s == Dense && testing.Short() {
			continue
		}
		r := mustRun(t, m, Params{Seed: 7, Paths: paths, Sampler: s})
		sum := summarize(totalsYuan(r))
		if z := (sum.Mean - ref.EL) / sum.SEMean; math.Abs(z) > 4 {
			t.Errorf("%v: EL %.4f, exact %.4f, z = %.2f", s, sum.Mean, ref.EL, z)
		}
		for k, key := range []string{"0.95", "0.99"} {
			a := Levels[k]
			es := ref.ESAcerbiTasche[key]
			if z := (sum.ES[k] - es) / sum.SEES[k]; math.Abs(z) > 4 {
				t.Errorf("%v: ES(%s) %.3f ± %.3f, exact %.3f, z = %.2f", s, key, sum.ES[k], sum.SEES[k], es, z)
			}
			half := 4 * math.Sqrt(a*(1-a)/paths)
			lo, hi := exactQuantileVasicekN(ref.N, ref.PD, ref.Rho, a-half), exactQuantileVasicekN(ref.N, ref.PD, ref.Rho, a+half)
			if sum.VaR[k] < lo || sum.VaR[k] > hi {
				t.Errorf("%v: VaR(%s) = %v outside the order-statistic band [%v, %v] (exact %v)", s, key, sum.VaR[k], lo, hi, ref.VaR[key])
			}
			t.Logf("%v α=%s: VaR %v (exact %v, band [%v,%v]); ES %.3f ± %.3f (exact %.3f)", s, key, sum.VaR[k], ref.VaR[key], lo, hi, sum.ES[k], sum.SEES[k], es)
		}
	}
}

// exactQuantileVasicekN is the α-quantile of the number of defaults among n
// loans in the one-factor model, from P(K ≤ k) = ∫ Binom(n, k, p(z)) φ(z) dz
// by the trapezoidal rule on z ∈ [−10, 10] (4001 nodes; the integrand is
// smooth and the tails beyond ±10 weigh < 1e-22).
func exactQuantileVasicekN(n int, pd, rho, alpha float64) float64 {
	cdf := exactCDFVasicekN(n, pd, rho)
	for k, f := range cdf {
		if f >= alpha {
			return float64(k)
		}
	}
	return float64(n)
}

func exactCDFVasicekN(n int, pd, rho float64) []float64 {
	const nodes = 4001
	pmf := make([]float64, n+1)
	c := PhiInv(pd)
	h := 20.0 / (nodes - 1)
	for q := range nodes {
		z := -10 + float64(q)*h
		w := h * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
		if q == 0 || q == nodes-1 {
			w /= 2
		}
		p := Phi((c - math.Sqrt(rho)*z) / math.Sqrt(1-rho))
		// binomial pmf by logs
		lp, lq := math.Log(p), math.Log1p(-p)
		for k := 0; k <= n; k++ {
			lg, _ := math.Lgamma(float64(n + 1))
			lk, _ := math.Lgamma(float64(k + 1))
			lnk, _ := math.Lgamma(float64(n - k + 1))
			pmf[k] += w * math.Exp(lg-lk-lnk+float64(k)*lp+float64(n-k)*lq)
		}
	}
	cdf := make([]float64, n+1)
	s := 0.0
	for k, v := range pmf {
		s += v
		cdf[k] = s
	}
	return cdf
}

// TestOneFactorExactCDF checks the test's own quadrature against the
// reference file: its VaRs must equal the reference's.
func TestOneFactorExactCDF(t *testing.T) {
	ref := loadReference(t).Cases[0]
	for k, key := range []string{"0.95", "0.99", "0.999"} {
		if got := exactQuantileVasicekN(ref.N, ref.PD, ref.Rho, Levels[k]); got != ref.VaR[key] {
			t.Errorf("quadrature VaR(%s) = %v, reference %v", key, got, ref.VaR[key])
		}
	}
}

// TestStandardErrors compares the reported standard errors with the
// spread of the estimates across 60 seeds at 0.95, 0.99 and 0.999. The
// sample sd of 60 estimates is itself uncertain by about ±9 % (χ² with 59
// df), so a ratio outside [1/1.5, 1.5] means the SE is wrong.
//
// VaR here lives on a lattice (whole numbers of defaults of one unit
// each); batch means (the former method) understated its spread at 0.95
// by about a quarter and made VaR's and ES's SEs equal at 0.999. The
// order-statistic SE (the exact bootstrap of the sample quantile) and the
// influence-function SE of ES replace them (SummarizeAt).
func TestStandardErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("60 runs")
	}
	checkSEs(t, 0, 50_000, []float64{0.95, 0.99, 0.999})
}

// TestStandardErrorsIS is TestStandardErrors for importance sampling
// (ISLevel 0.9999, 10,000 paths a seed) at 0.95, 0.99, 0.999 and 0.9999,
// and for the mean.
func TestStandardErrorsIS(t *testing.T) {
	if testing.Short() {
		t.Skip("60 runs")
	}
	checkSEs(t, 0.9999, 10_000, []float64{0.95, 0.99, 0.999, 0.9999})
}

func checkSEs(t *testing.T, isLevel float64, paths int, levels []float64) {
	ref := loadReference(t).Cases[0]
	m := mustCompile(t, homogeneous(ref.N, ref.PD), oneFactor(ref.Rho))
	const seeds = 60
	var means, ses []float64
	L := len(levels)
	vars, ess, seVar, seES := make([][]float64, L), make([][]float64, L), make([][]float64, L), make([][]float64, L)
	for seed := range uint64(seeds) {
		r := mustRun(t, m, Params{Seed: 100 + seed, Paths: paths, ISLevel: isLevel})
		s := summarizeAt(totalsYuan(r), r.Weight, levels)
		means, ses = append(means, s.Mean), append(ses, s.SEMean)
		for k := range L {
			vars[k] = append(vars[k], s.VaR[k])
			ess[k] = append(ess[k], s.ES[k])
			seVar[k] = append(seVar[k], s.SEVaR[k])
			seES[k] = append(seES[k], s.SEES[k])
		}
	}
	check := func(name string, est, se []float64) {
		_, spread := meanSD(est)
		reported, _ := meanSD(se)
		ratio := reported / spread
		t.Logf("%s: mean reported SE %.4f, spread across seeds %.4f, ratio %.2f", name, reported, spread, ratio)
		if ratio < 1/1.5 || ratio > 1.5 {
			t.Errorf("%s: reported SE %.4f vs spread %.4f (ratio %.2f)", name, reported, spread, ratio)
		}
	}
	check("EL", means, ses)
	for k, a := range levels {
		key := LevelString(a)
		check("ES "+key, ess[k], seES[k])
		check("VaR "+key, vars[k], seVar[k])
	}
}
