package sim

import (
	"math"
	"slices"
	"testing"
)

// The ziggurat's Exp(1) draws against the exact law: a Kolmogorov–Smirnov
// test on 10⁶ draws (the 0.999 critical value of √n·D is 1.95), the mean
// and variance within 5 standard errors, and the tail beyond zigR (the
// ziggurat's slow branch) with about its exact frequency e^(−zigR).
func TestStreamExp(t *testing.T) {
	const n = 1_000_000
	s := newStream()
	s.Reset(7, 11)
	x := make([]float64, n)
	tail := 0
	for i := range x {
		x[i] = s.Exp()
		if x[i] > zigR {
			tail++
		}
	}
	mean, sd := meanSD(x)
	// Exp(1): mean 1, variance 1; var of the sample variance ≈ (μ4 − 1)/n = 8/n
	if math.Abs(mean-1) > 5/math.Sqrt(n) || math.Abs(sd*sd-1) > 5*math.Sqrt(8.0/n) {
		t.Errorf("mean %.5f, variance %.5f; want 1, 1", mean, sd*sd)
	}
	slices.Sort(x)
	var d float64
	for i, v := range x {
		f := -math.Expm1(-v)
		d = max(d, math.Abs(f-float64(i)/n), math.Abs(f-float64(i+1)/n))
	}
	if ks := math.Sqrt(n) * d; ks > 1.95 {
		t.Errorf("KS statistic √n·D = %.3f > 1.95", ks)
	}
	// P(X > zigR) = e^(−zigR) ≈ 4.5e-4: 454 expected, Poisson sd 21
	want := n * math.Exp(-zigR)
	if math.Abs(float64(tail)-want) > 5*math.Sqrt(want) {
		t.Errorf("%d draws beyond %.3f, want about %.0f", tail, zigR, want)
	}
}

// Distinct (seed, path) keys give distinct streams; the same key, the same.
func TestStreamKeys(t *testing.T) {
	first := func(seed, path uint64) uint64 {
		s := newStream()
		s.Reset(seed, path)
		return s.Uint64()
	}
	seen := map[uint64][2]uint64{}
	for seed := range uint64(4) {
		for path := range uint64(1000) {
			v := first(seed, path)
			if prev, dup := seen[v]; dup {
				t.Fatalf("(seed %d, path %d) starts like %v", seed, path, prev)
			}
			seen[v] = [2]uint64{seed, path}
		}
	}
	if a, b := first(3, 5), first(3, 5); a != b {
		t.Fatal("same key, different streams")
	}
}
