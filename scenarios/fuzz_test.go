package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wenzhou/danbao/models"
)

// FuzzParse: Parse never panics; what it accepts is valid and survives
// Marshal → Parse unchanged (nil equal to empty, NaN equal to NaN: a field Validate does not
// check, such as t_dof under the Gaussian copula, may hold one). The fs is
// nil so the fuzzer cannot make Parse read files; built-in extends work.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(fixtures, "*.yaml"))
	lib, _ := filepath.Glob("library/*.yaml")
	for _, file := range append(seeds, lib...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("<<: {horizon_years: 2}\n"))
	f.Add([]byte("model: {r2: {macro: .nan}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseFS(nil, "fuzz.yaml", data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if err := sc.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid scenario: %v", err)
		}
		flat := sc
		flat.Extends = ""
		out, err := Marshal(flat)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		back, err := ParseFS(nil, "fuzz.yaml", out)
		if err != nil {
			t.Fatalf("Marshal output does not parse: %v\n%s", err, out)
		}
		if diff := cmp.Diff(flat, back, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("Marshal → Parse (-want +got):\n%s\n%s", diff, out)
		}
	})
}

// FuzzSet: Set never panics, leaves the scenario alone on error, and what
// it makes (when valid) survives Marshal → Parse.
func FuzzSet(f *testing.F) {
	for _, s := range [][2]string{
		{"model.r2.industry", "0.2"}, {"policy.county_fund.budget.330382", "20000000"}, {"shocks[0].where.county", "[a]"},
		{"recovery.lag", "[0.3,0.4,0.3]"}, {"model.industry_correlation.matrix[0]", "[1]"}, {"injections.0.amount", "1e3"},
	} {
		f.Add(s[0], s[1])
	}
	f.Add("rationale", "a\tb")
	f.Add("description", "x\r\ny\x00")
	f.Fuzz(func(t *testing.T, path, value string) {
		sc := models.DefaultScenario()
		if err := Set(&sc, path, value); err != nil {
			if diff := cmp.Diff(models.DefaultScenario(), sc); diff != "" {
				t.Fatalf("Set(%q, %q) failed (%v) but changed sc:\n%s", path, value, err, diff)
			}
			return
		}
		// A scenario that SetAll accepts (Set, then the checks Parse makes)
		// survives Marshal → Parse.
		sc = models.DefaultScenario()
		if strings.Contains(path, "=") || SetAll(&sc, []string{path + "=" + value}) != nil || sc.Validate() != nil {
			return
		}
		out, err := Marshal(sc)
		if err != nil {
			t.Fatalf("Set(%q, %q), then Marshal: %v", path, value, err)
		}
		back, err := ParseFS(nil, "fuzz.yaml", out)
		if err != nil {
			t.Fatalf("Set(%q, %q): Marshal output does not parse: %v\n%s", path, value, err, out)
		}
		if diff := cmp.Diff(sc, back, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("Set(%q, %q), Marshal → Parse (-want +got):\n%s\n%s", path, value, diff, out)
		}
	})
}
