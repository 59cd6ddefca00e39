package sim

import (
	"math"
	"slices"
	"sync"
)

// Importance-sampling weights in the ledger's figures (docs/tails.md).
//
// Under importance sampling path p carries its likelihood ratio w_p
// (Result.Weight, copied to LedgerResult.Weight); plain Monte Carlo has
// w ≡ 1 and a nil slice. The ledger's figures over the paths (targets'
// P(hold), metrics, outlays, top-ups) use the self-normalised (ratio)
// estimator, with W = Σ_p w_p:
//
//	probability of an event A   P̂(A) = Σ_{p ∈ A} w_p / W,  SE = √(Σ_p w_p² (1_A(p) − P̂)²) / W
//	mean of x                   x̄    = Σ w_p x_p / W
//	α-quantile of x             q̂_α  = the smallest x_p with F̂(x_p) = 1 − Σ_{x > x_p} w / W ≥ α
//
// (the SE by the delta method). Dividing by W rather than N keeps every
// probability in [0, 1] with P̂(A) + P̂(not A) = 1 and a constant's mean
// exact: under the defensive mixture W/N is only near 1 (its SE on a small
// book is a few per cent), and body figures — a P(hold) near 1, a
// balance — would be off by that much. Its bias is O(1/N). The losses'
// VaR/ES (SummarizeAt) and the ES contributions keep the tail form
// 1 − (1/N)Σ w, which is unbiased in the tail. With w ≡ 1 both are the
// unweighted figures, and the code keeps the unweighted arithmetic then so
// that plain runs are unchanged to the bit.

// weightOf returns w[p], or 1 when w is nil (plain Monte Carlo).
func weightOf(w []float64, p int) float64 {
	if w == nil {
		return 1
	}
	return w[p]
}

// weightSum returns W = Σ w (len(w) paths), or n when w is nil.
func weightSum(w []float64, n int) float64 {
	if w == nil {
		return float64(n)
	}
	var W float64
	for _, v := range w {
		W += v
	}
	return W
}

// weightedShare returns P̂(A) = Σ_{p ∈ A} w_p / W over n paths, A the paths
// where in(p), and its standard error √(Σ w² (1_A − P̂)²)/W; with w nil,
// the share of paths and the binomial √(P̂(1 − P̂)/n).
func weightedShare(w []float64, n int, in func(p int) bool) (share, se float64) {
	N := float64(n)
	if w == nil {
		k := 0
		for p := range n {
			if in(p) {
				k++
			}
		}
		share = float64(k) / N
		return share, math.Sqrt(share * (1 - share) / N)
	}
	var W, W2, a, a2 float64 // Σ w, Σ w², and over A
	for p := range n {
		W += w[p]
		W2 += w[p] * w[p]
		if in(p) {
			a += w[p]
			a2 += w[p] * w[p]
		}
	}
	share = a / W
	// Σ w²(1_A − P̂)² = Σ_A w²(1 − 2P̂) + P̂² Σ w²
	return share, math.Sqrt(max(a2*(1-2*share)+share*share*W2, 0)) / W
}

// weightedSample is a sample sorted ascending with its weights, and the
// normaliser of its law, Σ w of the sample (W for all paths).
type weightedSample struct {
	x, w  []float64
	total float64
}

// newWeightedSample sorts x with weights w (both copied; len(w) == len(x))
// by sortWeighted: values in ascending order, equal values in path order.
func newWeightedSample(x, w []float64, total float64) weightedSample {
	s := weightedSample{x: slices.Clone(x), w: slices.Clone(w), total: total}
	sortWeighted(s.x, s.w)
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
// which is QuantilesOf itself) and normaliser total (the sample's Σ w):
// mean Σ w x / total and the weighted quantiles. x is sorted in place (as
// QuantilesOf does); w is left alone, its sorted copy kept in a pooled
// buffer, so that summarizing many series (a ledger's metrics) allocates
// nothing per series.
func weightedQuantiles(x, w []float64, total float64) Quantiles {
	if w == nil || len(x) == 0 {
		return quantilesOf(x)
	}
	buf := sampleWeights.Get().(*[]float64)
	defer sampleWeights.Put(buf)
	if cap(*buf) < len(w) {
		*buf = make([]float64, len(w))
	}
	s := weightedSample{x: x, w: (*buf)[:len(w)], total: total}
	copy(s.w, w)
	sortWeighted(s.x, s.w)
	return Quantiles{Mean: Number(s.mean()), Q05: Number(s.quantile(0.05)), Q50: Number(s.quantile(0.5)), Q95: Number(s.quantile(0.95))}
}

// sampleWeights holds weightedQuantiles' copies of the weights.
var sampleWeights = sync.Pool{New: func() any { return new([]float64) }}

// quantileBounds bounds the α-quantile q (= s.quantile(α)) with about 95 %
// confidence: the quantiles at α ∓ 1.96·σ, σ = √(Σ w² (1{x > q} − t)²)/W
// the standard error of t = Σ_{x > q} w / W = 1 − F̂(q) (for w ≡ 1 this is
// quantileBounds' binomial √(α(1 − α)/n) up to the difference between
// F̂(q) and α). total must be W.
func (s weightedSample) quantileBounds(alpha, q float64) (lo, hi float64) {
	n := len(s.x)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	var W2, a, a2 float64
	for p := range n {
		W2 += s.w[p] * s.w[p]
		if s.x[p] > q {
			a += s.w[p]
			a2 += s.w[p] * s.w[p]
		}
	}
	t := a / s.total
	h := 1.96 * math.Sqrt(max(a2*(1-2*t)+t*t*W2, 0)) / s.total
	return s.quantile(max(alpha-h, 0)), s.quantile(min(alpha+h, 1))
}
