package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
)

var (
	fuzzOnce sync.Once
	fuzzSrv  *Server
)

// fuzzServer is a server for fuzzing, shared by the inputs of a process:
// runs are tiny and few, so whatever the fuzzer makes valid does little
// work. Its data folder is left in the temporary directory.
func fuzzServer(t *testing.T) *Server {
	fuzzOnce.Do(func() {
		dir, err := os.MkdirTemp("", "danbao-fuzz-")
		if err != nil {
			t.Fatal(err)
		}
		srv, err := NewServer(Config{DataDir: dir, NoAuth: true, MaxPaths: 50, MaxConcurrentRuns: 1, MaxQueuedRuns: 4})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.EnsurePortfolio(context.Background(), "small", "small", "example", smallPortfolio(t)); err != nil {
			t.Fatal(err)
		}
		fuzzSrv = srv
	})
	if fuzzSrv == nil {
		t.Fatal("no fuzz server")
	}
	return fuzzSrv
}

// fuzzPost posts body and requires a non-5xx answer (503 is back-pressure),
// with a problem document for every 4xx.
func fuzzPost(t *testing.T, srv *Server, path, ctype string, body []byte) {
	rq := httptest.NewRequest("POST", path, bytes.NewReader(body))
	rq.Header.Set("Content-Type", ctype)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, rq)
	if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
		t.Fatalf("POST %s %q → %d %s", path, body, w.Code, w.Body)
	}
	if w.Code >= 400 {
		var p problemDoc
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code || p.Message == "" {
			t.Fatalf("POST %s %q → %d, not a problem document: %s", path, body, w.Code, w.Body)
		}
	}
}

// FuzzRunRequest: no run request body makes the server fail or panic.
func FuzzRunRequest(f *testing.F) {
	for _, s := range []string{`{}`, `{"paths":10}`, `{"paths":-1}`, `{"scenario":"export-slump","paths":5,"horizon_years":3}`,
		`{"scenario":{"name":"x","horizon_years":2},"paths":3}`, `{"scenario_yaml":"name: y\nextends: baseline\n","paths":2}`,
		`{"overrides":{"policy.bank_share":0.3},"paths":4}`, `{"overrides":["model.r2.macro=0.1"],"paths":4}`,
		`{"seed":18446744073709551615,"paths":1}`, `{"sampler":"dense","paths":2}`, `{"portfolio":"../x"}`, `[`, `null`, `"x"`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		srv := fuzzServer(t)
		fuzzPost(t, srv, "/v1/runs", "application/json", body)
	})
}

// FuzzValidateScenario: no scenario body, YAML or JSON, makes the server fail.
func FuzzValidateScenario(f *testing.F) {
	for _, s := range []string{"name: a\n", "name: a\nextends: export-slump\nhorizon_years: 9\n", "model: {r2: {macro: 2}}\n",
		"a: &x [*x]\n", "- 1\n- 2\n", "name: [\n", "{\"scenario\":\"baseline\"}"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		srv := fuzzServer(t)
		ct := "application/yaml"
		if asJSON {
			ct = "application/json"
		}
		fuzzPost(t, srv, "/v1/scenarios/validate", ct, body)
	})
}
