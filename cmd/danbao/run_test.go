package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// smallRun is a quick run of the embedded example.
func smallRun() runOptions {
	return runOptions{simOptions: simOptions{scenario: "baseline", paths: 300, seed: 1, workers: 2, sampler: "fast", json: true}}
}

func runJSON(t *testing.T, o runOptions) (*sim.Document, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := runSimulation(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (stderr %q)", err, stderr.String())
	}
	var doc sim.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("stdout is not a result document: %v\n%s", err, stdout.String())
	}
	return &doc, stdout.String()
}

func TestRunJSON(t *testing.T) {
	o := smallRun()
	o.horizon = 2
	o.sets = []string{"model.r2.macro=0.1"}
	doc, text := runJSON(t, o)
	if doc.Schema != sim.Schema || doc.Scenario != "baseline" || doc.Paths != 300 || doc.Seed != 1 ||
		doc.HorizonYears != 2 || doc.Workers != 2 || doc.Sampler != "fast" || doc.ElapsedSeconds <= 0 {
		t.Errorf("header %+v", doc)
	}
	if doc.Portfolio.Loans == 0 || doc.Portfolio.Balance <= 0 || len(doc.Years) != 2 {
		t.Errorf("portfolio %+v, %d years", doc.Portfolio, len(doc.Years))
	}
	tot, ok := doc.Loss["total"]
	if !ok || !(tot.Mean > 0) || len(tot.VaR) != 3 || len(tot.SE.ES) != 3 {
		t.Errorf("loss.total = %+v", tot)
	}
	// Money is a decimal string in JSON, counts are numbers.
	for _, want := range []string{`"mean": "`, `"0.999": "`, `"balance": "`} {
		if !strings.Contains(text, want) {
			t.Errorf("document has no %s", want)
		}
	}

	// Workers change nothing but the workers field and the time.
	o.workers = 1
	doc1, _ := runJSON(t, o)
	if doc1.RunInfo.Workers != 1 || doc.RunInfo.Workers != 2 || doc1.RunInfo.ElapsedSeconds <= 0 {
		t.Errorf("run_info %+v and %+v, want 1 and 2 workers and a time", doc1.RunInfo, doc.RunInfo)
	}
	doc1.SetRunInfo(doc.RunInfo) // run_info (and its deprecated copies) is all that may differ
	a, _ := json.Marshal(doc)
	b, _ := json.Marshal(doc1)
	if !bytes.Equal(a, b) {
		t.Errorf("1 worker and 2 workers give different documents")
	}
}

func TestRunOut(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"paths.arrow", "paths.arrows", "paths.csv"} {
		o := smallRun()
		o.out = filepath.Join(dir, name)
		doc, _ := runJSON(t, o)
		f, err := os.Open(o.out)
		if err != nil {
			t.Fatal(err)
		}
		rows := 0
		switch filepath.Ext(name) {
		case ".arrow":
			r, err := ipc.NewFileReader(f)
			if err != nil {
				t.Fatal(err)
			}
			for i := range r.NumRecords() {
				rec, err := r.RecordBatch(i)
				if err != nil {
					t.Fatal(err)
				}
				rows += int(rec.NumRows())
				rec.Release()
			}
			if got := r.Schema().Field(1).Name; got != "loss_total" {
				t.Errorf("%s: column 1 is %q", name, got)
			}
			r.Close()
		case ".arrows":
			r, err := ipc.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				rows += int(r.RecordBatch().NumRows())
			}
			r.Release()
		case ".csv":
			recs, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			rows = len(recs) - 1
			if strings.Join(recs[0], ",") != "path,loss_total,defaults_total,loss_y1,defaults_y1,loss_bank,loss_guarantor,loss_reguarantor,loss_national_fund,loss_county_fund" {
				t.Errorf("csv header %v", recs[0])
			}
			// The parties' losses add up to the total on every path, to the fen.
			for _, rec := range recs[1:] {
				total, err := models.ParseCents(rec[1])
				if err != nil {
					t.Fatal(err)
				}
				var sum models.Cents
				for _, v := range rec[5:] {
					c, err := models.ParseCents(v)
					if err != nil {
						t.Fatal(err)
					}
					sum += c
				}
				if sum != total {
					t.Errorf("path %s: parties sum to %v, total %v", rec[0], sum, total)
				}
			}
		}
		f.Close()
		if rows != doc.Paths {
			t.Errorf("%s: %d rows, want %d", name, rows, doc.Paths)
		}
	}
	assertOnly(t, dir, "paths.arrow", "paths.arrows", "paths.csv")
}

// assertOnly fails unless dir holds exactly the named files (no temporary
// files left behind).
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

// TestRunInterrupted: a cancelled run (Ctrl-C) exits with status 130 and
// writes nothing, neither the document nor --out.
func TestRunInterrupted(t *testing.T) {
	dir := t.TempDir()
	for _, asJSON := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		o := smallRun()
		o.paths = 100_000
		o.json = asJSON
		o.out = filepath.Join(dir, "paths.arrow")
		var stdout, stderr bytes.Buffer
		cancel()
		err := runSimulation(ctx, o, &stdout, &stderr)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 130 || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want exit status 130 wrapping context.Canceled", err)
		}
		if stdout.Len() != 0 {
			t.Errorf("stdout = %q, want nothing", stdout.String())
		}
	}
	assertOnly(t, dir)

	// Cancelled while --out is being written: the temporary file goes away.
	ctx, cancel := context.WithCancel(context.Background())
	err := writeFileAtomic(ctx, filepath.Join(dir, "x.arrow"), func(w io.Writer) error {
		cancel()
		_, err := w.Write([]byte("partial"))
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("writeFileAtomic after cancel: err = %v", err)
	}
	assertOnly(t, dir)
}

func TestRunErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*runOptions)
		want string
	}{
		{"paths", func(o *runOptions) { o.paths = 0 }, "--paths 0"},
		{"workers", func(o *runOptions) { o.workers = -1 }, "--workers -1"},
		{"sampler", func(o *runOptions) { o.sampler = "slow" }, `--sampler "slow"`},
		{"scenario", func(o *runOptions) { o.scenario = "no-such-scenario" }, "no-such-scenario"},
		{"set path", func(o *runOptions) { o.sets = []string{"model.r2.industri=0.1"} }, "industri"},
		{"set value", func(o *runOptions) { o.sets = []string{"model.r2.industry=1.5"} }, "model.r2.industry"},
		{"horizon", func(o *runOptions) { o.horizon = 9 }, "horizon_years"},
		{"portfolio", func(o *runOptions) { o.portfolio = filepath.Join(t.TempDir(), "none") }, "none"},
		{"out folder", func(o *runOptions) { o.out = filepath.Join(t.TempDir(), "no", "such", "dir", "p.arrow") }, "--out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := smallRun()
			tt.edit(&o)
			var stdout, stderr bytes.Buffer
			err := runSimulation(context.Background(), o, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

func TestRunSummary(t *testing.T) {
	o := smallRun()
	o.json = false
	o.horizon = 3
	var stdout, stderr bytes.Buffer
	if err := runSimulation(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	for _, want := range []string{"Scenario baseline, portfolio embedded example", "300 paths (seed 1, fast sampler, 2 workers), horizon 3 years",
		"expected loss", "99.9 %", "Defaults over the horizon", "By year"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n < 15 {
		t.Errorf("summary has %d lines:\n%s", n, out)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q (no progress bar without a terminal)", stderr.String())
	}
}

// TestRunCommand drives the cobra command once, for the flag wiring.
func TestRunCommand(t *testing.T) {
	var stdout bytes.Buffer
	rootCmd.SetOut(&stdout)
	rootCmd.SetArgs([]string{"run", "--paths", "200", "--seed", "5", "--horizon", "2", "--workers", "1",
		"--sampler", "dense", "--set", "model.r2.macro=0", "--set", "model.r2.industry=0.2", "--json"})
	defer rootCmd.SetArgs(nil)
	if err := rootCmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	var doc sim.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Paths != 200 || doc.Seed != 5 || doc.HorizonYears != 2 || doc.Workers != 1 || doc.Sampler != "dense" {
		t.Errorf("document header %+v", doc)
	}
}

func TestGroupDigits(t *testing.T) {
	for in, want := range map[string]string{
		"0.00": "0.00", "999": "999", "1000": "1,000", "-1234567.89": "-1,234,567.89", "123456.7": "123,456.7",
	} {
		if got := groupDigits(in); got != want {
			t.Errorf("groupDigits(%q) = %q, want %q", in, got, want)
		}
	}
	if wan(sim.Money(models.Yi.Yuan())) != "10,000.00" {
		t.Errorf("wan(1亿) = %q", wan(sim.Money(models.Yi.Yuan())))
	}
}
