package api

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/internal/hostile"
)

// TestHostileInputs sends the hostile corpus of issue 18 to the server:
// each table as an upload (the XLSX also as a workbook), the 64k-deep
// YAML as a scenario to validate, as a run's scenario_yaml and as an
// override. Each must be a 4xx problem document that says why, the server
// must keep serving, and the input may raise the process's resident set
// by at most 512 MB (PeakRSSGrowth: the test process has already served
// the package's other tests, so its absolute size says little: a loaded
// CI run read a 536 MiB peak on the CSV upload, which alone adds 11–20 MiB).
func TestHostileInputs(t *testing.T) {
	e := newEnv(t, nil)
	tables, err := hostile.Tables()
	if err != nil {
		t.Fatal(err)
	}
	guar, err := os.ReadFile("../testdata/portfolios/guarantors.csv")
	if err != nil {
		t.Fatal(err)
	}
	deep := hostile.DeepYAML(1 << 16)
	nest := strings.Repeat("[", 1<<16) + strings.Repeat("]", 1<<16)
	type tc struct {
		name string
		rq   req
		want string // in the problem document's errors or message
	}
	var cases []tc
	for _, f := range tables {
		ct, body := multipartBody(t, nil, file{"loans", f.Name, f.Data}, file{"guarantors", "guarantors.csv", guar})
		cases = append(cases, tc{"upload " + f.Name, req{method: "POST", path: "/v1/portfolios", role: RoleAnalyst, ctype: ct, body: body}, map[string]string{
			"loans.arrow":   "declares 1000000000 rows",
			"loans.parquet": "declares 1000000000 rows",
			"loans.xlsx":    "unzips to more than",
			"loans.csv":     "has no value in any column",
		}[f.Name]})
		if f.Name == "loans.xlsx" {
			ct, body := multipartBody(t, nil, file{"workbook", "book.xlsx", f.Data})
			cases = append(cases, tc{"upload workbook", req{method: "POST", path: "/v1/portfolios", role: RoleAnalyst, ctype: ct, body: body}, "unzips to more than"})
		}
	}
	runYAML, _ := json.Marshal(map[string]any{"portfolio": "small", "paths": 100, "scenario_yaml": string(deep)})
	runSet, _ := json.Marshal(map[string]any{"portfolio": "small", "paths": 100, "overrides": []string{"model.r2_by_segment=" + nest}})
	cases = append(cases,
		// invalid: the spec checker's own YAML decoder refuses the body first.
		tc{"validate YAML", req{method: "POST", path: "/v1/scenarios/validate", role: RoleAnalyst, ctype: "application/yaml", body: deep, invalid: true}, "nests more than 64 deep"},
		tc{"run scenario_yaml", req{method: "POST", path: "/v1/runs", role: RoleAnalyst, ctype: "application/json", body: runYAML}, "nests more than 64 deep"},
		tc{"run override", req{method: "POST", path: "/v1/runs", role: RoleAnalyst, ctype: "application/json", body: runSet}, "nests more than 64 deep"},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r *resp
			peak, base, ok := hostile.PeakRSSGrowth(func() { r = e.do(c.rq) })
			if r.status < 400 || r.status >= 500 {
				t.Fatalf("status %d, want 4xx: %s", r.status, clip(r.body))
			}
			if r.header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(r.body), c.want) {
				t.Errorf("status %d %s: %s\nwant a problem document saying %q", r.status, r.header.Get("Content-Type"), clip(r.body), c.want)
			}
			if c.name == "upload loans.csv" {
				// 2 MB of one-letter rows: a problem per row, the first 1,000 listed.
				p := r.problem(t)
				if len(p.Errors) != 1000 || p.Total < 1<<20 {
					t.Errorf("%d errors listed, total_errors %d; want 1000 and more than a million", len(p.Errors), p.Total)
				}
			}
			t.Logf("status %d, resident set rose %d MiB above %d MiB", r.status, peak>>20, base>>20)
			if ok && peak > hostile.MaxPeakRSS {
				t.Errorf("resident set rose %d MiB (from %d MiB), want under %d MiB", peak>>20, base>>20, hostile.MaxPeakRSS>>20)
			}
			if h := e.do(req{method: "GET", path: "/v1/portfolios", role: RoleViewer}); h.status != http.StatusOK {
				t.Errorf("after it, GET /v1/portfolios: %d", h.status)
			}
		})
	}
	// The uploads gave their memory back.
	e.srv.sched.mu.Lock()
	reserved := e.srv.sched.reserved
	e.srv.sched.mu.Unlock()
	if reserved != 0 {
		t.Errorf("%d bytes still reserved", reserved)
	}
}

// TestUploadAdmission: an upload is admitted against the memory budget
// jobs use (uploadEstimate: 32 bytes per byte, at least 64 MiB): 503 with
// Retry-After while the budget is held, and accepted once it is free.
func TestUploadAdmission(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxMemory = 64 << 20 })
	loans, _ := os.ReadFile("../testdata/portfolios/loans.csv")
	guar, _ := os.ReadFile("../testdata/portfolios/guarantors.csv")
	ct, body := multipartBody(t, map[string]string{"as_of": "2024-01-01"}, file{"loans", "loans.csv", loans}, file{"guarantors", "guarantors.csv", guar})
	release, err := e.srv.sched.reserve("test", 1)
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(req{method: "POST", path: "/v1/portfolios", role: RoleAnalyst, ctype: ct, body: body})
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "memory budget") {
		t.Errorf("budget held: status %d, Retry-After %q: %s", r.status, r.header.Get("Retry-After"), clip(r.body))
	}
	release()
	if r := e.do(req{method: "POST", path: "/v1/portfolios", role: RoleAnalyst, ctype: ct, body: body}); r.status != http.StatusCreated {
		t.Errorf("budget free: status %d: %s", r.status, clip(r.body))
	}
}
