package models

import "math"

// LGDModel is the stochastic recovery model (docs/recoveries.md): loan i's
// LGD in year t moves with a collateral (property) factor
//
//	P_t = ρ·M_t + √(1 − ρ²)·Z_t + s_P,t
//
// (M_t the macro factor with its stress shift, Z_t an independent standard
// normal, s_P,t the economic scenario's property shift) as
//
//	LGD_i,t = Φ((κ_i,t − √b·P_t) / √(1 − b))
//
// with b = Loading and κ_i,t chosen so that the mean LGD over defaults is
// the loan's LGD exactly: Φ₂(κ, Φ⁻¹(pd); √b·ρ·√a_m) = pd·lgd, where a_m is
// the loan's macro weight. Loading 0 (the default) keeps every LGD fixed.
type LGDModel struct {
	// Loading b is the share of the LGD driver's variance that the
	// collateral factor explains, in [0, 1); 0 (default) turns the model off.
	Loading float64 `yaml:"loading" json:"loading"`
	// RhoMacro ρ is the correlation of the collateral factor with the macro
	// factor, in [−1, 1]. Default 0.5 (estimate: property prices and the
	// city's business cycle fell together in 2011–2014; docs/recoveries.md).
	RhoMacro float64 `yaml:"rho_macro" json:"rho_macro"`
}

// On reports whether the LGDs are stochastic.
func (l LGDModel) On() bool { return l.Loading != 0 }

func (l LGDModel) validate(bad func(path, format string, args ...any)) {
	if !(l.Loading >= 0 && l.Loading < 1) {
		bad("model.lgd.loading", "%v is not in [0, 1)", l.Loading)
	}
	if !(l.RhoMacro >= -1 && l.RhoMacro <= 1) || math.IsNaN(l.RhoMacro) {
		bad("model.lgd.rho_macro", "%v is not in [−1, 1]", l.RhoMacro)
	}
}
