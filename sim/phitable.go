package sim

import "math"

// A table of Φ on a grid gives the fast sampler bounds on conditional PDs
// without evaluating erfc: for z in the grid's range, with j = ⌊(z − lo)/h⌋,
//
//	tabPhi[j−1] ≤ Φ(z) ≤ tabPhi[j+2]
//
// (one grid step of safety on each side against rounding). The sampler
// draws candidates at the upper bound p̄ = tabPhi[j+2], with geometric gaps
// ⌊E/r⌋, E ~ Exp(1), r = −ln(1 − p̄) (1/r = tabInvRate[j+2]), so that
// P(gap ≥ k) = (1 − p̄)^k exactly; and it accepts a candidate iff v·p̄ < Φ(z_i)
// with v uniform, deciding from the bounds when it can and computing Φ(z_i)
// exactly only when v·p̄ falls between them (a squeeze). Every draw is
// therefore exact; the table only saves work.
const (
	tabLo   = -9.0
	tabHi   = 9.0
	tabStep = 1.0 / 256
	tabInv  = 256.0
)

var (
	tabPhi []float64 // Φ(tabLo + j·h)
	// tabRate[j] = −ln(1 − Φ(tabLo + j·h)), the hazard per trial, and
	// tabInvRate[j] = 1/tabRate[j]
	tabRate, tabInvRate []float64
)

func init() {
	n := int((tabHi-tabLo)*tabInv) + 3
	tabPhi = make([]float64, n)
	tabRate = make([]float64, n)
	tabInvRate = make([]float64, n)
	for j := range n {
		p := Phi(tabLo + float64(j)*tabStep)
		tabPhi[j] = p
		tabRate[j] = -math.Log1p(-p)
		tabInvRate[j] = 1 / tabRate[j]
	}
}

// phiIndex returns j with tabPhi[j−1] ≤ Φ(z) ≤ tabPhi[j+2], or −1 when z
// is outside the grid.
func phiIndex(z float64) int {
	x := (z - tabLo) * tabInv
	if !(x >= 1 && x < float64(len(tabPhi)-3)) {
		return -1
	}
	return int(x)
}
