package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
)

func TestScenarios(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(req{method: "GET", path: "/v1/scenarios", role: RoleViewer})
	var list struct{ Scenarios []scenarioInfo }
	r.json(t, &list)
	if len(list.Scenarios) != len(scenarios.Names()) || len(list.Scenarios) == 0 {
		t.Fatalf("listed %d scenarios, want %d", len(list.Scenarios), len(scenarios.Names()))
	}
	for _, s := range list.Scenarios {
		r := e.do(req{method: "GET", path: s.Link, role: RoleViewer})
		var d struct {
			Name     string
			Source   string
			Scenario models.Scenario
		}
		r.json(t, &d)
		if r.status != 200 || d.Name != s.Name || d.Scenario.Name != s.Name || d.Source == "" {
			t.Errorf("GET %s: %d name %q/%q", s.Link, r.status, d.Name, d.Scenario.Name)
		}
	}
	r = e.do(req{method: "GET", path: "/v1/scenarios/baseline", role: RoleViewer, header: map[string]string{"Accept": "application/yaml"}})
	if src, _ := scenarios.BuiltinSource("baseline"); r.status != 200 || string(r.body) != string(src) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/yaml") {
		t.Errorf("baseline as YAML: %d %q", r.status, r.header.Get("Content-Type"))
	}
	for _, name := range []string{"nope", "..", "Baseline", "baseline.yaml"} {
		if r := e.do(req{method: "GET", path: "/v1/scenarios/" + name, role: RoleViewer}); r.status != 404 {
			t.Errorf("GET /v1/scenarios/%s: %d, want 404", name, r.status)
		}
	}
}

func TestValidateScenario(t *testing.T) {
	e := newEnv(t, nil)
	yamlCT := "application/yaml"
	tests := []struct {
		name    string
		ctype   string
		body    string
		invalid bool
		want    int
		check   func(t *testing.T, r *resp)
	}{
		{name: "yaml file", ctype: yamlCT, body: "name: mine\nextends: baseline\nhorizon_years: 3\npolicy:\n  bank_share: 0.3\n", want: 200,
			check: func(t *testing.T, r *resp) {
				var v struct{ Scenario models.Scenario }
				r.json(t, &v)
				if v.Scenario.HorizonYears != 3 || v.Scenario.Policy.BankShare != 0.3 {
					t.Errorf("resolved %+v", v.Scenario)
				}
			}},
		{name: "json built-in with overrides", ctype: "application/json",
			body: `{"scenario":"export-slump","overrides":{"policy.bank_share":0.25,"horizon_years":2}}`, want: 200,
			check: func(t *testing.T, r *resp) {
				var v struct{ Scenario models.Scenario }
				r.json(t, &v)
				if v.Scenario.HorizonYears != 2 || v.Scenario.Policy.BankShare != 0.25 {
					t.Errorf("resolved %+v", v.Scenario.Policy)
				}
			}},
		{name: "json inline", ctype: "application/json", body: `{"scenario":{"name":"inline","horizon_years":2},"overrides":["model.r2.macro=0.1"]}`, want: 200},
		{name: "yaml problems", ctype: yamlCT, body: "name: bad\nhorizon_years: 9\nmodel:\n  r2: {macro: 2}\n  colour: red\n", want: 422,
			check: func(t *testing.T, r *resp) {
				p := r.problem(t)
				if len(p.Errors) < 2 {
					t.Errorf("errors %+v; want each problem listed", p.Errors)
				}
				for _, q := range p.Errors {
					if q.Line == 0 || q.Reason == "" {
						t.Errorf("problem without place: %+v", q)
					}
				}
			}},
		{name: "yaml syntax", ctype: yamlCT, body: "name: [unclosed\n", invalid: true, want: 422},
		{name: "empty yaml", ctype: yamlCT, body: "  \n", invalid: true, want: 422},
		{name: "extends a file", ctype: yamlCT, body: "name: x\nextends: /etc/passwd.yaml\n", want: 422},
		{name: "bad override", ctype: "application/json", body: `{"overrides":["policy.bank_shar=0.3"]}`, want: 422},
		{name: "override not path=value", ctype: "application/json", body: `{"overrides":["policy.bank_share"]}`, invalid: true, want: 422},
		{name: "unknown built-in", ctype: "application/json", body: `{"scenario":"nope"}`, want: 422},
		{name: "both scenario and yaml", ctype: "application/json", body: `{"scenario":"baseline","scenario_yaml":"name: x"}`, want: 400},
		{name: "bad json", ctype: "application/json", body: `{"scenario":`, invalid: true, want: 400},
		{name: "unknown field", ctype: "application/json", body: `{"scenery":"baseline"}`, invalid: true, want: 400},
		{name: "wrong type", ctype: "application/json", body: `{"overrides":42}`, invalid: true, want: 400},
		{name: "text/plain", ctype: "text/plain", body: "name: x", invalid: true, want: 415},
		{name: "oversized", ctype: yamlCT, body: "name: x\ndescription: " + strings.Repeat("y", 2<<20), invalid: true, want: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/v1/scenarios/validate", role: RoleAnalyst, ctype: tt.ctype, body: []byte(tt.body), invalid: tt.invalid})
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, clip(r.body))
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
	if r := e.do(req{method: "POST", path: "/v1/scenarios/validate", role: RoleViewer, ctype: yamlCT, body: []byte("name: x\n")}); r.status != http.StatusForbidden {
		t.Errorf("viewer validates: %d, want 403", r.status)
	}
}
