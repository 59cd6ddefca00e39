package api

import (
	"bytes"
	"encoding/csv"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/sim"
)

// TestSolveAPI: POST /v1/solves finds the bank share at which
// bank_share_min (policy, threshold 0.2) holds with P ≥ 0.5: the target
// holds on every path at a share ≥ 0.2 and on none below, so the answer is
// 0.2 to the tolerance, with P 1 on the holding side and 0 on the failing
// side. Every operation is checked against openapi.yaml; bad requests are
// 422 problem documents naming the valid choices; a range where p is not
// reached fails the job with the reason, and it can be resubmitted; a
// queued or running solve can be cancelled.
func TestSolveAPI(t *testing.T) {
	e := newEnv(t, nil)
	post := func(body string) jobStatus {
		t.Helper()
		r := e.do(req{method: "POST", path: "/v1/solves", role: RoleAnalyst, ctype: "application/json", body: []byte(body)})
		if r.status != http.StatusAccepted {
			t.Fatalf("POST %s: %d %s", body, r.status, clip(r.body))
		}
		var st jobStatus
		r.json(t, &st)
		return st
	}
	st := post(`{"portfolio":"small","paths":50,"horizon_years":1,"overrides":["policy.allow_below_floor=true"],` +
		`"param":"policy.bank_share","target":"bank_share_min","scope":"policy","p":0.5,"range":[0.1,0.3],"tol":0.01}`)
	st = waitJob(t, e.base, "/v1/solves/"+st.ID, 60*time.Second)
	if st.State != dto.StateSucceeded {
		t.Fatalf("%+v", st)
	}
	var doc sim.SolveResult
	e.do(req{method: "GET", path: st.Links["result"], role: RoleViewer}).json(t, &doc)
	if doc.Schema != sim.SolveSchema || doc.Direction != "increasing" || math.Abs(float64(doc.Value)-0.2) > 0.01*0.2+1e-9 ||
		doc.Holding.PHold != 1 || doc.Failing.PHold != 0 {
		t.Errorf("solve document: value %v, direction %s, holding %+v, failing %+v", doc.Value, doc.Direction, doc.Holding, doc.Failing)
	}
	rows, err := csv.NewReader(bytes.NewReader(e.do(req{method: "GET", path: st.Links["table_evaluations"], role: RoleViewer}).body)).ReadAll()
	if err != nil || len(rows) != len(doc.Evaluations)+1 || rows[0][1] != "p_hold" {
		t.Errorf("evaluations table: %d rows, %v", len(rows), err)
	}
	if r := e.do(req{method: "GET", path: "/v1/solves", role: RoleViewer}); r.status != 200 {
		t.Errorf("list: %d", r.status)
	}

	// p not reached over the range: the job fails with the reason, and
	// can be resubmitted.
	st = post(`{"portfolio":"small","paths":50,"horizon_years":1,"param":"policy.bank_share","target":"bank_share_min","scope":"policy","p":0.5,"range":[0.3,0.5]}`)
	st = waitJob(t, e.base, "/v1/solves/"+st.ID, 60*time.Second)
	if st.State != dto.StateFailed {
		t.Errorf("unreachable p: %+v", st)
	}
	if r := e.do(req{method: "POST", path: "/v1/solves/" + st.ID + "/resubmit", role: RoleAnalyst}); r.status != http.StatusAccepted {
		t.Errorf("resubmit: %d %s", r.status, clip(r.body))
	}
	long := post(`{"portfolio":"big","paths":50000,"horizon_years":1,"param":"growth.rate","target":"leverage_min","p":0.5,"range":[0,1]}`)
	if r := e.do(req{method: "DELETE", path: "/v1/solves/" + long.ID, role: RoleAnalyst}); r.status != 200 {
		t.Errorf("cancel: %d %s", r.status, clip(r.body))
	}

	for _, b := range []struct{ body, want string }{
		{`{"portfolio":"small","target":"leverage_min","p":0.5}`, "param is required"},
		{`{"portfolio":"small","param":"policy.bank_sahre","target":"leverage_min","p":0.5}`, `did you mean \"bank_share\"`},
		{`{"portfolio":"small","param":"name","target":"leverage_min","p":0.5}`, "is not a number (it holds baseline)"},
		{`{"portfolio":"small","param":"growth.rate","target":"leverage_mn","p":0.5}`, "valid: balance_min, leverage_min"},
		{`{"portfolio":"small","param":"growth.rate","target":"leverage_min","scope":"nowhere","p":0.5}`, "valid: city, policy, all, "},
		{`{"portfolio":"small","param":"growth.rate","target":"leverage_min","year":9,"p":0.5}`, "outside the horizon"},
		{`{"portfolio":"small","param":"growth.rate","target":"leverage_min","p":1}`, "not in (0, 1)"},
		{`{"portfolio":"small","param":"growth.rate","target":"leverage_min","p":0.5,"range":[1,0]}`, "lo < hi"},
		{`{"portfolio":"small","param":"policy.bank_share","target":"bank_share_min","p":0.5,"range":[0.1,0.3]}`, "range end policy.bank_share=0.1"},
	} {
		r := e.do(req{method: "POST", path: "/v1/solves", role: RoleAnalyst, ctype: "application/json", body: []byte(b.body), invalid: true})
		if r.status != http.StatusUnprocessableEntity || !bytes.Contains(r.body, []byte(b.want)) {
			t.Errorf("POST %s: %d %s; want 422 naming %q", b.body, r.status, clip(r.body), b.want)
		}
	}
}
