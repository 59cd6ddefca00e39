package sim

import (
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/mathext"
)

// Levels are the default confidence levels at which VaR and ES are
// reported (Params.Levels, --levels, chooses others).
var Levels = []float64{0.95, 0.99, 0.999}

// MaxLevel is the highest confidence level a run reports, and MaxLevels
// the most levels it takes.
const (
	MaxLevel  = 0.9999
	MaxLevels = 12
)

// LevelString returns the document's key of level α: "0.95", "0.999".
func LevelString(alpha float64) string { return strconv.FormatFloat(alpha, 'g', -1, 64) }

// minPathsForSE is the fewest paths with which Summarize gives standard
// errors, and minTailPaths the fewest paths beyond VaR_α with which it
// gives the standard error of ES_α.
const (
	minPathsForSE = 20
	minTailPaths  = 10
)

// Summary describes a sample of per-path values (losses in yuan, default
// counts), possibly weighted by importance-sampling likelihood ratios,
// with Monte Carlo standard errors. VaR[k], ES[k], SEVaR[k] and SEES[k]
// belong to Levels[k].
type Summary struct {
	N      int
	Levels []float64
	Mean   float64
	SD     float64   // standard deviation of the value (divisor N − 1 when unweighted)
	VaR    []float64 // the smallest l with F̂(l) ≥ α
	ES     []float64 // Acerbi–Tasche expected shortfall
	SEMean float64   // sd(w·x)/√N
	SEVaR  []float64 // see Summarize; NaN with fewer than 20 paths
	SEES   []float64
	// ESS is the effective sample size (Σw)²/Σw² (N when unweighted).
	ESS float64
}

// summarize is SummarizeAt(x, nil, Levels): an unweighted sample at the
// default levels.
func summarize(x []float64) Summary { return summarizeAt(x, nil, Levels) }

// summarizeAt computes the statistics of x (path order; not modified)
// with likelihood-ratio weights w (nil: every weight 1) at levels. With
// N paths, the estimated law is F̂(l) = 1 − (1/N)·Σ_{x_p > l} w_p (the
// tail form, which is what importance sampling estimates well), and
//
//	Mean  = (1/N) Σ w_p x_p
//	VaR_α = the smallest x_p with F̂(x_p) ≥ α
//	ES_α  = ( (1/N) Σ_{x_p > VaR} w_p x_p + VaR·(F̂(VaR) − α) ) / (1 − α)
//
// (with w ≡ 1 these are TailStats). Standard errors, valid far in the
// tail (docs/tails.md):
//
//   - mean: sd(w·x)/√N; the paths are independent.
//   - VaR, unweighted: the standard deviation of the sample quantile under
//     the empirical law (the exact bootstrap): with k = ⌈αN⌉ and distinct
//     sorted values v_j, P(VaR* ≤ v_j) = P(Binomial(N, F̂(v_j)) ≥ k). It is
//     distribution-free and right on lattice losses, where a value holds
//     many paths.
//   - VaR, weighted: the same with the normal approximation
//     P(VaR* ≤ v_j) = Φ((F̂(v_j) − α)/s_j), s_j² = Var(w·1{x > v_j})/N.
//   - ES: the influence function of ES_α = VaR + E[(L − VaR)⁺]/(1 − α),
//     SE = sd(w·(x − VaR)⁺) / ((1 − α)√N); to first order VaR's own error
//     does not move it (VaR minimises the Rockafellar–Uryasev objective).
//
// Every SE is NaN with fewer than 20 paths, and SE(ES_α) with fewer than
// 10 paths beyond VaR_α (there are about (1 − α)·N).
func summarizeAt(x, w []float64, levels []float64) Summary {
	n := len(x)
	L := len(levels)
	s := Summary{N: n, Levels: levels, VaR: make([]float64, L), ES: make([]float64, L),
		SEVaR: make([]float64, L), SEES: make([]float64, L)}
	if w != nil && len(w) != n {
		panic("sim: len(w) != len(x)")
	}
	nan := math.NaN()
	if n == 0 {
		for k := range levels {
			s.VaR[k], s.ES[k], s.SEVaR[k], s.SEES[k] = nan, nan, nan, nan
		}
		s.Mean, s.SD, s.SEMean, s.ESS = nan, nan, nan, 0
		return s
	}
	N := float64(n)
	if w == nil {
		sorted := slices.Clone(x)
		sortFloats(sorted, nil)
		s.Mean, s.SD = meanSD(x)
		s.SEMean = s.SD / math.Sqrt(N)
		s.ESS = N
		for k, a := range levels {
			s.VaR[k], s.ES[k] = TailStats(sorted, a)
			s.SEVaR[k] = quantileSE(sorted, a)
			s.SEES[k] = esSE(sorted, nil, s.VaR[k], a)
		}
	} else {
		var sw, sw2, swx, swx2 float64
		for p := range n {
			sw += w[p]
			sw2 += w[p] * w[p]
			swx += w[p] * x[p]
			swx2 += w[p] * w[p] * x[p] * x[p]
		}
		sorted, ws := slices.Clone(x), slices.Clone(w)
		sortWeighted(sorted, ws) // ascending; equal values in path order
		s.Mean = swx / N
		var m2 float64 // (1/N) Σ w x²
		for p, v := range sorted {
			m2 += ws[p] * v * v
		}
		s.SD = math.Sqrt(max(m2/N-s.Mean*s.Mean, 0))
		s.SEMean = math.Sqrt(max(swx2/N-s.Mean*s.Mean, 0) / N)
		s.ESS = sw * sw / sw2
		for k, a := range levels {
			s.VaR[k], s.ES[k], s.SEVaR[k] = weightedTail(sorted, ws, a)
			s.SEES[k] = esSE(sorted, ws, s.VaR[k], a)
		}
	}
	if n < minPathsForSE {
		s.SEMean = nan
		for k := range levels {
			s.SEVaR[k], s.SEES[k] = nan, nan
		}
	}
	return s
}

type weighted struct{ x, w float64 }

// weightedTail returns VaR, ES (see SummarizeAt) and the standard error of
// VaR of the sorted sample with weights ws at level α.
func weightedTail(sorted, ws []float64, alpha float64) (VaR, ES, se float64) {
	n := len(sorted)
	N := float64(n)
	// Walk down from the top over distinct values: after value v_j,
	// tail = (1/N) Σ_{x > v_j} w, tail2 = (1/N) Σ_{x > v_j} w², tailx = (1/N) Σ_{x > v_j} w x.
	// F̂(v_j) = 1 − tail. VaR is the smallest v_j with tail ≤ 1 − α.
	type point struct{ v, F, s float64 }
	var pts []point // distinct values from the top, while they matter for VaR's spread
	var tail, tail2, tailx float64
	i := n
	VaR = math.NaN()
	var vTail, vTailx float64
	for i > 0 {
		j := i - 1
		for j > 0 && sorted[j-1] == sorted[i-1] {
			j--
		}
		v := sorted[i-1]
		// tail above v is the current tail (values > v)
		F := 1 - tail
		sj := math.Sqrt(max(tail2-tail*tail, 0) / N)
		pts = append(pts, point{v, F, sj})
		if F >= alpha {
			VaR, vTail, vTailx = v, tail, tailx
		} else if !math.IsNaN(VaR) && (alpha-F) > 8*max(sj, 1/N) {
			break
		}
		for q := j; q < i; q++ {
			tail += ws[q] / N
			tail2 += ws[q] * ws[q] / N
			tailx += ws[q] * sorted[q] / N
		}
		i = j
	}
	if math.IsNaN(VaR) { // α beyond every F̂: the largest value
		VaR = sorted[n-1]
		vTail, vTailx = 0, 0
	}
	ES = (vTailx + VaR*((1-vTail)-alpha)) / (1 - alpha)
	// VaR* ≤ v_j with probability Φ((F̂(v_j) − α)/s_j): the distribution
	// of VaR* over the points, from the top (decreasing v).
	// prev = P(VaR* ≤ the point above); the mass between belongs to it.
	var m1, m2 float64
	prev, prevV := 1.0, pts[0].v
	for _, p := range pts {
		cdf := 0.0
		if p.s > 0 {
			cdf = Phi((p.F - alpha) / p.s)
		} else if p.F >= alpha {
			cdf = 1
		}
		m1 += (prev - cdf) * prevV
		m2 += (prev - cdf) * prevV * prevV
		prev, prevV = cdf, p.v
	}
	m1 += prev * prevV // what is left lies at or below the lowest point listed
	m2 += prev * prevV * prevV
	se = math.Sqrt(max(m2-m1*m1, 0))
	return VaR, ES, se
}

// quantileSE is the standard deviation of the sample α-quantile
// x_(⌈αN⌉) under resampling from the empirical law of sorted: with
// k = ⌈αN⌉, VaR* ≤ v iff at least k resampled values are ≤ v, so
// P(VaR* ≤ v_j) = P(Binomial(N, F̂(v_j)) ≥ k) = I_{F̂(v_j)}(k, N − k + 1)
// (regularized incomplete beta). Values more than 8 binomial standard
// deviations of ranks away from k carry no mass in float64 and are skipped.
func quantileSE(sorted []float64, alpha float64) float64 {
	n := len(sorted)
	N := float64(n)
	k := varRank(alpha, n)
	d := int(math.Ceil(8*math.Sqrt(N*alpha*(1-alpha)))) + 2
	lo, hi := max(k-1-d, 0), min(k-1+d, n-1) // 0-based ranks considered
	// Mass below the window is lumped at its first value, mass above it at
	// its last; both are below float64 resolution.
	var m1, m2, prev, last float64
	for j := lo; j <= hi; {
		v := sorted[j]
		e := j
		for e+1 < n && sorted[e+1] == v {
			e++
		}
		cdf := 1.0
		if e+1 < n {
			cdf = mathext.RegIncBeta(float64(k), N-float64(k)+1, float64(e+1)/N)
		}
		m1 += (cdf - prev) * v
		m2 += (cdf - prev) * v * v
		prev, last = cdf, v
		j = e + 1
	}
	m1 += (1 - prev) * last
	m2 += (1 - prev) * last * last
	return math.Sqrt(max(m2-m1*m1, 0))
}

// esSE is the influence-function standard error of ES_α (see
// SummarizeAt): sd(w·(x − VaR)⁺) / ((1 − α)√N), ws nil meaning w ≡ 1.
func esSE(sorted, ws []float64, VaR, alpha float64) float64 {
	n := len(sorted)
	N := float64(n)
	var s1, s2 float64
	if n < minTailPaths || sorted[n-minTailPaths] <= VaR {
		return math.NaN() // fewer than minTailPaths paths above VaR
	}
	for p := n - 1; p >= 0 && sorted[p] > VaR; p-- {
		y := sorted[p] - VaR
		if ws != nil {
			y *= ws[p]
		}
		s1 += y
		s2 += y * y
	}
	m := s1 / N
	return math.Sqrt(max(s2/N-m*m, 0)*N/(N-1)) / ((1 - alpha) * math.Sqrt(N))
}

// varRank is the one quantile convention of the package: the 1-based rank
// k = ⌈αP⌉ of the α-quantile among P values sorted ascending, clamped to
// 1..P, so that x_(k) is the smallest value with empirical F ≥ α (the VaR
// convention). The factor 1 − 10⁻¹² keeps an α·P that lands a hair above a
// whole number (0.99 × 100 = 99.00000000000001) on that number.
func varRank(alpha float64, P int) int {
	return min(max(int(math.Ceil(alpha*float64(P)*(1-1e-12))), 1), P)
}

// TailStats returns the value at risk and the Acerbi–Tasche expected
// shortfall at level α of the sample sorted ascending:
//
//	VaR_α = L_(⌈αP⌉), the smallest l with F_P(l) ≥ α
//	ES_α  = ( Σ_{L > VaR} L / P + VaR·(F_P(VaR) − α) ) / (1 − α)
//
// where F_P is the empirical CDF of the P values. ES_α equals the mean of
// the largest (1 − α)P values when (1 − α)P is whole. Acerbi and Tasche
// (2002), "On the coherence of expected shortfall", J. Banking & Finance 26.
func TailStats(sorted []float64, alpha float64) (VaR, ES float64) {
	P := len(sorted)
	k := varRank(alpha, P)
	VaR = sorted[k-1]
	// j = number of values ≤ VaR
	j := k
	for j < P && sorted[j] <= VaR {
		j++
	}
	var tail float64
	for _, v := range sorted[j:] {
		tail += v
	}
	F := float64(j) / float64(P)
	ES = (tail/float64(P) + VaR*(F-alpha)) / (1 - alpha)
	return VaR, ES
}

func meanSD(x []float64) (mean, sd float64) {
	n := float64(len(x))
	for _, v := range x {
		mean += v
	}
	mean /= n
	var ss float64
	for _, v := range x {
		d := v - mean
		ss += d * d
	}
	if len(x) > 1 {
		sd = math.Sqrt(ss / (n - 1))
	}
	return mean, sd
}
