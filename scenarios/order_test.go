package scenarios

import (
	"errors"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// A --set with several bad values reports its problems in the same order
// on every run: Validate walks maps (county budgets, segment weights) in
// sorted key order, not Go's randomized map order.
func TestSetAllProblemOrderIsStable(t *testing.T) {
	sets := []string{
		"policy.county_fund.budget.330382=-1",
		"policy.county_fund.budget.330302=-2",
		"policy.county_fund.budget.330381=-3",
		"model.r2_by_segment.small.macro=2",
		"model.r2_by_segment.micro.macro=3",
		"model.r2_by_segment.large.macro=4",
	}
	want := []string{
		"model.r2_by_segment.large.macro", "model.r2_by_segment.large",
		"model.r2_by_segment.micro.macro", "model.r2_by_segment.micro",
		"model.r2_by_segment.small.macro", "model.r2_by_segment.small",
		"policy.county_fund.budget.330302", "policy.county_fund.budget.330381", "policy.county_fund.budget.330382",
	}
	var first string
	for run := range 30 {
		sc, err := Builtin("baseline")
		if err != nil {
			t.Fatal(err)
		}
		err = SetAll(&sc, sets)
		var pe *models.ProblemsError
		if !errors.As(err, &pe) {
			t.Fatalf("SetAll: got %v, want a *models.ProblemsError", err)
		}
		if run == 0 {
			first = err.Error()
			var got []string
			for _, p := range pe.Problems {
				got = append(got, p.Path)
			}
			if len(got) != len(want) {
				t.Fatalf("paths %q, want %q", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("paths %q, want %q", got, want)
				}
			}
			continue
		}
		if err.Error() != first {
			t.Fatalf("run %d reports\n%s\nrun 0 reported\n%s", run, err, first)
		}
	}
}
