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

	"github.com/go-chi/chi/v5"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// runRequest is the body of POST /v1/runs. Zero fields take the defaults
// below; the stored (canonical) request has them filled in, so a
// resubmission repeats the run exactly.
type runRequest struct {
	Portfolio string `json:"portfolio"` // default "example"
	scenarioInput
	Paths        int     `json:"paths"`                   // default 10,000
	Seed         *uint64 `json:"seed"`                    // default 1
	HorizonYears int     `json:"horizon_years,omitempty"` // default: the scenario's
	Sampler      string  `json:"sampler,omitempty"`       // "fast" (default) or "dense"
}

// Run defaults.
const (
	defaultPortfolio = "example"
	defaultPaths     = 10_000
	defaultSeed      = 1
)

var kindRun = &jobKind{
	Name:    "run",
	Prefix:  "/v1/runs",
	prepare: prepareRun,
	links: func(rec *jobRecord) map[string]string {
		base := "/v1/runs/" + rec.ID
		l := map[string]string{"paths": base + "/paths"}
		for _, t := range runTables {
			if contains(rec.Files, t.file) {
				l["table_"+t.name] = base + "/tables/" + t.name
			}
		}
		return l
	},
}

// prepareRun checks a run request and returns the job that runs it.
func prepareRun(ctx context.Context, s *Server, body []byte) (*jobSpec, error) {
	var req runRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if req.Portfolio == "" {
		req.Portfolio = defaultPortfolio
	}
	if req.Paths == 0 {
		req.Paths = defaultPaths
	}
	if req.Seed == nil {
		seed := uint64(defaultSeed)
		req.Seed = &seed
	}
	if req.Sampler == "" {
		req.Sampler = sim.Fast.String()
	}
	var sampler sim.Sampler
	switch req.Sampler {
	case "fast":
		sampler = sim.Fast
	case "dense":
		sampler = sim.Dense
	default:
		return nil, &Error{Message: fmt.Sprintf("sampler %q is not fast or dense.", req.Sampler), err: models.ErrInvalid}
	}
	if !(req.Paths >= 1 && req.Paths <= s.cfg.MaxPaths) {
		return nil, &Error{Message: fmt.Sprintf("paths %d is not in 1..%d.", req.Paths, s.cfg.MaxPaths), err: models.ErrInvalid,
			Fixes: []string{"Ask for fewer paths; split big runs by seed."}}
	}
	if req.HorizonYears != 0 && !(req.HorizonYears >= 1 && req.HorizonYears <= models.MaxHorizonYears) {
		return nil, &Error{Message: fmt.Sprintf("horizon_years %d is not in 1..%d.", req.HorizonYears, models.MaxHorizonYears), err: models.ErrInvalid}
	}
	var extra []string
	if req.HorizonYears != 0 {
		extra = append(extra, "horizon_years="+strconv.Itoa(req.HorizonYears))
	}
	sc, err := req.resolve(extra)
	if err != nil {
		return nil, err
	}
	req.HorizonYears = sc.HorizonYears
	prec, err := s.store.portfolio(ctx, req.Portfolio)
	if err != nil {
		return nil, &Error{Status: http.StatusUnprocessableEntity, Code: "unknown_portfolio",
			Message: fmt.Sprintf("There is no portfolio %q.", req.Portfolio), err: models.ErrInvalid,
			Fixes: []string{"GET /v1/portfolios lists them; upload one with POST /v1/portfolios."}}
	}
	canon, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode run request: %w", err)
	}
	fixed, perPath := runEstimate(prec.Loans, prec.Guarantors, sc.HorizonYears)
	paths, seed, id, workers := req.Paths, *req.Seed, req.Portfolio, s.runWorkers()
	return &jobSpec{
		Kind: "run", PortfolioID: id, Request: canon,
		Units: int64(paths), Fixed: fixed, PerUnit: perPath,
		Run: func(ctx context.Context, progress func(float64)) (any, error) {
			pf, err := s.portfolioData(id)
			if err != nil {
				return nil, err
			}
			start := time.Now()
			doc, res, err := sim.Simulate(ctx, pf, &sc, sim.Params{Seed: seed, Paths: paths, Sampler: sampler, Workers: workers,
				Progress: func(done int) { progress(float64(done) / float64(paths)) }})
			if err != nil {
				return nil, err
			}
			doc.ElapsedSeconds = time.Since(start).Seconds()
			return &runOutput{doc: doc, res: res}, nil
		},
	}, nil
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

// runEstimate is the memory a run is expected to need at its peak, as
// fixed + perPath × paths bytes, for admission control. It counts what
// grows with the run, from the engine's own layouts (sim.Result,
// sim.LedgerResult, NewDocument):
//
//	fixed   = loans × (H × 48 + 512)          compiled model (per loan-year thresholds,
//	                                          losses, cells) and a decoded portfolio
//	perPath = H × 12                          Result.Loss (int64) and Defaults (int32)
//	        + (G+1) × H × NMetrics × 8        ledger metrics per guarantor and the city
//	        + C × H × 16 + G × 8 + NParties×8 county outlays, capital need, party losses
//	        + 64                              summaries (float64 copies, sorting)
//
// with H the horizon, G the guarantors and C the counties, bounded by G + 13
// (Wenzhou's 12 county units and the city). The ledger terms are counted
// whether or not the run fills them, so the estimate stays an upper bound.
func runEstimate(loans, guarantors, horizon int) (fixed, perPath int64) {
	L, G, H := int64(loans), int64(guarantors), int64(horizon)
	C := G + 13
	fixed = L*(H*48+512) + 16<<20
	perPath = H*12 + (G+1)*H*sim.NMetrics*8 + C*H*16 + G*8 + sim.NParties*8 + 64
	return fixed, perPath
}

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
	if rec.State != stateSucceeded {
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

// getRunTable serves one of a run's tables as CSV.
func (s *Server) getRunTable(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.jobOf(r, kindRun)
	if err != nil {
		return err
	}
	name := chi.URLParam(r, "table")
	for _, t := range runTables {
		if t.name != name {
			continue
		}
		if negotiate(r.Header.Get("Accept"), "text/csv") == "" {
			return &Error{Message: "Tables come as text/csv.", err: errNotAcceptable, Fixes: []string{"Send Accept: text/csv."}}
		}
		if rec.State == stateSucceeded && !contains(rec.Files, t.file) {
			return &Error{Message: fmt.Sprintf("The result of run %s has no %s table.", rec.ID, name), err: models.ErrNotFound,
				Fixes: []string{"The run's status lists its tables under links."}}
		}
		return s.serveJobFile(w, r, rec, t.file, "text/csv; charset=utf-8", rec.ID+"-"+t.file)
	}
	return &Error{Message: fmt.Sprintf("There is no table %q.", name), err: models.ErrNotFound,
		Fixes: []string{"Tables: loss, targets, outlays, contributions."}}
}
