package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
)

const portfolios = "../../testdata/portfolios"

// importArgs spells out every import flag, since cobra keeps flag values
// between runs in one process.
func importArgs(loans, guarantors, out string, extra ...string) []string {
	args := []string{"import", "--loans", loans, "--guarantors", guarantors, "--out", out,
		"--lenient-money=false", "--as-of", "", "--force=false", "--links", ""}
	return append(args, extra...)
}

func TestImportCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "snap")
	stdout, err := run(t, importArgs(filepath.Join(portfolios, "loans.csv"), filepath.Join(portfolios, "guarantors.csv"), out, "--as-of", "2024-01-01")...)
	if err != nil {
		t.Fatal(err)
	}
	// 1250000.00 + 3000000 + 800000.5 + 320000, the balances of loans.csv
	want := "imported 4 loans and 3 guarantors as of 2024-01-01 to " + out + ": total balance 5370000.50 yuan\n"
	if stdout != want {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
	pf, err := snapshot.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.Loans) != 4 || pf.AsOf.String() != "2024-01-01" {
		t.Errorf("snapshot: %d loans as of %v", len(pf.Loans), pf.AsOf)
	}
	// A second import into the same folder needs --force.
	if _, err := run(t, importArgs(filepath.Join(portfolios, "loans.csv"), filepath.Join(portfolios, "guarantors.csv"), out)...); !errors.Is(err, models.ErrConflict) {
		t.Errorf("import into a non-empty folder: err = %v", err)
	}
	if _, err := run(t, importArgs(filepath.Join(portfolios, "loans.csv"), filepath.Join(portfolios, "guarantors.csv"), out, "--force")...); err != nil {
		t.Errorf("import --force: %v", err)
	}
}

func TestImportRejects(t *testing.T) {
	out := filepath.Join(t.TempDir(), "snap")
	stdout, err := run(t, importArgs(filepath.Join(portfolios, "issue2.bad.csv"), filepath.Join(portfolios, "guarantors.csv"), out)...)
	if err == nil {
		t.Fatalf("no error; output %q", stdout)
	}
	for _, want := range []string{
		`column "industry" = "": required column is missing`,
		`column "guarantor_id" = "G-999": is not in the guarantors table`,
		`column "pd" = "1.5": must be in (0, 1)`,
		`column "balance" = "12,3a"`,
		`column "loan_id" = "L0001": duplicates row 2`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("output folder exists after a rejected import (stat: %v)", serr)
	}
	ents, _ := os.ReadDir(filepath.Dir(out))
	if len(ents) != 0 {
		t.Errorf("rejected import left %d entries next to --out", len(ents))
	}
}

// TestImportExitStatus runs the real main in a child process: a rejected
// import exits with status 1, prints the problems and the warnings on
// stderr, and no output folder appears.
func TestImportExitStatus(t *testing.T) {
	if args := os.Getenv("DANBAO_TEST_MAIN_ARGS"); args != "" {
		var a []string
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			panic(err)
		}
		os.Args = append([]string{"danbao"}, a...)
		main()
		os.Exit(0)
	}
	dir := t.TempDir()
	loans := filepath.Join(dir, "loans.csv")
	data, err := os.ReadFile(filepath.Join(portfolios, "issue2.bad.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// one extra, unknown column for the warning
	data = bytes.Replace(data, []byte("lgd\n"), []byte("lgd,branch\n"), 1)
	if err := os.WriteFile(loans, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out", "snap")
	args, _ := json.Marshal([]string{"import", "--loans", loans, "--guarantors", filepath.Join(portfolios, "guarantors.csv"), "--out", out})
	cmd := exec.Command(os.Args[0], "-test.run=^TestImportExitStatus$")
	cmd.Env = append(os.Environ(), "DANBAO_TEST_MAIN_ARGS="+string(args))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1; stderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{
		`warning: loans.csv: unknown column "branch" ignored`,
		"danbao: import rejected, nothing written: 5 problem(s) in input:",
		`loans.csv: row 4, column "pd" = "1.5": must be in (0, 1)`,
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a folder appeared for --out (stat: %v)", err)
	}
}

// TestExportRoundTrip: import → export to Parquet → import gives the same
// portfolio, money to the fen; so does CSV with --as-of.
func TestExportRoundTrip(t *testing.T) {
	tmp := t.TempDir()
	snap := filepath.Join(tmp, "snap")
	if _, err := run(t, importArgs(filepath.Join(portfolios, "loans.csv"), filepath.Join(portfolios, "guarantors.csv"), snap, "--as-of", "2024-01-01")...); err != nil {
		t.Fatal(err)
	}
	want, err := snapshot.Read(snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ format, loans, guarantors string }{
		{"parquet", snapshot.LoansParquet, snapshot.GuarantorsParquet},
		{"csv", snapshot.LoansCSV, snapshot.GuarantorsCSV},
		{"arrow", snapshot.LoansFile, snapshot.GuarantorsFile},
	} {
		exp := filepath.Join(tmp, "exp-"+tt.format)
		stdout, err := run(t, "export", "--portfolio", snap, "--format", tt.format, "--out", exp, "--force=false")
		if err != nil {
			t.Fatalf("export %s: %v", tt.format, err)
		}
		if !strings.HasPrefix(stdout, "wrote 4 loans and 3 guarantors to "+tt.loans) {
			t.Errorf("export stdout = %q", stdout)
		}
		back := filepath.Join(tmp, "back-"+tt.format)
		if _, err := run(t, importArgs(filepath.Join(exp, tt.loans), filepath.Join(exp, tt.guarantors), back, "--as-of", "2024-01-01")...); err != nil {
			t.Fatalf("import of the %s export: %v", tt.format, err)
		}
		got, err := snapshot.Read(back)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Loans {
			if w, g := want.Loans[i], got.Loans[i]; w.Balance != g.Balance || fmtAny(w) != fmtAny(g) {
				t.Errorf("%s: loan %d: want %+v, got %+v", tt.format, i, w, g)
			}
		}
		for i := range want.Guarantors {
			if w, g := want.Guarantors[i], got.Guarantors[i]; fmtAny(w) != fmtAny(g) {
				t.Errorf("%s: guarantor %d: want %+v, got %+v", tt.format, i, w, g)
			}
		}
	}
	if _, err := run(t, "export", "--portfolio", snap, "--format", "xls", "--out", filepath.Join(tmp, "x"), "--force=false"); err == nil {
		t.Error("export --format xls: no error")
	}
}

// fmtAny prints v with %+v: floats in their shortest exact form (NaN, the
// "not given" rates, as NaN), money in exact yuan.
func fmtAny(v any) string { return fmt.Sprintf("%+v", v) }
