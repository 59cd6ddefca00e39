package api

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/synth"
)

// Test keys, one per role.
var testKeys = map[Role]string{
	RoleViewer:  "viewer-key-0123456789",
	RoleAnalyst: "analyst-key-0123456789",
	RoleAdmin:   "admin-key-0123456789",
}

func testKeyList() []Key {
	return []Key{
		{Secret: testKeys[RoleViewer], Role: RoleViewer, Name: "viewer"},
		{Secret: testKeys[RoleAnalyst], Role: RoleAnalyst, Name: "analyst"},
		{Secret: testKeys[RoleAdmin], Role: RoleAdmin, Name: "admin"},
	}
}

var (
	smallOnce, bigOnce sync.Once
	smallPF, bigPF     *models.Portfolio
)

// bigPortfolio is a 5,000-loan synthetic portfolio: with the dense sampler
// a run of it takes long enough to be cancelled or killed.
func bigPortfolio(t testing.TB) *models.Portfolio {
	bigOnce.Do(func() {
		pf, err := synth.Generate(synth.Options{Loans: 5000, Seed: 8})
		if err != nil {
			t.Fatal(err)
		}
		bigPF = pf
	})
	return bigPF
}

// longRun is a run request that takes tens of seconds (and little memory).
func longRun() map[string]any {
	return map[string]any{"portfolio": "big", "paths": 50_000, "horizon_years": 1, "sampler": "dense"}
}

// smallPortfolio is a 400-loan synthetic Wenzhou portfolio (fast runs).
func smallPortfolio(t testing.TB) *models.Portfolio {
	smallOnce.Do(func() {
		pf, err := synth.Generate(synth.Options{Loans: 400, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		smallPF = pf
	})
	return smallPF
}

// spec is the OpenAPI document and a router over it, shared by the tests.
var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
)

func openapiSpec(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	specOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder(MediaTypeArrowStream, openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder(MediaTypeArrowFile, openapi3filter.FileBodyDecoder)
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(openapiYAML)
		if err != nil {
			specErr = fmt.Errorf("load: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			specErr = fmt.Errorf("validate: %w", err)
			return
		}
		// Match any host: the tests listen on random ports.
		doc.Servers = nil
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			specErr = fmt.Errorf("router: %w", err)
			return
		}
		specDoc, specRouter = doc, r
	})
	if specErr != nil {
		t.Fatalf("openapi.yaml: %v", specErr)
	}
	return specDoc, specRouter
}

// env is a server under test behind httptest, with a client that checks
// every request and response against openapi.yaml.
type env struct {
	t    *testing.T
	srv  *Server
	ts   *httptest.Server
	dir  string
	base string
}

// newEnv starts a server on a fresh data folder with the small portfolio
// stored as "small".
func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Keys: testKeyList(), MaxConcurrentRuns: 2, Workers: 2}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.EnsurePortfolio(context.Background(), "small", "small synthetic", "example", smallPortfolio(t)); err != nil {
		t.Fatal(err)
	}
	if err := srv.EnsurePortfolio(context.Background(), "big", "big synthetic", "example", bigPortfolio(t)); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	e := &env{t: t, srv: srv, ts: ts, dir: dir, base: ts.URL}
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return e
}

// req is one request of a test.
type req struct {
	method, path string
	role         Role   // key to send; 0: none
	rawKey       string // key to send instead of role's
	ctype        string
	body         []byte
	header       map[string]string
	// invalid marks a request that breaks the document on purpose (bad
	// JSON, wrong content type, …): only the response is checked.
	invalid bool
}

// resp is a response read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r *resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r *resp) problem(t testing.TB) problemDoc {
	t.Helper()
	var p problemDoc
	r.json(t, &p)
	return p
}

// do sends rq to e's server and checks it against openapi.yaml.
func (e *env) do(rq req) *resp {
	e.t.Helper()
	return doAt(e.t, e.base, rq)
}

func doAt(t testing.TB, base string, rq req) *resp {
	t.Helper()
	hr, err := http.NewRequest(rq.method, base+rq.path, bytes.NewReader(rq.body))
	if err != nil {
		t.Fatal(err)
	}
	if rq.ctype != "" {
		hr.Header.Set("Content-Type", rq.ctype)
	}
	switch {
	case rq.rawKey != "":
		hr.Header.Set("Authorization", "Bearer "+rq.rawKey)
	case rq.role != 0:
		hr.Header.Set("Authorization", "Bearer "+testKeys[rq.role])
	}
	for k, v := range rq.header {
		hr.Header.Set(k, v)
	}
	hres, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer hres.Body.Close()
	body, err := io.ReadAll(hres.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", rq.method, rq.path, err)
	}
	r := &resp{status: hres.StatusCode, header: hres.Header, body: body}
	checkAgainstSpec(t, rq, hr, r)
	checkProblem(t, rq, r)
	return r
}

// answered records the operations that answered 2xx in this test binary.
var answered sync.Map

// TestMain runs the tests and then, when all of them ran and passed,
// checks that every operation of openapi.yaml answered a test with 2xx.
func TestMain(m *testing.M) {
	code := m.Run()
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" && specDoc != nil {
		var missing []string
		for _, item := range specDoc.Paths.Map() {
			for _, op := range item.Operations() {
				if _, ok := answered.Load(op.OperationID); !ok {
					missing = append(missing, op.OperationID)
				}
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "openapi.yaml operations no test saw succeed: %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}

// checkAgainstSpec validates the request (unless rq.invalid) and the
// response against openapi.yaml: the route and status must be documented
// and the bodies must match their schemas.
func checkAgainstSpec(t testing.TB, rq req, hr *http.Request, r *resp) {
	t.Helper()
	_, router := openapiSpec(t)
	vr := hr.Clone(context.Background())
	vr.Body = io.NopCloser(bytes.NewReader(rq.body))
	route, params, err := router.FindRoute(vr)
	if err != nil {
		if r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
			return // an undocumented URL, answered as such
		}
		t.Errorf("%s %s: not in openapi.yaml (%v) but answered %d", rq.method, rq.path, err, r.status)
		return
	}
	if r.status < 300 {
		answered.Store(route.Operation.OperationID, true)
	}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if !rq.invalid {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: request does not match openapi.yaml: %v", rq.method, rq.path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.status, Header: r.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(r.body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s → %d: response does not match openapi.yaml: %v\n%s", rq.method, rq.path, r.status, err, clip(r.body))
	}
}

// checkProblem holds every error response to the rules: a problem
// document, never a 5xx, and no internal text.
func checkProblem(t testing.TB, rq req, r *resp) {
	t.Helper()
	if r.status >= 500 && r.status != http.StatusServiceUnavailable {
		t.Errorf("%s %s → %d: server error\n%s", rq.method, rq.path, r.status, clip(r.body))
	}
	if r.status < 400 {
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s %s → %d: Content-Type %q, want application/problem+json", rq.method, rq.path, r.status, ct)
		return
	}
	var p problemDoc
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Errorf("%s %s → %d: problem does not decode: %v", rq.method, rq.path, r.status, err)
		return
	}
	if p.Status != r.status || p.Code == "" || p.Message == "" || p.RequestID == "" || p.RequestID != r.header.Get("X-Request-Id") {
		t.Errorf("%s %s → %d: incomplete problem %+v", rq.method, rq.path, r.status, p)
	}
	text := string(r.body)
	for _, leak := range []string{"/tmp", ".go:", "sqlite", "SQL", "goroutine", "runtime error", "panic", os.TempDir()} {
		if strings.Contains(text, leak) {
			t.Errorf("%s %s → %d: problem leaks internal text %q: %s", rq.method, rq.path, r.status, leak, text)
		}
	}
}

func clip(b []byte) string {
	if len(b) > 1500 {
		return string(b[:1500]) + "…"
	}
	return string(b)
}

// jsonBody marshals v.
func jsonBody(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// file is one file part of a multipart upload.
type file struct {
	field, name string
	data        []byte
}

// multipartBody builds a multipart/form-data body.
func multipartBody(t testing.TB, fields map[string]string, files ...file) (ctype string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.field, f.name))
		h.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// readFiles reads every file of dir by name.
func readFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// startRun posts a run and returns its status.
func (e *env) startRun(body map[string]any) jobStatus {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/v1/runs", role: RoleAnalyst, ctype: "application/json", body: jsonBody(e.t, body)})
	if r.status != http.StatusAccepted {
		e.t.Fatalf("start run: %d %s", r.status, r.body)
	}
	var st jobStatus
	r.json(e.t, &st)
	if loc := r.header.Get("Location"); loc != "/v1/runs/"+st.ID {
		e.t.Fatalf("Location %q, want /v1/runs/%s", loc, st.ID)
	}
	return st
}

// waitRun polls a run until it leaves queued and running.
func waitRun(t testing.TB, base, id string, timeout time.Duration) jobStatus {
	t.Helper()
	return waitJob(t, base, "/v1/runs/"+id, timeout)
}

// waitJob polls a job's status URL until it leaves queued and running.
func waitJob(t testing.TB, base, url string, timeout time.Duration) jobStatus {
	t.Helper()
	id := url
	deadline := time.Now().Add(timeout)
	for {
		r := doAt(t, base, req{method: "GET", path: url, role: RoleViewer})
		if r.status != http.StatusOK {
			t.Fatalf("status of %s: %d %s", id, r.status, r.body)
		}
		var st jobStatus
		r.json(t, &st)
		if finished(st.State) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s still %s after %v (%+v)", id, st.State, timeout, st.Progress)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitProgress polls a run until it runs and has done some paths.
func waitProgress(t testing.TB, base, id string, timeout time.Duration) jobStatus {
	t.Helper()
	return waitJobProgress(t, base, "/v1/runs/"+id, timeout)
}

// waitJobProgress polls a job's status URL until it runs and has done some paths.
func waitJobProgress(t testing.TB, base, url string, timeout time.Duration) jobStatus {
	t.Helper()
	id := url
	deadline := time.Now().Add(timeout)
	for {
		r := doAt(t, base, req{method: "GET", path: url, role: RoleViewer})
		var st jobStatus
		r.json(t, &st)
		if st.State == dto.StateRunning && st.Progress.Fraction > 0 {
			return st
		}
		if finished(st.State) || time.Now().After(deadline) {
			t.Fatalf("run %s: %s, progress %+v; wanted it running", id, st.State, st.Progress)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
