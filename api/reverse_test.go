package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// TestReverseEndpoint: POST /v1/reverse answers with the reverse stress
// document (checked against openapi.yaml by e.do), and bad input with 422
// problem documents naming the valid choices.
func TestReverseEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	body := func(kv ...any) []byte {
		m := map[string]any{"portfolio": "small", "horizon_years": 1, "paths": 60, "target": models.TargetCompRateMax, "scope": "city"}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
				continue
			}
			m[kv[i].(string)] = kv[i+1]
		}
		return jsonBody(t, m)
	}
	r := e.do(req{method: http.MethodPost, path: "/v1/reverse", role: RoleAnalyst, ctype: "application/json", body: body()})
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, clip(r.body))
	}
	var doc sim.ReverseResult
	r.json(t, &doc)
	if doc.Schema != sim.ReverseSchema || doc.Year != 1 || !(doc.Sigma > 0) || doc.Margin < 0 || len(doc.Factors) == 0 || len(doc.Segments) == 0 {
		t.Errorf("reverse document %s", clip(r.body))
	}

	for _, tc := range []struct {
		name    string
		body    []byte
		want    []string
		invalid bool // breaks openapi.yaml's request schema on purpose
	}{
		{"unknown target", body("target", "capital"), []string{`unknown target \"capital\"`, "compensation_rate_max"}, false},
		{"unknown scope", body("scope", "G-999"), []string{`no scope \"G-999\"`, "city"}, false},
		{"unknown year", body("year", 3), []string{"no year 3", "years: 1"}, false},
		{"no target", body("target", nil), []string{"target is required"}, true},
		{"too many paths", body("paths", 6000), []string{"paths 6000 is more than 5000"}, true},
		{"cannot fail", body("max_sigma", 0.5), []string{"holds at every point searched up to |z| = 0.5σ"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: http.MethodPost, path: "/v1/reverse", role: RoleAnalyst, ctype: "application/json", body: tc.body, invalid: tc.invalid})
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %s", r.status, clip(r.body))
			}
			for _, w := range tc.want {
				if !strings.Contains(string(r.body), w) {
					t.Errorf("problem %s does not contain %q", clip(r.body), w)
				}
			}
		})
	}
	r = e.do(req{method: http.MethodPost, path: "/v1/reverse", role: RoleViewer, ctype: "application/json", body: body()})
	if r.status != http.StatusForbidden {
		t.Errorf("viewer: status %d, want 403", r.status)
	}
}
