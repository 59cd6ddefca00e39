package analytic

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
)

// TestVasicekTable holds the large-homogeneous-portfolio limit to the
// table of testdata/reference/README.md (computed there from the closed
// forms; the ES column checked by direct integration of the quantile
// function), to its 5 significant digits.
func TestVasicekTable(t *testing.T) {
	for _, tt := range []struct {
		pd, rho              float64
		q99, q999, e99, e999 float64
	}{
		{0.005, 0.12, 0.02959, 0.05428, 0.04012, 0.06742},
		{0.01, 0.05, 0.03194, 0.04669, 0.03831, 0.05355},
		{0.01, 0.12, 0.05253, 0.09033, 0.06871, 0.10921},
		{0.01, 0.20, 0.07525, 0.14553, 0.10513, 0.18144},
		{0.02, 0.20, 0.12861, 0.22631, 0.17046, 0.27161},
		{0.05, 0.20, 0.24957, 0.38442, 0.30812, 0.43851},
	} {
		for _, c := range []struct {
			alpha, q, es float64
		}{{0.99, tt.q99, tt.e99}, {0.999, tt.q999, tt.e999}} {
			q, es, err := Vasicek(tt.pd, tt.rho, c.alpha)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(q-c.q) > 0.5e-5 || math.Abs(es-c.es) > 0.5e-5 {
				t.Errorf("pd %v ρ %v α %v: q %.6f ES %.6f, table %.5f %.5f", tt.pd, tt.rho, c.alpha, q, es, c.q, c.es)
			}
		}
	}
	// Conditional PD at p = 1 %, ρ = 0.12, α = 0.999: 0.0903258313261
	// (testdata/reference/README.md; Go math.Erfc and Python
	// statistics.NormalDist agree to about 15 digits).
	if q, _, _ := Vasicek(0.01, 0.12, 0.999); math.Abs(q-0.0903258313261) > 1e-12 {
		t.Errorf("conditional PD %.13f, want 0.0903258313261", q)
	}
}

// TestBaselIRB is the check of testdata/reference/README.md: PD 1 %,
// LGD 45 %, M 2.5, no SME adjustment → R = 0.192784, K = 0.073853.
func TestBaselIRB(t *testing.T) {
	R, K, err := BaselIRB(0.01, 0.45, 2.5, math.NaN())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(R-0.192784) > 0.5e-6 || math.Abs(K-0.073853) > 0.5e-6 {
		t.Errorf("R = %.6f, K = %.6f; want 0.192784, 0.073853", R, K)
	}
	// SME: turnover 5 (€ million) takes the full 0.04 off R.
	if R5, _, _ := BaselIRB(0.01, 0.45, 2.5, 5); math.Abs(R-R5-0.04) > 1e-12 {
		t.Errorf("SME adjustment at S = 5: R %.6f → %.6f, want −0.04", R, R5)
	}
	for _, bad := range [][3]float64{{0, 0.45, 2.5}, {0.01, 1.5, 2.5}, {0.01, 0.45, 7}, {math.NaN(), 0.45, 2.5}} {
		if _, _, err := BaselIRB(bad[0], bad[1], bad[2], 50); !errors.Is(err, ErrInvalid) {
			t.Errorf("BaselIRB%v: err %v, want ErrInvalid", bad, err)
		}
	}
}

// exactCase is one case of testdata/reference/onefactor_exact_levels.json
// (exact_onefactor.py: the finite-N law by quadrature).
type exactCase struct {
	N       int                `json:"n"`
	PD      float64            `json:"pd"`
	Rho     float64            `json:"rho"`
	EL      float64            `json:"el"`
	SD      float64            `json:"sd"`
	VaR     map[string]float64 `json:"var"`
	ESAT    map[string]float64 `json:"es_acerbi_tasche"`
	LHP     struct{ VaR, ES map[string]float64 }
	Command string `json:"command"`
}

func loadExact(t *testing.T) []exactCase {
	t.Helper()
	b, err := os.ReadFile("../testdata/reference/onefactor_exact_levels.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Cases []exactCase }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Cases
}

func homogeneous(t *testing.T, c exactCase) *Portfolio {
	t.Helper()
	exps := make([]Exposure, c.N)
	for i := range exps {
		exps[i] = Exposure{EAD: 1, LGD: 1, PD: c.PD, Rho: c.Rho, Life: 1}
	}
	p, err := New(exps)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var levelKeys = map[float64]string{0.95: "0.95", 0.99: "0.99", 0.999: "0.999", 0.9999: "0.9999"}

// TestASRFMatchesReferenceLHP holds ASRF to the large-portfolio limit that
// exact_onefactor.py prints beside the exact law (an independent
// quadrature in Python), to 1e-9 relative.
func TestASRFMatchesReferenceLHP(t *testing.T) {
	for _, c := range loadExact(t) {
		p := homogeneous(t, c)
		for a, key := range levelKeys {
			v, es, err := p.ASRF(a)
			if err != nil {
				t.Fatal(err)
			}
			if rel(v, c.LHP.VaR[key]) > 1e-9 || rel(es, c.LHP.ES[key]) > 1e-9 {
				t.Errorf("N=%d α=%s: ASRF %.9f / %.9f, reference %.9f / %.9f", c.N, key, v, es, c.LHP.VaR[key], c.LHP.ES[key])
			}
		}
	}
}

func rel(a, b float64) float64 { return math.Abs(a-b) / math.Abs(b) }

// TestGranularityAdjustment: the granularity-adjusted VaR approaches the
// exact finite-N VaR. The criterion: N = 1000, pd 1 %, ρ = 0.2,
// exact VaR 0.999 = 147 (testdata/reference), within 5 %, for both the
// model's own first-order GA and Gordy–Lütkebohmert's formula. On every
// case and level at 0.99 and above, the adjusted VaR must also be closer
// to the exact VaR than the ASRF limit is, or within one loss unit of it
// (the exact VaR is a whole number of units).
func TestGranularityAdjustment(t *testing.T) {
	for _, c := range loadExact(t) {
		p := homogeneous(t, c)
		for _, a := range []float64{0.99, 0.999, 0.9999} {
			key := levelKeys[a]
			exact := c.VaR[key]
			lhp, _, _ := p.ASRF(a)
			ga, err := p.GA(a)
			if err != nil {
				t.Fatal(err)
			}
			gl, err := p.GAGordyLutkebohmert(a, GLXi)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("N=%d pd=%v ρ=%v α=%s: exact %v, ASRF %.2f, +GA %.2f, +GA(GL) %.2f", c.N, c.PD, c.Rho, key, exact, lhp, lhp+ga, lhp+gl)
			for name, adj := range map[string]float64{"GA": lhp + ga, "GA(GL)": lhp + gl} {
				if math.Abs(adj-exact) > max(math.Abs(lhp-exact), 1) {
					t.Errorf("N=%d α=%s: ASRF%s %.2f further from exact %v than ASRF %.2f", c.N, key, name, adj, exact, lhp)
				}
				if c.N == 1000 && a == 0.999 && rel(adj, exact) > 0.05 {
					t.Errorf("N=1000 α=0.999: ASRF+%s = %.2f not within 5 %% of exact %v", name, adj, exact)
				}
			}
		}
	}
}

// TestGLDelta: δ at α = 0.999, ξ = 0.25 is 4.83, the value of Gordy and
// Lütkebohmert (2013) and of the Basel II second consultative paper.
func TestGLDelta(t *testing.T) {
	if d := GLDelta(0.999, 0.25); math.Abs(d-4.83) > 0.005 {
		t.Errorf("δ = %.4f, want 4.83", d)
	}
}

// TestCreditRiskPlusNegativeBinomial: with every loss one unit, the
// CreditRisk+ default count is negative binomial with r = 1/σ² and
// success probability 1/(1 + σ²λ): P(K = n) = Γ(n+r)/(Γ(r) n!) (1−δ)^r δ^n,
// δ = σ²λ/(1+σ²λ). The Panjer recursion must reproduce it, and with σ² = 0
// the Poisson law.
func TestCreditRiskPlusNegativeBinomial(t *testing.T) {
	c := exactCase{N: 1000, PD: 0.01, Rho: 0.2}
	p := homogeneous(t, c)
	lambda := 10.0
	for _, s2 := range []float64{0, 0.5, 2.37} {
		d, err := p.CreditRiskPlus(s2, 1, 10000)
		if err != nil {
			t.Fatal(err)
		}
		for n := range min(len(d.PMF), 200) {
			var want float64
			if s2 == 0 {
				lg, _ := math.Lgamma(float64(n) + 1)
				want = math.Exp(float64(n)*math.Log(lambda) - lambda - lg)
			} else {
				r, del := 1/s2, s2*lambda/(1+s2*lambda)
				a, _ := math.Lgamma(float64(n) + r)
				b, _ := math.Lgamma(r)
				f, _ := math.Lgamma(float64(n) + 1)
				want = math.Exp(a - b - f + r*math.Log1p(-del) + float64(n)*math.Log(del))
			}
			if math.Abs(d.PMF[n]-want) > 1e-12*max(want, 1e-300) && math.Abs(d.PMF[n]-want) > 1e-300 {
				if rel(d.PMF[n], want) > 1e-10 {
					t.Fatalf("σ²=%v: P(K=%d) = %g, negative binomial %g", s2, n, d.PMF[n], want)
				}
			}
		}
		if m := d.Mean(); rel(m, lambda) > 1e-9 {
			t.Errorf("σ²=%v: mean %v, want EL %v", s2, m, lambda)
		}
	}
}

// TestCreditRiskPlusBanding: banding keeps the expected loss (the counts
// are scaled by l/(ν·unit)); a coarse unit changes the tail by about a unit.
func TestCreditRiskPlusBanding(t *testing.T) {
	exps := []Exposure{}
	for i := range 500 {
		exps = append(exps, Exposure{EAD: 100 + float64(i%37)*13.7, LGD: 0.6, PD: 0.005 + 0.0001*float64(i%11), Rho: 0.15, Life: 1})
	}
	p, err := New(exps)
	if err != nil {
		t.Fatal(err)
	}
	s2 := p.SectorVariance()
	for _, unit := range []float64{5, 20} {
		d, err := p.CreditRiskPlus(s2, unit, 100000)
		if err != nil {
			t.Fatal(err)
		}
		if rel(d.Mean(), p.EL()) > 1e-9 {
			t.Errorf("unit %v: mean %v, EL %v", unit, d.Mean(), p.EL())
		}
	}
}

// TestSectorVariance: for a homogeneous portfolio σ² = (Φ₂(c, c; ρ) − pd²)/pd²;
// at pd 1 %, ρ = 0.2 the default correlation's numerator Φ₂ − pd² is
// checked by Var(Σ defaults) = N pd(1−pd) + N(N−1)(Φ₂ − pd²): the exact
// law's SD (testdata/reference) gives Φ₂ − pd², so σ² must equal it / pd².
func TestSectorVariance(t *testing.T) {
	for _, c := range loadExact(t) {
		p := homogeneous(t, c)
		n := float64(c.N)
		cov := (c.SD*c.SD - n*c.PD*(1-c.PD)) / (n * (n - 1))
		if got, want := p.SectorVariance(), cov/(c.PD*c.PD); rel(got, want) > 1e-6 {
			t.Errorf("N=%d: σ² = %.8f, from the exact SD %.8f", c.N, got, want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	for _, tt := range []struct {
		e     Exposure
		field string
	}{
		{Exposure{EAD: -1, LGD: 1, PD: 0.01, Rho: 0.1, Life: 1}, "ead"},
		{Exposure{EAD: 1, LGD: 2, PD: 0.01, Rho: 0.1, Life: 1}, "lgd"},
		{Exposure{EAD: 1, LGD: 1, PD: math.NaN(), Rho: 0.1, Life: 1}, "pd"},
		{Exposure{EAD: 1, LGD: 1, PD: 0.01, Rho: 1, Life: 1}, "rho"},
		{Exposure{EAD: 1, LGD: 1, PD: 0.01, Rho: 0.1, Life: 0}, "life"},
	} {
		_, err := New([]Exposure{{EAD: 1, LGD: 1, PD: 0.01, Rho: 0.1, Life: 1}, tt.e})
		if !errors.Is(err, ErrInvalid) || !contains(err.Error(), "exposure 1: "+tt.field) {
			t.Errorf("%+v: err %v, want one naming exposure 1 and %s", tt.e, err, tt.field)
		}
	}
	if _, err := New(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no exposures: err %v", err)
	}
	p, _ := New([]Exposure{{EAD: 1, LGD: 1, PD: 0.01, Rho: 0.1, Life: 1}})
	for _, a := range []float64{0, 1, math.NaN(), -0.5} {
		if _, _, err := p.ASRF(a); !errors.Is(err, ErrInvalid) {
			t.Errorf("ASRF(%v): err %v", a, err)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
