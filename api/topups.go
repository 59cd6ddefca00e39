package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// topupRequest is the body of POST /v1/topups: a simulation request plus
// the confidence levels, as `danbao topup` takes it.
type topupRequest struct {
	simRequest
	Confidence []float64 `json:"confidence"` // default 0.9, 0.95, 0.99
	// Joint adds the joint top-up (danbao topup --joint) at the one
	// confidence level given (0.95 when none is).
	Joint bool `json:"joint,omitempty"`
}

// Top-up defaults (those of danbao topup).
const (
	defaultTopupPaths = 10_000
	maxTopupLevels    = 50
)

var defaultTopupLevels = []float64{0.9, 0.95, 0.99}

var kindTopup = &jobKind{
	Name:    "topup",
	Prefix:  "/v1/topups",
	prepare: prepareTopup,
	tables:  []string{"guarantors", "counties", "city", "curve"},
}

// prepareTopup checks a top-up request and returns the job that runs it:
// one run (sim.Execute) and the top-ups from its capital needs (sim.Topup).
func prepareTopup(ctx context.Context, s *Server, body []byte) (*jobSpec, error) {
	var req topupRequest
	set, err := decodeSimRequest(ctx, s, body, &req, defaultTopupPaths)
	if err != nil {
		return nil, err
	}
	switch {
	case req.Confidence == nil && req.Joint:
		req.Confidence = []float64{0.95}
	case req.Confidence == nil:
		req.Confidence = defaultTopupLevels
	case req.Joint && len(req.Confidence) != 1:
		return nil, &Error{Message: fmt.Sprintf("joint takes one confidence level, not %d.", len(req.Confidence)), err: models.ErrInvalid,
			Fixes: []string{"Give one level, e.g. \"confidence\": [0.9], or leave confidence out for 0.95."}}
	}
	if len(req.Confidence) == 0 || len(req.Confidence) > maxTopupLevels {
		return nil, &Error{Message: fmt.Sprintf("confidence has %d levels; give 1 to %d.", len(req.Confidence), maxTopupLevels), err: models.ErrInvalid}
	}
	for _, a := range req.Confidence {
		if !(a > 0 && a < 1) {
			return nil, &Error{Message: fmt.Sprintf("confidence %v is not in (0, 1).", a), err: models.ErrInvalid}
		}
	}
	canon, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode top-up request: %w", err)
	}
	fixed, perPath := executeEstimate(set.portfolio, &set.scenario)
	perPath += int64(set.portfolio.Guarantors+1) * 16 // sorted needs per guarantor and the city
	id, sc, p, levels, joint := set.portfolio.ID, set.scenario, set.params, req.Confidence, req.Joint
	job := &jobSpec{Kind: "topup", PortfolioID: id, Request: canon, Units: int64(p.Paths), Paths: int64(p.Paths), Fixed: fixed, PerPath: perPath}
	job.Run = s.onPortfolio(id, job.Units, func(ctx context.Context, pf *models.Portfolio, progress func(done int)) (any, error) {
		start := time.Now()
		p.Progress = progress
		out, err := sim.Execute(ctx, pf, &sc, p)
		if err != nil {
			return nil, err
		}
		res, err := sim.Topup(out, levels)
		if err != nil {
			return nil, err
		}
		if joint {
			if res.Joint, err = sim.JointTopupOf(out, levels[0]); err != nil {
				return nil, err
			}
		}
		res.SetRunInfo(sim.RunInfo{Workers: res.Workers, ElapsedSeconds: time.Since(start).Seconds()})
		return &tablesOutput[*sim.TopupResult]{res, topupTables}, nil
	})
	return job, nil
}

// topupTables are the tables of a finished top-up: result.json is the top-up document
// (danbao.topup/v1); the tables are attachments.
func topupTables(r *sim.TopupResult) []Attachment {
	table := csvAttachment
	b := strconv.FormatBool
	return []Attachment{
		// guarantors: one row per guarantor and requested confidence.
		table("guarantors", func(cw *csvWriter) {
			_ = cw.Write([]string{"guarantor", "name", "level", "county", "registered_capital_gap", "p_need", "mean_need",
				"p_leverage_min_before", "confidence", "amount", "ci95_low", "ci95_high", "p_capital", "p_leverage_min", "idle_capital"})
			for _, g := range r.Guarantors {
				for _, l := range g.At {
					_ = cw.Write([]string{g.Guarantor, g.Name, g.Level, g.County, money(g.RegisteredGap), number(g.PNeed), money(g.MeanNeed),
						number(g.PLeverageMinBefore), number(l.Confidence), money(l.Amount), money(l.Low), money(l.High),
						number(l.PCapital), number(l.PLeverageMin), b(l.Idle)})
				}
			}
		}),
		// counties: county, name, guarantors, confidence, amount.
		table("counties", func(cw *csvWriter) {
			_ = cw.Write([]string{"county", "name", "guarantors", "confidence", "amount"})
			for _, c := range r.Counties {
				gs := ""
				for i, g := range c.Guarantors {
					if i > 0 {
						gs += " "
					}
					gs += g
				}
				for _, l := range c.At {
					_ = cw.Write([]string{c.County, c.Name, gs, number(l.Confidence), money(l.Amount)})
				}
			}
		}),
		// city: confidence, total, pooled, p_capital_all, p_leverage_min.
		table("city", func(cw *csvWriter) {
			_ = cw.Write([]string{"confidence", "total", "pooled", "p_capital_all", "p_leverage_min"})
			for _, l := range r.City.At {
				_ = cw.Write([]string{number(l.Confidence), money(l.Total), money(l.Pooled), number(l.PCapitalAll), number(l.PLeverageMin)})
			}
		}),
		// curve: scope (guarantor id, county code or "city"), confidence,
		// amount, ci95_low, ci95_high (guarantors), pooled (city).
		table("curve", func(cw *csvWriter) {
			_ = cw.Write([]string{"scope", "kind", "confidence", "amount", "ci95_low", "ci95_high", "pooled"})
			for _, g := range r.Guarantors {
				for _, l := range g.Curve {
					_ = cw.Write([]string{g.Guarantor, "guarantor", number(l.Confidence), money(l.Amount), money(l.Low), money(l.High), ""})
				}
			}
			for _, c := range r.Counties {
				for _, l := range c.Curve {
					_ = cw.Write([]string{c.County, "county", number(l.Confidence), money(l.Amount), "", "", ""})
				}
			}
			for _, l := range r.City.Curve {
				_ = cw.Write([]string{sim.CityScope, "city", number(l.Confidence), money(l.Total), "", "", money(l.Pooled)})
			}
		}),
	}
}
