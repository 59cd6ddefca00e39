package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/wenzhou/danbao/internal/format"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// macroFactor names the macro factor.
var macroFactor = format.Name{ZH: "宏观因子", EN: "Macro"}

// FactorName names a factor of a reverse stress point, Chinese first:
// 宏观因子 Macro, 鞋业 Footwear (industry), 乐清市 330382 (county).
func FactorName(f sim.ReverseFactor) format.Name {
	switch f.Kind {
	case "industry":
		n := format.Lookup(format.Industries, f.Code)
		n.EN += " (industry)"
		return n
	case "county":
		return format.Name{ZH: models.CountyName(f.Code), EN: f.Code}
	}
	return macroFactor
}

// reverseShown is the least |F| the page's factor table shows (the shocks
// block lists every factor).
const reverseShown = 0.05

// reverseView is the data of reverse.html: the form's values and, after
// a POST, the reverse point.
type reverseView struct {
	Portfolio, Scenario, Target, Scope, Year, Horizon, Paths string

	Result   *sim.ReverseResult
	Sigma    string // |z|, 3 decimals
	Tail     string // Φ(−|z|)
	Margin   string // conditional mean margin ± SE at the point
	Origin   string // the margin with every factor at 0
	PFail    string // share of the paths failing at the point
	Thr      string // the target's threshold
	Factors  []reverseFactorRow
	Hidden   int // factors with |F| < reverseShown
	Segments []reverseSegmentRow
	Shocks   string // the point as scenario shocks (YAML)
}

type reverseFactorRow struct {
	Year     int
	Name     format.Name
	Value, Z string
}

type reverseSegmentRow struct {
	Year              int
	Industry, County  format.Name
	Loans             string
	Claim             string // 万 yuan
	PD, ConditionalPD string
}

func defaultReverseView() reverseView {
	return reverseView{Portfolio: "example", Scenario: "baseline", Target: sim.TargetCompRateMax, Scope: sim.CityScope,
		Year: "1", Horizon: "1", Paths: strconv.Itoa(sim.DefaultReversePaths)}
}

// reversePage shows the form.
func (h *Handler) reversePage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "reverse.html", page{Title: "Reverse stress 反向压力测试", Nav: "reverse", Data: defaultReverseView()})
}

// reversePost sends the form to POST /v1/reverse with the user's key and
// shows the point: |z|, the factor table, the worst-hit segments and the
// shocks to paste into a scenario.
func (h *Handler) reversePost(w http.ResponseWriter, r *http.Request) {
	v := defaultReverseView()
	show := func(status int, err error) {
		p := page{Title: "Reverse stress 反向压力测试", Nav: "reverse", Data: v}
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				ae = &apiError{Status: http.StatusBadRequest, Message: err.Error()}
			}
			p.Error = ae
			status = ae.Status
		}
		h.render(w, r, status, "reverse.html", p)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		show(http.StatusBadRequest, &apiError{Status: http.StatusBadRequest, Message: "The form could not be read: " + err.Error()})
		return
	}
	for k, dst := range map[string]*string{"portfolio": &v.Portfolio, "scenario": &v.Scenario, "target": &v.Target, "scope": &v.Scope,
		"year": &v.Year, "horizon_years": &v.Horizon, "paths": &v.Paths} {
		*dst = strings.TrimSpace(r.FormValue(k))
	}
	req := map[string]any{"portfolio": v.Portfolio, "scenario": v.Scenario, "target": v.Target, "scope": v.Scope}
	for k, s := range map[string]string{"year": v.Year, "horizon_years": v.Horizon, "paths": v.Paths} {
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			show(http.StatusUnprocessableEntity, &apiError{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("%s %q is not a whole number.", k, s)})
			return
		}
		req[k] = n
	}
	body, err := json.Marshal(req)
	if err != nil {
		show(http.StatusInternalServerError, err)
		return
	}
	var res sim.ReverseResult
	if err := h.call(r, http.MethodPost, "/v1/reverse", body, &res); err != nil {
		show(0, err)
		return
	}
	v.fill(&res)
	show(http.StatusOK, nil)
}

// fill sets the view's figures from the reverse document.
func (v *reverseView) fill(res *sim.ReverseResult) {
	v.Result = res
	v.Sigma = fmtNum(float64(res.Sigma), 3)
	v.Tail = fmtPct(float64(res.TailProbability), 3)
	v.Margin = fmtNum(float64(res.Margin), 4) + " ± " + fmtNum(float64(res.MarginStdErr), 4)
	v.Origin = fmtNum(float64(res.OriginMargin), 4)
	v.PFail = fmtPct(float64(res.PFail), 1)
	v.Thr = strconv.FormatFloat(float64(res.Threshold), 'g', -1, 64)
	var sh strings.Builder
	sh.WriteString("shocks:\n")
	for _, f := range res.Factors {
		if math.Abs(float64(f.Value)) < reverseShown {
			v.Hidden++
		} else {
			v.Factors = append(v.Factors, reverseFactorRow{Year: f.Year, Name: FactorName(f),
				Value: fmtNum(float64(f.Value), 3), Z: fmtNum(float64(f.Z), 3)})
		}
	}
	for _, s := range res.Shocks(1) {
		fmt.Fprintf(&sh, "  - factor: %s\n    shift: %s\n    years: [%d]\n", s.Factor, strconv.FormatFloat(s.Shift, 'f', -1, 64), s.Years[0])
	}
	v.Shocks = sh.String()
	for _, g := range res.Segments {
		v.Segments = append(v.Segments, reverseSegmentRow{Year: g.Year,
			Industry: format.Lookup(format.Industries, g.Industry), County: format.Name{ZH: models.CountyName(g.County), EN: g.County},
			Loans: fmtNum(float64(g.Loans), 0), Claim: format.In(float64(g.Claim), format.Wan),
			PD: fmtPct(float64(g.PD), 2), ConditionalPD: fmtPct(float64(g.ConditionalPD), 2)})
	}
}
