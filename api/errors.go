package api

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/models"
)

// Error is an error with a message meant for the client. Handlers return
// it (or an error wrapping a models category) and the adapter (Server.handle)
// writes it as a problem document. The cause, if any, is logged and never
// sent.
type Error struct {
	Status  int      // HTTP status; 0 means "from the category table"
	Code    string   // stable machine-readable code, e.g. "not_found"
	Message string   // one sentence for a person
	Fixes   []string // what the client can do about it
	// Problems lists row- or field-level problems of an input.
	Problems []Problem
	// RetryAfter, if positive, is sent as the Retry-After header (seconds).
	RetryAfter int
	err        error // cause; logged only
}

func (e *Error) Error() string {
	if e.err != nil {
		return e.Message + ": " + e.err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.err }

// Problem is one row or field of an input that was rejected, as listed in a
// problem document's "errors" member (api/dto).
type Problem = dto.Problem

// Errors the api itself raises, beyond the models categories.
var (
	errUnauthorized     = errors.New("unauthorized")
	errForbidden        = errors.New("forbidden")
	errBadRequest       = errors.New("bad request")
	errTooLarge         = errors.New("request too large")
	errUnsupportedMedia = errors.New("unsupported media type")
	errNotAcceptable    = errors.New("not acceptable")
	errQueueFull        = errors.New("queue full")
	errQuota            = errors.New("job quota of the key reached")
	errRateLimited      = errors.New("too many failed attempts")
	errBusy             = errors.New("server busy")
)

// statusTable maps errors to HTTP statuses and problem codes. It is the
// only place where errors meet HTTP (STYLE.md §4); the first entry that
// matches wins. A rejected input (a list of row or field problems) is a
// 422 whatever the categories of its problems.
var statusTable = []struct {
	match  func(error) bool
	status int
	code   string
	title  string
}{
	{is(errUnauthorized), http.StatusUnauthorized, "unauthorized", "Missing or unknown API key"},
	{is(errForbidden), http.StatusForbidden, "forbidden", "The API key's role does not allow this"},
	{is(errTooLarge), http.StatusRequestEntityTooLarge, "too_large", "Request body too large"},
	{isMaxBytes, http.StatusRequestEntityTooLarge, "too_large", "Request body too large"},
	{is(errUnsupportedMedia), http.StatusUnsupportedMediaType, "unsupported_media_type", "Unsupported content type"},
	{is(errNotAcceptable), http.StatusNotAcceptable, "not_acceptable", "No acceptable representation"},
	{is(errBadRequest), http.StatusBadRequest, "bad_request", "Malformed request"},
	{is(errQueueFull), http.StatusTooManyRequests, "queue_full", "Too many runs queued"},
	{is(errQuota), http.StatusTooManyRequests, "quota_exceeded", "The key's quota of concurrent jobs is used"},
	{is(errRateLimited), http.StatusTooManyRequests, "rate_limited", "Too many failed attempts"},
	{is(errBusy), http.StatusServiceUnavailable, "busy", "Server temporarily out of capacity"},
	{isInputProblems, http.StatusUnprocessableEntity, "invalid", "Invalid input"},
	{is(models.ErrNotFound), http.StatusNotFound, "not_found", "Not found"},
	{is(models.ErrConflict), http.StatusConflict, "conflict", "Conflict"},
	{is(models.ErrMissing), http.StatusUnprocessableEntity, "invalid", "Invalid input"},
	{is(models.ErrInvalid), http.StatusUnprocessableEntity, "invalid", "Invalid input"},
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

func isMaxBytes(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func isInputProblems(err error) bool {
	var pe *models.ProblemsError
	return errors.As(err, &pe)
}

// problemDoc is an RFC 9457 problem document with danbao's extension
// members code, message, fixes, errors and request_id (api/dto).
type problemDoc = dto.ProblemDoc

// maxProblems caps the rows listed in one problem document.
const maxProblems = 1000

// problemType is the base of the "type" URIs of danbao's problem documents.
const problemType = "https://github.com/wenzhou/danbao/blob/main/api/openapi.yaml#problem-"

// toProblem turns any error into the problem document sent to the client.
// Only text from *Error, from input problem lists, and from errors wrapping
// a client category (not found, invalid, conflict) reaches the client;
// anything else is "internal error".
func toProblem(err error) (problemDoc, *Error) {
	p := problemDoc{Status: http.StatusInternalServerError, Code: "internal", Title: "Internal server error",
		Message: "Internal error; the server logged it with the request id."}
	var ae *Error
	if !errors.As(err, &ae) {
		ae = nil
	}
	matched := false
	for _, row := range statusTable {
		if row.match(err) {
			p.Status, p.Code, p.Title = row.status, row.code, row.title
			matched = true
			break
		}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		p.Message = fmt.Sprintf("The request body is larger than this endpoint accepts (%d bytes).", mbe.Limit)
		p.Fixes = []string{"Send a smaller body, or ask the operator to raise the server's limit."}
	}
	if ae != nil {
		if ae.Status != 0 {
			p.Status = ae.Status
			p.Title = http.StatusText(ae.Status)
			matched = true
		}
		if ae.Code != "" {
			p.Code = ae.Code
		}
		p.Message = ae.Message
		p.Fixes = ae.Fixes
		p.Errors = ae.Problems
	} else if matched && mbe == nil {
		// A domain error wrapping a client category: its text is written for
		// users (e.g. "invalid: paths 0 not in 1..50000000").
		p.Message = publicText(err)
		p.Errors = problemsOf(err)
	}
	if !matched {
		p.Status, p.Code, p.Title = http.StatusInternalServerError, "internal", "Internal server error"
		p.Message = "Internal error; the server logged it with the request id."
		p.Fixes, p.Errors = nil, nil
	}
	if p.Errors == nil {
		p.Errors = problemsOf(err)
	}
	var pe *models.ProblemsError
	if errors.As(err, &pe) && pe.More > 0 {
		p.Total = pe.Total() // the reader kept the first models.MaxProblems
	}
	if len(p.Errors) > maxProblems {
		p.Total = max(p.Total, len(p.Errors))
		p.Errors = p.Errors[:maxProblems]
	}
	p.Type = problemType + p.Code
	p.Detail = p.Message
	return p, ae
}

// publicText is the client-facing text of a domain error. Input problem
// lists are summarized (the rows go to "errors"); other text is the error's
// own, which for models categories is written for users.
func publicText(err error) string {
	var pe *models.ProblemsError
	if errors.As(err, &pe) {
		return fmt.Sprintf("The input has %d problem(s); see errors.", pe.Total())
	}
	s := trimDetail(err.Error())
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return s
}

// problemsOf lists the places and reasons of the input problems (models'
// one problem type, from tables and scenario files alike) in err's tree.
func problemsOf(err error) []Problem {
	var ps models.Problems
	var pe *models.ProblemsError
	var fe *models.FieldError
	switch {
	case errors.As(err, &pe):
		ps = pe.Problems
	case errors.As(err, &fe):
		ps = models.Problems{fe}
	}
	var out []Problem
	for _, f := range ps {
		out = append(out, Problem{File: f.File, Row: f.Row, Line: f.Line, Column: cmp.Or(f.Field, f.Path), Value: f.Value, Reason: f.Reason})
	}
	return out
}

// writeProblem writes err as a problem document and logs it: client errors
// at debug level, server errors (with the cause) at error level.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p, ae := toProblem(err)
	p.Instance = r.URL.Path
	p.RequestID = requestID(r.Context())
	if ae != nil && ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	level := slog.LevelDebug
	if p.Status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "request failed", "request_id", p.RequestID, "status", p.Status,
		"code", p.Code, "err", err.Error())
	writeProblemDoc(w, p)
}

func writeProblemDoc(w http.ResponseWriter, p problemDoc) {
	h := w.Header()
	h.Del("Content-Length")
	h.Del("Content-Disposition")
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}

// handlerFunc is an http handler that returns its error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc: a returned error becomes a problem document.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			if rw, ok := w.(*statusWriter); ok && rw.wrote {
				// Headers are gone (a stream broke off): log and stop.
				s.log.Warn("response interrupted", "request_id", requestID(r.Context()), "err", err.Error())
				return
			}
			s.writeProblem(w, r, err)
		}
	}
}

// badRequest is a 400 with a message for the client.
func badRequest(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...), err: errBadRequest}
}

// notFound is a 404 naming what is missing.
func notFound(what, id string) *Error {
	return &Error{Message: fmt.Sprintf("No %s with id %q.", what, id), err: models.ErrNotFound,
		Fixes: []string{fmt.Sprintf("List the %ss to see the ids that exist.", what)}}
}

// trimDetail strips a category prefix like "invalid: " from a domain message.
func trimDetail(s string) string {
	for _, c := range []error{models.ErrInvalid, models.ErrMissing, models.ErrNotFound, models.ErrConflict} {
		s = strings.TrimPrefix(s, c.Error()+": ")
	}
	return s
}
