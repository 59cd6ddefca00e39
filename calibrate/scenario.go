package calibrate

import (
	"fmt"
	"math"
	"strings"

	"github.com/wenzhou/danbao/models"
)

// Scenario returns base with the calibration's estimates in place, for
// portfolio pf:
//
//   - model.r2: each identified loading's estimate (an unidentified one
//     keeps base's value);
//   - model.persistence: the estimate, when there were enough years;
//   - a shock with pd_multiplier = pooled PD ÷ pf's mean PD (by loan count),
//     in every year, so that the portfolio's expected default rate is the
//     history's (loan-weighted) mean default rate;
//   - recovery.lag: the history's lag profile, when it has lag columns;
//     recovery.scale = the history's recovery rate ÷ pf's mean recovery
//     fraction 1 − lgd (by balance), when it has recovery columns.
//
// The rationale lists the intervals and the data used. name names the
// scenario; source names the history (its file).
func (r *Result) Scenario(base models.Scenario, pf *models.Portfolio, name, source string) (models.Scenario, error) {
	sc := base
	sc.Name = name
	sc.Extends = ""
	sc.Shocks = append([]models.Shock(nil), base.Shocks...)
	var why []string
	why = append(why, fmt.Sprintf("Calibrated by danbao calibrate from %s: %d years (%d–%d), %d counties × %d industries, %d loan-years, %d defaults (mean default rate %.4f, SE %.4f).",
		source, r.NYears, r.Years[0], r.Years[1], r.NCounties, r.NIndustries, r.Loans, r.Defaults, r.DefaultRate, r.DefaultRateSE))
	set := func(dst *float64, e Estimate, path string) {
		if e.Estimate == nil {
			why = append(why, fmt.Sprintf("%s not identified by the history; kept at %g from %q.", path, *dst, base.Name))
			return
		}
		*dst = round4(*e.Estimate)
		why = append(why, fmt.Sprintf("%s = %.4f (95 %% interval %.4f–%.4f).", path, *e.Estimate, e.CI95[0], e.CI95[1]))
	}
	set(&sc.Model.R2.Macro, r.R2.Macro, "model.r2.macro")
	set(&sc.Model.R2.Industry, r.R2.Industry, "model.r2.industry")
	set(&sc.Model.R2.County, r.R2.County, "model.r2.county")
	if s := sc.Model.R2.Sum(); s >= 0.95 {
		return models.Scenario{}, fmt.Errorf("calibrate: the estimated loadings sum to %.3f; the model needs less than 1", s)
	}
	if r.Persistence.Estimate != nil {
		sc.Model.Persistence = round4(*r.Persistence.Estimate)
		why = append(why, fmt.Sprintf("model.persistence = %.4f (95 %% interval %.4f–%.4f).", *r.Persistence.Estimate, r.Persistence.CI95[0], r.Persistence.CI95[1]))
	}
	if len(pf.Loans) > 0 && r.PD.Pooled.Estimate != nil {
		var s float64
		for i := range pf.Loans {
			s += pf.Loans[i].PD
		}
		mean := s / float64(len(pf.Loans))
		m := *r.PD.Pooled.Estimate / mean
		if m > 0 {
			sc.Shocks = append(sc.Shocks, models.Shock{PDMultiplier: round4(m)})
			ci := r.PD.Pooled.CI95
			why = append(why, fmt.Sprintf("Pooled PD %.4f (95 %% interval %.4f–%.4f); the portfolio's mean PD %.4f is scaled by %.4f (shocks[%d].pd_multiplier).",
				*r.PD.Pooled.Estimate, ci[0], ci[1], mean, round4(m), len(sc.Shocks)-1))
		}
	}
	if len(r.Recovery.Lag) > 0 {
		lag := make([]float64, len(r.Recovery.Lag))
		sum := 0.0
		for i, x := range r.Recovery.Lag[:len(lag)-1] {
			lag[i] = round4(x)
			sum += lag[i]
		}
		lag[len(lag)-1] = 1 - sum
		sc.Recovery.Lag = lag
		why = append(why, fmt.Sprintf("recovery.lag = %v from the history's recovered_lag columns.", lag))
	}
	if r.Recovery.Rate != nil && len(pf.Loans) > 0 {
		var rec, bal float64
		for i := range pf.Loans {
			b := pf.Loans[i].Balance.Yuan()
			rec += (1 - pf.Loans[i].LGD) * b
			bal += b
		}
		if rec > 0 {
			sc.Recovery.Scale = round4(*r.Recovery.Rate / (rec / bal))
			why = append(why, fmt.Sprintf("Recovery rate %.4f of compensation; the portfolio's mean recovery 1 − lgd %.4f (by balance) is scaled by %.4f (recovery.scale).",
				*r.Recovery.Rate, rec/bal, sc.Recovery.Scale))
		}
	}
	why = append(why, "Method: "+r.R2.Method+".")
	for _, w := range r.Warnings {
		why = append(why, "Warning: "+w+".")
	}
	sc.Rationale = strings.Join(why, "\n")
	sc.Description = fmt.Sprintf("Factor loadings, persistence, PD level and recoveries calibrated from %s (%d–%d)", source, r.Years[0], r.Years[1])
	sc.Sources = append([]string{source}, base.Sources...)
	if err := sc.Validate(); err != nil {
		return models.Scenario{}, fmt.Errorf("calibrate: the calibrated scenario is not valid: %w", err)
	}
	return sc, nil
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
