package sim

import (
	"fmt"

	"github.com/wenzhou/danbao/models"
)

// YearExposure is one loan's default model in the first simulated year,
// reduced to one factor: what closed-form approximations (package
// analytic) need. Rho is the loan's whole systematic weight
// a_macro + a_industry + a_county on a single factor, as if the macro,
// industry and county factors moved together.
type YearExposure struct {
	Loan int     // index into Model.Loans
	EAD  float64 // the claim (principal + normal interest to the claim date), yuan
	LGD  float64 // loss / claim: the ultimate loss EAD × lgd is EAD·LGD
	PD   float64 // default probability in the year (scenario multipliers applied)
	Rho  float64 // a_macro + a_industry + a_county
	// Life is the fraction of the year the loan is on the books (it
	// matures, or is written as new business, within the year); the engine
	// draws the default time uniformly in the year and counts a default
	// only while the loan is on the books, so its PD in the year is
	// Life·PD.
	Life float64
}

// FirstYearExposures lists the loans that can default in year 1 with
// their one-factor reduction. It refuses the t copula, whose conditional
// PD is not the Gaussian one the closed forms assume.
func (m *Model) FirstYearExposures() ([]YearExposure, error) {
	if m.copulaT {
		return nil, fmt.Errorf("%w: the closed-form approximations assume the Gaussian copula; this scenario sets model.copula: t", models.ErrInvalid)
	}
	var out []YearExposure
	for _, i := range m.years[0].alive {
		life := min(m.maturity[i], 1) - max(m.from[i], 0)
		if life <= 0 || m.claim[i] <= 0 {
			continue
		}
		ld := m.loadings[m.loanCell[i]]
		out = append(out, YearExposure{
			Loan: int(i),
			EAD:  float64(m.claim[i]) / 100,
			LGD:  float64(m.loss[i]) / float64(m.claim[i]),
			PD:   Phi(m.thr[i]),
			Rho:  ld.m*ld.m + ld.i*ld.i + ld.c*ld.c,
			Life: min(life, 1),
		})
	}
	return out, nil
}
