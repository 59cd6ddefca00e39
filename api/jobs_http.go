package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/api/web"
	"github.com/wenzhou/danbao/models"
)

// jobKind is one kind of asynchronous job. Adding a kind (sweeps, top-ups)
// is a jobKind whose prepare turns the request body into a jobSpec, plus
// one mountJobs call in routes.
type jobKind struct {
	Name   string // "run"; job ids start with Name + "_"
	Prefix string // "/v1/runs"
	// prepare checks a request body (JSON) and returns the job to queue.
	// It is also called with the stored request on resubmission.
	prepare func(ctx context.Context, s *Server, body []byte) (*jobSpec, error)
	// links lists the kind's extra links of a succeeded job (name → URL).
	links func(rec *jobRecord) map[string]string
	// tables names the CSV tables a succeeded job may have, each stored as
	// NAME.csv among the output's attachments and served at
	// Prefix/{id}/tables/NAME.
	tables []string
}

// jobStatus, jobProgress and jobError are the status document of a job
// (api/dto, which the web pages read too).
type (
	jobStatus   = dto.JobStatus
	jobProgress = dto.JobProgress
	jobError    = dto.JobError
)

// status assembles rec's status, with live progress if it runs here.
func (s *Server) status(k *jobKind, rec *jobRecord) *jobStatus {
	st := &jobStatus{ID: rec.ID, Kind: rec.Kind, State: rec.State, Portfolio: rec.PortfolioID, Owner: rec.Owner,
		CreatedAt: fmtTime(rec.CreatedAt), StartedAt: fmtTime(rec.StartedAt), FinishedAt: fmtTime(rec.FinishedAt),
		EstimateBytes: rec.Estimate, ResubmitOf: rec.ResubmitOf, ResubmittedAs: rec.ResubmittedAs, Request: rec.Request,
		Progress: jobProgress{PathsTotal: rec.Units}}
	self := k.Prefix + "/" + rec.ID
	st.Links = map[string]string{"self": self}
	if frac, started, pos, ok := s.sched.liveStatus(rec.ID); ok {
		if pos > 0 {
			st.State, st.QueuePosition = dto.StateQueued, pos
		} else {
			st.State = dto.StateRunning
			st.StartedAt = fmtTime(started)
			el := time.Since(started)
			st.Progress.Fraction = frac
			st.Progress.ElapsedSeconds = el.Seconds()
			if eta, ok := etaOf(frac, el); ok {
				st.Progress.ETASeconds = &eta
			}
		}
		st.Links["cancel"] = self
	} else if finished(rec.State) {
		if !rec.StartedAt.IsZero() && !rec.FinishedAt.IsZero() {
			st.Progress.ElapsedSeconds = rec.FinishedAt.Sub(rec.StartedAt).Seconds()
		}
		if rec.State == dto.StateSucceeded {
			st.Progress.Fraction = 1
			zero := 0.0
			st.Progress.ETASeconds = &zero
			st.Links["result"] = self + "/result"
			if k.links != nil {
				for name, u := range k.links(rec) {
					st.Links[name] = u
				}
			}
			for _, t := range k.tables {
				if contains(rec.Files, t+".csv") {
					st.Links["table_"+t] = self + "/tables/" + t
				}
			}
		} else {
			st.Error = &jobError{Code: rec.ErrorCode, Message: rec.ErrorMessage}
			if rec.ResubmittedAs == "" {
				st.Links["resubmit"] = self + "/resubmit"
			}
		}
	}
	if rec.ResubmittedAs != "" {
		st.Links["resubmitted_as"] = k.Prefix + "/" + rec.ResubmittedAs
	}
	st.Progress.PathsDone = int64(st.Progress.Fraction * float64(rec.Units))
	return st
}

func (s *Server) startJob(w http.ResponseWriter, r *http.Request, k *jobKind) error {
	body, err := readJSONBody(r)
	if err != nil {
		return err
	}
	spec, err := k.prepare(r.Context(), s, body)
	if err != nil {
		return err
	}
	rec, err := s.sched.submit(r.Context(), spec, principalOf(r.Context()).Name, "")
	if err != nil {
		return err
	}
	s.log.Info("job queued", "request_id", requestID(r.Context()), "job", rec.ID, "kind", k.Name,
		"portfolio", rec.PortfolioID, "units", rec.Units, "estimate_bytes", rec.Estimate)
	w.Header().Set("Location", k.Prefix+"/"+rec.ID)
	return writeJSON(w, http.StatusAccepted, s.status(k, rec))
}

func (s *Server) resubmitJob(w http.ResponseWriter, r *http.Request, k *jobKind) error {
	old, err := s.jobToControl(r, k, "resubmit")
	if err != nil {
		return err
	}
	switch {
	case old.ResubmittedAs != "":
		return &Error{Message: fmt.Sprintf("The %s %s was resubmitted already as %s.", k.Name, old.ID, old.ResubmittedAs), err: models.ErrConflict,
			Fixes: []string{"Follow links.resubmitted_as."}}
	case old.State == dto.StateSucceeded || !finished(old.State):
		return &Error{Message: fmt.Sprintf("The %s %s is %s; only failed, cancelled or interrupted ones can be resubmitted.", k.Name, old.ID, old.State),
			err: models.ErrConflict}
	}
	if r.ContentLength > 0 {
		// The body is ignored, but must not be garbage.
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return err
		}
	}
	spec, err := k.prepare(r.Context(), s, old.Request)
	if err != nil {
		return err
	}
	rec, err := s.sched.submit(r.Context(), spec, principalOf(r.Context()).Name, old.ID)
	if err != nil {
		return err
	}
	s.log.Info("job queued", "request_id", requestID(r.Context()), "job", rec.ID, "kind", k.Name, "resubmit_of", old.ID)
	w.Header().Set("Location", k.Prefix+"/"+rec.ID)
	return writeJSON(w, http.StatusAccepted, s.status(k, rec))
}

// jobToControl loads the job named in the URL (jobOf) for the caller to
// control (verb: cancel or resubmit): only the job's owner (the key that
// started it, by name) or an admin may; anyone else gets 403.
func (s *Server) jobToControl(r *http.Request, k *jobKind, verb string) (*jobRecord, error) {
	rec, err := s.jobOf(r, k)
	if err != nil {
		return nil, err
	}
	p := principalOf(r.Context())
	if p != nil && (p.Role >= RoleAdmin || p.Name == rec.Owner) {
		return rec, nil
	}
	return nil, &Error{Message: fmt.Sprintf("Only the key that started the %s %s (%q) or an admin may %s it.", k.Name, rec.ID, rec.Owner, verb),
		err: errForbidden, Fixes: []string{"Ask its owner or an admin."}}
}

// jobOf loads the job named in the URL, checking it is of kind k: from the
// scheduler while it is queued or running here, else from the database.
func (s *Server) jobOf(r *http.Request, k *jobKind) (*jobRecord, error) {
	id := chi.URLParam(r, "id")
	if rec, ok := s.sched.record(id); ok && rec.Kind == k.Name {
		return rec, nil
	}
	rec, err := s.store.job(r.Context(), id)
	if errors.Is(err, models.ErrNotFound) || (err == nil && rec.Kind != k.Name) {
		return nil, notFound(k.Name, id)
	}
	if err == nil && !finished(rec.State) {
		// It was live a moment ago and has just ended: the row is final now.
		if _, live := s.sched.record(id); !live {
			rec, err = s.store.job(r.Context(), id)
		}
	}
	return rec, err
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, k *jobKind) error {
	rec, err := s.jobOf(r, k)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.status(k, rec))
}

// maxList bounds a job listing.
const maxList = 1000

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, k *jobKind) error {
	q := r.URL.Query()
	state := q.Get("state")
	if state != "" && !contains(allStates, state) {
		return &Error{Message: fmt.Sprintf("Unknown state %q.", state), err: errBadRequest,
			Fixes: []string{"Use one of queued, running, succeeded, failed, cancelled, interrupted."}}
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxList {
			return badRequest("limit %q is not a number in 1..%d.", v, maxList)
		}
		limit = n
	}
	recs, err := s.store.jobs(r.Context(), k.Name, state, limit)
	if err != nil {
		return err
	}
	out := make([]*jobStatus, len(recs))
	for i, rec := range recs {
		out[i] = s.status(k, rec)
	}
	return writeJSON(w, http.StatusOK, map[string]any{k.Name + "s": out})
}

// cancelJob cancels a queued or running job and answers with its status
// (state cancelled, or still running if it did not stop within 5 s).
func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request, k *jobKind) error {
	rec, err := s.jobToControl(r, k, "cancel")
	if err != nil {
		return err
	}
	live, err := s.sched.cancel(r.Context(), rec.ID, 5*time.Second)
	if err != nil {
		return err
	}
	if !live {
		if finished(rec.State) {
			return &Error{Message: fmt.Sprintf("The %s %s already ended (%s).", k.Name, rec.ID, rec.State), err: models.ErrConflict}
		}
		// Between the database read and the scheduler: it just ended.
	}
	if rec, err = s.store.job(r.Context(), rec.ID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.status(k, rec))
}

// getJobResult serves result.json of a succeeded job.
func (s *Server) getJobResult(w http.ResponseWriter, r *http.Request, k *jobKind) error {
	rec, err := s.jobOf(r, k)
	if err != nil {
		return err
	}
	switch negotiate(r.Header.Get("Accept"), "application/json", web.XLSXType) {
	case web.XLSXType:
		return s.serveWorkbook(w, rec, k)
	case "":
		return &Error{Message: "Results come as application/json or as an Excel workbook.", err: errNotAcceptable,
			Fixes: []string{"Send Accept: application/json, or Accept: " + web.XLSXType + "."}}
	}
	return s.serveJobFile(w, r, rec, resultFile, "application/json", "")
}

// getJobTable serves one of a job's tables as CSV.
func (s *Server) getJobTable(w http.ResponseWriter, r *http.Request, k *jobKind) error {
	rec, err := s.jobOf(r, k)
	if err != nil {
		return err
	}
	name := chi.URLParam(r, "table")
	if !contains(k.tables, name) {
		return &Error{Message: fmt.Sprintf("There is no table %q.", name), err: models.ErrNotFound,
			Fixes: []string{"Tables of a " + k.Name + ": " + strings.Join(k.tables, ", ") + "."}}
	}
	if negotiate(r.Header.Get("Accept"), "text/csv") == "" {
		return &Error{Message: "Tables come as text/csv.", err: errNotAcceptable, Fixes: []string{"Send Accept: text/csv."}}
	}
	if rec.State == dto.StateSucceeded && !contains(rec.Files, name+".csv") {
		return &Error{Message: fmt.Sprintf("The result of %s %s has no %s table.", k.Name, rec.ID, name), err: models.ErrNotFound,
			Fixes: []string{"The status lists the tables it has under links."}}
	}
	return s.serveJobFile(w, r, rec, name+".csv", "text/csv; charset=utf-8", rec.ID+"-"+name+".csv")
}

// serveJobFile serves one file of a succeeded job.
func (s *Server) serveJobFile(w http.ResponseWriter, r *http.Request, rec *jobRecord, name, ctype, download string) error {
	if rec.State != dto.StateSucceeded {
		return resultUnavailable(rec)
	}
	if !contains(rec.Files, name) {
		return &Error{Message: fmt.Sprintf("The %s %s has no %s.", rec.Kind, rec.ID, name), err: models.ErrNotFound}
	}
	f, err := os.Open(filepath.Join(s.store.jobDir(rec.ID), name))
	if err != nil {
		return fmt.Errorf("open %s of job %s: %w", name, rec.ID, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	if download != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": download}))
	}
	http.ServeContent(w, r, "", fi.ModTime(), f)
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
