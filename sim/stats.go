package sim

import (
	"math"
	"slices"
)

// Levels are the confidence levels at which VaR and ES are reported.
var Levels = [3]float64{0.95, 0.99, 0.999}

// DefaultBatches is the number of contiguous path batches behind the
// batch-means standard errors.
const DefaultBatches = 20

// Summary describes a sample of per-path values (losses in yuan, default
// counts) with Monte Carlo standard errors.
type Summary struct {
	N      int
	Mean   float64
	SD     float64    // sample standard deviation (divisor N − 1)
	VaR    [3]float64 // at Levels
	ES     [3]float64 // Acerbi–Tasche expected shortfall at Levels
	SEMean float64    // batch-means standard error of Mean
	SEVaR  [3]float64 // batch-means standard errors; NaN with fewer than 2 batches
	SEES   [3]float64
}

// Summarize computes x's statistics; x is in path order (it is not
// modified). Standard errors are batch means: the paths are cut into
// batches contiguous blocks, each statistic is computed on each block, and
//
//	SE = sd(block statistics) / √batches.
//
// batches ≤ 0 means DefaultBatches; it is reduced so that each batch holds
// at least 10 paths, and SEs are NaN when fewer than 2 batches remain.
func Summarize(x []float64, batches int) Summary {
	n := len(x)
	s := Summary{N: n}
	if n == 0 {
		for k := range Levels {
			s.VaR[k], s.ES[k], s.SEVaR[k], s.SEES[k] = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		}
		s.Mean, s.SD, s.SEMean = math.NaN(), math.NaN(), math.NaN()
		return s
	}
	sorted := slices.Clone(x)
	sortFloats(sorted, nil)
	s.Mean, s.SD = meanSD(x)
	for k, a := range Levels {
		s.VaR[k], s.ES[k] = TailStats(sorted, a)
	}
	if batches <= 0 {
		batches = DefaultBatches
	}
	batches = min(batches, n/10)
	if batches < 2 {
		s.SEMean = math.NaN()
		for k := range Levels {
			s.SEVaR[k], s.SEES[k] = math.NaN(), math.NaN()
		}
		return s
	}
	means := make([]float64, batches)
	vars := make([][]float64, len(Levels))
	ess := make([][]float64, len(Levels))
	for k := range Levels {
		vars[k] = make([]float64, batches)
		ess[k] = make([]float64, batches)
	}
	buf := make([]float64, 0, n/batches+1)
	for b := range batches {
		lo, hi := b*n/batches, (b+1)*n/batches
		buf = append(buf[:0], x[lo:hi]...)
		sortFloats(buf, nil)
		means[b], _ = meanSD(buf)
		for k, a := range Levels {
			vars[k][b], ess[k][b] = TailStats(buf, a)
		}
	}
	se := func(v []float64) float64 {
		_, sd := meanSD(v)
		return sd / math.Sqrt(float64(len(v)))
	}
	s.SEMean = se(means)
	for k := range Levels {
		s.SEVaR[k] = se(vars[k])
		s.SEES[k] = se(ess[k])
	}
	return s
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
	k := int(math.Ceil(alpha * float64(P) * (1 - 1e-12))) // 1-based rank; guard α·P landing a hair above a whole number
	k = min(max(k, 1), P)
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
