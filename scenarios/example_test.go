package scenarios_test

import (
	"fmt"

	"github.com/wenzhou/danbao/scenarios"
)

func ExampleParse() {
	sc, err := scenarios.Parse("mine.yaml", []byte(`
extends: wenzhou-2011
policy:
  bank_share: 0.30
`))
	if err != nil {
		panic(err)
	}
	fmt.Println(sc.Name, sc.HorizonYears, sc.Policy.BankShare, sc.Recovery.Scale)

	_, err = scenarios.Parse("typo.yaml", []byte(`
model:
  presistence: 0.3
horizon_years: three
shocks:
  - pd_multiplier: -1.5
`))
	fmt.Println(err)
	// Output:
	// mine 3 0.3 0.4
	// 3 problem(s) in input:
	//   typo.yaml:3:3: model.presistence: unknown key "presistence" in model (did you mean "persistence"?); valid keys: r2, r2_by_segment, copula, t_dof, persistence, industry_correlation, county_correlation, lgd, contagion
	//   typo.yaml:4:16: horizon_years: want a whole number, got text "three"
	//   typo.yaml:6:20: shocks[0].pd_multiplier: -1.5 must be ≥ 0 (0 = unchanged)
}

func ExampleSet() {
	sc, _ := scenarios.Builtin("baseline")
	for _, kv := range [][2]string{
		{"policy.bank_share", "0.3"},
		{"policy.county_fund.budget.330382", "20000000"},
		{"recovery.lag", "[0.3, 0.4, 0.3]"},
		{"policy.bank_sahre", "0.3"},
	} {
		if err := scenarios.Set(&sc, kv[0], kv[1]); err != nil {
			fmt.Println(err)
		}
	}
	budget, _ := scenarios.Get(&sc, "policy.county_fund.budget.330382")
	fmt.Println(sc.Policy.BankShare, budget, sc.Recovery.Lag)
	// Output:
	// --set: policy.bank_sahre: unknown key "bank_sahre" in policy (did you mean "bank_share"?); valid keys: template, bank_share, allow_below_floor, bank_share_applies, grace_days, interest_in_scope, reguarantee, national_fund, county_fund, fee, fee_subsidy, reserves, opex_rate, investment_yield
	// 0.3 20000000.00 [0.3 0.4 0.3]
}

// SetAll applies --set overrides the way the command line does, then
// validates the result. Here the file extends the built-in baseline,
// doubles every PD in the first year and raises the bank's share; fields
// it leaves out keep baseline's values.
func ExampleSetAll() {
	sc, err := scenarios.Parse("my-stress.yaml", []byte(`
name: my-stress
extends: baseline
horizon_years: 2
shocks:
  - pd_multiplier: 2
    years: [1]
policy:
  template: custom
  bank_share: 0.25
`))
	if err != nil {
		panic(err)
	}
	fmt.Println(sc.Name, sc.HorizonYears, sc.Policy.BankShare, sc.Shocks[0].PDMultiplier)

	if err := scenarios.SetAll(&sc, []string{"policy.bank_share=0.3", "model.r2.industry=0.15"}); err != nil {
		panic(err)
	}
	share, _ := scenarios.Get(&sc, "policy.bank_share")
	r2, _ := scenarios.Get(&sc, "model.r2.industry")
	fmt.Println(share, r2)

	// A value Validate refuses leaves an error naming the path.
	err = scenarios.SetAll(&sc, []string{"horizon_years=9"})
	fmt.Println(err != nil)
	// Output:
	// my-stress 2 0.25 2
	// 0.3 0.15
	// true
}
