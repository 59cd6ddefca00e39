package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wenzhou/danbao/scenarios"
)

const scenarioFixtures = "../../testdata/scenarios"

func TestScenariosList(t *testing.T) {
	out, err := run(t, "scenarios", "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "NAME ") {
		t.Errorf("no header: %q", out)
	}
	for _, in := range scenarios.List() {
		if !strings.Contains(out, in.Name+" ") || !strings.Contains(out, in.Description) {
			t.Errorf("list lacks %s", in.Name)
		}
	}
	out, err = run(t, "scenarios", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got []scenarios.Info
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(scenarios.List(), got); diff != "" {
		t.Errorf("list --json (-want +got):\n%s", diff)
	}
}

// TestScenariosShow: what show prints reads back as the same scenario.
func TestScenariosShow(t *testing.T) {
	for _, name := range scenarios.Names() {
		out, err := run(t, "scenarios", "show", name)
		if err != nil {
			t.Fatalf("show %s: %v", name, err)
		}
		got, err := scenarios.Parse("shown.yaml", []byte(out))
		if err != nil {
			t.Fatalf("show %s output does not parse: %v", name, err)
		}
		want, _ := scenarios.Builtin(name)
		want.Extends = ""
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("show %s (-want +got):\n%s", name, diff)
		}
	}
	out, err := run(t, "scenarios", "show", filepath.Join(scenarioFixtures, "child.yaml"), "--set", "policy.bank_share=0.35", "--set", "model.copula=t")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fully resolved (it extends parent-3y.yaml), with 2 --set override(s)", "bank_share: 0.35", "copula: t"} {
		if !strings.Contains(out, want) {
			t.Errorf("show --set output lacks %q", want)
		}
	}
	out, err = run(t, "scenarios", "show", "wenzhou-2011", "--source")
	if err != nil || !strings.Contains(out, "# wenzhou-2011:") || !strings.Contains(out, "sources:") {
		t.Errorf("show --source: %v\n%s", err, out)
	}
	// The flags of one run do not leak into the next.
	out, err = run(t, "scenarios", "show", "baseline")
	if err != nil || strings.Contains(out, "override") || strings.HasPrefix(out, "# baseline:") {
		t.Errorf("flags leaked between runs: %v\n%s", err, out)
	}
	if _, err := run(t, "scenarios", "show", "baseline", "--set", "policy.bank_sahre=0.3"); err == nil || !strings.Contains(err.Error(), `did you mean "bank_share"?`) {
		t.Errorf("show with a bad --set: %v", err)
	}
}

func TestScenariosValidate(t *testing.T) {
	good := filepath.Join(scenarioFixtures, "child.yaml")
	out, err := run(t, "scenarios", "validate", good, "export-slump")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, good+": ok (child, 3 year(s), 1 shock(s))") || !strings.Contains(out, "export-slump: ok") {
		t.Errorf("output %q", out)
	}
	bad := filepath.Join(scenarioFixtures, "typo-type-pd.bad.yaml")
	out, err = run(t, "scenarios", "validate", good, bad)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 || err.Error() != "1 of 2 scenario(s) invalid" {
		t.Fatalf("validate of a bad file: %v", err)
	}
	for _, want := range []string{bad + ":11:3: model.presistence", bad + ":14:16: horizon_years", bad + ":18:20: shocks[1].pd_multiplier"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestScenariosValidateExitStatus runs the real main in a child process:
// a bad file exits with status 1 and its problems, file:line:col, on stderr.
func TestScenariosValidateExitStatus(t *testing.T) {
	if args := os.Getenv("DANBAO_TEST_MAIN_ARGS"); args != "" {
		var a []string
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			panic(err)
		}
		os.Args = append([]string{"danbao"}, a...)
		main()
		os.Exit(0)
	}
	bad := filepath.Join(scenarioFixtures, "semantic.bad.yaml")
	args, _ := json.Marshal([]string{"scenarios", "validate", bad})
	cmd := exec.Command(os.Args[0], "-test.run=^TestScenariosValidateExitStatus$")
	cmd.Env = append(os.Environ(), "DANBAO_TEST_MAIN_ARGS="+string(args))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1; stderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{bad + ":25:3: model.r2: weights sum to", bad + ":53:5: injections[0].guarantor: is empty", "danbao: 1 of 1 scenario(s) invalid"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
}

func TestScenariosSchemaAndPaths(t *testing.T) {
	out, err := run(t, "scenarios", "schema")
	if err != nil || out != scenarios.Schema() {
		t.Errorf("schema: %v", err)
	}
	out, err = run(t, "scenarios", "paths", "county-downturn")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"policy.bank_share", "policy.county_fund.budget.330382", "shocks[2].pd_multiplier"} {
		if !strings.Contains(out, want) {
			t.Errorf("paths lacks %s", want)
		}
	}
}
