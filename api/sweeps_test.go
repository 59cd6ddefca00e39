package api

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"testing"
	"time"

	"github.com/wenzhou/danbao/sim"
)

// TestSweepAndTopup runs a sweep and a top-up through the API and fetches
// their documents and tables; bad requests are 4xx problem documents.
func TestSweepAndTopup(t *testing.T) {
	e := newEnv(t, nil)
	post := func(path string, body map[string]any) jobStatus {
		t.Helper()
		r := e.do(req{method: "POST", path: path, role: RoleAnalyst, ctype: "application/json", body: jsonBody(t, body)})
		if r.status != http.StatusAccepted {
			t.Fatalf("POST %s: %d %s", path, r.status, clip(r.body))
		}
		var st jobStatus
		r.json(t, &st)
		if r.header.Get("Location") != path+"/"+st.ID {
			t.Errorf("Location %q", r.header.Get("Location"))
		}
		return st
	}
	start := time.Now()
	sweep := post("/v1/sweeps", map[string]any{"portfolio": "small", "paths": 300, "values": []float64{0.1, 0.2, 0.3}, "horizon_years": 2})
	topup := post("/v1/topups", map[string]any{"portfolio": "small", "paths": 400, "confidence": []float64{0.9, 0.99}, "scenario": "county-downturn"})
	for _, c := range []struct {
		st     jobStatus
		prefix string
		kind   string
		tables []string
		units  int64
	}{
		{sweep, "/v1/sweeps/", "sweep", kindSweep.tables, 900},
		{topup, "/v1/topups/", "topup", kindTopup.tables, 400},
	} {
		st := waitJob(t, e.base, c.prefix+c.st.ID, 60*time.Second)
		if st.State != stateSucceeded || st.Kind != c.kind || st.Progress.PathsTotal != c.units || st.Progress.PathsDone != c.units {
			t.Fatalf("%s: %+v", c.kind, st)
		}
		r := e.do(req{method: "GET", path: st.Links["result"], role: RoleViewer})
		if r.status != 200 {
			t.Errorf("%s result: %d", c.kind, r.status)
		}
		for _, name := range c.tables {
			link := st.Links["table_"+name]
			if link == "" {
				t.Errorf("%s: no table %s in %v", c.kind, name, st.Links)
				continue
			}
			r := e.do(req{method: "GET", path: link, role: RoleViewer})
			rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
			if r.status != 200 || err != nil || len(rows) < 2 {
				t.Errorf("%s table %s: %d, %d rows, %v", c.kind, name, r.status, len(rows), err)
			}
		}
		if r := e.do(req{method: "GET", path: c.prefix + c.st.ID + "/tables/nope", role: RoleViewer}); r.status != 404 {
			t.Errorf("%s unknown table: %d", c.kind, r.status)
		}
		// A run's id is not a sweep's.
		if r := e.do(req{method: "GET", path: c.prefix + "run_0000", role: RoleViewer}); r.status != 404 {
			t.Errorf("%s unknown id: %d", c.kind, r.status)
		}
	}
	t.Logf("sweep and top-up done in %v", time.Since(start))
	var doc sim.SweepResult
	e.do(req{method: "GET", path: "/v1/sweeps/" + sweep.ID + "/result", role: RoleViewer}).json(t, &doc)
	if doc.Schema != sim.SweepSchema || len(doc.Points) != 3 || doc.Param != "policy.bank_share" || doc.HorizonYears != 2 {
		t.Errorf("sweep document: %+v", doc)
	}
	var td sim.TopupResult
	e.do(req{method: "GET", path: "/v1/topups/" + topup.ID + "/result", role: RoleViewer}).json(t, &td)
	if td.Schema != sim.TopupSchema || len(td.Confidences) != 2 || len(td.Guarantors) != len(smallPortfolio(t).Guarantors) {
		t.Errorf("top-up document: %+v", td)
	}
	r := e.do(req{method: "GET", path: "/v1/sweeps?state=succeeded", role: RoleViewer})
	var list struct{ Sweeps []jobStatus }
	r.json(t, &list)
	if len(list.Sweeps) != 1 {
		t.Errorf("listed sweeps %+v", list.Sweeps)
	}

	// Cancel and resubmit go through the same machinery as runs.
	r = e.do(req{method: "GET", path: "/v1/topups", role: RoleViewer})
	var tl struct{ Topups []jobStatus }
	r.json(t, &tl)
	if len(tl.Topups) != 1 {
		t.Errorf("listed top-ups %+v", tl.Topups)
	}
	longBody := map[string]any{"portfolio": "big", "paths": 50_000, "horizon_years": 1, "sampler": "dense"}
	for _, prefix := range []string{"/v1/sweeps", "/v1/topups"} {
		long := post(prefix, longBody)
		for round := 0; round < 2; round++ {
			waitJobProgress(t, e.base, prefix+"/"+long.ID, 20*time.Second)
			r := e.do(req{method: "DELETE", path: prefix + "/" + long.ID, role: RoleAnalyst})
			var st jobStatus
			r.json(t, &st)
			if r.status != 200 || st.State != stateCancelled {
				t.Errorf("cancel %s: %d %s", long.ID, r.status, st.State)
			}
			if round == 0 {
				r = e.do(req{method: "POST", path: prefix + "/" + long.ID + "/resubmit", role: RoleAnalyst})
				if r.status != http.StatusAccepted {
					t.Fatalf("resubmit %s: %d %s", long.ID, r.status, r.body)
				}
				r.json(t, &long)
			}
		}
	}

	bad := []struct {
		path string
		body string
		want int
	}{
		{"/v1/sweeps", `{"param":"name"}`, 422},
		{"/v1/sweeps", `{"param":"policy.nope"}`, 422},
		{"/v1/sweeps", `{"values":[]}`, 422},
		{"/v1/sweeps", `{"param":"model.r2.macro","values":[0.1,2]}`, 422},
		{"/v1/sweeps", `{"confidence":1.5}`, 422},
		{"/v1/sweeps", `{"values":"0.1"}`, 400},
		{"/v1/topups", `{"confidence":[0.5,1]}`, 422},
		{"/v1/topups", `{"confidence":[]}`, 422},
		{"/v1/topups", `{"confidences":[0.9]}`, 400},
		{"/v1/topups", `{"portfolio":"nope"}`, 422},
	}
	for _, b := range bad {
		if r := e.do(req{method: "POST", path: b.path, role: RoleAnalyst, ctype: "application/json", body: []byte(b.body), invalid: true}); r.status != b.want {
			t.Errorf("POST %s %s: %d, want %d: %s", b.path, b.body, r.status, b.want, clip(r.body))
		}
	}
}
