package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// reverseRequest is the body of POST /v1/reverse: a simulation request
// (paths are the idiosyncratic paths behind each conditional mean) plus
// the target, as `danbao reverse` takes it.
type reverseRequest struct {
	simRequest
	Target   string  `json:"target"`
	Scope    string  `json:"scope"`               // default "city"
	Year     int     `json:"year"`                // default the horizon's last year
	MaxSigma float64 `json:"max_sigma,omitempty"` // default sim.DefaultReverseMax
}

// maxReversePaths bounds the paths of one reverse stress request: it runs
// while the client waits (about 20 evaluations of that many paths).
const maxReversePaths = 5000

// postReverse answers POST /v1/reverse with the reverse stress document
// (danbao.reverse/v1): the most likely factor point at which the target
// fails (sim.Reverse, docs/decisions.md "Reverse stress"). It runs while
// the client waits (seconds on the example); bad input is a 422 problem
// document naming the valid choices.
func (s *Server) postReverse(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var req reverseRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	if req.Paths > maxReversePaths {
		return &Error{Message: fmt.Sprintf("paths %d is more than %d for a reverse stress test.", req.Paths, maxReversePaths), err: models.ErrInvalid,
			Fixes: []string{"Each point's conditional mean needs only a few hundred paths (default 200)."}}
	}
	if req.IS != 0 {
		return &Error{Message: "is: reverse stress fixes the factors at each point; importance sampling does not apply.", err: models.ErrInvalid}
	}
	if req.Target == "" {
		return &Error{Message: "target is required.", err: models.ErrMissing,
			Fixes: []string{fmt.Sprintf("Name a target id, e.g. %s, %s or %s.", models.TargetCapitalMin, models.TargetCompRateMax, models.TargetLeverageMax)}}
	}
	if req.Scope == "" {
		req.Scope = sim.CityScope
	}
	set, err := req.check(r.Context(), s, sim.DefaultReversePaths)
	if err != nil {
		return err
	}
	if req.Year == 0 {
		req.Year = set.scenario.HorizonYears
	}
	pf, err := s.portfolioData(set.portfolio.ID)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := sim.Reverse(r.Context(), pf, &set.scenario,
		sim.ReverseOptions{Target: req.Target, Scope: req.Scope, Year: req.Year, MaxSigma: req.MaxSigma}, set.params)
	if err != nil {
		return err
	}
	res.RunInfo = sim.RunInfo{Workers: set.params.Workers, ElapsedSeconds: time.Since(start).Seconds()}
	return writeJSON(w, http.StatusOK, res)
}
