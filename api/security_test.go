package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wenzhou/danbao/api/web"
)

// serveRaw sends one request to srv in-process, without the OpenAPI
// checks of doAt (for answers the document does not list per operation,
// such as a rate limit's 429 or a refused Host).
func serveRaw(srv http.Handler, method, target, remote string, hdr map[string]string, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if remote != "" {
		r.RemoteAddr = remote
	}
	for k, v := range hdr {
		if k == "Host" {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w
}

// TestMetricsLabelsBounded: requests with made-up methods and paths, and
// no key, add no series: the method label is one of a fixed set ("other"
// for the rest) and the route is the router's pattern, never the path.
func TestMetricsLabelsBounded(t *testing.T) {
	srv, err := NewServer(Config{DataDir: t.TempDir(), Keys: testKeyList()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	scrape := func() (series int, size int) {
		w := serveRaw(srv, "GET", "/metrics", "", nil, "")
		size = w.Body.Len()
		sc := bufio.NewScanner(w.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "danbao_http_request_duration_seconds_count{") {
				series++
			}
		}
		return series, size
	}
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	hostile := func(i int) {
		method := fmt.Sprintf("X%dMETHOD", i)
		path := fmt.Sprintf("/v1/runs/%d/x%d", i, i)
		if i%3 == 0 {
			path = fmt.Sprintf("/no/such/%d", i)
		}
		serveRaw(srv, method, path, "", nil, "")
	}
	for i := range 100 {
		hostile(i)
	}
	scrape() // the scrape itself is a series
	series0, size0 := scrape()
	start := time.Now()
	for i := 100; i < n; i++ {
		hostile(i)
	}
	el := time.Since(start)
	series1, size1 := scrape()
	if series1 != series0 || series1 > 10 || size1 > size0+2000 {
		t.Errorf("HTTP latency series: %d after 100 made-up requests, %d after %d; /metrics %d then %d bytes; want no growth", series0, series1, n, size0, size1)
	}
	w := serveRaw(srv, "GET", "/metrics", "", nil, "")
	if !strings.Contains(w.Body.String(), `method="other"`) || strings.Contains(w.Body.String(), "METHOD") || strings.Contains(w.Body.String(), "/no/such") {
		t.Errorf("metrics name a made-up method or path:\n%s", grepLines(w.Body.String(), "danbao_http_request_duration_seconds_count"))
	}
	t.Logf("%d requests with made-up methods in %v; /metrics %d bytes after 100, %d after %d; %d latency series", n, el, size0, size1, n, series1)
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// syncBuffer is a bytes.Buffer for a logger written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(s.b.Bytes(), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// TestAccessLogNamesKey: every access-log line has the request id and
// the calling key's name, also for a dashboard page, which acts through
// its session.
func TestAccessLogNamesKey(t *testing.T) {
	var buf syncBuffer
	srv, err := NewServer(Config{DataDir: t.TempDir(), Keys: testKeyList(), Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	serveRaw(srv, "GET", "/v1/scenarios", "", map[string]string{"Authorization": "Bearer " + testKeys[RoleAnalyst], "X-Request-Id": "req-analyst-1"}, "")
	serveRaw(srv, "GET", "/v1/scenarios", "", map[string]string{"X-API-Key": testKeys[RoleViewer], "X-Request-Id": "req-viewer-1"}, "")
	serveRaw(srv, "GET", "/v1/scenarios", "", map[string]string{"X-Request-Id": "req-nokey-1"}, "")
	// A dashboard page: sign in, then GET /ui/runs with the session cookie.
	// The pages are mounted beside the API's router, as danbao serve has
	// them (cmd/danbao/site.go).
	pages := web.New(srv.Routes(), web.Options{Index: srv.Index(), Carry: srv.CarryKeys()})
	site := chi.NewRouter()
	pages.Mount(site, srv.Middlewares()...)
	site.Mount("/", srv.Routes())
	w := serveRaw(site, "POST", "/ui/login", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "key="+testKeys[RoleAdmin])
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", w.Code, w.Body)
	}
	cookie := w.Result().Cookies()[0]
	serveRaw(site, "GET", "/ui/runs", "", map[string]string{"Cookie": cookie.Name + "=" + cookie.Value, "Accept": "text/html", "X-Request-Id": "req-page-1"}, "")

	want := map[string]string{"req-analyst-1": "analyst", "req-viewer-1": "viewer", "req-nokey-1": "", "req-page-1": "admin"}
	seen := map[string]bool{}
	for _, l := range buf.lines(t) {
		if l["msg"] != "http" {
			continue
		}
		id, _ := l["request_id"].(string)
		key, hasKey := l["key"].(string)
		if id == "" || !hasKey {
			t.Errorf("access-log line without request_id or key: %v", l)
		}
		if k, ok := want[id]; ok {
			seen[id] = true
			if key != k {
				t.Errorf("request %s logged with key %q, want %q", id, key, k)
			}
		}
		if l["parent_request_id"] == "req-page-1" && key != "admin" {
			t.Errorf("the page's API request logged with key %q, want admin", key)
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("no access-log line for request %s", id)
		}
	}
}

func TestBearerCaseInsensitive(t *testing.T) {
	e := newEnv(t, nil)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		r := serveRaw(e.srv, "GET", "/v1/scenarios", "", map[string]string{"Authorization": scheme + " " + testKeys[RoleViewer]}, "")
		if r.Code != http.StatusOK {
			t.Errorf("Authorization: %s KEY → %d, want 200", scheme, r.Code)
		}
	}
	if r := serveRaw(e.srv, "GET", "/v1/scenarios", "", map[string]string{"Authorization": "Basic " + testKeys[RoleViewer]}, ""); r.Code != http.StatusUnauthorized {
		t.Errorf("Authorization: Basic KEY → %d, want 401", r.Code)
	}
}

// TestAuthRateLimit: after AuthFailBurst unknown keys one client is
// refused (429, Retry-After) even with a good key, until a token is back
// (TestFailLimiterBounded follows the refill on a clock of its own);
// other clients are not affected.
func TestAuthRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AuthFailBurst, c.AuthFailEvery = 3, time.Minute })
	bad := map[string]string{"Authorization": "Bearer not-a-key-0123456789"}
	good := map[string]string{"Authorization": "Bearer " + testKeys[RoleViewer]}
	for i := range 3 {
		if r := serveRaw(e.srv, "GET", "/v1/scenarios", "192.0.2.7:5000", bad, ""); r.Code != http.StatusUnauthorized {
			t.Fatalf("unknown key %d: %d, want 401", i+1, r.Code)
		}
	}
	r := serveRaw(e.srv, "GET", "/v1/scenarios", "192.0.2.7:5001", good, "")
	ra, _ := strconv.Atoi(r.Header().Get("Retry-After"))
	var p problemDoc
	_ = json.Unmarshal(r.Body.Bytes(), &p)
	if r.Code != http.StatusTooManyRequests || ra < 1 || ra > 61 || p.Code != "rate_limited" {
		t.Errorf("4th attempt: %d, Retry-After %q, code %q; want 429 rate_limited, wait ≤ 61 s", r.Code, r.Header().Get("Retry-After"), p.Code)
	}
	if r := serveRaw(e.srv, "GET", "/v1/scenarios", "198.51.100.9:5000", good, ""); r.Code != http.StatusOK {
		t.Errorf("another client: %d, want 200", r.Code)
	}
}

// TestFailLimiterBounded: the limiter tracks at most max clients, dropping
// refilled ones first.
func TestFailLimiterBounded(t *testing.T) {
	l := newFailLimiter(2, time.Minute, 3)
	now := time.Unix(0, 0)
	for i := range 1000 {
		l.fail(fmt.Sprintf("10.0.%d.%d", i/256, i%256), now)
		if len(l.clients) > 3 {
			t.Fatalf("after %d clients the limiter tracks %d", i+1, len(l.clients))
		}
	}
	l.fail("a", now)
	l.fail("a", now)
	if w := l.wait("a", now); w != time.Minute {
		t.Errorf("wait after 2 failures with burst 2: %v, want 1m", w)
	}
	if w := l.wait("a", now.Add(30*time.Second)); w != 30*time.Second {
		t.Errorf("wait half a refill later: %v, want 30s", w)
	}
	if w := l.wait("a", now.Add(time.Minute)); w != 0 {
		t.Errorf("wait a refill later: %v, want 0", w)
	}
	if a, b := clientAddr(&http.Request{RemoteAddr: "[2001:db8::1]:80"}, false), clientAddr(&http.Request{RemoteAddr: "[2001:db8::2]:80"}, false); a != b {
		t.Errorf("two addresses of one /64 count apart: %q, %q", a, b)
	}
	r := &http.Request{RemoteAddr: "127.0.0.1:80", Header: http.Header{"X-Forwarded-For": {"203.0.113.1, 192.0.2.5"}}}
	if a, b := clientAddr(r, false), clientAddr(r, true); a != "127.0.0.1" || b != "192.0.2.5" {
		t.Errorf("X-Forwarded-For: untrusted %q (want 127.0.0.1), trusted %q (want the proxy's peer 192.0.2.5)", a, b)
	}
}

// TestNoAuthLocalOnly: without keys the server answers only requests
// addressed to a loopback name, and refuses cross-site state changes.
func TestNoAuthLocalOnly(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Keys, c.NoAuth = nil, true })
	for host, want := range map[string]int{
		"127.0.0.1:8080": 200, "localhost:8080": 200, "LOCALHOST": 200, "[::1]:8080": 200, "127.0.0.1": 200,
		"evil.example": 403, "evil.example:8080": 403, "localhost.evil.example": 403, "10.0.0.1:8080": 403, "": 403,
	} {
		if r := serveRaw(e.srv, "GET", "/v1/portfolios", "", map[string]string{"Host": host}, ""); r.Code != want {
			t.Errorf("Host %q: %d, want %d", host, r.Code, want)
		}
	}
	body := `{"portfolio":"small","paths":100}`
	js := map[string]string{"Host": "127.0.0.1:8080", "Content-Type": "application/json"}
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "same-site"}} {
		for k, v := range js {
			h[k] = v
		}
		if r := serveRaw(e.srv, "POST", "/v1/runs", "", h, body); r.Code != http.StatusForbidden {
			t.Errorf("cross-site POST %v: %d, want 403", h, r.Code)
		}
	}
	same := map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:8080"}
	for k, v := range js {
		same[k] = v
	}
	if r := serveRaw(e.srv, "POST", "/v1/runs", "", same, body); r.Code != http.StatusAccepted {
		t.Errorf("same-origin POST: %d %s, want 202", r.Code, r.Body)
	}
	if r := serveRaw(e.srv, "POST", "/v1/runs", "", js, body); r.Code != http.StatusAccepted {
		t.Errorf("POST from a non-browser client (no Origin): %d %s, want 202", r.Code, r.Body)
	}
}

// TestJobOwnerOnly: only the key that started a job, or an admin, may
// cancel or resubmit it.
func TestJobOwnerOnly(t *testing.T) {
	const other = "analyst2-key-0123456789"
	e := newEnv(t, func(c *Config) {
		c.MaxConcurrentRuns = 1
		c.Keys = append(c.Keys, Key{Secret: other, Role: RoleAnalyst, Name: "analyst2"})
	})
	running := e.startRun(longRun())
	queued := e.startRun(longRun())
	for _, id := range []string{running.ID, queued.ID} {
		r := e.do(req{method: "DELETE", path: "/v1/runs/" + id, rawKey: other})
		if p := r.problem(t); r.status != http.StatusForbidden || !strings.Contains(p.Message, `"analyst"`) {
			t.Errorf("another analyst cancels %s: %d %q; want 403 naming the owner", id, r.status, p.Message)
		}
	}
	if r := e.do(req{method: "DELETE", path: "/v1/runs/" + queued.ID, role: RoleAdmin}); r.status != http.StatusOK {
		t.Errorf("admin cancels: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "POST", path: "/v1/runs/" + queued.ID + "/resubmit", rawKey: other}); r.status != http.StatusForbidden {
		t.Errorf("another analyst resubmits: %d, want 403", r.status)
	}
	if r := e.do(req{method: "DELETE", path: "/v1/runs/" + running.ID, role: RoleAnalyst}); r.status != http.StatusOK {
		t.Errorf("owner cancels: %d %s", r.status, r.body)
	}
	r := e.do(req{method: "POST", path: "/v1/runs/" + queued.ID + "/resubmit", role: RoleAnalyst})
	if r.status != http.StatusAccepted {
		t.Fatalf("owner resubmits: %d %s", r.status, r.body)
	}
	var again jobStatus
	r.json(t, &again)
	e.do(req{method: "DELETE", path: "/v1/runs/" + again.ID, role: RoleAnalyst})
}

// TestJobQuota: a key may have MaxJobsPerKey jobs queued or running; the
// next is a 429 naming the quota, while other keys still start jobs.
func TestJobQuota(t *testing.T) {
	const other = "analyst2-key-0123456789"
	e := newEnv(t, func(c *Config) {
		c.MaxConcurrentRuns, c.MaxJobsPerKey = 1, 2
		c.Keys = append(c.Keys, Key{Secret: other, Role: RoleAnalyst, Name: "analyst2"})
	})
	a := e.startRun(longRun())
	b := e.startRun(longRun())
	r := e.do(req{method: "POST", path: "/v1/runs", role: RoleAnalyst, ctype: "application/json", body: jsonBody(t, longRun())})
	p := r.problem(t)
	if r.status != http.StatusTooManyRequests || p.Code != "quota_exceeded" || !strings.Contains(p.Message, "quota is 2 per key") || r.header.Get("Retry-After") == "" {
		t.Errorf("third job of one key: %d %s %q; want 429 quota_exceeded naming the quota", r.status, p.Code, p.Message)
	}
	r = e.do(req{method: "POST", path: "/v1/runs", rawKey: other, ctype: "application/json", body: jsonBody(t, map[string]any{"portfolio": "small", "paths": 100})})
	if r.status != http.StatusAccepted {
		t.Errorf("another key's job: %d %s", r.status, r.body)
	}
	// A cancelled job frees its place in the quota.
	e.do(req{method: "DELETE", path: "/v1/runs/" + b.ID, role: RoleAnalyst})
	c := e.startRun(map[string]any{"portfolio": "small", "paths": 100})
	for _, id := range []string{a.ID, c.ID} {
		e.do(req{method: "DELETE", path: "/v1/runs/" + id, role: RoleAnalyst})
	}
}
