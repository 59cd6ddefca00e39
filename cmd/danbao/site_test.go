package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/api"
)

// TestSite: danbao serve's router sends browsers' GET /, /ui and /static
// to the dashboard and every other path to the API, whose answers stay
// problem documents; the pages get the API's middleware (request id,
// security headers, an access-log line naming the session's key).
func TestSite(t *testing.T) {
	var logs bytes.Buffer // the requests are served in this goroutine (httptest.NewRecorder)
	const key = "site-test-admin-key-0123"
	cfg := api.Config{DataDir: t.TempDir(), Keys: []api.Key{{Secret: key, Role: api.RoleAdmin, Name: "admin"}},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	srv, err := api.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(t.Context())
	h := site(srv, cfg)
	serve := func(method, target string, hdr map[string]string, body string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	html := map[string]string{"Accept": "text/html"}
	bearer := map[string]string{"Authorization": "Bearer " + key}
	for _, tt := range []struct {
		method, path string
		hdr          map[string]string
		status       int
		ctype, want  string
	}{
		{"GET", "/", html, http.StatusSeeOther, "", ""}, // the dashboard, which sends a browser without a session to sign in
		{"GET", "/", nil, http.StatusOK, "application/json", `"openapi"`},
		{"GET", "/ui/login", html, http.StatusOK, "text/html", "<form"},
		{"GET", "/ui/nope", html, http.StatusNotFound, "text/html", "There is no page"},
		{"GET", "/static/style.css", nil, http.StatusOK, "text/css", ""},
		{"GET", "/v1/scenarios", bearer, http.StatusOK, "application/json", `"baseline"`},
		{"GET", "/v1/scenarios", nil, http.StatusUnauthorized, "application/problem+json", `"unauthorized"`},
		{"GET", "/healthz", nil, http.StatusOK, "application/json", `"ok"`},
		{"GET", "/nope", nil, http.StatusNotFound, "application/problem+json", "No endpoint /nope."},
		{"DELETE", "/healthz", nil, http.StatusMethodNotAllowed, "application/problem+json", "method_not_allowed"},
		{"POST", "/", nil, http.StatusMethodNotAllowed, "application/problem+json", "method_not_allowed"},
	} {
		w := serve(tt.method, tt.path, tt.hdr, "")
		if w.Code != tt.status || !strings.HasPrefix(w.Header().Get("Content-Type"), tt.ctype) || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s %s = %d %q %.80q; want %d %s with %q", tt.method, tt.path, w.Code, w.Header().Get("Content-Type"), w.Body.String(), tt.status, tt.ctype, tt.want)
		}
		if w.Header().Get("X-Request-Id") == "" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no request id or security headers: %v", tt.method, tt.path, w.Header())
		}
	}

	// Unknown paths keep the metric's "unmatched" route, not the mount's /*.
	if m := serve("GET", "/metrics", nil, "").Body.String(); !strings.Contains(m, `route="unmatched"`) || strings.Contains(m, `route="/*"`) {
		t.Errorf("/metrics: want the unknown paths under route=\"unmatched\", not \"/*\":\n%s", grepLines(m, "danbao_http"))
	}

	// A page signed in with the key: its access-log line names the key.
	w := serve("POST", "/ui/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, url.Values{"key": {key}}.Encode())
	if w.Code != http.StatusSeeOther || len(w.Result().Cookies()) == 0 {
		t.Fatalf("sign in = %d", w.Code)
	}
	c := w.Result().Cookies()[0]
	w = serve("GET", "/ui/runs", map[string]string{"Accept": "text/html", "Cookie": c.Name + "=" + c.Value, "X-Request-Id": "page-1"}, "")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /ui/runs signed in = %d %s", w.Code, w.Body)
	}
	found := false
	for _, l := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "http" && m["request_id"] == "page-1" {
			found = true
			if m["key"] != "admin" || m["path"] != "/ui/runs" {
				t.Errorf("the page's access-log line: %s; want key admin, path /ui/runs", l)
			}
		}
	}
	if !found {
		t.Errorf("no access-log line for the page request page-1:\n%s", logs.String())
	}
}

// grepLines is the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
