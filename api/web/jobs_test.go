package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wenzhou/danbao/sim"
)

// waitJob polls the pages' status route of a job until it ends.
func waitJob(t testing.TB, ts *testServer, c *http.Client, loc string) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+loc+"/status", nil)
		resp, body := do(t, c, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d %s", resp.StatusCode, body)
		}
		var st struct {
			State string `json:"state"`
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatal(err)
		}
		switch st.State {
		case "succeeded", "failed", "cancelled", "interrupted":
			return st.State
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not finish in 2 minutes", loc)
	return ""
}

func TestSweepAndTopupPages(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	c := ts.client(t, analystKey)
	for _, tt := range []struct {
		kind   string
		form   url.Values
		charts map[string]int
		want   []string
	}{
		{"sweeps", url.Values{"param": {"policy.bank_share"}, "values": {"0.1, 0.2, 0.3"}, "paths": {"400"}, "horizon": {"2"}, "confidence": {"0.9"}},
			map[string]int{"sweep-loss": 18, "sweep-targets": 9, "sweep-topup": 3}, []string{`id="sweep-points"`, `id="sweep-heat"`, "SE paired"}},
		{"sweeps", url.Values{"param": {"policy.bank_share"}, "values": {"0.2, 0.4"}, "param2": {"policy.county_fund.share"}, "values2": {"0, 0.2"},
			"paths": {"200"}, "horizon": {"1"}},
			map[string]int{"sweep-grid-guarantor": 4, "sweep-grid-topup": 4}, []string{`id="sweep-points"`, "担保机构期望损失：", "policy.county_fund.share"}},
		{"topups", url.Values{"confidence": {"0.9, 0.99"}, "paths": {"400"}, "horizon": {"2"}},
			map[string]int{"topup-curve": 2 * len(sim.TopupCurveLevels)}, []string{`id="topup-city"`, `id="topup-guarantors"`, "at 99 %"}},
		{"topups", url.Values{"confidence": {"0.9"}, "joint": {"1"}, "paths": {"400"}, "horizon": {"2"}},
			nil, []string{`id="topup-joint"`, "联合补充资本", "P(all hold together)"}},
		{"solves", url.Values{"param": {"policy.bank_share"}, "target": {"bank_share_min"}, "scope": {"policy"}, "year": {"1"}, "p": {"0.5"},
			"range": {"0.1, 0.3"}, "overrides": {"policy.allow_below_floor=true"}, "paths": {"50"}, "horizon": {"1"}},
			map[string]int{"solve-evaluations": 5}, []string{`id="solve-answer"`, `id="solve-sides"`, "least value", "最小取值"}},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			resp, body := get(t, c, ts.URL+"/ui/"+tt.kind+"/new")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="`+tt.kind+`-form"`) {
				t.Fatalf("GET /ui/%s/new = %d", tt.kind, resp.StatusCode)
			}
			tt.form.Set("portfolio", "example")
			tt.form.Set("scenario", "baseline")
			resp, body = postForm(t, c, ts.URL+"/ui/"+tt.kind, tt.form)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("POST /ui/%s = %d\n%s", tt.kind, resp.StatusCode, body)
			}
			loc := resp.Header.Get("Location")
			if state := waitJob(t, ts, c, loc); state != "succeeded" {
				t.Fatalf("%s %s", loc, state)
			}
			resp, body = get(t, c, ts.URL+loc)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d\n%s", loc, resp.StatusCode, body)
			}
			checkReadable(t, tt.kind+" page", body)
			for id, want := range tt.charts {
				if n := marks(body, id); n < want {
					t.Errorf("chart %s has %d marks, want ≥ %d", id, n, want)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if _, body := get(t, c, ts.URL+"/ui/runs"); !strings.Contains(body, strings.TrimPrefix(loc, "/ui/"+tt.kind+"/")) {
				t.Errorf("runs page does not list %s", loc)
			}
		})
	}
	// A form the API refuses comes back with its problems.
	resp, body := postForm(t, c, ts.URL+"/ui/sweeps", url.Values{"param": {"policy.nope"}, "values": {"1, x"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "&#34;x&#34; is not a number") {
		t.Errorf("bad sweep form = %d", resp.StatusCode)
	}
}
