package api

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"testing"
	"time"

	"github.com/wenzhou/danbao/api/dto"
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
		if st.State != dto.StateSucceeded || st.Kind != c.kind || st.Progress.PathsTotal != c.units || st.Progress.PathsDone != c.units {
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
			if r.status != 200 || st.State != dto.StateCancelled {
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

// TestSweep2D: a 2-D sweep through the API (its request and document
// checked against openapi.yaml by e.do): 2 × 2 points by rows, the first
// parameter fastest, progress over every path of every point; the points
// table has value2; bad 2-D requests are 422 problem documents that name
// what is wrong.
func TestSweep2D(t *testing.T) {
	e := newEnv(t, nil)
	body := map[string]any{"portfolio": "small", "paths": 200, "horizon_years": 1, "values": []float64{0.2, 0.4},
		"param2": "policy.county_fund.share", "values2": []float64{0, 0.1}}
	r := e.do(req{method: "POST", path: "/v1/sweeps", role: RoleAnalyst, ctype: "application/json", body: jsonBody(t, body)})
	if r.status != http.StatusAccepted {
		t.Fatalf("POST: %d %s", r.status, clip(r.body))
	}
	var st jobStatus
	r.json(t, &st)
	st = waitJob(t, e.base, "/v1/sweeps/"+st.ID, 60*time.Second)
	if st.State != dto.StateSucceeded || st.Progress.PathsTotal != 800 || st.Progress.PathsDone != 800 {
		t.Fatalf("%+v", st)
	}
	var doc sim.SweepResult
	e.do(req{method: "GET", path: st.Links["result"], role: RoleViewer}).json(t, &doc)
	if doc.Param2 != "policy.county_fund.share" || len(doc.Values2) != 2 || len(doc.Points) != 4 {
		t.Fatalf("document: param2 %q, values2 %v, %d points", doc.Param2, doc.Values2, len(doc.Points))
	}
	for k, pt := range doc.Points {
		if pt.Value != doc.Values[k%2] || pt.Value2 == nil || *pt.Value2 != doc.Values2[k/2] {
			t.Errorf("point %d at (%v, %v)", k, pt.Value, pt.Value2)
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(e.do(req{method: "GET", path: st.Links["table_points"], role: RoleViewer}).body)).ReadAll()
	if err != nil || len(rows) != 5 || rows[0][1] != "value2" || rows[3][0] != "0.2" || rows[3][1] != "0.1" {
		t.Errorf("points table %q, %v", rows, err)
	}
	for _, b := range []struct{ body, want string }{
		{`{"portfolio":"small","param2":"policy.county_fund.share"}`, "param2 and values2 go together"},
		{`{"portfolio":"small","values2":[0.1]}`, "param2 and values2 go together"},
		{`{"portfolio":"small","param2":"policy.county_fund.shar","values2":[0.1]}`, `did you mean \"share\"`},
		{`{"portfolio":"small","param2":"name","values2":[0.1]}`, "numeric paths"},
		{`{"portfolio":"small","param2":"policy.bank_share","values2":[0.1]}`, "swept twice"},
		{`{"portfolio":"small","param":"model.r2.macro","values":[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.1,0.2,0.3],` +
			`"param2":"model.r2.county","values2":[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.1,0.2,0.3]}`, "at most 400"},
		{`{"portfolio":"small","param2":"policy.county_fund.share","values2":[0.1,1.5]}`, "county_fund.share"},
	} {
		r := e.do(req{method: "POST", path: "/v1/sweeps", role: RoleAnalyst, ctype: "application/json", body: []byte(b.body), invalid: true})
		if r.status != http.StatusUnprocessableEntity || !bytes.Contains(r.body, []byte(b.want)) {
			t.Errorf("POST %s: %d %s; want 422 naming %q", b.body, r.status, clip(r.body), b.want)
		}
	}
}

// TestJointTopupAPI: POST /v1/topups with joint: the document's joint block
// (checked against openapi.yaml) reaches the confidence on the run's own
// paths and costs no more than the common stand-alone level it starts
// from; joint with two levels is a 422 naming the rule.
func TestJointTopupAPI(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(req{method: "POST", path: "/v1/topups", role: RoleAnalyst, ctype: "application/json",
		body: []byte(`{"portfolio":"small","paths":400,"horizon_years":2,"confidence":[0.9],"joint":true}`)})
	if r.status != http.StatusAccepted {
		t.Fatalf("POST: %d %s", r.status, clip(r.body))
	}
	var st jobStatus
	r.json(t, &st)
	st = waitJob(t, e.base, "/v1/topups/"+st.ID, 60*time.Second)
	if st.State != dto.StateSucceeded {
		t.Fatalf("%+v", st)
	}
	var doc sim.TopupResult
	e.do(req{method: "GET", path: st.Links["result"], role: RoleViewer}).json(t, &doc)
	j := doc.Joint
	if j == nil || j.Confidence != 0.9 || !(j.PJoint >= 0.9) || j.Total > j.CommonTotal || len(j.Guarantors) != len(doc.Guarantors) {
		t.Fatalf("joint block %+v", j)
	}
	r = e.do(req{method: "POST", path: "/v1/topups", role: RoleAnalyst, ctype: "application/json",
		body: []byte(`{"portfolio":"small","confidence":[0.9,0.95],"joint":true}`)})
	if r.status != http.StatusUnprocessableEntity || !bytes.Contains(r.body, []byte("joint takes one confidence level, not 2")) {
		t.Errorf("joint with two levels: %d %s", r.status, clip(r.body))
	}
}
