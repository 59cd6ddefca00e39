package analytic

import "testing"

// BenchmarkEstimate: 30,000 loans with distinct PDs (the worst case for
// grouping), four levels.
//
//	go test ./analytic -run '^$' -bench Estimate
func BenchmarkEstimate(b *testing.B) {
	exps := make([]Exposure, 30000)
	for i := range exps {
		exps[i] = Exposure{EAD: 1e6 + float64(i%997)*1e4, LGD: 0.7, PD: 0.005 + 1e-7*float64(i), Rho: 0.2, Life: 1}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Estimate(exps, []float64{0.95, 0.99, 0.999, 0.9999}); err != nil {
			b.Fatal(err)
		}
	}
}
