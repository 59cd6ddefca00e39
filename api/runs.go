package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/internal/tempfile"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// simRequest is what every simulation job's request has (runs, sweeps,
// top-ups). Zero fields take the defaults below; the stored (canonical)
// request has them filled in, so a resubmission repeats the job exactly.
type simRequest struct {
	Portfolio string `json:"portfolio"` // default "example"
	scenarioInput
	Paths        int     `json:"paths"`                   // default per kind
	Seed         *uint64 `json:"seed"`                    // default 1
	HorizonYears int     `json:"horizon_years,omitempty"` // default: the scenario's
	Sampler      string  `json:"sampler,omitempty"`       // "fast" (default) or "dense"
	// Levels are VaR/ES levels beyond 0.95, 0.99, 0.999 (each ≤ 0.9999).
	Levels []float64 `json:"levels,omitempty"`
	// IS, if not 0, is the level importance sampling aims at (in
	// [0.5, 0.9999]; docs/tails.md): the factors are shifted toward the
	// loss tail and every figure is weighted by the paths' likelihood ratios.
	IS float64 `json:"is,omitempty"`
}

// Defaults of a simulation request.
const (
	defaultPortfolio = "example"
	defaultSeed      = 1
)

// simSetup is a checked simRequest: the portfolio's row, the resolved
// scenario and the engine's parameters (Workers and Progress left to the job).
type simSetup struct {
	portfolio *portfolioRecord
	scenario  models.Scenario
	params    sim.Params
}

// decodeSimRequest decodes body into req (a *runRequest, *sweepRequest, …)
// and checks the fields every simulation request has (simRequest.check).
func decodeSimRequest(ctx context.Context, s *Server, body []byte, req interface{ common() *simRequest }, defaultPaths int) (*simSetup, error) {
	if err := decodeStrict(body, req); err != nil {
		return nil, err
	}
	return req.common().check(ctx, s, defaultPaths)
}

// common is the part of a request every simulation kind has.
func (r *simRequest) common() *simRequest { return r }

// check fills the defaults of r (paths: defaultPaths) and checks it
// against the server's limits, the stored portfolios and the scenarios.
func (r *simRequest) check(ctx context.Context, s *Server, defaultPaths int) (*simSetup, error) {
	if r.Portfolio == "" {
		r.Portfolio = defaultPortfolio
	}
	if r.Paths == 0 {
		r.Paths = defaultPaths
	}
	if r.Seed == nil {
		seed := uint64(defaultSeed)
		r.Seed = &seed
	}
	if r.Sampler == "" {
		r.Sampler = sim.Fast.String()
	}
	var sampler sim.Sampler
	if sampler.UnmarshalText([]byte(r.Sampler)) != nil {
		return nil, &Error{Message: fmt.Sprintf("sampler %q is not fast or dense.", r.Sampler), err: models.ErrInvalid}
	}
	if !(r.Paths >= 1 && r.Paths <= s.cfg.MaxPaths) {
		return nil, &Error{Message: fmt.Sprintf("paths %d is not in 1..%d.", r.Paths, s.cfg.MaxPaths), err: models.ErrInvalid,
			Fixes: []string{"Ask for fewer paths; split big runs by seed."}}
	}
	if r.HorizonYears != 0 && !(r.HorizonYears >= 1 && r.HorizonYears <= models.MaxHorizonYears) {
		return nil, &Error{Message: fmt.Sprintf("horizon_years %d is not in 1..%d.", r.HorizonYears, models.MaxHorizonYears), err: models.ErrInvalid}
	}
	if len(r.Levels) > sim.MaxLevels {
		return nil, &Error{Message: fmt.Sprintf("levels has %d values; give at most %d.", len(r.Levels), sim.MaxLevels), err: models.ErrInvalid}
	}
	for _, a := range r.Levels {
		if !(a > 0 && a <= sim.MaxLevel) {
			return nil, &Error{Message: fmt.Sprintf("level %v is not in (0, %v].", a, sim.MaxLevel), err: models.ErrInvalid}
		}
	}
	if r.IS != 0 && !(r.IS >= 0.5 && r.IS <= sim.MaxLevel) {
		return nil, &Error{Message: fmt.Sprintf("is %v is not a level in [0.5, %v] (0 or absent: no importance sampling).", r.IS, sim.MaxLevel), err: models.ErrInvalid}
	}
	var extra []string
	if r.HorizonYears != 0 {
		extra = append(extra, "horizon_years="+strconv.Itoa(r.HorizonYears))
	}
	sc, err := r.resolve(extra)
	if err != nil {
		return nil, err
	}
	r.HorizonYears = sc.HorizonYears
	prec, err := s.store.portfolio(ctx, r.Portfolio)
	if err != nil {
		return nil, &Error{Status: http.StatusUnprocessableEntity, Code: "unknown_portfolio",
			Message: fmt.Sprintf("There is no portfolio %q.", r.Portfolio), err: models.ErrInvalid,
			Fixes: []string{"GET /v1/portfolios lists them; upload one with POST /v1/portfolios."}}
	}
	return &simSetup{portfolio: prec, scenario: sc,
		params: sim.Params{Seed: *r.Seed, Paths: r.Paths, Sampler: sampler, Workers: s.runWorkers(), Levels: r.Levels, ISLevel: r.IS}}, nil
}

// runRequest is the body of POST /v1/runs.
type runRequest struct {
	simRequest
}

// defaultRunPaths is the paths of a run that names none (as danbao run).
const defaultRunPaths = 10_000

var kindRun = &jobKind{
	Name:    "run",
	Prefix:  "/v1/runs",
	prepare: prepareRun,
	tables:  runTableNames(),
	links: func(rec *jobRecord) map[string]string {
		return map[string]string{"paths": "/v1/runs/" + rec.ID + "/paths"}
	},
}

func runTableNames() []string {
	var n []string
	for _, t := range runTables {
		n = append(n, t.name)
	}
	return n
}

// prepareRun checks a run request and returns the job that runs it.
func prepareRun(ctx context.Context, s *Server, body []byte) (*jobSpec, error) {
	var req runRequest
	set, err := decodeSimRequest(ctx, s, body, &req, defaultRunPaths)
	if err != nil {
		return nil, err
	}
	canon, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode run request: %w", err)
	}
	fixed, perPath := runEstimate(set.portfolio, set.params.Paths, &set.scenario)
	id, sc, p := set.portfolio.ID, set.scenario, set.params
	job := &jobSpec{Kind: "run", PortfolioID: id, Request: canon, Units: int64(p.Paths), Paths: int64(p.Paths), Fixed: fixed, PerPath: perPath}
	job.Run = s.onPortfolio(id, job.Units, func(ctx context.Context, pf *models.Portfolio, progress func(done int)) (any, error) {
		start := time.Now()
		p.Progress, p.Spill = progress, tempfile.Spill
		doc, res, err := sim.Simulate(ctx, pf, &sc, p)
		if err != nil {
			return nil, err
		}
		doc.SetRunInfo(sim.RunInfo{Workers: p.Workers, ElapsedSeconds: time.Since(start).Seconds()})
		return &runOutput{doc: doc, res: res}, nil
	})
	return job, nil
}

// onPortfolio makes the JobFunc of a simulation job: it loads portfolio id
// and calls work with it and a progress callback taking the units done
// out of units.
func (s *Server) onPortfolio(id string, units int64, work func(ctx context.Context, pf *models.Portfolio, progress func(done int)) (any, error)) JobFunc {
	return func(ctx context.Context, progress func(float64)) (any, error) {
		pf, err := s.portfolioData(id)
		if err != nil {
			return nil, err
		}
		return work(ctx, pf, func(done int) { progress(float64(done) / float64(units)) })
	}
}

// runWorkers is the parallelism of one run: Config.Workers, or the cores
// shared among the runs that may execute at once, so that running jobs
// never hold more goroutines busy than there are cores and requests keep
// getting answered promptly. Workers never change results.
func (s *Server) runWorkers() int {
	if s.cfg.Workers > 0 {
		return s.cfg.Workers
	}
	return max(1, runtime.GOMAXPROCS(0)/s.cfg.MaxConcurrentRuns)
}

// runEstimate is the memory a run of paths paths is expected to need at
// its peak, as fixed + perPath × paths bytes, for admission control:
// sim.SimulateMemoryEstimate (a run keeps only its document, with large
// per-path metrics in a temporary file) with as many workers as there are
// cores (an upper bound), plus sim.ChainsMemoryEstimate for the
// portfolio's links.
func runEstimate(pr *portfolioRecord, paths int, sc *models.Scenario) (fixed, perPath int64) {
	fixed, perPath = sim.SimulateMemoryEstimate(pr.Loans, pr.Guarantors, runtime.GOMAXPROCS(0), paths, sc)
	return withChains(fixed, perPath, pr, sc)
}

// executeEstimate is runEstimate for the jobs that keep every path's
// figures in memory (sim.Execute: top-ups, sweeps, solves):
// sim.MemoryEstimate, plus sim.ChainsMemoryEstimate.
func executeEstimate(pr *portfolioRecord, sc *models.Scenario) (fixed, perPath int64) {
	fixed, perPath = sim.MemoryEstimate(pr.Loans, pr.Guarantors, runtime.GOMAXPROCS(0), sc)
	return withChains(fixed, perPath, pr, sc)
}

// withChains adds sim.ChainsMemoryEstimate for pr's links to an estimate.
func withChains(fixed, perPath int64, pr *portfolioRecord, sc *models.Scenario) (int64, int64) {
	f, p := sim.ChainsMemoryEstimate(pr.Links, pr.Loans, runtime.GOMAXPROCS(0), sc)
	return fixed + f, perPath + p
}

// bookLoans estimates the loans of the compiled book (sim.BookLoans).
func bookLoans(n int, sc *models.Scenario) int64 { return sim.BookLoans(n, sc) }

// runOutput is a finished run: result.json is the document; the per-path
// results and the CSV tables are attachments.
type runOutput struct {
	doc *sim.Document
	res *sim.Result
}

func (o *runOutput) MarshalJSON() ([]byte, error) { return json.Marshal(o.doc) }

// Files of a run besides result.json.
const pathsFile = "paths.arrows"

func (o *runOutput) Attachments() []Attachment {
	at := []Attachment{{Name: pathsFile, Write: func(w io.Writer) error { return WritePathsArrow(w, o.res, PathsArrowStream) }}}
	for _, t := range runTables {
		if t.has(o.doc) {
			at = append(at, Attachment{Name: t.file, Write: func(w io.Writer) error { return t.write(w, o.doc) }})
		}
	}
	return at
}

// MediaTypeArrowFile is the media type of the Arrow IPC file format
// (Feather v2), what pyarrow.feather.read_table and `danbao run --out` read.
const MediaTypeArrowFile = "application/vnd.apache.arrow.file"

// getRunPaths serves a run's per-path results as an Arrow IPC stream
// (application/vnd.apache.arrow.stream, the default), an Arrow IPC file
// (application/vnd.apache.arrow.file) or CSV (text/csv), by the Accept
// header or ?format=arrows|arrow|csv. The stream is stored; the other two
// are converted from it while sending.
func (s *Server) getRunPaths(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.jobOf(r, kindRun)
	if err != nil {
		return err
	}
	var ctype string
	switch f := r.URL.Query().Get("format"); f {
	case "":
		ctype = negotiate(r.Header.Get("Accept"), MediaTypeArrowStream, "text/csv", MediaTypeArrowFile)
	case "arrows", "stream":
		ctype = MediaTypeArrowStream
	case "arrow", "file":
		ctype = MediaTypeArrowFile
	case "csv":
		ctype = "text/csv"
	default:
		return badRequest("format %q is not arrows, arrow or csv.", f)
	}
	if ctype == "" {
		return &Error{Message: "Per-path results come as " + MediaTypeArrowStream + ", " + MediaTypeArrowFile + " or text/csv.", err: errNotAcceptable,
			Fixes: []string{"Send Accept: " + MediaTypeArrowStream + " or Accept: text/csv, or ?format=csv."}}
	}
	if ctype == MediaTypeArrowStream {
		return s.serveJobFile(w, r, rec, pathsFile, MediaTypeArrowStream, rec.ID+"-paths.arrows")
	}
	if rec.State != dto.StateSucceeded {
		return resultUnavailable(rec)
	}
	f, err := os.Open(filepath.Join(s.store.jobDir(rec.ID), pathsFile))
	if err != nil {
		return fmt.Errorf("open paths of %s: %w", rec.ID, err)
	}
	defer f.Close()
	name, convert := rec.ID+"-paths.csv", pathsStreamToCSV
	if ctype == MediaTypeArrowFile {
		name, convert = rec.ID+"-paths.arrow", pathsStreamToFile
	} else {
		ctype = "text/csv; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return convert(w, f)
}
