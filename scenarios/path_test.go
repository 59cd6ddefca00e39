package scenarios

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wenzhou/danbao/models"
)

func TestSet(t *testing.T) {
	for _, tt := range []struct {
		path, value string
		get         string // path to read back; default path
		want        any
	}{
		{"model.r2.industry", "0.2", "", 0.2},
		{"policy.bank_share", "0.3", "", 0.3},
		{"policy.county_fund.budget.330382", "20000000", "", 2000 * models.Wan},
		{"policy.county_fund.budget.330382", "12.5", "", models.Cents(1250)},
		{"horizon_years", "3", "", 3},
		{"model.copula", "t", "", "t"},
		{"recovery.lag", "[0.3,0.4,0.3]", "", []float64{0.3, 0.4, 0.3}},
		{"targets.leverage_min.threshold", "4", "", 4.0},
		{"targets.balance_min.threshold", "2e10", "", 2e10},
		{"policy.interest_in_scope", "false", "", false},
		{"name", "my: scenario [1]", "", "my: scenario [1]"},                                          // text is literal
		{"model.r2", "{macro: 0.1}", "model.r2", models.R2{Macro: 0.1, Industry: 0.08, County: 0.04}}, // merges
		{"shocks[0].pd_multiplier", "2", "shocks", []models.Shock{{PDMultiplier: 2}}},                 // appends
		{"shocks.0.where.county", "[330382, 330381]", "shocks[0].where.county", []string{"330382", "330381"}},
		{"model.industry_correlation.labels", "[footwear, apparel]", "model.industry_correlation",
			&models.Correlation{Labels: []string{"footwear", "apparel"}}},
		{"model.r2_by_segment.agri.county", "0.1", "model.r2_by_segment.agri", models.R2{County: 0.1}},
		{"injections", "[{guarantor: G-330382, year: 1, amount: 50000000}]", "injections[0].amount", 5000 * models.Wan},
		{"policy.county_fund.budget", "null", "", map[string]models.Cents(nil)},
	} {
		t.Run(tt.path+"="+tt.value, func(t *testing.T) {
			sc := models.DefaultScenario()
			if err := Set(&sc, tt.path, tt.value); err != nil {
				t.Fatalf("Set: %v", err)
			}
			get := tt.get
			if get == "" {
				get = tt.path
			}
			got, err := Get(&sc, get)
			if err != nil {
				t.Fatalf("Get(%q): %v", get, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Get(%q) (-want +got):\n%s", get, diff)
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	for _, tt := range []struct {
		path, value string
		want        string
	}{
		{"policy.bank_sahre", "0.3", `unknown key "bank_sahre" in policy (did you mean "bank_share"?); valid keys: template, bank_share, allow_below_floor`},
		{"modle.r2.industry", "0.2", `unknown key "modle" in the scenario (did you mean "model"?)`},
		{"model.r2.sector", "0.2", `unknown key "sector" in model.r2; valid keys: macro, industry, county`},
		{"horizon_years", "three", `"three": want a whole number, got text "three"`},
		{"horizon_years", "2.5", "want a whole number, got the number 2.5"},
		{"model.r2.industry", "abc", "want a number, got text"},
		{"model.r2.industry", "[0.1]", "want a number, got a list"},
		{"recovery.lag", "0.3", "want a list of number, got the number 0.3"},
		{"recovery.lag", "[0.3, x]", "recovery.lag[1]: want a number"},
		{"policy.interest_in_scope", "1", "want true or false"},
		{"policy.county_fund.budget.330382", "lots", `money "lots" is not a decimal number`},
		{"policy.county_fund.budget.330382", "1.001", "more than two decimals"},
		{"policy.bank_share.x", "1", `policy.bank_share is a number; it has no key "x"`},
		{"shocks[1].shift", "1", "shocks is a list of 0 entries; \"1\" is not an index 0..0"},
		{"shocks[x].shift", "1", `"x" is not an index`},
		{"model.r2", "{macro: 0.1, foo: 1}", `unknown key "foo" in model.r2`},
		{"model.r2", "[1", "is not a YAML value"},
		{"horizon_years", "", "no value given; want a whole number"},
		{"extends", "baseline", "extends cannot be set"},
		{"", "1", "not a dotted path"},
		{"policy..bank_share", "1", "not a dotted path"},
	} {
		t.Run(tt.path+"="+tt.value, func(t *testing.T) {
			sc := models.DefaultScenario()
			before := models.DefaultScenario()
			err := Set(&sc, tt.path, tt.value)
			if err == nil {
				t.Fatal("Set accepted it")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !errors.Is(err, models.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			if diff := cmp.Diff(before, sc); diff != "" {
				t.Errorf("Set changed sc on error (-before +after):\n%s", diff)
			}
		})
	}
}

// TestSetDoesNotAlias: a shallow copy of a scenario shares slices and maps;
// Set on one must not change the other.
func TestSetDoesNotAlias(t *testing.T) {
	a := builtin(t, "county-downturn")
	b := a
	for _, kv := range [][2]string{{"recovery.lag[0]", "0.9"}, {"shocks[0].years[0]", "3"}, {"policy.county_fund.budget.330382", "1"}} {
		if err := Set(&b, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(builtin(t, "county-downturn"), a); diff != "" {
		t.Errorf("Set on a copy changed the original (-want +got):\n%s", diff)
	}
}

func TestGetErrors(t *testing.T) {
	sc := builtin(t, "county-downturn")
	for _, tt := range []struct {
		path     string
		category error
		want     string
	}{
		{"policy.county_fund.budget.330999", models.ErrNotFound, `policy.county_fund.budget has no entry "330999" (entries: 330382)`},
		{"model.industry_correlation.labels", models.ErrNotFound, "model.industry_correlation is not set"},
		{"shocks[9].shift", models.ErrNotFound, "shocks has 4 entries"},
		{"policy.bank_sahre", models.ErrInvalid, `did you mean "bank_share"?`},
		{"horizon_years.x", models.ErrInvalid, "horizon_years is a whole number"},
	} {
		_, err := Get(&sc, tt.path)
		if err == nil || !errors.Is(err, tt.category) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Get(%q) = %v, want %v containing %q", tt.path, err, tt.category, tt.want)
		}
	}
}

func TestSetAll(t *testing.T) {
	sc := builtin(t, "wenzhou-2011")
	if err := SetAll(&sc, []string{"policy.bank_share=0.3", "model.copula=t", "policy.grace_days=45"}); err != nil {
		t.Fatal(err)
	}
	if sc.Policy.BankShare != 0.3 || sc.Model.Copula != "t" || sc.Policy.GraceDays != 45 {
		t.Errorf("not applied: %+v", sc)
	}

	// Errors: every bad assignment is reported, and sc does not change.
	before := sc
	err := SetAll(&sc, []string{"policy.bank_sahre=0.3", "nonsense", "horizon_years=x"})
	if err == nil || len(err.(*Error).Problems) != 3 {
		t.Fatalf("want three problems, got %v", err)
	}
	// The result is validated: below the floor needs allow_below_floor,
	// a shorter horizon strands the year-3 shock.
	err = SetAll(&sc, []string{"policy.bank_share=0.1", "horizon_years=1"})
	for _, want := range []string{"--set: policy.bank_share: 0.1 is below the national floor", "--set: shocks[2].years: year 3 is outside the horizon 1..1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SetAll error %v does not contain %q", err, want)
		}
	}
	if diff := cmp.Diff(before, sc); diff != "" {
		t.Errorf("SetAll changed sc on error:\n%s", diff)
	}
	if err := SetAll(&sc, []string{"policy.allow_below_floor=true", "policy.bank_share=0"}); err != nil || sc.Policy.BankShare != 0 {
		t.Errorf("sweep to 0 with allow_below_floor: %v", err)
	}
}

// TestNumericPaths: every path listed reads as a number and can be set to
// its own value (and to another) through its text form.
func TestNumericPaths(t *testing.T) {
	sc := builtin(t, "county-downturn")
	paths := NumericPaths(&sc)
	for _, want := range []string{"horizon_years", "model.r2.industry", "policy.bank_share", "policy.reguarantee.max_balance",
		"policy.county_fund.budget.330382", "targets.leverage_min.threshold", "recovery.lag[0]", "shocks[2].pd_multiplier", "shocks[0].years[1]"} {
		if !slices.Contains(paths, want) {
			t.Errorf("NumericPaths lacks %s", want)
		}
	}
	for _, no := range []string{"model.copula", "policy.interest_in_scope", "name", "shocks[0].factor"} {
		if slices.Contains(paths, no) {
			t.Errorf("NumericPaths lists %s", no)
		}
	}
	for _, p := range paths {
		v, err := Get(&sc, p)
		if err != nil {
			t.Fatalf("Get(%q): %v", p, err)
		}
		var text string
		switch x := v.(type) {
		case float64:
			text = strconv.FormatFloat(x, 'g', -1, 64)
		case int:
			text = strconv.Itoa(x)
		case models.Cents:
			text = x.String()
		default:
			t.Fatalf("%s is a %T", p, v)
		}
		cp := sc
		if err := Set(&cp, p, text); err != nil {
			t.Fatalf("Set(%q, %q): %v", p, text, err)
		}
		if diff := cmp.Diff(sc, cp); diff != "" {
			t.Errorf("Set(%q) to its own value changed the scenario:\n%s", p, diff)
		}
	}
}
