package scenarios

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wenzhou/danbao/models"
)

// required are the built-ins issue 5 asks for.
var required = []string{
	"baseline", "export-slump", "county-downturn", "wenzhou-2011", "rate-recovery-stress",
	"bank-share-30", "template-4222", "stop-rate-3", "county-fund-exhausted", "no-national-fund",
}

func builtin(t *testing.T, name string) models.Scenario {
	t.Helper()
	sc, err := Builtin(name)
	if err != nil {
		t.Fatalf("Builtin(%q): %v", name, err)
	}
	return sc
}

// TestBuiltinsParseAndValidate: every built-in parses, validates, is
// self-describing and survives Marshal → Parse unchanged.
func TestBuiltinsParseAndValidate(t *testing.T) {
	names := Names()
	for _, r := range required {
		if !slices.Contains(names, r) {
			t.Errorf("built-in %q missing", r)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			sc := builtin(t, name)
			if err := sc.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if sc.Name != name {
				t.Errorf("name %q in file %s.yaml", sc.Name, name)
			}
			if sc.Description == "" || sc.Rationale == "" || len(sc.Sources) == 0 {
				t.Errorf("description, rationale and sources are required: %q / %q / %q", sc.Description, sc.Rationale, sc.Sources)
			}
			if name != "baseline" && sc.Extends != "baseline" {
				t.Errorf("extends %q, want baseline", sc.Extends)
			}
			src, err := BuiltinSource(name)
			if err != nil || !strings.HasPrefix(string(src), "# "+name+":") {
				t.Errorf("source does not start with a '# %s:' comment", name)
			}

			// Round trip, the way `danbao scenarios show` prints it.
			flat := sc
			flat.Extends = ""
			out, err := Marshal(flat)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseFS(nil, name+".yaml", out)
			if err != nil {
				t.Fatalf("Marshal output does not parse: %v\n%s", err, out)
			}
			if diff := cmp.Diff(flat, back); diff != "" {
				t.Errorf("Marshal → Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestList(t *testing.T) {
	list := List()
	if len(list) != len(Names()) {
		t.Fatalf("List has %d entries for %d built-ins", len(list), len(Names()))
	}
	for _, in := range list {
		if strings.HasPrefix(in.Description, "invalid:") || in.Description == "" {
			t.Errorf("%s: %q", in.Name, in.Description)
		}
	}
	if !slices.IsSortedFunc(list, func(a, b Info) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("List is not sorted by name")
	}
}

// TestBaselineIsDefault holds baseline.yaml to models.DefaultScenario, so
// the two cannot drift apart.
func TestBaselineIsDefault(t *testing.T) {
	sc := builtin(t, "baseline")
	want := models.DefaultScenario()
	want.Description, want.Rationale, want.Sources = sc.Description, sc.Rationale, sc.Sources
	if diff := cmp.Diff(want, sc); diff != "" {
		t.Errorf("baseline differs from DefaultScenario (-want +got):\n%s", diff)
	}
}

// TestPolicyVariants checks that each policy built-in changes what its
// name says and nothing else of the policy.
func TestPolicyVariants(t *testing.T) {
	base := models.Policy4321()
	for _, tt := range []struct {
		name string
		want func(p *models.Policy)
	}{
		{"bank-share-30", func(p *models.Policy) { p.BankShare = 0.30; p.Template = "custom" }},
		{"template-4222", func(p *models.Policy) { *p = models.Policy4222() }},
		{"stop-rate-3", func(p *models.Policy) { p.Reguarantee.StopRate = 0.03; p.NationalFund.StopRate = 0.03 }},
		{"county-fund-exhausted", func(p *models.Policy) { p.CountyFund.DefaultBudget = 0 }},
		{"no-national-fund", func(p *models.Policy) { p.NationalFund.Share = 0; p.Template = "custom" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sc := builtin(t, tt.name)
			want := base
			tt.want(&want)
			if diff := cmp.Diff(want, sc.Policy); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
			if len(sc.Shocks) != 0 || sc.HorizonYears != 1 {
				t.Errorf("a policy variant should not stress the model: %d shocks, %d years", len(sc.Shocks), sc.HorizonYears)
			}
		})
	}
	// County fund exhausted: every county's budget is 0.
	sc := builtin(t, "county-fund-exhausted")
	for _, c := range models.WenzhouCounties {
		if b := sc.Policy.CountyFund.BudgetFor(c.Code); b != 0 {
			t.Errorf("budget of %s = %v, want 0", c.Code, b)
		}
	}
	if g := builtin(t, "bank-share-30").Policy; g.GuarantorShare() > 0.30+1e-12 {
		t.Errorf("guarantor share %v under bank-share-30", g.GuarantorShare())
	}
}

// meanLag is the mean recovery lag in years after the compensation year.
func meanLag(lag []float64) float64 {
	m := 0.0
	for i, f := range lag {
		m += float64(i+1) * f
	}
	return m
}

// TestStressScenarios checks the stress built-ins have the features the
// issue names, against the baseline.
func TestStressScenarios(t *testing.T) {
	base := builtin(t, "baseline")

	w := builtin(t, "wenzhou-2011")
	if w.HorizonYears < 2 || w.HorizonYears > 3 {
		t.Errorf("wenzhou-2011 horizon %d, want 2–3 years", w.HorizonYears)
	}
	for year := 1; year <= 2; year++ {
		if m := pdMultiplierIn(w, year); m < 3 {
			t.Errorf("wenzhou-2011 year %d: city-wide PD multiplier %v, want several-fold (≥ 3)", year, m)
		}
	}
	if !(w.Model.R2.Sum() > base.Model.R2.Sum()) || w.Model.Persistence <= 0 {
		t.Errorf("wenzhou-2011: correlations not up: r2 %+v, persistence %v", w.Model.R2, w.Model.Persistence)
	}
	if !(w.Recovery.Scale <= 0.5) || !(meanLag(w.Recovery.Lag) > meanLag(base.Recovery.Lag)) {
		t.Errorf("wenzhou-2011: recoveries not down and slower: scale %v, mean lag %v vs %v",
			w.Recovery.Scale, meanLag(w.Recovery.Lag), meanLag(base.Recovery.Lag))
	}
	if !hasShift(w, "macro", 1) {
		t.Error("wenzhou-2011: no macro factor shift in year 1")
	}

	e := builtin(t, "export-slump")
	for _, ind := range []string{"footwear", "apparel", "eyewear"} {
		if !hasShift(e, "industry/"+ind, 1) {
			t.Errorf("export-slump: no downward shift of industry/%s", ind)
		}
		if !selectsIndustry(e, ind) {
			t.Errorf("export-slump: no PD multiplier for %s", ind)
		}
	}

	c := builtin(t, "county-downturn")
	if !hasShift(c, "county/330382", 1) {
		t.Error("county-downturn: no downward shift of county/330382")
	}

	r := builtin(t, "rate-recovery-stress")
	rate := false
	for _, sh := range r.Shocks {
		rate = rate || sh.InterestRateAddOn > 0
	}
	if !rate || !(r.Recovery.Scale < 1) {
		t.Errorf("rate-recovery-stress: rate shock %v, recovery scale %v", rate, r.Recovery.Scale)
	}
}

// pdMultiplierIn multiplies the PD multipliers of the shocks acting on
// every loan in year t.
func pdMultiplierIn(sc models.Scenario, t int) float64 {
	m := 1.0
	for _, sh := range sc.Shocks {
		if sh.PDMultiplier > 0 && sh.AppliesIn(t) && sh.Where.County == nil && sh.Where.Industry == nil &&
			sh.Where.Product == nil && sh.Where.Segment == nil && sh.Where.Guarantor == nil {
			m *= sh.PDMultiplier
		}
	}
	return m
}

func hasShift(sc models.Scenario, factor string, year int) bool {
	if models.EconomyShift(&sc.Economy, models.DefaultSensitivities, factor, year-1) < 0 {
		return true // stated in economic terms (docs/economy.md)
	}
	for _, sh := range sc.Shocks {
		if sh.Factor == factor && sh.Shift < 0 && sh.AppliesIn(year) {
			return true
		}
	}
	return false
}

func selectsIndustry(sc models.Scenario, industry string) bool {
	for _, sh := range sc.Shocks {
		if sh.PDMultiplier > 1 && slices.Contains(sh.Where.Industry, industry) {
			return true
		}
	}
	return false
}

func TestLoad(t *testing.T) {
	a, err := Load("wenzhou-2011")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "wenzhou-2011" {
		t.Errorf("Load by name: %q", a.Name)
	}
	b, err := Load(filepath.Join(fixtures, "parent-3y.yaml"))
	if err != nil || b.Name != "parent-3y" {
		t.Errorf("Load by file: %v, %q", err, b.Name)
	}
	for _, bad := range []string{"no-such", "../nope/x.yaml", "Baseline"} {
		if _, err := Load(bad); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Load(%q): %v, want ErrNotFound", bad, err)
		}
	}
	if _, err := Builtin("../library/baseline"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("Builtin with a path: %v", err)
	}
}

// TestBuiltinsAreFresh: each call returns a value the caller owns.
func TestBuiltinsAreFresh(t *testing.T) {
	a := builtin(t, "wenzhou-2011")
	a.Recovery.Lag[0] = 0.99
	a.Shocks[0].Years[0] = 3
	b := builtin(t, "wenzhou-2011")
	if b.Recovery.Lag[0] == 0.99 || b.Shocks[0].Years[0] == 3 {
		t.Error("Builtin returned shared memory")
	}
}
