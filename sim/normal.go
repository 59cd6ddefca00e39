package sim

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Phi is the standard normal CDF, Φ(x) = ½·erfc(−x/√2).
func Phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// PhiInv is the standard normal quantile Φ⁻¹(p), p in (0, 1).
func PhiInv(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }

// studentTInv is the Student-t quantile with ν degrees of freedom.
func studentTInv(p, nu float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: nu}.Quantile(p)
}

// ConditionalPD returns the default probability of an obligor given the
// systematic factor quantile q, in the one-factor Gaussian (Vasicek) model:
//
//	PD(q) = Φ( (Φ⁻¹(PD) + √ρ · Φ⁻¹(q)) / √(1 − ρ) )
//
// where PD is the unconditional one-year default probability, ρ the asset
// correlation and Φ the standard normal CDF. See Vasicek (2002), "The
// Distribution of Loan Portfolio Value", Risk 15(12).
func ConditionalPD(pd, rho, q float64) float64 {
	return Phi((PhiInv(pd) + math.Sqrt(rho)*PhiInv(q)) / math.Sqrt(1-rho))
}

// studentTCDF is the Student-t CDF with ν degrees of freedom.
func studentTCDF(x, nu float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: nu}.CDF(x)
}
