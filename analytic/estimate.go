package analytic

import (
	"fmt"
	"math"
)

// Estimates are every approximation of this package at the given levels,
// in yuan: index k of each slice belongs to Levels[k].
type Estimates struct {
	Levels []float64
	Loans  int     // exposures with a positive loss
	EAD    float64 // Σ EAD
	EL     float64 // Σ l·Life·PD

	ASRFVaR, ASRFES []float64 // the large-portfolio limit (ASRF)
	GA              []float64 // the model's own first-order granularity adjustment (GA)
	GAGL            []float64 // Gordy–Lütkebohmert's simplified adjustment, ξ = GLXi

	// CreditRisk+ with one sector of variance SectorVariance, losses in
	// bands of Unit yuan.
	SectorVariance float64
	Unit           float64
	CRPMean        float64
	CRPVaR, CRPES  []float64
}

// crpUnits is about how many lattice steps CreditRisk+ spends below the
// mean plus 20 standard deviations.
const crpUnits = 4000

// Estimate computes Estimates for exps at levels (each in (0, 1)). The
// CreditRisk+ unit is (EL + 20·SD)/4000, with SD² = Var μ(Z) + Σ l²·Life·PD
// (an upper bound of the loss variance), so that the recursion takes a few
// thousand steps whatever the portfolio's size.
func Estimate(exps []Exposure, levels []float64) (*Estimates, error) {
	for _, a := range levels {
		if err := checkLevel(a); err != nil {
			return nil, err
		}
	}
	p, err := New(exps)
	if err != nil {
		return nil, err
	}
	e := &Estimates{Levels: levels, Loans: len(p.loss), EAD: p.ead, EL: p.el}
	for _, a := range levels {
		v, es, err := p.ASRF(a)
		if err != nil {
			return nil, err
		}
		ga, err := p.GA(a)
		if err != nil {
			return nil, err
		}
		gl, err := p.GAGordyLutkebohmert(a, GLXi)
		if err != nil {
			return nil, err
		}
		e.ASRFVaR, e.ASRFES = append(e.ASRFVaR, v), append(e.ASRFES, es)
		e.GA, e.GAGL = append(e.GA, ga), append(e.GAGL, gl)
	}
	e.SectorVariance = p.SectorVariance()
	var idio float64
	for i, l := range p.loss {
		idio += l * l * p.rate[i]
	}
	sd := math.Sqrt(e.SectorVariance*p.el*p.el + idio)
	e.Unit = (p.el + 20*sd) / crpUnits
	d, err := p.CreditRiskPlus(e.SectorVariance, e.Unit, 100*crpUnits)
	if err != nil {
		return nil, fmt.Errorf("CreditRisk+: %w", err)
	}
	e.CRPMean = d.Mean()
	for _, a := range levels {
		v, es, err := d.VaR(a)
		if err != nil {
			return nil, fmt.Errorf("CreditRisk+: %w", err)
		}
		e.CRPVaR, e.CRPES = append(e.CRPVaR, v), append(e.CRPES, es)
	}
	return e, nil
}
