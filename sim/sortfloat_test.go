package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// sortFloats must order exactly as slices.Sort: negatives, ±0, ties,
// subnormals, infinities, and the short inputs it hands to slices.Sort.
func TestSortFloatsMatchesSlicesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func() float64{
		"losses": func() float64 { return math.Floor(r.ExpFloat64()*1e8) / 100 },
		"signed": func() float64 { return r.NormFloat64() * 1e6 },
		"counts": func() float64 { return float64(r.IntN(5)) },
		"specials": func() float64 {
			return []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 5e-324, -5e-324, 1, -1}[r.IntN(8)]
		},
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 255, 256, 1000, 20000} {
			x := make([]float64, n)
			for i := range x {
				x[i] = gen()
			}
			want := slices.Clone(x)
			slices.Sort(want)
			sortFloats(x, nil)
			for i := range x {
				// −0 and +0 compare equal; slices.Sort may order them either way.
				if x[i] != want[i] && !(math.IsNaN(x[i]) && math.IsNaN(want[i])) {
					t.Fatalf("%s n=%d: x[%d] = %v, slices.Sort gives %v", name, n, i, x[i], want[i])
				}
			}
			if name != "nan" && !slices.IsSorted(x) {
				t.Fatalf("%s n=%d: not sorted", name, n)
			}
		}
	}
}

// sortWeighted must sort the values as slices.Sort does, carry each value's
// weight with it and keep equal values in their original order (stable),
// for the radix path (n ≥ 256, an even or odd number of byte passes) and
// the comparison path (short samples, NaNs).
func TestSortWeighted(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	gens := map[string]func() float64{
		"losses":  func() float64 { return math.Floor(r.ExpFloat64()*1e8) / 100 },
		"signed":  func() float64 { return r.NormFloat64() * 1e6 },
		"counts":  func() float64 { return float64(r.IntN(5)) },       // two bytes differ: two passes
		"onepass": func() float64 { return 1 + float64(r.IntN(2))/2 }, // 1 or 1.5: one pass, weights end in the buffer
		"nan": func() float64 {
			if r.IntN(50) == 0 {
				return math.NaN()
			}
			return r.NormFloat64()
		},
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 255, 256, 1000, 20000} {
			x := make([]float64, n)
			w := make([]float64, n)
			for i := range x {
				x[i], w[i] = gen(), float64(i) // the weight names the value's original index
			}
			orig := slices.Clone(x)
			want := slices.Clone(x)
			slices.Sort(want)
			sortWeighted(x, w)
			for i := range x {
				if x[i] != want[i] && !(math.IsNaN(x[i]) && math.IsNaN(want[i])) {
					t.Fatalf("%s n=%d: x[%d] = %v, slices.Sort gives %v", name, n, i, x[i], want[i])
				}
				j := int(w[i])
				if math.Float64bits(orig[j]) != math.Float64bits(x[i]) {
					t.Fatalf("%s n=%d: x[%d] = %v carries the weight of x[%d] = %v", name, n, i, x[i], j, orig[j])
				}
				if i > 0 && math.Float64bits(x[i]) == math.Float64bits(x[i-1]) && w[i] < w[i-1] {
					t.Fatalf("%s n=%d: equal values at %d and %d out of their order", name, n, i-1, i)
				}
			}
		}
	}
}
