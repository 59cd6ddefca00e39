package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

func smallSweep() sweepOptions {
	return sweepOptions{simOptions: simOptions{scenario: "baseline", paths: 200, seed: 1, workers: 2, horizon: 1},
		paramList: []string{models.BankSharePath}, valueLists: []string{"0.1,0.2,0.3"}, confidence: 0.95}
}

// TestSweepExample: the bank-share sweep on the embedded example, JSON and
// text. Below the floor allow_below_floor is set and said; the guarantor's
// loss falls and the bank's rises; the total is the same at every point;
// the paired standard errors are printed beside the independent ones.
func TestSweepExample(t *testing.T) {
	o := smallSweep()
	o.json = true
	var stdout, stderr bytes.Buffer
	if err := runSweep(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatalf("sweep: %v (stderr %q)", err, stderr.String())
	}
	var r sim.SweepResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("not a sweep document: %v\n%s", err, stdout.String())
	}
	if r.Schema != sim.SweepSchema || r.Param != models.BankSharePath || len(r.Points) != 3 || r.Paths != 200 || r.ElapsedSeconds <= 0 {
		t.Fatalf("header: %q %q, %d points, %d paths", r.Schema, r.Param, len(r.Points), r.Paths)
	}
	if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "allow_below_floor") {
		t.Errorf("notes %q", r.Notes)
	}
	for k := 1; k < 3; k++ {
		a, b := r.Points[k-1].Loss, r.Points[k].Loss
		if !(b["guarantor"].Mean < a["guarantor"].Mean && b["bank"].Mean > a["bank"].Mean && b["total"].Mean == a["total"].Mean) {
			t.Errorf("bank share %v → %v: guarantor %v → %v, bank %v → %v, total %v → %v", r.Values[k-1], r.Values[k],
				a["guarantor"].Mean, b["guarantor"].Mean, a["bank"].Mean, b["bank"].Mean, a["total"].Mean, b["total"].Mean)
		}
	}
	for _, want := range []string{`"se_paired": "`, `"se_independent": "`, `"outlays": {`, `"330382": [`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}

	o.json = false
	stdout.Reset()
	if err := runSweep(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	for _, want := range []string{"Sweep of policy.bank_share over 3 values", "Note: policy.allow_below_floor set to true",
		"Expected loss over the horizon by party", "0.10 → 0.20", "se paired", "se independent", "top-up", "outlays y1",
		"bank_share_min"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

func TestSweepErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*sweepOptions)
		want string
	}{
		{"text param", func(o *sweepOptions) { o.paramList = []string{"model.copula"} }, "not a number"},
		{"unknown param", func(o *sweepOptions) { o.paramList = []string{"policy.bank_sahre"} }, `did you mean "bank_share"`},
		{"bad value", func(o *sweepOptions) { o.valueLists = []string{"0.1,,0.3"} }, `value 2 ""`},
		{"invalid value", func(o *sweepOptions) { o.valueLists = []string{"0.3,1.5"} }, "bank_share"},
		{"confidence", func(o *sweepOptions) { o.confidence = 1 }, "--confidence"},
		{"values without param", func(o *sweepOptions) { o.valueLists = append(o.valueLists, "0.1") }, "give one --values list after each --param"},
		{"three params", func(o *sweepOptions) {
			o.paramList = []string{"model.r2.macro", "model.r2.industry", "model.r2.county"}
			o.valueLists = []string{"0.1", "0.1", "0.1"}
		}, "1 or 2 parameters"},
		{"same param twice", func(o *sweepOptions) {
			o.paramList = []string{"model.r2.macro", "model.r2.macro"}
			o.valueLists = []string{"0.1", "0.2"}
		}, "swept twice"},
		{"grid too large", func(o *sweepOptions) {
			o.paramList = []string{"model.r2.macro", "model.r2.industry"}
			o.valueLists = []string{strings.Repeat("0.1,", 20) + "0.1", strings.Repeat("0.1,", 20) + "0.1"}
		}, "21 × 21 points; at most 400"},
		{"second param unknown", func(o *sweepOptions) {
			o.paramList = append(o.paramList, "policy.county_fund.shar")
			o.valueLists = append(o.valueLists, "0.1")
		}, "policy.county_fund.shar"},
		{"response", func(o *sweepOptions) { o.valueLists = []string{"0.5"}; o.elasticity = 10 }, "not positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := smallSweep()
			o.paths = 20
			tc.edit(&o)
			err := runSweep(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestSweepCommand drives the cobra command once, for the flag wiring.
func TestSweepCommand(t *testing.T) {
	resetAfter(t, "sweep", "param", "values")
	out, err := run(t, "sweep", "--param", "model.r2.industry", "--values", "0.05,0.1", "--paths", "60", "--seed", "3",
		"--horizon", "1", "--workers", "1", "--sampler", "fast", "--confidence", "0.9", "--response-elasticity", "0", "--json")
	defer rootCmd.SetArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	var r sim.SweepResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Param != "model.r2.industry" || len(r.Points) != 2 || r.Paths != 60 || r.Seed != 3 || r.Confidence != 0.9 || len(r.Notes) != 0 {
		t.Errorf("header %+v", r)
	}
}
