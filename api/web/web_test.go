package web_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wenzhou/danbao/api"
	"github.com/wenzhou/danbao/api/web"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/synth"
)

// Test keys: the pages act with the user's key, so the roles matter.
const (
	viewerKey  = "viewer-key-0123456789"
	analystKey = "analyst-key-0123456789"
)

var (
	smallOnce sync.Once
	smallPF   *models.Portfolio
	smallErr  error
)

// smallPortfolio is a 400-loan synthetic Wenzhou portfolio: runs of it
// take well under a second.
func smallPortfolio(t testing.TB) *models.Portfolio {
	t.Helper()
	smallOnce.Do(func() { smallPF, smallErr = synth.Generate(synth.Options{Loans: 400, Seed: 7}) })
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return smallPF
}

// testServer is the real API server with the pages in front, on loopback.
type testServer struct {
	*httptest.Server
	api *api.Server
}

// newTestServer starts the API (keys for a viewer and an analyst, a fresh
// data folder) with portfolio "example" = pf, and the web pages over it.
func newTestServer(t testing.TB, pf *models.Portfolio) *testServer {
	t.Helper()
	srv, err := api.NewServer(api.Config{DataDir: t.TempDir(), MaxConcurrentRuns: 1, Workers: 2, Keys: []api.Key{
		{Secret: viewerKey, Role: api.RoleViewer, Name: "viewer"},
		{Secret: analystKey, Role: api.RoleAnalyst, Name: "analyst"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.EnsurePortfolio(context.Background(), "example", "test portfolio", "synth", pf); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(site(srv)) // the pages as danbao serve has them: mounted beside the API's router
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &testServer{Server: ts, api: srv}
}

// site is srv with the pages mounted beside its router, as danbao serve
// has them (cmd/danbao/site.go; its TestSite checks that assembly).
func site(srv *api.Server) http.Handler {
	routes := srv.Routes()
	pages := web.New(routes, web.Options{Index: srv.Index(), Carry: srv.CarryKeys()})
	r := chi.NewRouter()
	pages.Mount(r, srv.Middlewares()...)
	r.Mount("/", routes)
	return r
}

// client is a browser-like client: it keeps cookies, does not follow
// redirects, and sends Accept: text/html. With a key, it has signed in.
func (ts *testServer) client(t testing.TB, key string) *http.Client {
	t.Helper()
	return signedIn(t, ts.URL, key)
}

// signedIn is a browser-like client of the server at base, signed in with
// key (unless key is "").
func signedIn(t testing.TB, base, key string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if key != "" {
		if resp, body := postForm(t, c, base+"/ui/login", url.Values{"key": {key}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in = %d\n%s", resp.StatusCode, body)
		}
	}
	return c
}

func get(t testing.TB, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	return do(t, c, req)
}

func postForm(t testing.TB, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	return do(t, c, req)
}

func do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// marks returns the data-marks of the chart with id, -1 if there is none.
func marks(html, id string) int {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `" data-marks="(\d+)"`).FindStringSubmatch(html)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestDashboard(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	c := ts.client(t, viewerKey)
	resp, body := get(t, c, ts.URL+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d\n%s", resp.StatusCode, body)
	}
	checkReadable(t, "dashboard", body)
	for _, want := range []string{"Portfolio today", "Targets today", `id="run-form"`, `<svg role="img"`, "Guarantors"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	for _, id := range []string{"county-balance", "guarantor-leverage"} {
		if n := marks(body, id); n <= 0 {
			t.Errorf("chart %s has %d marks, want > 0", id, n)
		}
	}
	if !strings.Contains(body, "✓") && !strings.Contains(body, "✗") {
		t.Error("dashboard shows no target check marks")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}

	// Static assets.
	for _, p := range []string{"/static/style.css", "/static/app.js"} {
		resp, body := get(t, c, ts.URL+p)
		if resp.StatusCode != http.StatusOK || len(body) < 100 {
			t.Errorf("GET %s = %d, %d bytes", p, resp.StatusCode, len(body))
		}
	}
	// A path that is not a page's reaches the API.
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/healthz", nil)
	if resp, body := do(t, c, req); resp.StatusCode != http.StatusOK || !strings.Contains(body, "ok") {
		t.Errorf("GET /healthz through the pages = %d %s", resp.StatusCode, body)
	}
	// An unknown page is a page, not the API's problem document.
	if resp, body := get(t, c, ts.URL+"/ui/nope"); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "There is no page") {
		t.Errorf("GET /ui/nope = %d", resp.StatusCode)
	}
}

// TestIndex: GET / is the dashboard for browsers and the API's JSON index
// for everyone else; unknown paths outside the pages stay problem documents.
func TestIndex(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	c := ts.client(t, viewerKey)
	for _, tt := range []struct {
		path, accept string
		status       int
		ctype, want  string
	}{
		{"/", "text/html,*/*;q=0.8", 200, "text/html", "Portfolio today"},
		{"/", "", 200, "application/json", `"openapi"`},
		{"/", "application/json", 200, "application/json", `"openapi"`},
		{"/nope", "text/html", 404, "application/problem+json", "No endpoint /nope"},
		{"/v1/scenarios", "", 401, "application/problem+json", "needs an API key"}, // the API ignores the pages' cookie
		{"/ui/nope", "text/html", 404, "text/html", "There is no page"},
		{"/static/nope.css", "", 404, "text/plain", "not found"},
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+tt.path, nil)
		if tt.accept != "" {
			req.Header.Set("Accept", tt.accept)
		}
		resp, body := do(t, c, req)
		if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.ctype) || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s (Accept %q) = %d %s, %.60q; want %d %s with %q", tt.path, tt.accept, resp.StatusCode,
				resp.Header.Get("Content-Type"), body, tt.status, tt.ctype, tt.want)
		}
	}
}

// TestStandalone puts the pages in front of the API as the whole server
// (web.New's handler, not mounted beside the API).
func TestStandalone(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	front := httptest.NewServer(web.New(ts.api, web.Options{}))
	defer front.Close()
	c := signedIn(t, front.URL, viewerKey)
	if resp, body := get(t, c, front.URL+"/"); resp.StatusCode != http.StatusOK || marks(body, "county-balance") <= 0 {
		t.Errorf("GET / = %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, front.URL+"/v1/scenarios", nil)
	req.Header.Set("Authorization", "Bearer "+viewerKey)
	if resp, body := do(t, c, req); resp.StatusCode != http.StatusOK || !strings.Contains(body, "baseline") {
		t.Errorf("GET /v1/scenarios through the pages = %d", resp.StatusCode)
	}
}

func TestLogin(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	c := ts.client(t, "")
	resp, _ := get(t, c, ts.URL+"/ui/runs")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/login?next=") {
		t.Fatalf("without a key GET /ui/runs = %d, Location %q; want 303 to the login page", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := postForm(t, c, ts.URL+"/ui/login", url.Values{"key": {"not-a-key-0123456789"}, "next": {"/ui/runs"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "does not know this key") {
		t.Errorf("login with a wrong key = %d", resp.StatusCode)
	}
	if strings.Contains(body, "/ui/logout") {
		t.Error("the login page offers to sign out")
	}
	checkReadable(t, "login page", body)
	resp, _ = postForm(t, c, ts.URL+"/ui/login", url.Values{"key": {viewerKey}, "next": {"//evil.example/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("login = %d, Location %q; want 303 to / (never off-site)", resp.StatusCode, resp.Header.Get("Location"))
	}
	var kc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "danbao_session" {
			kc = ck
		}
	}
	if kc == nil || !kc.HttpOnly || kc.SameSite != http.SameSiteStrictMode || kc.Secure || kc.MaxAge != 12*3600 {
		t.Fatalf("session cookie = %+v; want HttpOnly, SameSite=Strict, not Secure over plain HTTP, Max-Age 12 h", kc)
	}
	if strings.Contains(kc.Value, viewerKey) || len(kc.Value) != 64 {
		t.Errorf("session cookie value %q: want 64 hex digits of a random id, never the key", kc.Value)
	}
	if resp, _ := get(t, c, ts.URL+"/ui/runs"); resp.StatusCode != http.StatusOK {
		t.Errorf("after login GET /ui/runs = %d", resp.StatusCode)
	}
	// A viewer may look but not run: the API's 403 is shown on the form.
	resp, body = postForm(t, c, ts.URL+"/ui/runs", url.Values{"portfolio": {"example"}, "scenario": {"baseline"}, "paths": {"100"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "analyst") {
		t.Errorf("viewer starting a run = %d; want 403 naming the analyst role", resp.StatusCode)
	}
	if resp, _ := postForm(t, c, ts.URL+"/ui/logout", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout = %d", resp.StatusCode)
	}
	if resp, _ := get(t, c, ts.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout GET / = %d, want 303 to the login page", resp.StatusCode)
	}
	// Logout revokes the session on the server: a copy of the cookie
	// kept from before is worth nothing.
	stolen := signedIn(t, ts.URL, "")
	u, _ := url.Parse(ts.URL)
	stolen.Jar.SetCookies(u, []*http.Cookie{{Name: "danbao_session", Value: kc.Value, Path: "/"}})
	if resp, _ := get(t, stolen, ts.URL+"/ui/runs"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the signed-out session's cookie replayed: GET /ui/runs = %d, want 303 to the login page", resp.StatusCode)
	}
	// The old cookie with the raw key is not a credential any more.
	stolen.Jar.SetCookies(u, []*http.Cookie{{Name: "danbao_key", Value: viewerKey, Path: "/"}})
	if resp, _ := get(t, stolen, ts.URL+"/ui/runs"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("danbao_key cookie with a key: GET /ui/runs = %d, want 303 to the login page", resp.StatusCode)
	}
}

// TestLoginNext: after signing in, the browser goes to next only if it
// is a path on this site.
func TestLoginNext(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	for next, want := range map[string]string{
		"/ui/runs?state=failed": "/ui/runs?state=failed",
		"/\t/evil.example":      "/", // browsers drop the tab: //evil.example
		"/%09/evil.example":     "/", // the same, still encoded
		"//evil.example":        "/",
		"/\\evil.example":       "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"/ui/runs\r\nX: y":      "/",
		"":                      "/",
	} {
		c := signedIn(t, ts.URL, "")
		resp, body := postForm(t, c, ts.URL+"/ui/login", url.Values{"key": {viewerKey}, "next": {next}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("login with next=%q = %d, Location %q; want 303 to %q\n%s", next, resp.StatusCode, resp.Header.Get("Location"), want, body)
		}
		// The login page carries next only if it is local.
		if _, body := get(t, c, ts.URL+"/ui/login?next="+url.QueryEscape(next)); !strings.Contains(body, `name="next" value="`+html.EscapeString(want)+`"`) {
			t.Errorf("GET /ui/login?next=%q does not carry %q", next, want)
		}
	}
}

// TestSessionCookieSecure: the cookie is Secure when the page came over
// TLS, and behind a proxy that says so only when the proxy is trusted.
func TestSessionCookieSecure(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	for _, trust := range []bool{false, true} {
		front := httptest.NewServer(web.New(ts.api, web.Options{TrustProxy: trust}))
		req, _ := http.NewRequest(http.MethodPost, front.URL+"/ui/login", strings.NewReader(url.Values{"key": {viewerKey}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, _ := do(t, signedIn(t, front.URL, ""), req)
		front.Close()
		var secure bool
		for _, ck := range resp.Cookies() {
			if ck.Name == "danbao_session" {
				secure = ck.Secure
			}
		}
		if resp.StatusCode != http.StatusSeeOther || secure != trust {
			t.Errorf("TrustProxy %v, X-Forwarded-Proto https: login %d, Secure %v; want %v", trust, resp.StatusCode, secure, trust)
		}
	}
	tls := httptest.NewTLSServer(web.New(ts.api, web.Options{}))
	defer tls.Close()
	c := tls.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := postForm(t, c, tls.URL+"/ui/login", url.Values{"key": {viewerKey}})
	if cs := resp.Cookies(); resp.StatusCode != http.StatusSeeOther || len(cs) == 0 || !cs[0].Secure {
		t.Errorf("login over TLS = %d, cookies %v; want a Secure session cookie", resp.StatusCode, cs)
	}
}

// TestSessionExpiry: a session ends SessionTTL after sign-in.
func TestSessionExpiry(t *testing.T) {
	const ttl = 2 * time.Second
	ts := newTestServer(t, smallPortfolio(t))
	front := httptest.NewServer(web.New(ts.api, web.Options{SessionTTL: ttl}))
	defer front.Close()
	start := time.Now()
	c := signedIn(t, front.URL, viewerKey)
	u, _ := url.Parse(front.URL)
	var id string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "danbao_session" {
			id = ck.Value
		}
	}
	if resp, _ := get(t, c, front.URL+"/ui/runs"); resp.StatusCode != http.StatusOK && time.Since(start) < ttl {
		t.Fatalf("signed in: GET /ui/runs = %d", resp.StatusCode)
	}
	time.Sleep(time.Until(start.Add(ttl + 100*time.Millisecond)))
	// The browser drops the cookie (Max-Age); the server must not accept
	// a copy of it either.
	replay := signedIn(t, front.URL, "")
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: "danbao_session", Value: id, Path: "/"}})
	if resp, _ := get(t, replay, front.URL+"/ui/runs"); id == "" || resp.StatusCode != http.StatusSeeOther {
		t.Errorf("expired session %q: GET /ui/runs = %d, want 303 to the login page", id, resp.StatusCode)
	}
}

// TestLoginRateLimit: wrong keys from one client are limited; then even
// the right key waits (429 with Retry-After).
func TestLoginRateLimit(t *testing.T) {
	srv, err := api.NewServer(api.Config{DataDir: t.TempDir(), Keys: []api.Key{{Secret: viewerKey, Role: api.RoleViewer, Name: "viewer"}},
		AuthFailBurst: 3, AuthFailEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(site(srv))
	defer func() { ts.Close(); srv.Shutdown(context.Background()) }()
	c := signedIn(t, ts.URL, "")
	for i := range 3 {
		if resp, _ := postForm(t, c, ts.URL+"/ui/login", url.Values{"key": {"wrong-key-0123456789"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong key %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp, body := postForm(t, c, ts.URL+"/ui/login", url.Values{"key": {viewerKey}})
	if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != http.StatusTooManyRequests || ra < 1 || !strings.Contains(body, "Too many") {
		t.Errorf("after 3 wrong keys, the right one: %d, Retry-After %q; want 429 with a wait\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

func TestCrossSitePost(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	c := ts.client(t, analystKey)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/ui/runs", strings.NewReader("paths=10"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	if resp, _ := do(t, c, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /ui/runs = %d, want 403", resp.StatusCode)
	}
}

func TestRunFormErrors(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	c := ts.client(t, analystKey)
	for _, tt := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"paths not a number", url.Values{"paths": {"many"}}, http.StatusUnprocessableEntity, "Paths: &#34;many&#34; is not a whole number"},
		{"unknown scenario", url.Values{"scenario": {"no-such-scenario"}, "paths": {"10"}}, http.StatusUnprocessableEntity, "no-such-scenario"},
		{"bad override", url.Values{"paths": {"10"}, "overrides": {"policy.nope=1"}}, http.StatusUnprocessableEntity, "policy.nope"},
		{"too many paths", url.Values{"paths": {"100000000"}}, 0, "100000000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := postForm(t, c, ts.URL+"/ui/runs", tt.form)
			if resp.StatusCode/100 != 4 || (tt.status != 0 && resp.StatusCode != tt.status) {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if !strings.Contains(body, `class="problem"`) || !strings.Contains(body, tt.want) {
				t.Errorf("page lacks the problem %q", tt.want)
			}
			if !strings.Contains(body, `id="run-form"`) {
				t.Error("the form is not shown again")
			}
		})
	}
}

// waitRun polls the status route of the pages until the run ends.
func waitRun(t testing.TB, ts *testServer, c *http.Client, id string) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/ui/runs/"+id+"/status", nil)
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
	t.Fatal("run did not finish in 2 minutes")
	return ""
}

func TestRunPages(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	c := ts.client(t, analystKey)
	resp, body := postForm(t, c, ts.URL+"/ui/runs", url.Values{"portfolio": {"example"}, "scenario": {"baseline"},
		"paths": {"2,000"}, "seed": {"3"}, "horizon": {"2"}, "overrides": {"# comment\npolicy.bank_share=0.3\n"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /ui/runs = %d\n%s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	id := strings.TrimPrefix(loc, "/ui/runs/")
	if id == loc || id == "" {
		t.Fatalf("Location %q", loc)
	}
	if state := waitRun(t, ts, c, id); state != "succeeded" {
		t.Fatalf("run %s %s", id, state)
	}
	resp, body = get(t, c, ts.URL+loc)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d\n%s", loc, resp.StatusCode, body)
	}
	checkReadable(t, "result page", body)
	for _, want := range []string{"policy.bank_share=0.3", "2,000 paths", `id="heat"`, "County outlays", "Risk contributions",
		"City projection", "report.html", "paths.csv", "targets.csv"} {
		if !strings.Contains(body, want) {
			t.Errorf("result page lacks %q", want)
		}
	}
	for _, id := range []string{"loss-hist", "party-loss", "outlays", "contrib-county", "contrib-guarantor", "contrib-industry"} {
		if n := marks(body, id); n <= 0 {
			t.Errorf("chart %s has %d marks, want > 0", id, n)
		}
	}
	if strings.Contains(body, `id="contagion"`) {
		t.Error("result page of a portfolio without links shows the guarantee-chain block")
	}
	if n := strings.Count(body, `<td class="h`); n < 10 {
		t.Errorf("heat table has %d cells", n)
	}

	// Downloads pass through the API with the user's key.
	resp, csv := get(t, c, ts.URL+loc+"/download/paths.csv")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(csv, "path,loss_total") || strings.Count(csv, "\n") != 2001 {
		t.Errorf("paths.csv = %d, %d lines, starts %.40q", resp.StatusCode, strings.Count(csv, "\n"), csv)
	}
	resp, doc := get(t, c, ts.URL+loc+"/download/result.json")
	if resp.StatusCode != http.StatusOK || !strings.Contains(doc, `"schema": "danbao.result/v1"`) && !strings.Contains(doc, `"schema":"danbao.result/v1"`) {
		t.Errorf("result.json = %d %.80q", resp.StatusCode, doc)
	}
	if resp, _ := get(t, c, ts.URL+loc+"/download/targets.csv"); resp.StatusCode != http.StatusOK {
		t.Errorf("targets.csv = %d", resp.StatusCode)
	}
	resp, rep := get(t, c, ts.URL+loc+"/report.html")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("report.html = %d, %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	checkSelfContained(t, rep)
	checkReadable(t, "run report", rep)
	if n := marks(rep, "loss-hist"); n <= 0 {
		t.Errorf("report histogram has %d marks", n)
	}
	saveArtifact(t, "run-report.html", []byte(rep))

	// Runs list and the dashboard list the run.
	if _, body := get(t, c, ts.URL+"/ui/runs"); !strings.Contains(body, id) {
		t.Error("runs page lacks the run")
	}
	// Cancel of a finished run: the API's conflict is shown.
	if resp, body := postForm(t, c, ts.URL+loc+"/cancel", nil); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already ended") {
		t.Errorf("cancel of a finished run = %d", resp.StatusCode)
	}
	if resp, _ := get(t, c, ts.URL+"/ui/runs/run_doesnotexist"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown run = %d", resp.StatusCode)
	}
}

// checkSelfContained fails unless html loads nothing from elsewhere.
func checkSelfContained(t *testing.T, html string) {
	t.Helper()
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script`), regexp.MustCompile(`<link[^>]*stylesheet`), regexp.MustCompile(`\ssrc=`),
		regexp.MustCompile(`url\(\s*['"]?http`), regexp.MustCompile(`href="https?:`), regexp.MustCompile(`@import`),
	} {
		if loc := bad.FindStringIndex(html); loc != nil {
			t.Errorf("report is not self-contained: %q at %d", html[loc[0]:min(loc[1]+40, len(html))], loc[0])
		}
	}
	if !strings.Contains(html, "<style>") || !strings.Contains(html, "<svg") {
		t.Error("report lacks its inline style or charts")
	}
}

// saveArtifact writes b to DANBAO_SCREENSHOTS (if set), for people to look at.
func saveArtifact(t testing.TB, name string, b []byte) {
	t.Helper()
	dir := os.Getenv("DANBAO_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
