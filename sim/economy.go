package sim

import "github.com/wenzhou/danbao/models"

// addEconomyShifts adds the factor shifts of sc.Economy (docs/economy.md)
// to the stress shifts of f, year by year:
//
//	s_f,t += Σ_v β_f,v · (x_v,t − baseline_v)
//
// with β the sensitivities of models.DefaultSensitivities: the macro
// factor, each industry factor ("industry/<name>") and each county factor
// ("county/<code>", plus the rows for every county). It returns the
// collateral factor's shifts s_P,t (the rows for "property"), which the
// stochastic LGD uses; all zero without an economy.
func addEconomyShifts(f *factorModel, e *models.Economy, industries, counties []string) (property []float64) {
	property = make([]float64, f.horizon)
	if e.IsZero() {
		return property
	}
	sens := models.DefaultSensitivities
	for t := range f.horizon {
		f.shiftMacro[t] += models.EconomyShift(e, sens, models.FactorMacro, t)
		for k, name := range industries {
			f.shiftInd[t*f.nInd+k] += models.EconomyShift(e, sens, "industry/"+name, t)
		}
		for j, code := range counties {
			f.shiftCty[t*f.nCty+j] += models.EconomyShift(e, sens, "county/"+code, t)
		}
		property[t] = models.EconomyShift(e, sens, models.FactorProperty, t)
	}
	return property
}
