package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// solveRequest is the body of POST /v1/solves: a simulation request plus
// what to solve for, as `danbao solve` takes it.
type solveRequest struct {
	simRequest
	Param  string    `json:"param"`           // a numeric scenario path; required
	Target string    `json:"target"`          // a target id; required
	Scope  string    `json:"scope,omitempty"` // default city
	Year   int       `json:"year,omitempty"`  // default 1
	P      float64   `json:"p"`               // in (0, 1); required
	Range  []float64 `json:"range,omitempty"` // [lo, hi]; default ±50 % around the scenario's value
	Tol    float64   `json:"tol,omitempty"`   // default 1e-3
}

// defaultSolvePaths is danbao solve's default.
const defaultSolvePaths = 2000

// solveTargets are the target ids solve accepts.
var solveTargets = []string{models.TargetBalanceMin, models.TargetLeverageMin, models.TargetLeverageMax, models.TargetCompRateMax,
	models.TargetFeeMax, models.TargetCapitalMin, models.TargetConcentrationMax, models.TargetBankShareMin}

var kindSolve = &jobKind{
	Name:    "solve",
	Prefix:  "/v1/solves",
	prepare: prepareSolve,
	tables:  []string{"evaluations"},
}

// prepareSolve checks a solve request and returns the job that runs it
// (sim.Solve). What can be checked before a run is a 422 naming the valid
// choices: the path and that it holds a number, the target id, the scope
// (city, policy, all or a guarantor of the portfolio), the year, p and the
// range. Whether the target has that scope (bank_share_min is the
// policy's), and whether p is reached over the range, is known after the
// first runs: the job then fails with the reason.
func prepareSolve(ctx context.Context, s *Server, body []byte) (*jobSpec, error) {
	var req solveRequest
	set, err := decodeSimRequest(ctx, s, body, &req, defaultSolvePaths)
	if err != nil {
		return nil, err
	}
	if req.Scope == "" {
		req.Scope = sim.CityScope
	}
	if req.Year == 0 {
		req.Year = 1
	}
	if req.Tol == 0 {
		req.Tol = 1e-3
	}
	invalid := func(msg string, fixes ...string) error {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: msg, err: models.ErrInvalid, Fixes: fixes}
	}
	sc := set.scenario
	switch {
	case req.Param == "":
		return nil, invalid("param is required: a numeric scenario path.", "Numeric paths: "+strings.Join(scenarios.NumericPaths(&sc), ", ")+".")
	case !slices.Contains(solveTargets, req.Target):
		return nil, invalid(fmt.Sprintf("target %q is not a target id; valid: %s.", req.Target, strings.Join(solveTargets, ", ")))
	case !(req.P > 0 && req.P < 1):
		return nil, invalid(fmt.Sprintf("p %v is not in (0, 1).", req.P))
	case !(req.Tol > 0 && req.Tol < 1):
		return nil, invalid(fmt.Sprintf("tol %v is not in (0, 1).", req.Tol))
	case req.Year < 1 || req.Year > sc.HorizonYears:
		return nil, invalid(fmt.Sprintf("year %d is outside the horizon: 1 to %d.", req.Year, sc.HorizonYears))
	}
	v, err := scenarios.Get(&sc, req.Param)
	if err != nil {
		return nil, &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: "param: " + trimDetail(err.Error()),
			err: models.ErrInvalid, Problems: problemsOf(err)}
	}
	opt := sim.SolveOptions{Param: req.Param, Target: req.Target, Scope: req.Scope, Year: req.Year, P: req.P, Tol: req.Tol,
		Set: scenarios.SetValid}
	kind, _, lo, hi, ok := sim.SolveStart(v)
	if !ok {
		return nil, invalid(fmt.Sprintf("param %s is not a number (it holds %v).", req.Param, v),
			"Numeric paths: "+strings.Join(scenarios.NumericPaths(&sc), ", ")+".")
	}
	opt.Kind = kind
	switch {
	case req.Range == nil:
		opt.Lo, opt.Hi = lo, hi
	case len(req.Range) != 2 || !(req.Range[0] < req.Range[1]) || math.IsInf(req.Range[0], 0) || math.IsInf(req.Range[1], 0):
		return nil, invalid(fmt.Sprintf("range %v: want [lo, hi] with lo < hi, both finite.", req.Range))
	default:
		opt.Lo, opt.Hi = req.Range[0], req.Range[1]
	}
	pf, err := s.portfolioData(set.portfolio.ID)
	if err != nil {
		return nil, err
	}
	scopes := []string{sim.CityScope, "policy", "all"}
	for _, g := range pf.Guarantors {
		scopes = append(scopes, g.GuarantorID)
	}
	if !slices.Contains(scopes, req.Scope) {
		return nil, invalid(fmt.Sprintf("scope %q is not city, policy, all or a guarantor of portfolio %s; valid: %s.", req.Scope, set.portfolio.ID,
			strings.Join(scopes, ", ")))
	}
	// Both ends must make valid scenarios.
	for _, x := range []float64{opt.Lo, opt.Hi} {
		probe := sc
		if err := scenarios.SetValid(&probe, req.Param, strconv.FormatFloat(x, 'f', -1, 64)); err != nil {
			return nil, &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: fmt.Sprintf("range end %s=%v: %s", req.Param, x, trimDetail(err.Error())),
				err: models.ErrInvalid, Problems: problemsOf(err)}
		}
	}
	canon, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode solve request: %w", err)
	}
	fixed, perPath := executeEstimate(set.portfolio, &sc)
	id, p := set.portfolio.ID, set.params
	// Units: the 5 runs of the grid plus about log2(1/tol) of bisection.
	runs := 5 + int(math.Ceil(math.Log2(1/req.Tol)))
	job := &jobSpec{Kind: "solve", PortfolioID: id, Request: canon, Units: int64(runs * p.Paths), Paths: int64(p.Paths), Fixed: fixed, PerPath: perPath}
	job.Run = s.onPortfolio(id, job.Units, func(ctx context.Context, pf *models.Portfolio, progress func(done int)) (any, error) {
		start := time.Now()
		res, err := sim.Solve(ctx, pf, &sc, opt, p)
		if err != nil {
			return nil, err
		}
		progress(int(job.Units))
		res.SetRunInfo(sim.RunInfo{Workers: p.Workers, ElapsedSeconds: time.Since(start).Seconds()})
		return &tablesOutput[*sim.SolveResult]{res, solveTables}, nil
	})
	return job, nil
}

// solveTables are the tables of a finished solve: result.json is the solve document
// (danbao.solve/v1); evaluations.csv every run of the search.
func solveTables(r *sim.SolveResult) []Attachment {
	return []Attachment{
		// evaluations: value, p_hold, se — every run, in order of value.
		csvAttachment("evaluations", func(cw *csvWriter) {
			_ = cw.Write([]string{"value", "p_hold", "se"})
			for _, e := range r.Evaluations {
				_ = cw.Write([]string{number(e.Value), number(e.PHold), number(e.SE)})
			}
		}),
	}
}
