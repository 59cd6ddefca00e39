package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wenzhou/danbao/api/dto"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configures a Handler. The zero value is valid.
type Options struct {
	// Index serves GET / to clients that do not ask for HTML (curl, the
	// API's own clients): the API's JSON index. nil serves the dashboard
	// to everyone.
	Index http.Handler
	// Logger receives errors the pages could not show. Default: discard.
	Logger *slog.Logger
	// Carry lists the context keys whose values the in-process API
	// requests keep from the page request (danbao serve: the access-log
	// record, so the page's log line names the signed-in key). Every other
	// value is dropped (see detached).
	Carry []any
	// TrustProxy believes a reverse proxy's X-Forwarded-Proto: https
	// makes the session cookie Secure, as a request over TLS does.
	TrustProxy bool
	// SessionTTL is how long a sign-in lasts. Default 12 h.
	SessionTTL time.Duration
}

// Handler serves danbao's web pages. It reaches the service only through
// the API handler it is given, with the user's credentials: every page is
// rendered from the JSON (and CSV) the API answers, so the pages can do
// exactly what the user's key may do, and nothing else. A Handler is safe
// for concurrent use.
//
// Routes:
//
//	GET  /                              dashboard: portfolio position, run form, recent runs
//	GET  /static/…                      style sheet and script
//	GET  /ui/login, POST /ui/login      sign in with an API key (a server-side session); POST /ui/logout ends it
//	GET  /ui/runs                       runs
//	GET  /ui/runs/new                   the form to start a run; POST /ui/runs starts it
//	GET  /ui/sweeps/new, /ui/topups/new the forms to start a sweep, a top-up; POST /ui/sweeps, /ui/topups
//	GET  /ui/runs/{id}                  live progress, then the result
//	GET  /ui/runs/{id}/status           the run's status (JSON), polled by the progress page
//	POST /ui/runs/{id}/cancel           cancel; POST /ui/runs/{id}/resubmit starts it again
//	GET  /ui/runs/{id}/report.html      the result as one self-contained HTML file
//	GET  /ui/runs/{id}/download/{what}  result.json, paths.csv, or a table: targets.csv, …
//	GET  /ui/sweeps/{id}, /ui/topups/{id}  a sweep's or top-up's progress, then its result
//	     (…/status, …/cancel and …/resubmit as for runs)
//
// Any other path goes to the API handler, so a Handler can also stand in
// front of the API as the whole server. danbao serve mounts it beside the
// API instead (Mount, cmd/danbao/site.go): GET /, /static/ and /ui/ come
// here and every other path goes to the API's router.
type Handler struct {
	api   http.Handler
	opts  Options
	log   *slog.Logger
	mux   *http.ServeMux
	pages map[string]*template.Template
	fonts *chartFonts
	// sessions holds the sign-ins; the cookie carries only a session id.
	sessions *sessionStore

	cacheMu sync.Mutex
	cache   []cachedView // most recent last
}

// cachedView is a rendered result; results never change once a job has
// succeeded, so the page reuses it after checking the job's status with
// the user's key.
type cachedView struct {
	id   string
	view *resultView
}

const maxCached = 16

// New returns the web pages over api, the service's JSON API handler.
func New(api http.Handler, opts Options) *Handler {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	h := &Handler{api: api, opts: opts, log: opts.Logger, mux: http.NewServeMux(), fonts: loadFonts(),
		sessions: newSessionStore(opts.SessionTTL, maxSessions)}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.fonts.err != nil {
		h.log.Warn("charts: CJK font not usable; English labels only", "err", h.fonts.err.Error())
	}
	h.pages = parsePages()
	csrf := http.NewCrossOriginProtection()
	post := func(pattern string, f http.HandlerFunc) { h.mux.Handle("POST "+pattern, csrf.Handler(f)) }

	h.mux.HandleFunc("GET /{$}", h.dashboard)
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(http.FileServerFS(static))))
	h.mux.HandleFunc("GET /ui/login", h.loginPage)
	post("/ui/login", h.login)
	post("/ui/logout", h.logout)
	h.mux.HandleFunc("GET /ui/runs", h.runsPage)
	h.mux.HandleFunc("GET /ui/glossary", h.glossaryPage)
	for _, kind := range []string{"runs", "sweeps", "topups", "solves"} {
		h.mux.HandleFunc("GET /ui/"+kind+"/new", h.newJobPage(kind))
		post("/ui/"+kind, h.startJob(kind))
	}
	h.mux.HandleFunc("GET /ui/runs/{id}", h.runPage)
	h.mux.HandleFunc("GET /ui/runs/{id}/report.html", h.runReport)
	h.mux.HandleFunc("GET /ui/runs/{id}/download/{what}", h.download)
	for kind := range jobPages {
		h.mux.HandleFunc("GET /ui/"+kind+"/{id}", h.jobPage(kind))
	}
	for _, kind := range []string{"runs", "sweeps", "topups", "solves"} {
		h.mux.HandleFunc("GET /ui/"+kind+"/{id}/status", h.jobStatus(kind))
		post("/ui/"+kind+"/{id}/cancel", h.jobAction(kind, "cancel"))
		post("/ui/"+kind+"/{id}/resubmit", h.jobAction(kind, "resubmit"))
	}
	h.mux.HandleFunc("GET /ui/calibration", h.calibrationPage) // calibration.go
	post("/ui/calibration", h.calibrationPost)
	h.mux.HandleFunc("GET /ui/reverse", h.reversePage) // reverse.go
	post("/ui/reverse", h.reversePost)
	h.mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, newProblem(http.StatusNotFound, "There is no page "+r.URL.Path+"."))
	})
	return h
}

// Mount adds the pages to r, beside the API: GET / and every path under
// /ui and /static, through mw (the API's own middleware: request ids, the
// access log, security headers). The API's router takes r's other paths
// (danbao serve mounts it at /, cmd/danbao/site.go).
func (h *Handler) Mount(r chi.Router, mw ...func(http.Handler) http.Handler) {
	r.Group(func(r chi.Router) {
		r.Use(mw...)
		r.Get("/", h.ServeHTTP)
		r.Mount("/ui", h)
		r.Mount("/static", h)
	})
}

// ServeHTTP serves a page, or passes a path that is not a page's to the API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/":
		if h.opts.Index != nil && !wantsHTML(r) {
			h.opts.Index.ServeHTTP(w, r)
			return
		}
	case strings.HasPrefix(p, "/ui/") || strings.HasPrefix(p, "/static/"):
	default:
		h.api.ServeHTTP(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}

// wantsHTML reports whether the client prefers HTML: browsers send
// Accept: text/html first.
func wantsHTML(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/html", "application/xhtml+xml":
			return true
		case "application/json", "application/problem+json":
			return false
		}
	}
	return false
}

func staticHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		next.ServeHTTP(w, r)
	})
}

// authorize copies the user's credentials from the page request src to
// the API request dst: an Authorization or X-API-Key header as sent, or
// the key of the session named by the cookie.
func (h *Handler) authorize(dst, src *http.Request) {
	switch {
	case src.Header.Get("Authorization") != "":
		dst.Header.Set("Authorization", src.Header.Get("Authorization"))
	case src.Header.Get("X-API-Key") != "":
		dst.Header.Set("X-API-Key", src.Header.Get("X-API-Key"))
	default:
		if c, err := src.Cookie(sessionCookie); err == nil {
			if key, ok := h.sessions.key(c.Value, time.Now()); ok {
				dst.Header.Set("Authorization", "Bearer "+key)
			}
		}
	}
}

// apiRequest is a request to the API on behalf of the page request r.
func (h *Handler) apiRequest(r *http.Request, method, path string, body []byte, ctype, accept string) *http.Request {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(detached{r.Context(), h.opts.Carry}, method, path, rd) // path is ours: it parses
	req.RemoteAddr, req.Host, req.Proto = r.RemoteAddr, r.Host, r.Proto
	if body != nil {
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", ctype)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	h.authorize(req, r)
	return req
}

// detached is the context of an in-process API request: the page
// request's deadline and cancellation, but none of its values except
// those under the keys in carry (Options.Carry). The API must route and
// authenticate the request afresh: a router's state left in the page
// request's context (chi reuses a route context it finds, and its method)
// would misroute it.
type detached struct {
	parent context.Context
	carry  []any
}

func (d detached) Deadline() (time.Time, bool) { return d.parent.Deadline() }
func (d detached) Done() <-chan struct{}       { return d.parent.Done() }
func (d detached) Err() error                  { return d.parent.Err() }
func (d detached) Value(k any) any {
	for _, c := range d.carry {
		if c == k {
			return d.parent.Value(k)
		}
	}
	return nil
}

// recorder is an in-process http.ResponseWriter. Once the status is
// known, a 2xx body goes to sink (if set) and any other body is kept.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	sink   io.Writer
	err    error // first error of sink
}

func newRecorder(sink io.Writer) *recorder { return &recorder{header: http.Header{}, sink: sink} }

func (rc *recorder) Header() http.Header { return rc.header }

func (rc *recorder) WriteHeader(code int) {
	if rc.status == 0 {
		rc.status = code
	}
}

func (rc *recorder) Write(p []byte) (int, error) {
	if rc.status == 0 {
		rc.status = http.StatusOK
	}
	if rc.sink != nil && rc.status/100 == 2 {
		if rc.err != nil {
			return 0, rc.err
		}
		n, err := rc.sink.Write(p)
		if err != nil {
			rc.err = err
		}
		return n, err
	}
	return rc.body.Write(p)
}

// apiError is an answer of the API other than 2xx: its problem document
// (api/dto; Status is the answer's HTTP status), or a problem of the
// pages' own (newProblem).
type apiError struct {
	dto.ProblemDoc
	// RetryAfter is the answer's Retry-After header (a 429, a 503).
	RetryAfter string `json:"-"`
}

// newProblem is a problem of the pages' own with an HTTP status.
func newProblem(status int, message string) *apiError {
	return &apiError{ProblemDoc: dto.ProblemDoc{Status: status, Message: message}}
}

func (e *apiError) Error() string { return fmt.Sprintf("API %d %s: %s", e.Status, e.Code, e.Message) }

// call sends an API request on behalf of r and decodes a JSON answer into
// out (if not nil). A non-2xx answer is an *apiError.
func (h *Handler) call(r *http.Request, method, path string, body []byte, out any) error {
	ctype := ""
	if body != nil {
		ctype = "application/json"
	}
	rc := newRecorder(nil)
	h.api.ServeHTTP(rc, h.apiRequest(r, method, path, body, ctype, "application/json"))
	if err := problemOf(rc); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rc.body.Bytes(), out); err != nil {
		return fmt.Errorf("web: decode %s %s: %w", method, path, err)
	}
	return nil
}

// stream sends a GET on behalf of r and copies a 2xx body to sink.
func (h *Handler) stream(r *http.Request, path, accept string, sink io.Writer) error {
	rc := newRecorder(sink)
	h.api.ServeHTTP(rc, h.apiRequest(r, http.MethodGet, path, nil, "", accept))
	if err := problemOf(rc); err != nil {
		return err
	}
	return rc.err
}

func problemOf(rc *recorder) error {
	if rc.status == 0 {
		rc.status = http.StatusOK
	}
	if rc.status/100 == 2 {
		return nil
	}
	e := newProblem(rc.status, "")
	if json.Unmarshal(rc.body.Bytes(), e) != nil || e.Message == "" {
		e.Message = http.StatusText(rc.status)
	}
	e.Status = rc.status
	e.RetryAfter = rc.header.Get("Retry-After")
	return e
}

// formError is err as the problem a form page shows beside the form: the
// API's own problem as it came, anything else a 400 with err's message.
func formError(err error) *apiError {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = newProblem(http.StatusBadRequest, err.Error())
	}
	return ae
}

// renderForm shows the form page of template name with err, if not nil,
// beside the form as its problem (formError), whose status then replaces
// status.
func (h *Handler) renderForm(w http.ResponseWriter, r *http.Request, status int, name string, p page, err error) {
	if err != nil {
		p.Error = formError(err)
		status = p.Error.Status
	}
	h.render(w, r, status, name, p)
}

// fail shows err as a page: a missing or refused key goes to the login
// page, an API problem shows its message and fixes, anything else is
// logged and shown as an internal error.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		h.log.Error("web page", "path", r.URL.Path, "err", err.Error())
		ae = newProblem(http.StatusInternalServerError, "The page could not be made; the server log says why.")
	}
	if ae.Status == http.StatusUnauthorized {
		if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/status") {
			http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
	}
	if strings.HasSuffix(r.URL.Path, "/status") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ae.Status)
		_ = json.NewEncoder(w).Encode(map[string]any{"state": "error", "status": ae.Status, "message": ae.Message})
		return
	}
	h.render(w, r, ae.Status, "error.html", page{Title: "Error 出错", Error: ae})
}

// page is the data every page template gets.
type page struct {
	Title   string
	Nav     string // "dashboard", "runs", "new"
	Error   *apiError
	Refresh bool // reload every few seconds without JavaScript
	Data    any
}

// render executes page template name with data.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := h.pages[name]
	if !ok {
		panic("web: no template " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("web: render", "template", name, "err", err.Error())
		http.Error(w, "The page could not be drawn.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// pageNames are the page templates; each defines "content" for layout.html.
var pageNames = []string{"dashboard.html", "runs.html", "newrun.html", "run.html", "login.html", "error.html", "sweep.html", "topup.html", "solve.html", "glossary.html", "calibration.html", "reverse.html"}

func parsePages() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html"))
	pages := map[string]*template.Template{}
	for _, n := range pageNames {
		pages[n] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+n))
	}
	return pages
}

// funcs are the template functions.
var funcs = template.FuncMap{
	"pct":    func(x float64) string { return fmtPct(x, 1) },
	"num":    fmtNum,
	"levels": func() []string { return []string{"95 %", "99 %", "99.9 %"} },
	"inc":    func(i int) int { return i + 1 },
	"deref":  func(p *float64) float64 { return *p },
	"count": func(n any) string {
		switch n := n.(type) {
		case int:
			return fmtNum(float64(n), 0)
		case int64:
			return fmtNum(float64(n), 0)
		}
		return fmt.Sprint(n)
	},
	"sweepParties": func() []string {
		out := make([]string, len(sweepParties))
		for i, k := range sweepParties {
			out[i] = partyName(k).ZH
		}
		return out
	},
	"css":      func(s string) template.CSS { return template.CSS(s) },
	"term":     term,
	"bi":       bi,
	"glossary": func() []glossaryTerm { return glossary },
}

// localPath returns next if it is a path on this server, else "/". A
// path here starts with one "/" and holds printable ASCII only: no "\\"
// (browsers read it as "/"), no control characters (browsers drop tabs
// and newlines, so "/\t/evil.example" would become "//evil.example", a
// host), no spaces, and it parses as a URL without scheme or host whose
// decoded path has no control characters or "\\" either.
func localPath(next string) string {
	if len(next) == 0 || len(next) > 2048 || next[0] != '/' || len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") ||
		strings.ContainsFunc(u.Path, func(c rune) bool { return c < ' ' || c == 0x7f || c == '\\' }) {
		return "/"
	}
	return next
}
