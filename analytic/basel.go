package analytic

import (
	"fmt"
	"math"
)

// BaselIRB returns the Basel II/III foundation-IRB asset correlation R and
// capital requirement K (per unit of EAD) of a corporate exposure with
// default probability pd, loss given default lgd, effective maturity m in
// years and annual turnover s in € million (s ≥ 50, or NaN, means no SME
// adjustment; s is clamped to [5, 50]). Basel Committee (2006),
// "International Convergence of Capital Measurement and Capital
// Standards", §272–273:
//
//	w = (1 − e^(−50·PD)) / (1 − e^(−50))
//	R = 0.12·w + 0.24·(1 − w) − 0.04·(1 − (S − 5)/45)
//	b = (0.11852 − 0.05478·ln PD)²
//	K = [LGD·Φ((Φ⁻¹(PD) + √R·Φ⁻¹(0.999)) / √(1 − R)) − PD·LGD] · (1 + (M − 2.5)·b) / (1 − 1.5·b)
func BaselIRB(pd, lgd, m, s float64) (R, K float64, err error) {
	switch {
	case !(pd > 0 && pd < 1):
		return 0, 0, fmt.Errorf("%w: pd = %v not in (0, 1)", ErrInvalid, pd)
	case !(lgd >= 0 && lgd <= 1):
		return 0, 0, fmt.Errorf("%w: lgd = %v not in [0, 1]", ErrInvalid, lgd)
	case !(m >= 1 && m <= 5):
		return 0, 0, fmt.Errorf("%w: maturity = %v not in [1, 5] years", ErrInvalid, m)
	}
	w := (1 - math.Exp(-50*pd)) / (1 - math.Exp(-50))
	R = 0.12*w + 0.24*(1-w)
	if s < 50 { // false for NaN
		R -= 0.04 * (1 - (max(s, 5)-5)/45)
	}
	b := math.Pow(0.11852-0.05478*math.Log(pd), 2)
	K = (lgd*Phi((PhiInv(pd)+math.Sqrt(R)*PhiInv(0.999))/math.Sqrt(1-R)) - pd*lgd) * (1 + (m-2.5)*b) / (1 - 1.5*b)
	return R, K, nil
}
