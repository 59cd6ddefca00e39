package sim

import (
	"math"
	"testing"
)

// Inside the grid, tabPhi[j−1] ≤ Φ(z) ≤ tabPhi[j+2] (the squeeze and the
// candidate rate rely on it); outside, and for NaN and ±Inf, phiIndex says
// so, and the upper bounds the candidates use are consistent with tabPhi.
func TestPhiTableBounds(t *testing.T) {
	for z := tabLo - 1; z <= tabHi+1; z += 0.000731 {
		j := phiIndex(z)
		inside := z >= tabLo+tabStep && z < tabLo+float64(tabN-3)*tabStep
		if (j >= 0) != inside {
			// the grid's edges are up to rounding of (z − tabLo)/h
			if math.Abs(z-(tabLo+tabStep)) > 1e-9 && math.Abs(z-(tabLo+float64(tabN-3)*tabStep)) > 1e-9 {
				t.Fatalf("phiIndex(%v) = %d, inside the grid: %v", z, j, inside)
			}
			continue
		}
		if j < 0 {
			continue
		}
		if p := Phi(z); !(tabPhi[j-1] <= p && p <= tabPhi[j+2]) {
			t.Fatalf("z = %v: Φ = %v not in [%v, %v]", z, p, tabPhi[j-1], tabPhi[j+2])
		}
		if u := tabUpper[j]; u.pmax != tabPhi[j+2] || math.Abs(u.rate+math.Log1p(-u.pmax)) > 1e-15*u.rate || u.invRate*u.rate != 1 && math.Abs(u.invRate*u.rate-1) > 1e-15 {
			t.Fatalf("tabUpper[%d] = %+v inconsistent with tabPhi[%d] = %v", j, u, j+2, tabPhi[j+2])
		}
	}
	for _, z := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e300, -1e300} {
		if j := phiIndex(z); j != -1 {
			t.Errorf("phiIndex(%v) = %d, want -1", z, j)
		}
	}
}
