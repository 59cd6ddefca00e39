// Package scenarios reads, resolves, changes and documents danbao's
// scenario files, and holds the built-in scenario library.
//
// A scenario is YAML for a models.Scenario: the factor model, stress
// shocks, recoveries, new business, the loss-sharing policy, the targets
// and capital injections. Parse reads one, starting from
// models.DefaultScenario so that omitted fields keep their defaults;
// a scenario may extend a built-in or another file, overriding it key by
// key. Parse rejects unknown keys, values of the wrong type and everything
// models.Scenario.Validate rejects, and reports all of them at once as an
// *Error whose Problems carry file, line and column:
//
//	my.yaml:4:3: model.presistence: unknown key "presistence" in model (did you mean "persistence"?); valid keys: …
//	my.yaml:7:16: horizon_years: want a whole number, got text "three"
//	my.yaml:11:20: shocks[0].pd_multiplier: -1.5 must be ≥ 0 (0 = unchanged)
//
// Set, Get and SetAll address any field by its dotted YAML path
// (policy.bank_share, model.r2.industry, policy.county_fund.budget.330382,
// shocks[0].pd_multiplier), as danbao's --set flag and sweeps do;
// NumericPaths lists the paths a sweep can vary. SCHEMA.md (Schema) is the
// reference of every path, generated from the models types and held to them
// by a test.
//
// The built-in library (List, Builtin, Load) is embedded from
// library/*.yaml; each file gives its rationale and sources.
//
// The package reads files only where Parse and Load are asked to (the
// files a scenario extends); ParseFS with a nil fs.FS reads none.
package scenarios
