package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxPrincipal
	ctxAccess
)

// access is what the access log learns about a request while it is
// served. observe puts one in the context before any handler runs and
// authenticate fills in the caller, so the log line written at the end
// names the key even though the principal itself lives in a context that
// only the inner handlers see. A page request of the dashboard passes its
// access record on to the API requests it makes in-process (web.Options.
// Carry), so the page's own line names the key of its session too.
type access struct {
	id        string // the request id
	mu        sync.Mutex
	principal *principal
	parent    *access // the page request an in-process API request serves
	// unmatched is set by the router's not-found and method-not-allowed
	// handlers: no route took the request, whatever pattern a router it
	// is mounted in matched.
	unmatched bool
}

// unmatched records that no route of the API's router took r (its
// not-found and method-not-allowed handlers), for the access log and the
// latency metric's route label.
func unmatched(r *http.Request) {
	if a := accessOf(r.Context()); a != nil {
		a.unmatched = true
	}
}

func accessOf(ctx context.Context) *access {
	a, _ := ctx.Value(ctxAccess).(*access)
	return a
}

// setPrincipal records p as the caller of a and of the requests a serves.
func (a *access) setPrincipal(p *principal) {
	for ; a != nil; a = a.parent {
		a.mu.Lock()
		if a.principal == nil {
			a.principal = p
		}
		a.mu.Unlock()
	}
}

func (a *access) caller() *principal {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.principal
}

// metricMethods are the HTTP methods the latency metric names; any other
// method is counted as "other", so made-up methods cannot add series.
var metricMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// metricMethod is r's method as a metric label: one of metricMethods or "other".
func metricMethod(m string) string {
	for _, k := range metricMethods {
		if m == k {
			return k
		}
	}
	return "other"
}

// metricCode is a status as a metric label: the three digits, or "other"
// outside 100..599.
func metricCode(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

// requestID returns the id of the request being served, or "".
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

// newID returns prefix followed by n random bytes in hex.
func newID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return prefix + hex.EncodeToString(b)
}

// validRequestID accepts client-supplied ids that are short and printable.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status = code
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status = http.StatusOK
		w.wrote = true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if !w.wrote {
			w.status, w.wrote = http.StatusOK, true
		}
		f.Flush()
	}
}

// observe is the outermost middleware: it assigns the request id, recovers
// panics as a 500 problem document, logs one JSON line per request (with
// the request id and, once authenticated, the key's name and role) and
// records the HTTP latency metric. The metric's labels come from fixed
// sets, whatever the client sends: the method (metricMethod), the route
// pattern the router matched (never the raw path; "unmatched" for none)
// and the status.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newID("", 8)
		}
		w.Header().Set("X-Request-Id", id)
		acc := &access{id: id, parent: accessOf(r.Context())}
		ctx := context.WithValue(context.WithValue(r.Context(), ctxRequestID, id), ctxAccess, acc)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", id, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if !sw.wrote {
					s.writeProblem(sw, r, fmt.Errorf("panic: %v", v))
				}
			}
			route := chi.RouteContext(r.Context()).RoutePattern()
			if route == "" || acc.unmatched {
				route = "unmatched" // also under danbao serve's mount at /* (cmd/danbao/site.go)
			}
			d := time.Since(start)
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.httpLatency.WithLabelValues(metricMethod(r.Method), route, metricCode(status)).Observe(d.Seconds())
			attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path, "route", route,
				"status", status, "bytes", sw.bytes, "duration_ms", float64(d.Microseconds()) / 1000,
				"remote", r.RemoteAddr}
			if p := acc.caller(); p != nil {
				attrs = append(attrs, "key", p.Name, "role", p.Role.String())
			} else {
				attrs = append(attrs, "key", "")
			}
			if acc.parent != nil {
				attrs = append(attrs, "parent_request_id", acc.parent.id)
			}
			s.log.Info("http", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// securityHeaders sets headers every API response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// limitBody caps the request body at n bytes (http.MaxBytesReader); reading
// past it fails with *http.MaxBytesError, which the error table maps to 413.
// A declared Content-Length over the cap is refused before reading.
func (s *Server) limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				s.writeProblem(w, r, &Error{Message: fmt.Sprintf("The request body (%d bytes) is larger than this endpoint accepts (%d bytes).", r.ContentLength, n),
					Fixes: []string{"Send a smaller body, or ask the operator to raise the server's limit."}, err: errTooLarge})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}
