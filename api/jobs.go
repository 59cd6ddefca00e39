package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/models"
)

// A JobFunc does the work of one asynchronous job (a run, a sweep, a
// top-up). It reports progress as the fraction done, in [0, 1], from any
// goroutine, and returns the output, which the server stores as the job's
// result.json (encoding/json). An output that implements Attacher stores
// more files beside it. The JobFunc must return soon after ctx is done.
type JobFunc func(ctx context.Context, progress func(float64)) (any, error)

// An Attachment is one file of a job's output beside result.json, e.g. the
// per-path Arrow stream or a CSV table.
type Attachment struct {
	Name  string // file name, e.g. "paths.arrows"
	Write func(w io.Writer) error
}

// Attacher is implemented by job outputs that have files beside result.json.
type Attacher interface {
	Attachments() []Attachment
}

// tablesOutput is a finished job whose result.json is the document r (a
// sweep, a top-up, a solve) and whose attachments are tables(r).
type tablesOutput[T any] struct {
	r      T
	tables func(T) []Attachment
}

func (o *tablesOutput[T]) MarshalJSON() ([]byte, error) { return json.Marshal(o.r) }

func (o *tablesOutput[T]) Attachments() []Attachment { return o.tables(o.r) }

// jobSpec is a job ready to be queued: what to run and what it costs.
type jobSpec struct {
	Kind        string
	PortfolioID string
	Request     json.RawMessage // canonical request, stored for resubmission
	// Units is the work: paths simulated in all (a sweep's points × paths),
	// for progress and the paths/s metric.
	Units int64
	// Peak memory is estimated as Fixed + PerPath × Paths bytes, Paths being
	// the paths held in memory at once (a run's, or one sweep point's).
	Paths, Fixed, PerPath int64
	Run                   JobFunc
}

func (s *jobSpec) estimate() int64 { return s.Fixed + s.PerPath*s.Paths }

// liveJob is a queued or running job in this process.
type liveJob struct {
	rec      *jobRecord
	spec     *jobSpec
	ctx      context.Context
	cancel   context.CancelCauseFunc
	progress atomic.Uint64 // math.Float64bits of the fraction done
	started  time.Time     // zero while queued
	done     chan struct{}
}

func (j *liveJob) fraction() float64 { return math.Float64frombits(j.progress.Load()) }

// Causes of a job's cancellation.
var (
	errCancelledByClient = errors.New("cancelled by client")
	errShutdown          = errors.New("server shutting down")
)

// scheduler runs jobs: at most maxRunning at once, at most maxQueued
// waiting, FIFO, and never more estimated memory admitted (queued plus
// running) than budget.
type scheduler struct {
	srv        *Server
	maxRunning int
	maxQueued  int
	budget     int64

	mu        sync.Mutex
	pending   []*liveJob
	live      map[string]*liveJob // queued and running
	running   int
	reserved  int64 // estimated memory of admitted jobs
	inserting int   // admitted jobs whose row is being written
	draining  bool
	wg        sync.WaitGroup

	// The per-owner quota (Config.MaxJobsPerKey): maxPerOwner bounds the
	// jobs one owner (key name) has queued, running or being admitted;
	// 0 means no bound. insertingBy counts inserting by owner, under mu.
	maxPerOwner int
	insertingBy map[string]int
}

func newScheduler(srv *Server, maxRunning, maxQueued int, budget int64) *scheduler {
	return &scheduler{srv: srv, maxRunning: maxRunning, maxQueued: maxQueued, budget: budget, live: map[string]*liveJob{}}
}

// ownedLocked counts owner's jobs: queued, running and being admitted.
func (q *scheduler) ownedLocked(owner string) int {
	n := q.insertingBy[owner]
	for _, j := range q.live {
		if j.rec.Owner == owner {
			n++
		}
	}
	return n
}

// submit admits spec as a new job owned by owner (resubmitting the job
// resubmitOf, if not empty) and queues it. It refuses with 422 when the job
// could never fit the memory budget, 429 when the queue is full and 503
// when the budget is taken by other jobs or the server is draining, and
// with 429 when owner already has maxPerOwner jobs queued or running.
func (q *scheduler) submit(ctx context.Context, spec *jobSpec, owner, resubmitOf string) (*jobRecord, error) {
	est := spec.estimate()
	q.mu.Lock()
	switch {
	case q.draining:
		q.mu.Unlock()
		q.srv.metrics.rejected.WithLabelValues("draining").Inc()
		return nil, &Error{Message: "The server is shutting down and accepts no new jobs.", err: errBusy, RetryAfter: 30,
			Fixes: []string{"Retry in a minute, when the server has restarted."}}
	case est > q.budget:
		q.mu.Unlock()
		q.srv.metrics.rejected.WithLabelValues("too_large").Inc()
		e := &Error{Message: fmt.Sprintf("This %s would need about %s of memory; the server allows %s per job.", spec.Kind, mib(est), mib(q.budget)),
			err: models.ErrInvalid}
		if spec.PerPath > 0 && q.budget > spec.Fixed {
			e.Fixes = []string{fmt.Sprintf("Use at most %d paths, or split the run into shards by seed.", (q.budget-spec.Fixed)/spec.PerPath)}
		}
		return nil, e
	case len(q.pending)+q.inserting >= q.maxQueued:
		retry := q.retryAfterLocked()
		q.mu.Unlock()
		q.srv.metrics.rejected.WithLabelValues("queue_full").Inc()
		return nil, &Error{Message: fmt.Sprintf("%d jobs are already waiting; the queue is full.", q.maxQueued), err: errQueueFull,
			RetryAfter: retry, Fixes: []string{"Retry after the number of seconds in Retry-After."}}
	case q.maxPerOwner > 0 && q.ownedLocked(owner) >= q.maxPerOwner:
		retry := q.retryAfterLocked()
		q.mu.Unlock()
		q.srv.metrics.rejected.WithLabelValues("quota").Inc()
		return nil, &Error{Message: fmt.Sprintf("The key %q already has %d jobs queued or running; the quota is %d per key.", owner, q.maxPerOwner, q.maxPerOwner),
			err: errQuota, RetryAfter: retry, Fixes: []string{"Wait for a job to finish (or cancel one), then retry; the operator sets the quota with --max-jobs-per-key."}}
	case q.reserved+est > q.budget:
		retry := q.retryAfterLocked()
		q.mu.Unlock()
		q.srv.metrics.rejected.WithLabelValues("memory").Inc()
		return nil, &Error{Message: fmt.Sprintf("Jobs already admitted hold %s of the %s memory budget; this one needs %s.", mib(q.reserved), mib(q.budget), mib(est)),
			err: errBusy, RetryAfter: retry, Fixes: []string{"Retry after the number of seconds in Retry-After, or use fewer paths."}}
	}
	q.reserved += est
	q.inserting++
	if q.insertingBy == nil {
		q.insertingBy = map[string]int{}
	}
	q.insertingBy[owner]++
	q.mu.Unlock()

	rec := &jobRecord{ID: newID(spec.Kind+"_", 8), Kind: spec.Kind, State: dto.StateQueued, Request: spec.Request,
		PortfolioID: spec.PortfolioID, Owner: owner, CreatedAt: time.Now().UTC(), Estimate: est, Units: spec.Units,
		ResubmitOf: resubmitOf}
	var err error
	if resubmitOf != "" {
		err = q.srv.store.insertResubmission(ctx, rec)
	} else {
		err = q.srv.store.insertJob(ctx, rec)
	}
	q.mu.Lock()
	q.inserting--
	if q.insertingBy[owner]--; q.insertingBy[owner] <= 0 {
		delete(q.insertingBy, owner)
	}
	if err != nil || q.draining {
		q.reserved -= est
		q.gaugesLocked()
		q.mu.Unlock()
		if err != nil {
			return nil, err
		}
		// Drain began while the row was written: it will not run here.
		_ = q.srv.store.setJobState(context.Background(), rec.ID, dto.StateInterrupted, time.Now(), "interrupted",
			"The server shut down before the job started; resubmit it.", nil)
		q.srv.metrics.jobs.WithLabelValues(spec.Kind, dto.StateInterrupted).Inc()
		return nil, &Error{Message: "The server is shutting down and accepts no new jobs.", err: errBusy, RetryAfter: 30}
	}
	jctx, cancel := context.WithCancelCause(context.Background())
	j := &liveJob{rec: rec, spec: spec, ctx: jctx, cancel: cancel, done: make(chan struct{})}
	q.live[rec.ID] = j
	q.pending = append(q.pending, j)
	q.srv.metrics.jobs.WithLabelValues(spec.Kind, dto.StateQueued).Inc()
	q.dispatchLocked()
	q.gaugesLocked()
	q.mu.Unlock()
	return rec, nil
}

// reserve takes n bytes of the memory budget for work outside the queue
// (an upload being imported) and returns the function that gives them
// back. It refuses, as submit does, with 422 when n could never fit and
// 503 when jobs and other uploads hold the budget.
func (q *scheduler) reserve(what string, n int64) (release func(), err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case n > q.budget:
		q.srv.metrics.rejected.WithLabelValues("too_large").Inc()
		return nil, &Error{Message: fmt.Sprintf("This %s would need about %s of memory; the server allows %s.", what, mib(n), mib(q.budget)),
			err: models.ErrInvalid, Fixes: []string{"Send a smaller file, or ask the operator to raise --max-memory."}}
	case q.reserved+n > q.budget:
		q.srv.metrics.rejected.WithLabelValues("memory").Inc()
		return nil, &Error{Message: fmt.Sprintf("Jobs and uploads already admitted hold %s of the %s memory budget; this %s needs %s.", mib(q.reserved), mib(q.budget), what, mib(n)),
			err: errBusy, RetryAfter: q.retryAfterLocked(), Fixes: []string{"Retry after the number of seconds in Retry-After."}}
	}
	q.reserved += n
	q.gaugesLocked()
	return sync.OnceFunc(func() {
		q.mu.Lock()
		q.reserved -= n
		q.gaugesLocked()
		q.mu.Unlock()
	}), nil
}

// dispatchLocked starts queued jobs while there are free slots.
func (q *scheduler) dispatchLocked() {
	for q.running < q.maxRunning && len(q.pending) > 0 && !q.draining {
		j := q.pending[0]
		q.pending[0] = nil
		q.pending = q.pending[1:]
		q.running++
		j.started = time.Now()
		q.wg.Add(1)
		go q.execute(j)
	}
}

func (q *scheduler) gaugesLocked() {
	q.srv.metrics.queueDepth.Set(float64(len(q.pending)))
	q.srv.metrics.running.Set(float64(q.running))
	q.srv.metrics.memReserved.Set(float64(q.reserved))
}

// execute runs j and records its outcome.
func (q *scheduler) execute(j *liveJob) {
	defer q.wg.Done()
	s := q.srv
	kind, id := j.rec.Kind, j.rec.ID
	log := s.log.With("job", id, "kind", kind)
	if err := s.store.setJobState(context.Background(), id, dto.StateRunning, j.started, "", "", nil); err != nil {
		log.Error("record job start", "err", err.Error())
	}
	s.metrics.jobs.WithLabelValues(kind, dto.StateQueued).Dec()
	s.metrics.jobs.WithLabelValues(kind, dto.StateRunning).Inc()
	log.Info("job started", "units", j.spec.Units, "estimate_bytes", j.spec.estimate())

	out, err := q.call(j)
	var files []string
	if err == nil {
		files, err = q.storeOutput(j, out)
	}
	end := time.Now()
	state, code, msg := dto.StateSucceeded, "", ""
	switch {
	case err == nil:
	case errors.Is(context.Cause(j.ctx), errCancelledByClient):
		state, code, msg = dto.StateCancelled, "cancelled", "The job was cancelled."
	case errors.Is(context.Cause(j.ctx), errShutdown):
		state, code, msg = dto.StateInterrupted, "interrupted", "The server shut down before the job finished; resubmit it."
	default:
		p, _ := toProblem(err)
		state, code, msg = dto.StateFailed, p.Code, p.Message
		if code == "internal" {
			msg = "Internal error; the server logged the cause under the job's id."
		}
	}
	if err != nil {
		lvl := "info"
		if state == dto.StateFailed && code == "internal" {
			lvl = "error"
		}
		if lvl == "error" {
			log.Error("job failed", "err", err.Error())
		} else {
			log.Info("job stopped", "state", state, "err", err.Error())
		}
		if serr := s.store.setJobState(context.Background(), id, state, end, code, msg, nil); serr != nil {
			log.Error("record job end", "err", serr.Error())
		}
	}
	dur := end.Sub(j.started).Seconds()
	s.metrics.jobDuration.WithLabelValues(kind, state).Observe(dur)
	if state == dto.StateSucceeded && dur > 0 && j.spec.Units > 0 {
		s.metrics.pathsPerSecond.WithLabelValues(kind).Observe(float64(j.spec.Units) / dur)
	}
	s.metrics.jobs.WithLabelValues(kind, dto.StateRunning).Dec()
	s.metrics.jobs.WithLabelValues(kind, state).Inc()
	log.Info("job finished", "state", state, "seconds", dur, "files", len(files))

	q.mu.Lock()
	q.running--
	q.reserved -= j.spec.estimate()
	delete(q.live, id)
	q.dispatchLocked()
	q.gaugesLocked()
	q.mu.Unlock()
	j.cancel(nil)
	close(j.done)
}

// call runs the job function, turning a panic into an internal error.
func (q *scheduler) call(j *liveJob) (out any, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("job %s panicked: %v", j.rec.ID, v)
		}
	}()
	out, err = j.spec.Run(j.ctx, func(f float64) {
		if !(f >= 0) {
			f = 0
		}
		f = min(f, 1)
		// Progress only moves forward (workers report out of order).
		for {
			old := j.progress.Load()
			if math.Float64frombits(old) >= f || j.progress.CompareAndSwap(old, math.Float64bits(f)) {
				return
			}
		}
	})
	if err == nil && j.ctx.Err() != nil {
		err = context.Cause(j.ctx)
	}
	return out, err
}

// storeOutput writes out as result.json plus its attachments into a staged
// folder and commits it (files first, then the database row).
func (q *scheduler) storeOutput(j *liveJob, out any) ([]string, error) {
	st := q.srv.store
	dir, err := st.stage("job-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir) // a no-op once renamed
	files := []string{resultFile}
	if err := writeFile(dir, resultFile, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}); err != nil {
		return nil, err
	}
	if a, ok := out.(Attacher); ok {
		for _, at := range a.Attachments() {
			if err := writeFile(dir, at.Name, at.Write); err != nil {
				return nil, err
			}
			files = append(files, at.Name)
		}
	}
	if err := st.commitJobFiles(context.Background(), j.rec.ID, dir, files, time.Now()); err != nil {
		return nil, err
	}
	return files, nil
}

// resultFile is the name of a job's result document in its folder.
const resultFile = "result.json"

// cancel stops job id: a queued job is cancelled at once; a running one is
// asked to stop and cancel waits up to wait for it. It reports whether the
// job was live in this process.
func (q *scheduler) cancel(ctx context.Context, id string, wait time.Duration) (bool, error) {
	q.mu.Lock()
	j := q.live[id]
	if j == nil {
		q.mu.Unlock()
		return false, nil
	}
	for i, p := range q.pending {
		if p == j {
			q.pending = append(q.pending[:i], q.pending[i+1:]...)
			delete(q.live, id)
			q.reserved -= j.spec.estimate()
			q.gaugesLocked()
			q.mu.Unlock()
			j.cancel(errCancelledByClient)
			close(j.done)
			q.srv.metrics.jobs.WithLabelValues(j.rec.Kind, dto.StateQueued).Dec()
			q.srv.metrics.jobs.WithLabelValues(j.rec.Kind, dto.StateCancelled).Inc()
			return true, q.srv.store.setJobState(ctx, id, dto.StateCancelled, time.Now(), "cancelled", "The job was cancelled before it started.", nil)
		}
	}
	q.mu.Unlock()
	j.cancel(errCancelledByClient)
	select {
	case <-j.done:
	case <-time.After(wait):
	case <-ctx.Done():
	}
	return true, nil
}

// record returns a copy of the record of job id if it is queued or running
// in this process: status polls of live jobs need no database read.
func (q *scheduler) record(id string) (*jobRecord, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	j := q.live[id]
	if j == nil {
		return nil, false
	}
	rec := *j.rec
	if !j.started.IsZero() {
		rec.State, rec.StartedAt = dto.StateRunning, j.started
	}
	return &rec, true
}

// liveStatus returns the progress of a live job: fraction done, when it
// started (zero if queued) and its place in the queue (1-based; 0 if running).
func (q *scheduler) liveStatus(id string) (frac float64, started time.Time, position int, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	j := q.live[id]
	if j == nil {
		return 0, time.Time{}, 0, false
	}
	for i, p := range q.pending {
		if p == j {
			return 0, time.Time{}, i + 1, true
		}
	}
	return j.fraction(), j.started, 0, true
}

// retryAfterLocked guesses when a slot frees up: the shortest estimated
// time left of the running jobs, between 1 and 300 seconds (5 if unknown).
func (q *scheduler) retryAfterLocked() int {
	best := math.Inf(1)
	for _, j := range q.live {
		if j.started.IsZero() {
			continue
		}
		if eta, ok := etaOf(j.fraction(), time.Since(j.started)); ok {
			best = min(best, eta)
		}
	}
	if math.IsInf(best, 1) {
		return 5
	}
	return int(max(1, min(300, math.Ceil(best))))
}

// etaOf estimates the seconds left of a job that has done frac of its work
// in elapsed, assuming a constant rate.
func etaOf(frac float64, elapsed time.Duration) (float64, bool) {
	if !(frac > 0) || elapsed <= 0 {
		return 0, false
	}
	return elapsed.Seconds() * (1 - frac) / frac, true
}

// drain stops admitting jobs, interrupts the queued ones, lets the running
// ones finish until ctx is done, then cancels them (they are recorded as
// interrupted) and waits for them to stop.
func (q *scheduler) drain(ctx context.Context) {
	q.mu.Lock()
	q.draining = true
	pending := q.pending
	q.pending = nil
	for _, j := range pending {
		delete(q.live, j.rec.ID)
		q.reserved -= j.spec.estimate()
	}
	q.gaugesLocked()
	q.mu.Unlock()
	for _, j := range pending {
		j.cancel(errShutdown)
		close(j.done)
		_ = q.srv.store.setJobState(context.Background(), j.rec.ID, dto.StateInterrupted, time.Now(), "interrupted",
			"The server shut down before the job started; resubmit it.", nil)
		q.srv.metrics.jobs.WithLabelValues(j.rec.Kind, dto.StateQueued).Dec()
		q.srv.metrics.jobs.WithLabelValues(j.rec.Kind, dto.StateInterrupted).Inc()
	}
	idle := make(chan struct{})
	go func() { q.wg.Wait(); close(idle) }()
	select {
	case <-idle:
		return
	case <-ctx.Done():
	}
	q.mu.Lock()
	for _, j := range q.live {
		j.cancel(errShutdown)
	}
	q.mu.Unlock()
	<-idle
}

// mib formats a byte count in MiB for messages.
func mib(b int64) string { return fmt.Sprintf("%.0f MiB", math.Ceil(float64(b)/(1<<20))) }

// resultUnavailable is the error of GET …/result for a job without a result.
func resultUnavailable(rec *jobRecord) error {
	switch rec.State {
	case dto.StateQueued, dto.StateRunning:
		return &Error{Status: http.StatusConflict, Code: "not_ready", Message: fmt.Sprintf("The %s is %s; its result is not ready yet.", rec.Kind, rec.State),
			Fixes: []string{"Poll the status until state is succeeded."}, err: models.ErrConflict}
	default:
		return &Error{Status: http.StatusConflict, Code: "no_result", Message: fmt.Sprintf("The %s ended %s and has no result.", rec.Kind, rec.State),
			Fixes: []string{"Resubmit it with POST …/resubmit."}, err: models.ErrConflict}
	}
}
