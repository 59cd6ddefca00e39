package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	danbao "github.com/wenzhou/danbao"
	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// TestRunLifecycle starts a run, polls it to the end and fetches every
// representation of its result, checking them against a direct
// sim.Simulate of the same request.
func TestRunLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	const paths, seed = 600, 42
	st := e.startRun(map[string]any{"portfolio": "small", "scenario": "export-slump", "paths": paths, "seed": seed,
		"horizon_years": 2, "overrides": map[string]any{"policy.bank_share": 0.25}})
	if st.State != dto.StateQueued && st.State != dto.StateRunning {
		t.Errorf("new run is %s", st.State)
	}
	var canon runRequest
	if err := decodeStrict(st.Request, &canon); err != nil || canon.Sampler != "fast" || *canon.Seed != seed || canon.HorizonYears != 2 {
		t.Errorf("canonical request %s (%v)", st.Request, err)
	}
	st = waitRun(t, e.base, st.ID, 30*time.Second)
	if st.State != dto.StateSucceeded || st.Progress.Fraction != 1 || st.Progress.PathsDone != paths || st.Links["result"] == "" {
		t.Fatalf("finished run: %+v", st)
	}

	// The same run, directly.
	sc, err := scenarios.Builtin("export-slump")
	if err != nil {
		t.Fatal(err)
	}
	if err := scenarios.SetAll(&sc, []string{"policy.bank_share=0.25", "horizon_years=2"}); err != nil {
		t.Fatal(err)
	}
	wantDoc, wantRes, err := sim.Simulate(context.Background(), smallPortfolio(t), &sc, sim.Params{Seed: seed, Paths: paths, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}

	r := e.do(req{method: "GET", path: st.Links["result"], role: RoleViewer})
	var doc sim.Document
	r.json(t, &doc)
	if doc.Schema != sim.Schema || doc.Paths != paths || doc.Seed != seed || doc.HorizonYears != 2 || doc.ElapsedSeconds <= 0 {
		t.Errorf("result %+v", doc)
	}
	if got, want := must(doc.Loss["total"].Mean.MarshalJSON()), must(wantDoc.Loss["total"].Mean.MarshalJSON()); string(got) != string(want) {
		t.Errorf("mean total loss %s, direct run %s", got, want)
	}
	if !bytes.Contains(r.body, []byte(`"balance":"`)) {
		t.Errorf("money is not a decimal string in %s", clip(r.body))
	}

	// Per-path results as an Arrow stream, read back with arrow-go.
	r = e.do(req{method: "GET", path: st.Links["paths"], role: RoleViewer, header: map[string]string{"Accept": MediaTypeArrowStream}})
	if r.status != 200 || r.header.Get("Content-Type") != MediaTypeArrowStream {
		t.Fatalf("paths: %d %q", r.status, r.header.Get("Content-Type"))
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	func() {
		rd, err := ipc.NewReader(bytes.NewReader(r.body), ipc.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Release()
		if md := rd.Schema().Metadata(); md.FindKey("schema") < 0 || md.Values()[md.FindKey("schema")] != PathsSchemaName {
			t.Errorf("paths schema metadata %v", md)
		}
		n := 0
		for rd.Next() {
			rec := rd.RecordBatch()
			path := rec.Column(0).(*array.Int64)
			loss := rec.Column(1).(*array.Decimal128)
			for i := 0; i < int(rec.NumRows()); i++ {
				p := int(path.Value(i))
				if p != n {
					t.Fatalf("row %d is path %d", n, p)
				}
				if got, want := int64(loss.Value(i).LowBits()), wantRes.TotalLoss(p); got != want {
					t.Fatalf("path %d loss %d fen, direct run %d", p, got, want)
				}
				n++
			}
			if rec.Schema().Field(1).Type.ID() != arrow.DECIMAL128 {
				t.Errorf("loss_total is %v", rec.Schema().Field(1).Type)
			}
		}
		if err := rd.Err(); err != nil {
			t.Fatal(err)
		}
		if n != paths {
			t.Errorf("%d paths in the stream, want %d", n, paths)
		}
	}()
	mem.AssertSize(t, 0)

	// The same as CSV, by Accept and by ?format: byte for byte what
	// WritePathsArrow writes.
	var want bytes.Buffer
	if err := WritePathsArrow(&want, wantRes, PathsCSV); err != nil {
		t.Fatal(err)
	}
	for _, rq := range []req{
		{method: "GET", path: st.Links["paths"], role: RoleViewer, header: map[string]string{"Accept": "text/csv"}},
		{method: "GET", path: st.Links["paths"] + "?format=csv", role: RoleViewer},
		{method: "GET", path: st.Links["paths"], role: RoleViewer, header: map[string]string{"Accept": "text/html;q=0.9, text/csv;q=0.5"}},
	} {
		r := e.do(rq)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !bytes.Equal(r.body, want.Bytes()) {
			t.Errorf("paths as CSV (%v): %d %q, %d bytes, want %d", rq.header, r.status, r.header.Get("Content-Type"), len(r.body), want.Len())
		}
	}
	// The same as an Arrow IPC file: byte for byte what WritePathsArrow writes.
	want.Reset()
	if err := WritePathsArrow(&want, wantRes, PathsArrowFile); err != nil {
		t.Fatal(err)
	}
	for _, rq := range []req{
		{method: "GET", path: st.Links["paths"], role: RoleViewer, header: map[string]string{"Accept": MediaTypeArrowFile}},
		{method: "GET", path: st.Links["paths"] + "?format=arrow", role: RoleViewer},
	} {
		r := e.do(rq)
		if r.status != 200 || r.header.Get("Content-Type") != MediaTypeArrowFile {
			t.Errorf("paths as an Arrow file: %d %q", r.status, r.header.Get("Content-Type"))
			continue
		}
		fr, err := ipc.NewFileReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("Arrow file: %v", err)
		}
		n := 0
		for i := range fr.NumRecords() {
			rec, err := fr.RecordBatch(i)
			if err != nil {
				t.Fatal(err)
			}
			n += int(rec.NumRows())
		}
		fr.Close()
		if n != paths {
			t.Errorf("Arrow file has %d paths, want %d", n, paths)
		}
		if !bytes.Equal(r.body, want.Bytes()) {
			t.Errorf("Arrow file differs from what WritePathsArrow writes (%d vs %d bytes)", len(r.body), want.Len())
		}
	}
	if r := e.do(req{method: "GET", path: st.Links["paths"], role: RoleViewer, header: map[string]string{"Accept": "application/json"}}); r.status != http.StatusNotAcceptable {
		t.Errorf("paths as JSON: %d, want 406", r.status)
	}

	// Tables.
	for _, name := range []string{"loss", "defaults", "metrics", "targets", "outlays", "contributions"} {
		link := st.Links["table_"+name]
		if link == "" {
			t.Errorf("no link to table %s", name)
			continue
		}
		r := e.do(req{method: "GET", path: link, role: RoleViewer, header: map[string]string{"Accept": "text/csv"}})
		rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if r.status != 200 || err != nil || len(rows) < 2 {
			t.Errorf("table %s: %d, %d rows, %v", name, r.status, len(rows), err)
			continue
		}
		if name == "loss" {
			if rows[1][0] != "0" || rows[1][1] != "total" || rows[1][2] != string(must(sim.Money(wantDoc.Loss["total"].Mean).MarshalJSON())[1:len(must(sim.Money(wantDoc.Loss["total"].Mean).MarshalJSON()))-1]) {
				t.Errorf("loss table row 1 = %v", rows[1])
			}
		}
	}
	if r := e.do(req{method: "GET", path: "/v1/runs/" + st.ID + "/tables/nope", role: RoleViewer}); r.status != 404 {
		t.Errorf("unknown table: %d", r.status)
	}

	// Listing.
	r = e.do(req{method: "GET", path: "/v1/runs?state=succeeded&limit=5", role: RoleViewer})
	var list struct{ Runs []jobStatus }
	r.json(t, &list)
	if len(list.Runs) != 1 || list.Runs[0].ID != st.ID {
		t.Errorf("listed %+v", list.Runs)
	}
	for _, q := range []string{"?state=weird", "?limit=0", "?limit=x"} {
		if r := e.do(req{method: "GET", path: "/v1/runs" + q, role: RoleViewer, invalid: true}); r.status != 400 {
			t.Errorf("GET /v1/runs%s: %d, want 400", q, r.status)
		}
	}
	// A finished run cannot be cancelled or resubmitted.
	if r := e.do(req{method: "DELETE", path: "/v1/runs/" + st.ID, role: RoleAnalyst}); r.status != http.StatusConflict {
		t.Errorf("cancel a finished run: %d, want 409", r.status)
	}
	if r := e.do(req{method: "POST", path: "/v1/runs/" + st.ID + "/resubmit", role: RoleAnalyst}); r.status != http.StatusConflict {
		t.Errorf("resubmit a succeeded run: %d, want 409", r.status)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestRunCancel cancels a queued and a running run, and resubmits one.
func TestRunCancel(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxConcurrentRuns = 1; c.Workers = 1 })
	long := longRun()
	running := e.startRun(long)
	queued := e.startRun(long)
	waitProgress(t, e.base, running.ID, 20*time.Second)

	if r := e.do(req{method: "DELETE", path: "/v1/portfolios/big", role: RoleAdmin}); r.status != http.StatusConflict {
		t.Errorf("delete a portfolio in use: %d, want 409", r.status)
	}
	r := e.do(req{method: "GET", path: "/v1/runs/" + queued.ID, role: RoleViewer})
	var st jobStatus
	r.json(t, &st)
	if st.State != dto.StateQueued || st.QueuePosition != 1 {
		t.Errorf("second run: %s at %d, want queued at 1", st.State, st.QueuePosition)
	}
	r = e.do(req{method: "GET", path: "/v1/runs/" + running.ID, role: RoleViewer})
	r.json(t, &st)
	if st.Progress.ETASeconds == nil || *st.Progress.ETASeconds <= 0 || st.Progress.PathsDone <= 0 {
		t.Errorf("running run's progress %+v; want an ETA", st.Progress)
	}

	for _, id := range []string{queued.ID, running.ID} {
		r := e.do(req{method: "DELETE", path: "/v1/runs/" + id, role: RoleAnalyst})
		r.json(t, &st)
		if r.status != 200 || st.State != dto.StateCancelled || st.Error == nil || st.Links["resubmit"] == "" {
			t.Errorf("cancel %s: %d %+v", id, r.status, st)
		}
		if r := e.do(req{method: "GET", path: "/v1/runs/" + id + "/result", role: RoleViewer}); r.status != http.StatusConflict {
			t.Errorf("result of a cancelled run: %d, want 409", r.status)
		}
	}
	// Resubmit the cancelled one with fewer paths? No: resubmission repeats
	// the request. Start a short run to see the slot is free, then resubmit.
	short := e.startRun(map[string]any{"portfolio": "small", "paths": 300})
	if st := waitRun(t, e.base, short.ID, 20*time.Second); st.State != dto.StateSucceeded {
		t.Fatalf("short run after cancels: %s", st.State)
	}
	r = e.do(req{method: "POST", path: "/v1/runs/" + queued.ID + "/resubmit", role: RoleAnalyst})
	if r.status != http.StatusAccepted {
		t.Fatalf("resubmit: %d %s", r.status, r.body)
	}
	var again jobStatus
	r.json(t, &again)
	if again.ResubmitOf != queued.ID || string(again.Request) != string(queued.Request) {
		t.Errorf("resubmitted %+v", again)
	}
	if r := e.do(req{method: "POST", path: "/v1/runs/" + queued.ID + "/resubmit", role: RoleAnalyst}); r.status != http.StatusConflict {
		t.Errorf("second resubmit: %d, want 409", r.status)
	}
	r = e.do(req{method: "GET", path: "/v1/runs/" + queued.ID, role: RoleViewer})
	r.json(t, &st)
	if st.ResubmittedAs != again.ID || st.Links["resubmitted_as"] != "/v1/runs/"+again.ID {
		t.Errorf("old run links %+v", st.Links)
	}
	e.do(req{method: "DELETE", path: "/v1/runs/" + again.ID, role: RoleAnalyst})
}

// TestRunRequestErrors: malformed and invalid run requests are 4xx problem
// documents, and the server keeps serving.
func TestRunRequestErrors(t *testing.T) {
	e := newEnv(t, nil)
	j := "application/json"
	tests := []struct {
		name    string
		ctype   string
		body    string
		invalid bool
		want    int
	}{
		{"bad json", j, `{"paths":`, true, 400},
		{"not an object", j, `[1,2]`, true, 400},
		{"empty", j, ``, true, 422}, // issue 18: an empty or null body names the fields
		{"null", j, `null`, true, 422},
		{"trailing data", j, `{} {}`, true, 400},
		{"unknown field", j, `{"pathz":10}`, true, 400},
		{"wrong type", j, `{"paths":"many"}`, true, 400},
		{"negative seed", j, `{"seed":-1}`, true, 400},
		{"text/plain", "text/plain", `{}`, true, 415},
		{"no content type", "", `{}`, true, 415},
		{"form", "application/x-www-form-urlencoded", `paths=10`, true, 415},
		{"negative paths", j, `{"paths":-5}`, true, 422},
		{"too many paths", j, `{"paths":100000000}`, true, 422},
		{"horizon 9", j, `{"horizon_years":9}`, true, 422},
		{"bad sampler", j, `{"sampler":"slow"}`, true, 422},
		{"level 0.99999", j, `{"levels":[0.99999]}`, true, 422},
		{"level 0", j, `{"levels":[0]}`, true, 422},
		{"is 0.3", j, `{"is":0.3}`, true, 422},
		{"is 1", j, `{"is":1}`, true, 422},
		{"unknown portfolio", j, `{"portfolio":"nope"}`, false, 422},
		{"unknown scenario", j, `{"scenario":"nope"}`, false, 422},
		{"bad override path", j, `{"overrides":["policy.bank_shar=0.3"]}`, false, 422},
		{"bad override value", j, `{"overrides":{"policy.bank_share":"lots"}}`, false, 422},
		{"bad inline scenario", j, `{"scenario":{"horizon_years":"x"}}`, false, 422},
		{"oversized", j, `{"scenario_yaml":"` + strings.Repeat("x", 2<<20) + `"}`, true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/v1/runs", role: RoleAnalyst, ctype: tt.ctype, body: []byte(tt.body), invalid: tt.invalid})
			if r.status != tt.want {
				t.Errorf("status %d, want %d: %s", r.status, tt.want, clip(r.body))
			}
		})
	}
	// Unknown ids are 404 on every run route.
	for _, p := range []string{"/v1/runs/run_nope", "/v1/runs/run_nope/result", "/v1/runs/run_nope/paths", "/v1/runs/run_nope/tables/loss", "/v1/portfolios/nope"} {
		if r := e.do(req{method: "GET", path: p, role: RoleViewer}); r.status != 404 {
			t.Errorf("GET %s: %d, want 404", p, r.status)
		}
	}
	for _, rq := range []req{
		{method: "DELETE", path: "/v1/runs/run_nope", role: RoleAnalyst},
		{method: "POST", path: "/v1/runs/run_nope/resubmit", role: RoleAnalyst},
		{method: "DELETE", path: "/v1/portfolios/nope", role: RoleAdmin},
		{method: "GET", path: "/v1/nothing", role: RoleViewer},
		{method: "GET", path: "/nothing"},
		{method: "PUT", path: "/v1/runs", role: RoleAnalyst},
	} {
		r := e.do(rq)
		if r.status != 404 && r.status != 405 {
			t.Errorf("%s %s: %d, want 404 or 405", rq.method, rq.path, r.status)
		}
	}
	if r := e.do(req{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Errorf("healthz: %d", r.status)
	}
}

// TestAuth: keys and roles.
func TestAuth(t *testing.T) {
	e := newEnv(t, nil)
	run := []byte(`{"portfolio":"small","paths":10}`)
	tests := []struct {
		name string
		rq   req
		want int
	}{
		{"no key", req{method: "GET", path: "/v1/portfolios"}, 401},
		{"unknown key", req{method: "GET", path: "/v1/portfolios", rawKey: "not-a-key-0000000000"}, 401},
		{"viewer reads", req{method: "GET", path: "/v1/portfolios", role: RoleViewer}, 200},
		{"X-API-Key", req{method: "GET", path: "/v1/portfolios", header: map[string]string{"X-API-Key": testKeys[RoleViewer]}}, 200},
		{"viewer runs", req{method: "POST", path: "/v1/runs", role: RoleViewer, ctype: "application/json", body: run}, 403},
		{"viewer uploads", req{method: "POST", path: "/v1/portfolios", role: RoleViewer, ctype: "multipart/form-data; boundary=x", body: []byte("--x--"), invalid: true}, 403},
		{"analyst deletes", req{method: "DELETE", path: "/v1/portfolios/small", role: RoleAnalyst}, 403},
		{"no key for a run", req{method: "POST", path: "/v1/runs", ctype: "application/json", body: run}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.rq)
			if r.status != tt.want {
				t.Errorf("status %d, want %d: %s", r.status, tt.want, clip(r.body))
			}
			if r.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestParseKeys(t *testing.T) {
	keys, err := ParseKeys(strings.NewReader("# keys\n\nviewer aaaaaaaaaaaaaaaa\nadmin:bbbbbbbbbbbbbbbb:ops\n"), "keys")
	if err != nil || len(keys) != 2 || keys[0].Role != RoleViewer || keys[0].Name != "viewer-1" || keys[1].Name != "ops" || keys[1].Role != RoleAdmin {
		t.Errorf("ParseKeys = %+v, %v", keys, err)
	}
	for _, bad := range []string{"root aaaaaaaaaaaaaaaa", "admin short", "admin", "admin a b c d"} {
		if _, err := ParseKeys(strings.NewReader(bad), "keys"); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
	keys, err = ParseKeysEnv("analyst:cccccccccccccccc, viewer:dddddddddddddddd:nb")
	if err != nil || len(keys) != 2 || keys[0].Role != RoleAnalyst || keys[1].Name != "nb" {
		t.Errorf("ParseKeysEnv = %+v, %v", keys, err)
	}
}

// TestAdmission: a full queue is 429, a taken memory budget 503, both with
// Retry-After; a run that could never fit is 422 saying how many paths fit.
func TestAdmission(t *testing.T) {
	pf := bigPortfolio(t)
	long := longRun()
	sc := models.DefaultScenario()
	sc.HorizonYears = 1
	fixed, per := runEstimate(&portfolioRecord{Loans: len(pf.Loans), Guarantors: len(pf.Guarantors)}, 50_000, &sc)
	// Budget: one long run and a small one fit, two long runs do not (the
	// small run's estimate taken at 5 years, beyond the default horizon).
	sc5 := sc
	sc5.HorizonYears = 5
	spf := smallPortfolio(t)
	sfixed, sper := runEstimate(&portfolioRecord{Loans: len(spf.Loans), Guarantors: len(spf.Guarantors)}, 100, &sc5)
	budget := fixed + per*50_000 + sfixed + sper*100
	if 2*(fixed+per*50_000) <= budget {
		t.Fatalf("budget %d MiB holds two long runs", budget>>20)
	}
	e := newEnv(t, func(c *Config) { c.MaxConcurrentRuns = 1; c.MaxQueuedRuns = 1; c.MaxMemory = budget; c.Workers = 1 })

	a := e.startRun(long)
	waitProgress(t, e.base, a.ID, 20*time.Second)
	post := func(body map[string]any) *resp {
		return e.do(req{method: "POST", path: "/v1/runs", role: RoleAnalyst, ctype: "application/json", body: jsonBody(t, body)})
	}
	r := post(long)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Errorf("second long run: %d Retry-After %q, want 503 with Retry-After", r.status, r.header.Get("Retry-After"))
	}
	small := map[string]any{"portfolio": "small", "paths": 100}
	b := e.startRun(small) // queued behind a
	r = post(small)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("run beyond the queue: %d Retry-After %q, want 429 with Retry-After", r.status, r.header.Get("Retry-After"))
	}
	if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	r = post(map[string]any{"portfolio": "big", "paths": 1_000_000, "horizon_years": 1})
	if p := r.problem(t); r.status != 422 || len(p.Fixes) == 0 || !strings.Contains(p.Fixes[0], "at most") {
		t.Errorf("a run too big for the budget: %d %+v", r.status, p)
	}
	e.do(req{method: "DELETE", path: "/v1/runs/" + a.ID, role: RoleAnalyst})
	if st := waitRun(t, e.base, b.ID, 20*time.Second); st.State != dto.StateSucceeded {
		t.Errorf("queued run after the cancel: %s", st.State)
	}
	// Metrics count the refusals.
	r = e.do(req{method: "GET", path: "/metrics"})
	for _, want := range []string{`danbao_jobs_rejected_total{reason="queue_full"} 1`, `danbao_jobs_rejected_total{reason="memory"} 1`,
		`danbao_jobs_rejected_total{reason="too_large"} 1`, `danbao_jobs{kind="run",state="succeeded"} 1`,
		`danbao_jobs{kind="run",state="cancelled"} 1`, "danbao_http_request_duration_seconds_bucket", "danbao_queue_depth 0",
		"danbao_run_paths_per_second_count", "danbao_job_duration_seconds_count"} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestProblemsNeverLeak: an internal error becomes a generic 500 that
// names only the request id; a domain error of a client category keeps
// its (user-facing) text.
func TestProblemsNeverLeak(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("open /var/lib/x: %w", os.ErrNotExist),
		&Error{Message: "could not open /var/lib/x", err: context.DeadlineExceeded},
		errors.New("sql: database is locked"),
	} {
		p, _ := toProblem(err)
		if p.Status != 500 || strings.Contains(p.Message, "/var") || strings.Contains(p.Message, "sql") || p.Code != "internal" {
			t.Errorf("%v became %+v", err, p)
		}
	}
	p, _ := toProblem(fmt.Errorf("%w: paths 0 not in 1..10", models.ErrInvalid))
	if p.Status != 422 || p.Message != "paths 0 not in 1..10" {
		t.Errorf("domain error became %+v", p)
	}
}

// TestTimesSortAsText: stored times order as text the way they order in time.
func TestTimesSortAsText(t *testing.T) {
	a := time.Date(2026, 1, 2, 3, 4, 5, 690_000_000, time.UTC)
	b := a.Add(2_100_000) // .6921
	if !(fmtTime(a) < fmtTime(b)) || !parseTime(fmtTime(b)).Equal(b) {
		t.Errorf("%s !< %s", fmtTime(a), fmtTime(b))
	}
}

// The admission estimate counts the new business a scenario writes: the
// compiled book of the example over 3 years (3.5× the snapshot on its
// 1–3-year terms) must not exceed bookLoans, and run-off is the snapshot.
func TestBookLoansCoversNewBusiness(t *testing.T) {
	pf, err := danbao.LoadPortfolio("")
	if err != nil {
		t.Fatal(err)
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 3
	m, err := sim.Compile(pf, &sc)
	if err != nil {
		t.Fatal(err)
	}
	if got, est := m.N(), bookLoans(len(pf.Loans), &sc); int64(got) > est || est > 2*int64(got) {
		t.Errorf("compiled book %d loans, estimate %d", got, est)
	}
	sc.Growth.RunOff = true
	if est := bookLoans(len(pf.Loans), &sc); est != int64(len(pf.Loans)) {
		t.Errorf("run-off estimate %d, want %d", est, len(pf.Loans))
	}
}

// TestRunImportanceSampling: "is" in a run's request gives the weighted
// document (its importance_sampling block, targets and party losses) and
// the per-path file a weight column.
func TestRunImportanceSampling(t *testing.T) {
	e := newEnv(t, nil)
	st := e.startRun(map[string]any{"portfolio": "small", "paths": 300, "is": 0.99})
	st = waitRun(t, e.base, st.ID, 30*time.Second)
	if st.State != dto.StateSucceeded {
		t.Fatalf("run: %+v", st)
	}
	var doc sim.Document
	e.do(req{method: "GET", path: st.Links["result"], role: RoleViewer}).json(t, &doc)
	if doc.ImportanceSampling == nil || doc.ImportanceSampling.Level != 0.99 || len(doc.Targets) == 0 || doc.Loss["guarantor"].ES == nil {
		t.Fatalf("importance_sampling %+v, %d targets", doc.ImportanceSampling, len(doc.Targets))
	}
	r := e.do(req{method: "GET", path: st.Links["paths"] + "?format=csv", role: RoleViewer})
	lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
	if r.status != 200 || len(lines) != 301 || !strings.HasSuffix(lines[0], ",weight") {
		t.Fatalf("paths as CSV: %d, %d lines, header %q", r.status, len(lines), lines[0])
	}
	var sw float64
	for _, l := range lines[1:] {
		w, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ',')+1:], 64)
		if err != nil {
			t.Fatal(err)
		}
		sw += w
	}
	if math.Abs(sw/300-float64(doc.ImportanceSampling.MeanWeight)) > 1e-12 {
		t.Errorf("mean of the weight column %v, document's mean weight %v", sw/300, doc.ImportanceSampling.MeanWeight)
	}
}

// TestRunLevels: a run's levels reach every var/es map of its result.
func TestRunLevels(t *testing.T) {
	e := newEnv(t, nil)
	st := e.startRun(map[string]any{"portfolio": "small", "paths": 300, "levels": []float64{0.9999, 0.9}})
	st = waitRun(t, e.base, st.ID, 30*time.Second)
	if st.State != dto.StateSucceeded {
		t.Fatalf("run: %+v", st)
	}
	var doc sim.Document
	e.do(req{method: "GET", path: st.Links["result"], role: RoleViewer}).json(t, &doc)
	if want := []float64{0.9, 0.95, 0.99, 0.999, 0.9999}; fmt.Sprint(doc.Levels) != fmt.Sprint(want) {
		t.Errorf("levels %v, want %v", doc.Levels, want)
	}
	for _, party := range []string{"total", "guarantor"} {
		if _, ok := doc.Loss[party].ES["0.9999"]; !ok {
			t.Errorf("loss.%s.es has no 0.9999", party)
		}
	}
}
