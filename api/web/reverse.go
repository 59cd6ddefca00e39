package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
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

	Result *sim.ReverseResult
	Sigma  string // |z|, 3 decimals
	Tail   string // Φ(−|z|)
	Margin string // conditional mean margin ± SE at the point, in MarginUnit
	Origin string // the margin with every factor at 0, in MarginUnit
	// MarginUnit names the margin's unit: 万元 for the money targets
	// (capital_min, balance_min: the margin is in yuan), else the
	// metric's own (a ratio or a rate).
	MarginUnit format.Name
	PFail      string // share of the paths failing at the point
	Thr        string // the target's threshold
	Factors    []reverseFactorRow
	Hidden     int // factors with |F| < reverseShown
	Segments   []reverseSegmentRow
	Shocks     string // the point as scenario shocks (YAML)
	Evals      []reverseEvalRow
	Chart      *chart // mean margin against |z|, every radius searched
}

// reverseEvalRow is one radius of the search: |z|, the conditional mean
// margin ± SE there (in MarginUnit) and the share of paths failing.
type reverseEvalRow struct {
	Sigma, Margin, SE, PFail string
	Fails                    bool
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
	return reverseView{Portfolio: "example", Scenario: "baseline", Target: models.TargetCompRateMax, Scope: sim.CityScope,
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
		h.renderForm(w, r, status, "reverse.html", page{Title: "Reverse stress 反向压力测试", Nav: "reverse", Data: v}, err)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		show(http.StatusBadRequest, newProblem(http.StatusBadRequest, "The form could not be read: "+err.Error()))
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
			show(http.StatusUnprocessableEntity, newProblem(http.StatusUnprocessableEntity, fmt.Sprintf("%s %q is not a whole number.", k, s)))
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
	if err := v.drawSearch(h.fonts); err != nil {
		show(http.StatusInternalServerError, err)
		return
	}
	show(http.StatusOK, nil)
}

// fill sets the view's figures from the reverse document.
func (v *reverseView) fill(res *sim.ReverseResult) {
	v.Result = res
	v.Sigma = fmtNum(float64(res.Sigma), 3)
	v.Tail = fmtPct(float64(res.TailProbability), 3)
	margin := func(x sim.Number) string { return fmtNum(float64(x), 4) }
	v.MarginUnit = format.Name{ZH: "指标自身单位（比率）", EN: "the metric's own unit (a ratio or rate)"}
	if res.Target == models.TargetCapitalMin || res.Target == models.TargetBalanceMin {
		margin = func(x sim.Number) string { return format.In(float64(x), format.Wan) }
		v.MarginUnit = format.Name{ZH: "万元", EN: "10k yuan"}
	}
	v.Margin = margin(res.Margin) + " ± " + margin(res.MarginStdErr)
	v.Origin = margin(res.OriginMargin)
	for _, e := range res.Evaluations {
		v.Evals = append(v.Evals, reverseEvalRow{Sigma: fmtNum(float64(e.Sigma), 3), Margin: margin(e.Margin), SE: margin(e.MarginSE),
			PFail: fmtPct(float64(e.PFail), 1), Fails: e.Margin > 0})
	}
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

// RenderReverse writes a reverse stress point (danbao.reverse/v1) as one
// self-contained HTML file, as RenderSolve does for a solve: the target
// and threshold, |z| in σ and Φ(−|z|), the factor table, the worst-hit
// segments, every radius searched, the shocks to paste into a scenario and
// the method's approximation.
func RenderReverse(w io.Writer, res *sim.ReverseResult) error {
	if res == nil {
		return errors.New("web: RenderReverse: nil result")
	}
	var v reverseView
	v.fill(res)
	if err := v.drawSearch(loadFonts()); err != nil {
		return err
	}
	return renderStandalone(w, "reversereport", &v)
}

// drawSearch draws the search: the conditional mean margin ± 2 SE at
// every radius |z| tried, in MarginUnit, and the 0 line where the target
// starts failing.
func (v *reverseView) drawSearch(cf *chartFonts) error {
	res := v.Result
	div := 1.0
	if v.MarginUnit.ZH == "万元" {
		div = format.Wan.Yuan
	}
	var x, y, lo, hi []float64
	pts := slices.Clone(res.Evaluations)
	slices.SortStableFunc(pts, func(a, b sim.ReversePoint) int { return cmp.Compare(a.Sigma, b.Sigma) })
	for _, e := range pts {
		m, se := float64(e.Margin)/div, float64(e.MarginSE)/div
		x, y, lo, hi = append(x, float64(e.Sigma)), append(y, m), append(lo, m-2*se), append(hi, m+2*se)
	}
	if len(x) == 0 {
		return nil
	}
	series := []lineSeries{
		{Label: cf.bi("Mean margin", "条件平均余量"), X: x, Y: y, Color: paletteColor(0)},
		{Label: cf.bi("− 2 SE", "减 2 标准误"), X: x, Y: lo, Color: paletteColor(9), Dashed: true},
		{Label: cf.bi("+ 2 SE", "加 2 标准误"), X: x, Y: hi, Color: paletteColor(3), Dashed: true},
		{Label: cf.bi("0: fails above", "零线：以上失守"), X: []float64{x[0], x[len(x)-1]}, Y: []float64{0, 0}, Color: paletteColor(2), Dashed: true},
	}
	c, err := lineChart(cf, "reverse-search", name{"Mean margin given the factors at every radius searched", "搜索中每个半径的条件平均余量"},
		cf.bi("|z| (σ)", "半径 |z|（σ）"), cf.bi("Margin ("+v.MarginUnit.EN+")", "余量（"+v.MarginUnit.ZH+"）"), series, nil, nil)
	if err != nil {
		return err
	}
	v.Chart = &c
	return nil
}
