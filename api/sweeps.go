package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// sweepRequest is the body of POST /v1/sweeps: a simulation request plus
// what to sweep, as `danbao sweep` takes it.
type sweepRequest struct {
	simRequest
	Param              string    `json:"param"`               // default policy.bank_share
	Values             []float64 `json:"values"`              // default 0, 0.1, …, 0.5
	Param2             string    `json:"param2,omitempty"`    // a second parameter: a 2-D sweep
	Values2            []float64 `json:"values2,omitempty"`   // its values; required with param2
	Confidence         float64   `json:"confidence"`          // of the top-up at each point; default 0.95
	ResponseElasticity float64   `json:"response_elasticity"` // behavioural response; 0 is off
}

// Sweep defaults (those of danbao sweep).
const (
	defaultSweepPaths = 2000
	maxSweepValues    = 50
)

var defaultSweepValues = []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5}

var kindSweep = &jobKind{
	Name:    "sweep",
	Prefix:  "/v1/sweeps",
	prepare: prepareSweep,
	tables:  []string{"points", "loss", "targets", "differences", "outlays"},
}

// prepareSweep checks a sweep request and returns the job that runs it.
func prepareSweep(ctx context.Context, s *Server, body []byte) (*jobSpec, error) {
	var req sweepRequest
	set, err := decodeSimRequest(ctx, s, body, &req, defaultSweepPaths)
	if err != nil {
		return nil, err
	}
	if req.Param == "" {
		req.Param = models.BankSharePath
	}
	if req.Values == nil {
		req.Values = defaultSweepValues
	}
	if req.Confidence == 0 {
		req.Confidence = 0.95
	}
	switch {
	case len(req.Values) == 0 || len(req.Values) > maxSweepValues:
		return nil, &Error{Message: fmt.Sprintf("values has %d entries; a sweep takes 1 to %d.", len(req.Values), maxSweepValues), err: models.ErrInvalid}
	case (req.Param2 == "") != (req.Values2 == nil):
		return nil, &Error{Message: "param2 and values2 go together: give both for a 2-D sweep, or neither.", err: models.ErrInvalid}
	case req.Param2 != "" && (len(req.Values2) == 0 || len(req.Values2) > maxSweepValues):
		return nil, &Error{Message: fmt.Sprintf("values2 has %d entries; a sweep takes 1 to %d.", len(req.Values2), maxSweepValues), err: models.ErrInvalid}
	case !(req.Confidence > 0 && req.Confidence < 1):
		return nil, &Error{Message: fmt.Sprintf("confidence %v is not in (0, 1).", req.Confidence), err: models.ErrInvalid}
	case math.IsNaN(req.ResponseElasticity) || math.IsInf(req.ResponseElasticity, 0):
		return nil, &Error{Message: "response_elasticity must be a finite number.", err: models.ErrInvalid}
	}
	sc := set.scenario
	axes := []models.SweepAxis{{Param: req.Param, Values: req.Values}}
	if req.Param2 != "" {
		axes = append(axes, models.SweepAxis{Param: req.Param2, Values: req.Values2})
	}
	// Every point must make a valid scenario; say which does not now rather
	// than fail later. A body field, not a URL: 422 even when a path does
	// not exist.
	grid, err := scenarios.SweepPoints(&sc, axes...)
	if err != nil {
		return nil, &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: trimDetail(err.Error()),
			err: models.ErrInvalid, Problems: problemsOf(err),
			Fixes: []string{"Sweep numeric scenario paths (danbao scenarios paths lists them), e.g. policy.bank_share or model.r2.industry."}}
	}
	canon, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode sweep request: %w", err)
	}
	fixed, perPath := executeEstimate(set.portfolio, &sc)
	perPath += (sim.NParties + 1) * 8 // the previous point's losses, for the paired differences
	id, p := set.portfolio.ID, set.params
	opt := sim.SweepOptions{Confidence: req.Confidence, ResponseElasticity: req.ResponseElasticity}
	job := &jobSpec{Kind: "sweep", PortfolioID: id, Request: canon, Units: int64(len(grid.Points) * p.Paths), Paths: int64(p.Paths), Fixed: fixed, PerPath: perPath}
	job.Run = s.onPortfolio(id, job.Units, func(ctx context.Context, pf *models.Portfolio, progress func(done int)) (any, error) {
		start := time.Now()
		opt.Progress = progress
		res, err := sim.Sweep(ctx, pf, grid, opt, p)
		if err != nil {
			return nil, err
		}
		res.SetRunInfo(sim.RunInfo{Workers: res.Workers, ElapsedSeconds: time.Since(start).Seconds()})
		return &tablesOutput[*sim.SweepResult]{res, sweepTables}, nil
	})
	return job, nil
}

// sweepTables are the tables of a finished sweep: result.json is the sweep document
// (danbao.sweep/v1); the tables are attachments.
func sweepTables(r *sim.SweepResult) []Attachment {
	table := csvAttachment
	return []Attachment{
		// points: value, [value2,] pd_multiplier, topup, topup_pooled
		table("points", func(cw *csvWriter) {
			head := []string{"value", "pd_multiplier", "topup", "topup_pooled"}
			if r.Param2 != "" {
				head = slices.Insert(head, 1, "value2")
			}
			_ = cw.Write(head)
			for _, pt := range r.Points {
				row := []string{number(pt.Value), number(pt.PDMultiplier), money(pt.Topup), money(pt.TopupPooled)}
				if pt.Value2 != nil {
					row = slices.Insert(row, 1, number(*pt.Value2))
				}
				_ = cw.Write(row)
			}
		}),
		// loss: value, party, mean, sd, var_*, es_*, se_*
		table("loss", func(cw *csvWriter) {
			_ = cw.Write(append([]string{"value", "party"}, statsHeader()...))
			for _, pt := range r.Points {
				for _, party := range parties(pt.Loss) {
					_ = cw.Write(append([]string{number(pt.Value), party}, statsRow(pt.Loss[party], money)...))
				}
			}
		}),
		// targets: value, id, scope, year, p_hold, se
		table("targets", func(cw *csvWriter) {
			_ = cw.Write([]string{"value", "id", "scope", "year", "p_hold", "se"})
			for _, pt := range r.Points {
				for _, tg := range pt.Targets {
					for y := range tg.PHold {
						se := ""
						if y < len(tg.SE) {
							se = number(tg.SE[y])
						}
						_ = cw.Write([]string{number(pt.Value), tg.ID, tg.Scope, strconv.Itoa(y + 1), number(tg.PHold[y]), se})
					}
				}
			}
		}),
		// differences: from, to, party, mean, se_paired, se_independent
		table("differences", func(cw *csvWriter) {
			_ = cw.Write([]string{"from", "to", "party", "mean", "se_paired", "se_independent"})
			for _, d := range r.Differences {
				_ = cw.Write([]string{number(d.From), number(d.To), d.Party, money(d.Mean), money(d.SEPaired), money(d.SEIndependent)})
			}
		}),
		// outlays: value, county ("total" for all), year, mean
		table("outlays", func(cw *csvWriter) {
			_ = cw.Write([]string{"value", "county", "year", "mean"})
			for _, pt := range r.Points {
				counties := make([]string, 0, len(pt.Outlays))
				for c := range pt.Outlays {
					counties = append(counties, c)
				}
				slices.Sort(counties)
				for _, c := range counties {
					for y, m := range pt.Outlays[c] {
						_ = cw.Write([]string{number(pt.Value), c, strconv.Itoa(y + 1), money(m)})
					}
				}
			}
		}),
	}
}

// csvAttachment is the attachment name.csv written by write.
func csvAttachment(name string, write func(*csvWriter)) Attachment {
	return Attachment{Name: name + ".csv", Write: func(w io.Writer) error {
		cw := newCSVWriter(w)
		write(cw)
		cw.Flush()
		return cw.Error()
	}}
}
