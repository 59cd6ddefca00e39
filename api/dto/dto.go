// Package dto holds the JSON documents of danbao's HTTP API that more
// than one package reads: a job's status and its states, the problem
// document of an error, and the entries of the portfolio and scenario
// lists. Package api writes them and the web pages (api/web) read them,
// so the two agree by construction; api/openapi.yaml describes them.
//
// It holds types and constants only, and imports nothing of ours but
// models (for money in fen, models.Cents).
package dto

import (
	"encoding/json"

	"github.com/wenzhou/danbao/models"
)

// The states of a job. A job is queued, then running, then one of the
// four final states; an interrupted job (the server stopped while it was
// queued or running) can be resubmitted, as can a failed or cancelled one.
const (
	StateQueued      = "queued"
	StateRunning     = "running"
	StateSucceeded   = "succeeded"
	StateFailed      = "failed"
	StateCancelled   = "cancelled"
	StateInterrupted = "interrupted"
)

// States lists the job states in the order above.
var States = []string{StateQueued, StateRunning, StateSucceeded, StateFailed, StateCancelled, StateInterrupted}

// Finished reports whether state is final (neither queued nor running).
func Finished(state string) bool { return state != StateQueued && state != StateRunning }

// JobStatus is the JSON of GET /v1/runs/{id}, and of every job kind
// (sweeps, top-ups, solves) at its own prefix.
type JobStatus struct {
	ID            string            `json:"id"`
	Kind          string            `json:"kind"`  // "run", "sweep", "topup", "solve"
	State         string            `json:"state"` // one of States
	Portfolio     string            `json:"portfolio"`
	Owner         string            `json:"owner"`
	CreatedAt     string            `json:"created_at"` // RFC 3339, UTC
	StartedAt     string            `json:"started_at,omitempty"`
	FinishedAt    string            `json:"finished_at,omitempty"`
	Progress      JobProgress       `json:"progress"`
	QueuePosition int               `json:"queue_position,omitempty"` // 1 = next to start
	EstimateBytes int64             `json:"estimated_memory_bytes"`
	Error         *JobError         `json:"error,omitempty"` // a failed, cancelled or interrupted job
	ResubmitOf    string            `json:"resubmit_of,omitempty"`
	ResubmittedAs string            `json:"resubmitted_as,omitempty"`
	Request       json.RawMessage   `json:"request"` // the request as stored
	Links         map[string]string `json:"links"`   // name → URL: self, result, cancel, table_NAME…
}

// JobProgress is how far a job is: Fraction of its work units done
// (paths for a run), the seconds since it started and, once the rate is
// known, the seconds left (ETASeconds, null until then).
type JobProgress struct {
	Fraction       float64  `json:"fraction"`
	PathsDone      int64    `json:"paths_done"`
	PathsTotal     int64    `json:"paths_total"`
	ElapsedSeconds float64  `json:"elapsed_seconds"`
	ETASeconds     *float64 `json:"eta_seconds"`
}

// JobError is why a job did not succeed.
type JobError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Problem is one row or field of an input that was rejected, as listed in
// a problem document's "errors" member.
type Problem struct {
	File   string `json:"file,omitempty"`
	Row    int    `json:"row,omitempty"`    // 1-based, the header being row 1
	Line   int    `json:"line,omitempty"`   // scenario files
	Column string `json:"column,omitempty"` // table column or dotted scenario path
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// ProblemDoc is an RFC 9457 problem document with danbao's extension
// members code, message, fixes, errors and request_id: the body of every
// answer of the API that is not a success.
type ProblemDoc struct {
	Type      string    `json:"type"`
	Title     string    `json:"title"`
	Status    int       `json:"status"` // the HTTP status
	Detail    string    `json:"detail,omitempty"`
	Instance  string    `json:"instance,omitempty"`
	Code      string    `json:"code"`    // stable and machine-readable, e.g. "not_found"
	Message   string    `json:"message"` // one sentence for a person
	Fixes     []string  `json:"fixes,omitempty"`
	Errors    []Problem `json:"errors,omitempty"`
	Total     int       `json:"total_errors,omitempty"` // when errors is cut short
	RequestID string    `json:"request_id,omitempty"`
}

// Portfolio is the JSON of a portfolio (GET /v1/portfolios/{id}, and the
// entries of GET /v1/portfolios). Balance is the loans' outstanding
// balance in fen.
type Portfolio struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Source     string            `json:"source"`
	CreatedAt  string            `json:"created_at"`
	Owner      string            `json:"owner"`
	Loans      int               `json:"loans"`
	Guarantors int               `json:"guarantors"`
	AsOf       string            `json:"as_of,omitempty"`
	Balance    models.Cents      `json:"balance"`
	Files      []string          `json:"files"`
	Warnings   []string          `json:"warnings,omitempty"`
	Links      map[string]string `json:"links"`
}

// ScenarioInfo is an entry of GET /v1/scenarios.
type ScenarioInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Extends     string `json:"extends,omitempty"`
	Link        string `json:"link"`
}
