package web

import (
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/internal/format"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// sweepView is what a sweep page and a sweep report show
// (danbao.sweep/v1): every party's loss and every target's probability
// along the swept values, the top-up, and what common random numbers buy.
type sweepView struct {
	Res  *sim.SweepResult
	Unit unit // of the losses
	// TopupUnit is the unit of both top-up columns, OutlaysUnit of the
	// outlays column: one unit per column, from the whole column.
	TopupUnit, OutlaysUnit unit
	Values                 []string
	Losses                 chart // expected loss per party
	Tails                  chart // ES 99 % per party
	Targets                chart // P(hold) per target
	Topup                  chart
	Rows                   []sweepRow
	Heat                   sweepHeat  // 1-D: P(hold) by target along the values
	Grid                   *sweepGrid // 2-D: heat maps over the grid
	Diffs                  []diffRow
	Elapsed                string
	// Years is the horizon in words: "期限 3 年 · horizon 3 years";
	// ParamName the swept parameter's Chinese name.
	Years, ParamName string
}

type sweepRow struct {
	Value, Value2      string // Value2: the second parameter's, in a 2-D sweep
	PDMult             string
	Mean, ES99         []string // per party of partyNames
	Topup, TopupPooled string
	OutlaysY1          string
}

// sweepHeat is P(hold) (lowest over the years) by target and scope (rows)
// and swept value (columns).
type sweepHeat struct {
	Rows []sweepHeatRow
}

type sweepHeatRow struct {
	Target name
	ID     string
	Scope  string
	First  bool // first row of its target
	N      int  // rows of its target
	Cells  []heatCell
}

type diffRow struct {
	At2                       string // the second parameter's value, in a 2-D sweep
	From, To, Party           string
	Mean, Paired, Independent string
	Gain                      string // SEIndependent / SEPaired
}

// sweepParties are the parties drawn in sweep charts (the total is the
// same at every point of a policy sweep; it is in the table).
var sweepParties = []string{"bank", "guarantor", "reguarantor", "national_fund", "county_fund", "total"}

func newSweepView(cf *chartFonts, res *sim.SweepResult, gn names) (*sweepView, error) {
	v := &sweepView{Res: res, Elapsed: fmtNum(res.ElapsedSeconds, 1), Years: horizonText(res.HorizonYears), ParamName: paramZH(res.Param)}
	x := make([]float64, len(res.Points))
	hi := 0.0
	for i, p := range res.Points {
		x[i] = float64(p.Value)
		v.Values = append(v.Values, fmtNum(float64(p.Value), decimalsOf(res.Values)))
		for _, st := range p.Loss {
			hi = max(hi, float64(st.ES["0.99"]))
		}
	}
	v.Unit = unitFor(hi)
	u := v.Unit
	xl := res.Param

	// Units of the top-ups and outlays.
	var tall, oall []float64
	for _, p := range res.Points {
		tall = append(tall, float64(p.Topup), float64(p.TopupPooled))
		if tot, ok := p.Outlays["total"]; ok && len(tot) > 0 {
			oall = append(oall, float64(tot[0]))
		}
	}
	tuu := unitFor(tall...)
	v.TopupUnit, v.OutlaysUnit = tuu, unitFor(oall...)
	if res.Param2 != "" {
		// A 2-D sweep: heat maps over the grid instead of lines.
		g, err := newSweepGrid(cf, res, v.Values[:len(res.Values)])
		if err != nil {
			return nil, err
		}
		v.Grid = g
	} else {
		// Lines per party.
		var mean, tail []lineSeries
		for _, key := range sweepParties {
			pn := partyName(key)
			var ym, yt []float64
			for _, p := range res.Points {
				st, ok := p.Loss[key]
				if !ok {
					ym, yt = append(ym, math.NaN()), append(yt, math.NaN())
					continue
				}
				ym, yt = append(ym, float64(st.Mean)/u.Yuan), append(yt, float64(st.ES["0.99"])/u.Yuan)
			}
			c := partyColor[key]
			// The national fund is dashed: under the default policy its loss
			// equals the re-guarantor's, and a solid line would hide that one.
			mean = append(mean, lineSeries{Label: cf.zhOr(pn.ZH, pn.EN), X: x, Y: ym, Color: c, Dashed: key == "total" || key == "national_fund"})
			tail = append(tail, lineSeries{Label: cf.zhOr(pn.ZH, pn.EN), X: x, Y: yt, Color: c, Dashed: key == "total" || key == "national_fund"})
		}
		var err error
		ul := cf.zhOr(u.ZH, u.EN)
		if v.Losses, err = lineChart(cf, "sweep-loss", name{"Expected loss by party", "各方期望损失"}, xl, ul, mean, ptr(0.0), nil); err != nil {
			return nil, err
		}
		if v.Tails, err = lineChart(cf, "sweep-es", name{"ES 99 % by party", "各方 ES 99%"}, xl, ul, tail, ptr(0.0), nil); err != nil {
			return nil, err
		}

		// Lines per target: the city's (or the policy's) P(hold), else the
		// worst guarantor's; the lowest over the years.
		type key struct{ id, scope string }
		lowest := map[key][]float64{}
		var order []key
		for i, p := range res.Points {
			for _, t := range p.Targets {
				k := key{t.ID, t.Scope}
				if _, ok := lowest[k]; !ok {
					lowest[k] = make([]float64, len(res.Points))
					for j := range lowest[k] {
						lowest[k][j] = math.NaN()
					}
					order = append(order, k)
				}
				lowest[k][i] = float64(t.Lowest)
			}
		}
		var tl []lineSeries
		for _, id := range append(slices.Clone(targetOrder), extraIDs(order, func(k key) string { return k.id })...) {
			var ys []float64
			var label string
			switch {
			case lowest[key{id, sim.CityScope}] != nil:
				ys, label = lowest[key{id, sim.CityScope}], id+" (city)"
			case lowest[key{id, "policy"}] != nil:
				ys, label = lowest[key{id, "policy"}], id+" (policy)"
			default:
				for _, k := range order {
					if k.id != id {
						continue
					}
					if ys == nil {
						ys = slices.Clone(lowest[k])
						continue
					}
					for j := range ys {
						ys[j] = math.Min(ys[j], lowest[k][j])
					}
				}
				label = id + " (worst guarantor)"
			}
			if ys == nil {
				continue
			}
			if cf.cjk {
				label = targetName(id).ZH + " " + label
			}
			tl = append(tl, lineSeries{Label: label, X: x, Y: ys, Color: paletteColor(len(tl))})
		}
		if v.Targets, err = lineChart(cf, "sweep-targets", name{"Probability each target holds (lowest over the years)", "目标达成概率（各年最低）"},
			xl, cf.bi("P(hold)", "概率"), tl, ptr(0.0), ptr(1.0)); err != nil {
			return nil, err
		}

		// Top-up.
		var tu, tp []float64
		for _, p := range res.Points {
			tu, tp = append(tu, float64(p.Topup)/tuu.Yuan), append(tp, float64(p.TopupPooled)/tuu.Yuan)
		}
		conf := levelPct(strconv.FormatFloat(float64(res.Confidence), 'g', -1, 64))
		if v.Topup, err = lineChart(cf, "sweep-topup", name{"Capital top-up at " + conf, "资本金补充需求 " + conf}, xl, cf.zhOr(tuu.ZH, tuu.EN),
			[]lineSeries{{Label: cf.bi("Σ guarantors", "各机构合计"), X: x, Y: tu, Color: paletteColor(0)},
				{Label: cf.bi("pooled", "全市统筹"), X: x, Y: tp, Color: paletteColor(1), Dashed: true}}, ptr(0.0), nil); err != nil {
			return nil, err
		}

		// Heat: every target and scope along the values.
		slices.SortStableFunc(order, func(a, b key) int {
			if c := targetRank(a.id) - targetRank(b.id); c != 0 {
				return c
			}
			return scopeRank(a.scope) - scopeRank(b.scope)
		})
		for i, k := range order {
			row := sweepHeatRow{Target: targetName(k.id), ID: k.id, Scope: gn.scope(k.scope), First: i == 0 || order[i-1].id != k.id}
			for j := range res.Points {
				row.Cells = append(row.Cells, heatOf(sim.TargetResult{ID: k.id, Scope: k.scope, PHold: sim.Number(lowest[k][j]),
					SE: sim.Number(math.NaN()), Threshold: sim.Number(math.NaN())}))
				row.Cells[j].Title = fmt.Sprintf("%s, %s at %s = %s: lowest P(hold) over the years %s", k.id, k.scope, res.Param,
					v.Values[j], fmtPct(lowest[k][j], 1))
			}
			v.Heat.Rows = append(v.Heat.Rows, row)
		}
		for i := range v.Heat.Rows {
			if v.Heat.Rows[i].First {
				n := 1
				for j := i + 1; j < len(v.Heat.Rows) && !v.Heat.Rows[j].First; j++ {
					n++
				}
				v.Heat.Rows[i].N = n
			}
		}
	}

	// Table of points.
	for i, p := range res.Points {
		r := sweepRow{Value: v.Values[i], PDMult: fmtNum(float64(p.PDMultiplier), 3), Topup: fmtIn(float64(p.Topup), tuu),
			TopupPooled: fmtIn(float64(p.TopupPooled), tuu)}
		if p.Value2 != nil {
			r.Value2 = fmtNum(float64(*p.Value2), decimalsOf(res.Values2))
		}
		for _, key := range sweepParties {
			st, ok := p.Loss[key]
			if !ok {
				r.Mean, r.ES99 = append(r.Mean, "–"), append(r.ES99, "–")
				continue
			}
			r.Mean, r.ES99 = append(r.Mean, fmtIn(float64(st.Mean), u)), append(r.ES99, fmtIn(float64(st.ES["0.99"]), u))
		}
		if tot, ok := p.Outlays["total"]; ok && len(tot) > 0 {
			r.OutlaysY1 = fmtIn(float64(tot[0]), v.OutlaysUnit)
		}
		v.Rows = append(v.Rows, r)
	}

	for _, d := range res.Differences {
		gain := math.NaN()
		if d.SEPaired > 0 {
			gain = float64(d.SEIndependent) / float64(d.SEPaired)
		}
		pn := partyName(d.Party)
		v.Diffs = append(v.Diffs, diffRow{From: fmtNum(float64(d.From), decimalsOf(res.Values)), To: fmtNum(float64(d.To), decimalsOf(res.Values)),
			Party: pn.EN + " " + pn.ZH, Mean: fmtIn(float64(d.Mean), u), Paired: fmtIn(float64(d.SEPaired), u),
			Independent: fmtIn(float64(d.SEIndependent), u), Gain: fmtGain(gain)})
		if d.Value2 != nil {
			v.Diffs[len(v.Diffs)-1].At2 = fmtNum(float64(*d.Value2), decimalsOf(res.Values2))
		}
	}
	return v, nil
}

func fmtGain(g float64) string {
	switch {
	case math.IsInf(g, 1) || g > 1e6:
		return "exact"
	case !finite(g):
		return "–"
	}
	return fmtNum(g, 1) + "×"
}

// partyName names a party by its key (format.Parties); an unknown key is
// its own English name.
func partyName(key string) name {
	if n, ok := format.Parties[key]; ok {
		return name{n.EN, n.ZH}
	}
	return name{key, ""}
}

func targetRank(id string) int {
	if i := slices.Index(targetOrder, id); i >= 0 {
		return i
	}
	return len(targetOrder)
}

// extraIDs lists the ids of keys not in targetOrder, sorted.
func extraIDs[K any](keys []K, id func(K) string) []string {
	var out []string
	for _, k := range keys {
		if s := id(k); !slices.Contains(targetOrder, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// decimalsOf is how many decimals show every value exactly (at most 4).
func decimalsOf(vs []sim.Number) int {
	d := 0
	for _, v := range vs {
		for d < 4 && math.Abs(float64(v)*math.Pow(10, float64(d))-math.Round(float64(v)*math.Pow(10, float64(d)))) > 1e-9 {
			d++
		}
	}
	return d
}

// topupView is what a top-up page and report show (danbao.topup/v1).
type topupView struct {
	Res        *sim.TopupResult
	Levels     []string // requested confidences
	Curve      chart
	Bars       chart
	City       []topupCityRow
	Guarantors []topupGuarantorRow
	Counties   []topupCountyRow
	Elapsed    string
	// One money unit per table, from all its amounts.
	CityUnit, GuarantorUnit, CountyUnit unit
	Years                               string // the horizon in words (horizonText)
	Joint                               *jointView
}

// jointView is the joint top-up (danbao topup --joint) beside the
// stand-alone amounts, in one unit.
type jointView struct {
	Level, Method                             string
	Unit                                      unit
	Total, Certain, Risk, Standalone, Common  string
	PJoint, PStandalone, PCommon, CommonLevel string
	Rows                                      []jointRow
}

type jointRow struct {
	Name, ID                                    string
	Amount, Certain, Risk, Standalone, AtCommon string
}

// newJointView lays out j; names come from the guarantors' rows.
func newJointView(j *sim.JointTopup, gs []sim.GuarantorTopup) *jointView {
	var all []float64
	for _, g := range j.Guarantors {
		all = append(all, float64(g.Amount), float64(g.Standalone), float64(g.AtCommon))
	}
	u := unitFor(all...)
	names := map[string]string{}
	for _, g := range gs {
		names[g.Guarantor] = g.Name
	}
	v := &jointView{Level: levelPct(strconv.FormatFloat(float64(j.Confidence), 'g', -1, 64)), Method: j.Method, Unit: u,
		Total: fmtIn(float64(j.Total), u), Certain: fmtIn(float64(j.Certain), u), Risk: fmtIn(float64(j.Risk), u),
		Standalone: fmtIn(float64(j.StandaloneTotal), u), Common: fmtIn(float64(j.CommonTotal), u),
		PJoint: fmtPct(float64(j.PJoint), 1) + " ± " + fmtPct(float64(j.SE), 1), PStandalone: fmtPct(float64(j.PStandalone), 1),
		PCommon: fmtPct(float64(j.PCommon), 1), CommonLevel: fmtPct(float64(j.CommonLevel), 2)}
	for _, g := range j.Guarantors {
		v.Rows = append(v.Rows, jointRow{Name: names[g.Guarantor], ID: g.Guarantor, Amount: fmtIn(float64(g.Amount), u),
			Certain: fmtIn(float64(g.Certain), u), Risk: fmtIn(float64(g.Risk), u), Standalone: fmtIn(float64(g.Standalone), u),
			AtCommon: fmtIn(float64(g.AtCommon), u)})
	}
	return v
}

type topupCityRow struct {
	Level, Total, Pooled, PCapitalAll, PLevMin string
}

type topupGuarantorRow struct {
	Name, ID, County, PNeed, MeanNeed, Gap, PLevBefore string
	At                                                 []topupCell
}

type topupCell struct {
	Amount, CI, PCapital, PLevMin string
	Idle                          bool
}

type topupCountyRow struct {
	County string
	At     []string
}

func newTopupView(cf *chartFonts, res *sim.TopupResult) (*topupView, error) {
	v := &topupView{Res: res, Elapsed: fmtNum(res.ElapsedSeconds, 1), Years: horizonText(res.HorizonYears)}
	for _, c := range res.Confidences {
		v.Levels = append(v.Levels, levelPct(strconv.FormatFloat(float64(c), 'g', -1, 64)))
	}
	hi := 0.0
	for _, l := range res.City.Curve {
		hi = max(hi, float64(l.Total), float64(l.Pooled))
	}
	u := unitFor(hi)
	var x, total, pooled []float64
	for _, l := range res.City.Curve {
		x = append(x, float64(l.Confidence)*100)
		total, pooled = append(total, float64(l.Total)/u.Yuan), append(pooled, float64(l.Pooled)/u.Yuan)
	}
	series := []lineSeries{
		{Label: cf.bi("City: Σ guarantors", "全市合计"), X: x, Y: total, Color: color.RGBA{0x1d, 0x27, 0x33, 0xff}},
		{Label: cf.bi("City: pooled", "全市统筹"), X: x, Y: pooled, Color: color.RGBA{0x1d, 0x27, 0x33, 0xff}, Dashed: true},
	}
	// The five guarantors needing the most at the highest requested level.
	gs := slices.Clone(res.Guarantors)
	last := func(g sim.GuarantorTopup) float64 {
		if len(g.At) == 0 {
			return 0
		}
		return float64(g.At[len(g.At)-1].Amount)
	}
	slices.SortStableFunc(gs, func(a, b sim.GuarantorTopup) int {
		switch {
		case last(a) > last(b):
			return -1
		case last(a) < last(b):
			return 1
		}
		return 0
	})
	for i, g := range gs {
		if i >= 5 || last(g) <= 0 {
			break
		}
		var y []float64
		for _, l := range g.Curve {
			y = append(y, float64(l.Amount)/u.Yuan)
		}
		label := g.Guarantor
		if cf.cjk && g.Name != "" {
			label = shortName(g.Name)
		}
		series = append(series, lineSeries{Label: label, X: x, Y: y, Color: paletteColor(i)})
	}
	var err error
	if v.Curve, err = lineChart(cf, "topup-curve", name{"Capital top-up by confidence", "资本金补充需求曲线"},
		cf.bi("Confidence the capital targets hold (%)", "置信水平"), cf.zhOr(u.ZH, u.EN), series, ptr(0.0), nil); err != nil {
		return nil, err
	}

	// Bars: each guarantor at the requested levels.
	var cats []string
	bars := make([]barSeries, len(res.Confidences))
	bhi := 0.0
	for _, g := range res.Guarantors {
		for _, a := range g.At {
			bhi = max(bhi, float64(a.Amount))
		}
	}
	bu := unitFor(bhi)
	for k := range res.Confidences {
		bars[k] = barSeries{Label: v.Levels[k], Color: paletteColor(k)}
	}
	for _, g := range res.Guarantors {
		l := g.Guarantor
		if cf.cjk && g.Name != "" {
			l = shortName(g.Name)
		}
		cats = append(cats, l)
		for k := range res.Confidences {
			val := 0.0
			if k < len(g.At) {
				val = float64(g.At[k].Amount) / bu.Yuan
			}
			bars[k].Values = append(bars[k].Values, val)
		}
	}
	if v.Bars, err = barChart(cf, "topup-guarantors", name{"Top-up by guarantor", "各担保机构资本金补充"}, cats, bars,
		cf.zhOr(bu.ZH, bu.EN), false, nil, vg.Length(chartH)); err != nil {
		return nil, err
	}

	var call, gall, kall []float64
	for _, l := range res.City.At {
		call = append(call, float64(l.Total), float64(l.Pooled))
	}
	for _, g := range res.Guarantors {
		gall = append(gall, float64(g.MeanNeed), float64(g.RegisteredGap))
		for _, a := range g.At {
			gall = append(gall, float64(a.Amount), float64(a.Low), float64(a.High))
		}
	}
	for _, c := range res.Counties {
		for _, a := range c.At {
			kall = append(kall, float64(a.Amount))
		}
	}
	cu, gu, ku := unitFor(call...), unitFor(gall...), unitFor(kall...)
	v.CityUnit, v.GuarantorUnit, v.CountyUnit = cu, gu, ku
	for _, l := range res.City.At {
		v.City = append(v.City, topupCityRow{Level: levelPct(strconv.FormatFloat(float64(l.Confidence), 'g', -1, 64)),
			Total: fmtIn(float64(l.Total), cu), Pooled: fmtIn(float64(l.Pooled), cu), PCapitalAll: fmtPct(float64(l.PCapitalAll), 1),
			PLevMin: fmtPct(float64(l.PLeverageMin), 1)})
	}
	for _, g := range res.Guarantors {
		r := topupGuarantorRow{Name: g.Name, ID: g.Guarantor, County: countyLabel(g.County), PNeed: fmtPct(float64(g.PNeed), 1),
			MeanNeed: fmtIn(float64(g.MeanNeed), gu), Gap: fmtIn(float64(g.RegisteredGap), gu), PLevBefore: fmtPct(float64(g.PLeverageMinBefore), 1)}
		for _, a := range g.At {
			ci := fmtIn(float64(a.Low), gu) + " – " + fmtIn(float64(a.High), gu)
			if a.Low == 0 && a.High == 0 {
				ci = "" // no need on any path: no wall of "0.00 – 0.00"
			}
			r.At = append(r.At, topupCell{Amount: fmtIn(float64(a.Amount), gu), CI: ci,
				PCapital: fmtPct(float64(a.PCapital), 1), PLevMin: fmtPct(float64(a.PLeverageMin), 1), Idle: a.Idle})
		}
		v.Guarantors = append(v.Guarantors, r)
	}
	for _, c := range res.Counties {
		r := topupCountyRow{County: countyLabel(c.County)}
		for _, a := range c.At {
			r.At = append(r.At, fmtIn(float64(a.Amount), ku))
		}
		v.Counties = append(v.Counties, r)
	}
	if res.Joint != nil {
		v.Joint = newJointView(res.Joint, res.Guarantors)
	}
	return v, nil
}

// RenderSweep writes a sweep (danbao.sweep/v1) as one self-contained HTML
// file, as RenderReport does for a run. pos (optional) names the guarantors.
func RenderSweep(w io.Writer, res *sim.SweepResult, pos *models.Position) error {
	return renderView(w, "RenderSweep", "sweepreport", res, func(cf *chartFonts, res *sim.SweepResult) (*sweepView, error) {
		return newSweepView(cf, res, guarantorNames(pos))
	})
}

// RenderTopup writes a top-up (danbao.topup/v1) as one self-contained HTML file.
func RenderTopup(w io.Writer, res *sim.TopupResult) error {
	return renderView(w, "RenderTopup", "topupreport", res, newTopupView)
}

// renderView writes res as the self-contained file of template name,
// through its view (newView); fn names the caller in the error of a nil res.
func renderView[R, V any](w io.Writer, fn, name string, res *R, newView func(*chartFonts, *R) (V, error)) error {
	if res == nil {
		return fmt.Errorf("web: %s: nil result", fn)
	}
	v, err := newView(loadFonts(), res)
	if err != nil {
		return err
	}
	return renderStandalone(w, name, v)
}

// standaloneData is the data of a self-contained file other than a run's report.
type standaloneData struct {
	View      any
	Generated string
	CSS       template.CSS
}

func renderStandalone(w io.Writer, name string, view any) error {
	css, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		return err
	}
	return writeOutlined(w, loadFonts(), func(w io.Writer) error {
		return reportTemplate.ExecuteTemplate(w, name, standaloneData{View: view, CSS: template.CSS(css),
			Generated: time.Now().UTC().Format("2006-01-02 15:04 UTC")})
	})
}

// jobKinds are the asynchronous job kinds the pages show besides runs:
// URL segment (as in /v1/…) and template.
var jobPages = map[string]string{"sweeps": "sweep.html", "topups": "topup.html", "solves": "solve.html"}

// jobData is the data of a sweep or top-up page.
type jobData struct {
	Kind   string // "sweeps", "topups"
	Status runStatus
	Sweep  *sweepView
	Topup  *topupView
	Solve  *solveView
	Base   string // /ui/sweeps/{id}
}

// jobPage shows a sweep or a top-up: progress while it runs, then the result.
func (h *Handler) jobPage(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		base := "/v1/" + kind + "/" + url.PathEscape(id)
		var st runStatus
		if err := h.call(r, http.MethodGet, base, nil, &st); err != nil {
			h.fail(w, r, err)
			return
		}
		d := jobData{Kind: kind, Status: st, Base: "/ui/" + kind + "/" + url.PathEscape(st.ID)}
		if st.State == dto.StateSucceeded {
			var err error
			switch kind {
			case "sweeps":
				var res sim.SweepResult
				if err = h.call(r, http.MethodGet, base+"/result", nil, &res); err == nil {
					var pos *models.Position
					if st.Portfolio != "" {
						pos, _ = h.position(r, st.Portfolio, "") // names only; a deleted portfolio shows ids
					}
					d.Sweep, err = newSweepView(h.fonts, &res, guarantorNames(pos))
				}
			case "topups":
				var res sim.TopupResult
				if err = h.call(r, http.MethodGet, base+"/result", nil, &res); err == nil {
					d.Topup, err = newTopupView(h.fonts, &res)
				}
			case "solves":
				var res sim.SolveResult
				if err = h.call(r, http.MethodGet, base+"/result", nil, &res); err == nil {
					d.Solve, err = newSolveView(h.fonts, &res)
				}
			}
			if err != nil {
				h.fail(w, r, err)
				return
			}
		}
		title := map[string]string{"sweeps": "Sweep 参数扫描 ", "topups": "Top-up 资本金补充 ", "solves": "Solve 目标反求参数 "}[kind] + st.ID
		h.render(w, r, http.StatusOK, jobPages[kind], page{Title: title, Nav: "runs", Refresh: !st.Finished(), Data: d})
	}
}

// horizonText is "期限 3 年 · horizon 3 years" ("1 year" for one).
func horizonText(years int) string {
	return "期限 " + strconv.Itoa(years) + " 年 · horizon " + format.Count(years, "year", "years")
}
