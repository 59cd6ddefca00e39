package sim

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Importance sampling of the t copula's χ² mixing variable (docs/tails.md,
// "The t copula"). Under the t copula a path-year's latent variables are
// X/√(W/ν) with one W ~ χ²_ν per path-year, so a default happens iff
// X < √(W/ν)·t_ν⁻¹(pd): a small W lowers every threshold of the year at
// once, and the joint tail is as much a small-W event as an adverse-factor
// one. Shifting the factors alone leaves that half of the tail to plain
// Monte Carlo.
//
// The tail mode is therefore searched over one more coordinate a year, the
// mixing variable's normal score v_t = Φ⁻¹(F_ν(W_t)) (F_ν the χ²_ν CDF), on
// the same sphere |(z, v)| = Φ⁻¹(α) as the factors' innovations z; the
// shift's last H components are c·v*_t (ISShift, named "yT/mixing"). The
// shifted component of the defensive mixture then draws W_t from the
// scaled law s_t·χ²_ν, a Gamma(ν/2, 2·s_t), with
//
//	s_t = F_ν⁻¹(Φ(c·v*_t)) / F_ν⁻¹(1/2)
//
// so that its median is the W of the shifted score (s_t < 1: smaller W,
// fatter tails). Scaling the plain draw keeps the stream's draws the same
// in both components. The density ratio of a draw W under the two laws is
//
//	g_s(W)/g_1(W) = s^(−ν/2) · exp(−W·(1 − s)/(2s))
//
// and the path's weight is the defensive mixture's (isMixture.weight) with
// each component's logW_k accumulating −log of the product of the
// factors' and the mixing variables' ratios under that component, so the
// estimator stays unbiased and the weight stays at most 1/β. This is a scale change of W in the spirit of Chan and
// Kroese (2010, "Efficient estimation of large portfolio loss
// probabilities in t-copula models", EJOR 205), who tilt W the same way,
// with the tilt set by the tail mode instead of by cross-entropy.

// mixingDims returns the number of mixing-variable coordinates the tail
// mode searches over: H under the t copula (one W a year), else 0.
func (m *Model) mixingDims() int {
	if m.copulaT {
		return m.Horizon
	}
	return 0
}

// mixingAt returns q = √(W/ν) and dq/dv for the mixing variable whose
// normal score is v: W = F_ν⁻¹(Φ(v)), dW/dv = φ(v)/f_ν(W).
func (m *Model) mixingAt(v float64) (q, dq float64) {
	chi := distuv.ChiSquared{K: m.nu}
	w := chi.Quantile(Phi(v))
	q = math.Sqrt(w / m.nu)
	dw := math.Exp(-v*v/2) / math.Sqrt(2*math.Pi) / chi.Prob(w)
	return q, dw / (2 * q * m.nu)
}

// mixingScales returns s_t (see the comment above) of each year for the
// shift's mixing components, the H values after the factors' H·d (1 where
// the shift's score is 0); nil when the shift has none (Gaussian copula).
func (m *Model) mixingScales(shift []float64) []float64 {
	k := m.innovations()
	if m.mixingDims() == 0 || len(shift) < k+m.Horizon {
		return nil
	}
	chi := distuv.ChiSquared{K: m.nu}
	median := chi.Quantile(0.5)
	s := make([]float64, m.Horizon)
	for t := range s {
		s[t] = 1
		if shift[k+t] != 0 {
			s[t] = chi.Quantile(Phi(shift[k+t])) / median
		}
	}
	return s
}

// setMixing gives q, under the t copula, each shifted component's scales
// s_t of the years' mixing variables and their logarithms.
func (m *Model) setMixing(q *isMixture) {
	if m.mixingDims() == 0 {
		return
	}
	for _, mu := range q.shifts {
		s := m.mixingScales(mu)
		ls := make([]float64, len(s))
		for t, v := range s {
			ls[t] = math.Log(v)
		}
		q.mixScale, q.mixLogScale = append(q.mixScale, s), append(q.mixLogScale, ls)
	}
}

// mixing returns year t's mixing variable given the plain χ²_ν draw w:
// scaled by s_t of the path's component (none for the plain one), and
// accumulates −log(g_s(W)/g_1(W)) = (ν/2)·log s + W·(1 − s)/(2s) into
// logW_k of every shifted component k (s its s_t), for the W it returns,
// whichever component drew it.
func (st *factorState) mixing(t int, w, nu float64) float64 {
	q := st.is
	if st.isComp >= 0 {
		w *= q.mixScale[st.isComp][t]
	}
	for k, sk := range q.mixScale {
		s := sk[t]
		st.logW[k] += nu/2*q.mixLogScale[k][t] + w*(1-s)/(2*s)
	}
	return w
}
