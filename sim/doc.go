// Package sim is danbao's Monte Carlo engine: correlated defaults across
// industry clusters and counties, path by path and year by year.
//
// It is pure: inputs are values (a models.Portfolio and a models.Scenario,
// compiled once by Compile), outputs are values (a Result of per-path
// figures and the statistics computed from them). It does no I/O, reads
// no clock and uses no global random source; a context is used only for
// cancellation.
//
// Determinism. Path p draws every random number from a PCG stream whose
// state is a bijective hash of (Params.Seed, p) only (stream.go), so a run gives bit-identical results for
// any worker count and any split of the path range into shards.
//
// The model (docs/model.md "The model"). Loan i in industry k and county j has,
// in year t, the latent variable
//
//	X = √a_m·M_t + √a_i·I_k,t + √a_c·C_j,t + √(1 − a_m − a_i − a_c)·ε
//
// and defaults in year t iff X < Φ⁻¹(pd_t), where pd_t is its one-year PD
// after the scenario's multipliers. Given the factors, defaults are
// independent with
//
//	p(F) = Φ((Φ⁻¹(pd_t) − √a_m·M − √a_i·I_k − √a_c·C_j) / √(1 − Σa)).
//
// Two samplers draw the same distribution: Dense walks every loan on every
// path-year; Fast groups loans into cells of equal loadings and PD bands and
// does work proportional to cells + defaults (see Sampler).
package sim
