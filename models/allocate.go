package models

import "math"

// Allocate splits amount (fen) into parts proportional to weights, exactly:
// the parts are non-negative when amount ≥ 0 and always sum to amount. Each
// part gets ⌊amount·w_k/Σw⌋ and the fen left over go one each to the
// largest remainders (ties to the lower index): the largest-remainder
// (Hamilton) method. Weights must be finite and ≥ 0; if they are all zero,
// everything goes to the last part. dst must have len(weights) elements;
// it is returned.
func Allocate(dst []Cents, amount Cents, weights []float64) []Cents {
	if len(dst) != len(weights) {
		panic("models: Allocate: len(dst) != len(weights)")
	}
	var buf [8]float64 // portfolios use at most 5 parties
	frac := buf[:0]
	if len(weights) > len(buf) {
		frac = make([]float64, 0, len(weights))
	}
	return AllocateFractions(dst, amount, weights, Fractions(frac, weights))
}

// Fractions appends to frac each weight's fraction w_k/Σw, the factors by
// which Allocate multiplies an amount, and returns it; it returns nil when
// Σw is not > 0 (Allocate then gives everything to the last part). A caller that splits many amounts by the same weights
// computes them once and calls AllocateFractions: the parts are the same
// to the fen as Allocate's, since the same quotients are used.
func Fractions(frac, weights []float64) []float64 {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	if !(sum > 0) {
		return nil
	}
	for _, w := range weights {
		frac = append(frac, w/sum)
	}
	return frac
}

// AllocateFractions is Allocate with the weights' fractions already
// computed by Fractions (nil when Σw is not > 0).
func AllocateFractions(dst []Cents, amount Cents, weights, frac []float64) []Cents {
	if len(dst) != len(weights) {
		panic("models: AllocateFractions: len(dst) != len(weights)")
	}
	if len(dst) == 0 {
		return dst
	}
	if frac == nil {
		clear(dst)
		dst[len(dst)-1] = amount
		return dst
	}
	neg := amount < 0
	a := amount
	if neg {
		a = -a
	}
	var given Cents
	var rem [8]float64 // remainders; portfolios use at most 5 parties
	var rems []float64
	if len(weights) <= len(rem) {
		rems = rem[:len(weights)]
	} else {
		rems = make([]float64, len(weights))
	}
	for k, q := range frac {
		exact := float64(a) * q
		f := math.Floor(exact)
		dst[k] = Cents(f)
		rems[k] = exact - f
		given += dst[k]
	}
	// Float rounding can leave given a fen above a; take it back from the largest part.
	for given > a {
		big := 0
		for k := range dst {
			if dst[k] > dst[big] {
				big = k
			}
		}
		dst[big]--
		rems[big] = 1
		given--
	}
	for left := a - given; left > 0; left-- {
		best := -1
		for k, r := range rems {
			if weights[k] > 0 && (best < 0 || r > rems[best]) {
				best = k
			}
		}
		dst[best]++
		rems[best] = -1
	}
	if neg {
		for k := range dst {
			dst[k] = -dst[k]
		}
	}
	return dst
}
