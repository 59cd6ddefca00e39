package api

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestCalibrateEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	all, err := os.ReadFile("../testdata/history/wenzhou.csv")
	if err != nil {
		t.Fatal(err)
	}
	// Four of the twelve counties: the composite likelihood's cost grows
	// with the square of the groups, and the race pass runs this test.
	var hist []byte
	for i, line := range strings.SplitAfter(string(all), "\n") {
		if f := strings.Split(line, ","); i == 0 || len(f) > 1 && f[1] >= "330302" && f[1] <= "330305" {
			hist = append(hist, line...)
		}
	}
	r := e.do(req{method: http.MethodPost, path: "/v1/calibrate?bootstrap=19&by=county", role: RoleAnalyst, ctype: "application/octet-stream", body: hist})
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, clip(r.body))
	}
	var doc struct {
		NYears int `json:"n_years"`
		R2     struct {
			Macro struct {
				Estimate *float64    `json:"estimate"`
				CI95     *[2]float64 `json:"ci95"`
			} `json:"macro"`
		} `json:"r2"`
	}
	r.json(t, &doc)
	if doc.NYears != 16 || doc.R2.Macro.Estimate == nil || doc.R2.Macro.CI95 == nil {
		t.Errorf("calibration %s", clip(r.body))
	}

	bad := "year,county,industry,loans,defaults\n2012,A,x,10,11\n2013,A,x,-1,0\n"
	r = e.do(req{method: http.MethodPost, path: "/v1/calibrate", role: RoleAnalyst, ctype: "application/octet-stream", body: []byte(bad)})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"row":2,"column":"defaults"`) || !strings.Contains(string(r.body), `"row":3,"column":"loans"`) {
		t.Errorf("bad history: status %d, %s", r.status, clip(r.body))
	}
}

func TestBacktestEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	out := "year,county,loans,defaults\n2023,330382,68,2\n2023,330381,60,1\n"
	r := e.do(req{method: http.MethodPost, path: "/v1/backtest?draws=2000&portfolio=small", role: RoleAnalyst, ctype: "application/octet-stream", body: []byte(out)})
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, clip(r.body))
	}
	var doc struct {
		Verdict string `json:"verdict"`
		SVG     string `json:"calibration_svg"`
		Groups  []any  `json:"groups"`
	}
	r.json(t, &doc)
	if doc.Verdict == "" || len(doc.Groups) != 2 || !strings.Contains(doc.SVG, "<svg") {
		t.Errorf("backtest %s", clip(r.body))
	}
	r = e.do(req{method: http.MethodPost, path: "/v1/backtest?draws=2000&portfolio=small", role: RoleAnalyst, ctype: "application/octet-stream", body: []byte("year,county,loans,defaults\n2023,nowhere,10,1\n")})
	if r.status != http.StatusNotFound && r.status != http.StatusUnprocessableEntity {
		t.Errorf("unknown county: status %d, %s", r.status, clip(r.body))
	}
}
