package sim

import (
	"cmp"
	"math"
	"slices"
)

// Importance-sampling weights in the ledger's figures (docs/tails.md).
//
// Under importance sampling path p carries its likelihood ratio w_p
// (Result.Weight, copied to LedgerResult.Weight); plain Monte Carlo has
// w ≡ 1 and a nil slice. Every figure over the paths is then an average
// of w·(the path's figure): with N paths,
//
//	share of paths where A holds  P̂(A)   = (1/N) Σ_{p ∈ A} w_p,  SE = sd(w·1_A)/√N
//	mean of x                      x̄      = (1/N) Σ w_p x_p
//	α-quantile of x                q̂_α    = the smallest x_p with 1 − (1/N) Σ_{x > x_p} w ≥ α
//
// The quantile uses the tail form of the estimated law (the one
// SummarizeAt uses), which importance sampling estimates well. With w ≡ 1
// these are the unweighted figures, and the code keeps the unweighted
// arithmetic then so that plain runs are unchanged to the bit.

// weightOf returns w[p], or 1 when w is nil (plain Monte Carlo).
func weightOf(w []float64, p int) float64 {
	if w == nil {
		return 1
	}
	return w[p]
}

// weightedShare returns the estimated probability (1/n) Σ_{p: bad(p)} w_p
// of an event of the tail (a target failing, capital needed) and its
// standard error sd(w·1_bad)/√n = √(((1/n) Σ_bad w² − P̂²)/n); with w nil,
// the share of paths and the binomial √(P̂(1 − P̂)/n). The probability of
// the complement (a target holding) is 1 − P̂ with the same SE: the tail
// form, as in F̂ (under importance sampling (1/n) Σ_all w is only near 1,
// and the tail event is the one the weights estimate well).
func weightedShare(w []float64, n int, bad func(p int) bool) (share, se float64) {
	N := float64(n)
	if w == nil {
		k := 0
		for p := range n {
			if bad(p) {
				k++
			}
		}
		share = float64(k) / N
		return share, math.Sqrt(share * (1 - share) / N)
	}
	var s, s2 float64
	for p := range n {
		if bad(p) {
			s += w[p]
			s2 += w[p] * w[p]
		}
	}
	share = s / N
	return share, math.Sqrt(max(s2/N-share*share, 0) / N)
}

// weightedSample is a sample sorted ascending with its weights, and the
// normaliser of its law (N for the law of all paths; Σw of the sample for
// a conditional law, such as a target's shortfall given that it fails).
type weightedSample struct {
	x, w  []float64
	total float64
}

// newWeightedSample sorts x with weights w (both copied; len(w) == len(x)).
func newWeightedSample(x, w []float64, total float64) weightedSample {
	pairs := make([]weighted, len(x))
	for p := range x {
		pairs[p] = weighted{x[p], w[p]}
	}
	slices.SortFunc(pairs, func(a, b weighted) int { return cmp.Compare(a.x, b.x) })
	s := weightedSample{x: make([]float64, len(x)), w: make([]float64, len(x)), total: total}
	for p, q := range pairs {
		s.x[p], s.w[p] = q.x, q.w
	}
	return s
}

// mean is (1/total) Σ w x.
func (s weightedSample) mean() float64 {
	var m float64
	for p, v := range s.x {
		m += s.w[p] * v
	}
	return m / s.total
}

// quantile is the smallest x_p with F̂(x_p) = 1 − (1/total)·Σ_{x > x_p} w ≥ α,
// the largest value if none (NaN for an empty sample).
func (s weightedSample) quantile(alpha float64) float64 {
	n := len(s.x)
	if n == 0 {
		return math.NaN()
	}
	q := s.x[n-1]
	var tail float64 // Σ w over values > s.x[i-1]
	for i := n; i > 0; {
		j := i - 1
		for j > 0 && s.x[j-1] == s.x[i-1] {
			j--
		}
		if 1-tail/s.total < alpha {
			break
		}
		q = s.x[i-1]
		for k := j; k < i; k++ {
			tail += s.w[k]
		}
		i = j
	}
	return q
}

// atMost is F̂(x) = 1 − (1/total) Σ_{x_p > x} w_p.
func (s weightedSample) atMost(x float64) float64 {
	var tail float64
	for p := len(s.x) - 1; p >= 0 && s.x[p] > x; p-- {
		tail += s.w[p]
	}
	return 1 - tail/s.total
}

// weightedQuantiles is QuantilesOf for a sample with weights w (nil: w ≡ 1,
// which is QuantilesOf itself; x is then sorted in place) and normaliser
// total: mean (1/total) Σ w x and the weighted quantiles.
func weightedQuantiles(x, w []float64, total float64) Quantiles {
	if w == nil || len(x) == 0 {
		return QuantilesOf(x)
	}
	s := newWeightedSample(x, w, total)
	return Quantiles{Mean: Number(s.mean()), Q05: Number(s.quantile(0.05)), Q50: Number(s.quantile(0.5)), Q95: Number(s.quantile(0.95))}
}

// quantileBounds bounds the α-quantile q (= s.quantile(α)) with about 95 %
// confidence: the quantiles at α ∓ 1.96·σ, σ = sd(w·1{x > q})/√n the
// standard error of F̂(q) (for w ≡ 1 this is quantileBounds' binomial
// √(α(1 − α)/n) up to the difference between F̂(q) and α).
func (s weightedSample) quantileBounds(alpha, q float64) (lo, hi float64) {
	n := len(s.x)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	N := float64(n)
	var t, t2 float64
	for p := n - 1; p >= 0 && s.x[p] > q; p-- {
		t += s.w[p] / N
		t2 += s.w[p] * s.w[p] / N
	}
	h := 1.96 * math.Sqrt(max(t2-t*t, 0)/N)
	return s.quantile(max(alpha-h, 0)), s.quantile(min(alpha+h, 1))
}
