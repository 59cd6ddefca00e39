// Package models holds danbao's domain in plain types: loans, guarantors,
// the portfolio snapshot, the scenario (model parameters, shocks, policy,
// targets), money as exact fen (Cents), and validation that reports every
// problem at once.
//
// models imports only the standard library and shopspring/decimal; every
// other package of danbao depends on it, never the other way round (see
// deps_test.go).
package models
