package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wenzhou/danbao/internal/hostile"
)

// TestHostileCLI runs the real main in a child process on each input of
// the hostile corpus (issue 18): `danbao import` with each table as the
// loans, `danbao describe --portfolio` on a snapshot whose loans.arrow
// declares 10⁹ rows, and `danbao scenarios validate` on the 64k-deep
// YAML. Each must exit with status 1 and say why on stderr, write
// nothing, and peak under 512 MB of RSS (the child's rusage maxrss).
func TestHostileCLI(t *testing.T) {
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
	tables, err := hostile.Tables()
	if err != nil {
		t.Fatal(err)
	}
	guarantors := filepath.Join(portfolios, "guarantors.csv")
	type tc struct {
		name string
		args []string
		want string
	}
	var cases []tc
	for _, f := range tables {
		path := filepath.Join(dir, f.Name)
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, tc{"import " + f.Name, []string{"import", "--loans", path, "--guarantors", guarantors, "--out", filepath.Join(dir, "out-"+f.Name)},
			map[string]string{
				"loans.arrow":   "loans.arrow: declares 1000000000 rows, more than the limit of 10000000",
				"loans.parquet": "loans.parquet: declares 1000000000 rows, more than the limit of 10000000",
				"loans.xlsx":    "loans.xlsx: unzips to more than",
				"loans.csv":     "loans.csv: row 2, has no value in any column",
			}[f.Name]})
	}
	// A snapshot folder for --portfolio: the example's guarantors, hostile loans.
	snap := filepath.Join(dir, "snap")
	os.MkdirAll(snap, 0o755)
	g, err := os.ReadFile("../../testdata/example/guarantors.arrow")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(snap, "guarantors.arrow"), g, 0o644)
	os.WriteFile(filepath.Join(snap, "loans.arrow"), hostile.Arrow(hostile.Rows), 0o644)
	cases = append(cases, tc{"describe --portfolio", []string{"describe", "--portfolio", snap}, "loans.arrow: declares 1000000000 rows"},
		tc{"--max-rows", []string{"describe", "--portfolio", "../../testdata/example", "--max-rows", "100"}, "loans.arrow: declares 20000 rows, more than the limit of 100"})
	deep := filepath.Join(dir, "deep.yaml")
	os.WriteFile(deep, hostile.DeepYAML(1<<16), 0o644)
	cases = append(cases, tc{"scenarios validate", []string{"scenarios", "validate", deep}, deep + ":2:"})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args, _ := json.Marshal(c.args)
			cmd := exec.Command(os.Args[0], "-test.run=^TestHostileCLI$")
			cmd.Env = append(os.Environ(), "DANBAO_TEST_MAIN_ARGS="+string(args))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; stderr:\n%.2000s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr lacks %q:\n%.2000s", c.want, stderr.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "out-"+strings.TrimPrefix(c.name, "import "))); err == nil {
				t.Errorf("an output folder appeared")
			}
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				peak := ru.Maxrss << 10 // KiB on Linux
				t.Logf("exit 1, peak RSS %d MiB", peak>>20)
				if peak > hostile.MaxPeakRSS {
					t.Errorf("peak RSS %d MiB, want under %d MiB", peak>>20, hostile.MaxPeakRSS>>20)
				}
			}
		})
	}
}
