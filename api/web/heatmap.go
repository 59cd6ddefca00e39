package web

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg/draw"

	"github.com/wenzhou/danbao/sim"
)

// heatColors are the eleven classes of the P(hold) table (style.css
// .h0 … .h10, ColorBrewer RdYlGn): red is bad, green good.
var heatColors = []color.Color{
	color.RGBA{0xa5, 0x00, 0x26, 0xff}, color.RGBA{0xd7, 0x30, 0x27, 0xff}, color.RGBA{0xf4, 0x6d, 0x43, 0xff},
	color.RGBA{0xfd, 0xae, 0x61, 0xff}, color.RGBA{0xfe, 0xe0, 0x8b, 0xff}, color.RGBA{0xff, 0xff, 0xbf, 0xff},
	color.RGBA{0xd9, 0xef, 0x8b, 0xff}, color.RGBA{0xa6, 0xd9, 0x6a, 0xff}, color.RGBA{0x66, 0xbd, 0x63, 0xff},
	color.RGBA{0x1a, 0x98, 0x50, 0xff}, color.RGBA{0x00, 0x68, 0x37, 0xff},
}

type heatPalette []color.Color

func (p heatPalette) Colors() []color.Color { return p }

// heatMetric is one figure of a 2-D sweep drawn over its grid.
type heatMetric struct {
	ID      string
	Caption name // title; Chinese first on the chart
	// Legend states the figure's definition and unit, Chinese first.
	Legend name
	// Z[j][i] is the figure at the first parameter's i-th value and the
	// second's j-th; Text the cell's label.
	Z    [][]float64
	Text [][]string
	// Lo and Hi bound the colour scale; GoodHigh says which end is green.
	Lo, Hi   float64
	GoodHigh bool
	Pct      bool // Z is a probability, shown in per cent
}

// heatGrid adapts Z to gonum's GridXYZ: column c, row r at (c, r).
type heatGrid [][]float64

func (g heatGrid) Dims() (c, r int)   { return len(g[0]), len(g) }
func (g heatGrid) Z(c, r int) float64 { return g[r][c] }
func (g heatGrid) X(c int) float64    { return float64(c) }
func (g heatGrid) Y(r int) float64    { return float64(r) }

// heatChart draws m over the grid: the first parameter (xs, its values'
// labels) across, the second (ys) up, a coloured cell per point with its
// value written in it, and under the chart a legend of the colour scale
// with the figure's definition and unit. Axis titles and the caption put
// the Chinese first.
func heatChart(cf *chartFonts, xTitle, yTitle string, xs, ys []string, m heatMetric) (chart, error) {
	ch := chart{ID: m.ID, Caption: m.Caption}
	if len(ys) == 0 || len(xs) == 0 || len(m.Z) != len(ys) {
		return ch, fmt.Errorf("web: heat map %s: %d × %d values for a %d-row grid", m.ID, len(xs), len(ys), len(m.Z))
	}
	p := newPlot(cf, cf.zhOr(m.Caption.ZH+" "+m.Caption.EN, m.Caption.EN))
	p.X.Label.Text, p.Y.Label.Text = xTitle, yTitle
	p.X.Tick.Marker, p.Y.Tick.Marker = nominal(xs), nominal(ys)
	lo, hi := m.Lo, m.Hi
	if !(hi > lo) { // one value everywhere: any range shows it
		lo, hi = lo-0.5, lo+0.5
		if !finite(lo) {
			lo, hi = 0, 1
		}
	}
	pal := heatPalette(heatColors)
	if !m.GoodHigh {
		pal = make(heatPalette, len(heatColors))
		for i, c := range heatColors {
			pal[len(pal)-1-i] = c
		}
	}
	h := plotter.NewHeatMap(heatGrid(m.Z), pal)
	h.Min, h.Max = lo, hi
	h.NaN = color.RGBA{0xee, 0xee, 0xee, 0xff}
	h.Underflow, h.Overflow = pal[0], pal[len(pal)-1]
	p.Add(h)
	var xy plotter.XYLabels
	for j := range ys {
		for i := range xs {
			xy.XYs = append(xy.XYs, plotter.XY{X: float64(i), Y: float64(j)})
			xy.Labels = append(xy.Labels, m.Text[j][i])
		}
	}
	labels, err := plotter.NewLabels(xy)
	if err != nil {
		return ch, err
	}
	for k := range labels.TextStyle {
		i, j := k%len(xs), k/len(xs)
		c := color.Color(color.Black)
		if cls := heatClass(m.Z[j][i], lo, hi); cls <= 1 || cls >= 9 { // the dark ends
			c = color.White
		}
		labels.TextStyle[k] = text.Style{Font: font.From(cf.font, 8), Handler: cf.handler, Color: c,
			XAlign: draw.XCenter, YAlign: draw.YCenter}
	}
	p.Add(labels)
	p.X.Min, p.X.Max = -0.5, float64(len(xs))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(ys))-0.5
	ch.Marks = len(xs) * len(ys)
	// The legend: five classes of the scale, with their values, then the
	// definition.
	for k := 0; k <= 4; k++ {
		v := lo + (hi-lo)*float64(k)/4
		ch.Legend = append(ch.Legend, legendItem{Label: m.fmt(v), Style: barSwatch(pal[min(len(pal)-1, int(float64(len(pal))*float64(k)/4.0))])})
	}
	ch.Legend = append(ch.Legend, legendItem{Label: m.Legend.ZH + " · " + m.Legend.EN})
	svg, err := render(p, chartW, chartH+40, m.Caption.EN)
	ch.SVG = svg
	return ch, err
}

// heatClass is the colour class 0 … 10 of z on [lo, hi], low first.
func heatClass(z, lo, hi float64) int {
	if !finite(z) || !(hi > lo) {
		return 5
	}
	return min(10, max(0, int(math.Floor((z-lo)/(hi-lo)*10+0.5))))
}

// fmt formats a legend value like the cells: a percentage for
// probabilities, else two decimals.
func (m heatMetric) fmt(v float64) string {
	if m.Pct {
		return fmtPct(v, 1)
	}
	return fmtNum(v, 2)
}

// sweepGrid is what a 2-D sweep adds to its page and report: heat maps of
// the guarantors' expected loss, the top-up and every target whose
// probability moves over the grid; the targets that do not move are
// listed with their one value.
type sweepGrid struct {
	ParamName2 string   // the second parameter's Chinese name
	Values1    []string // the first parameter's values, formatted
	Values2    []string // the second's
	Charts     []chart
	Constant   []string // "balance_min 100 %": targets equal at every point
}

// newSweepGrid draws a 2-D sweep (res.Param2 set) over its grid.
func newSweepGrid(cf *chartFonts, res *sim.SweepResult, xs []string) (*sweepGrid, error) {
	n, m := len(res.Values), len(res.Values2)
	if n == 0 || m == 0 || len(res.Points) != n*m {
		return nil, fmt.Errorf("web: 2-D sweep with %d × %d values has %d points", n, m, len(res.Points))
	}
	g := &sweepGrid{ParamName2: paramZH(res.Param2), Values1: xs}
	for _, v := range res.Values2 {
		g.Values2 = append(g.Values2, fmtNum(float64(v), decimalsOf(res.Values2)))
	}
	title := func(path string) string {
		if zh := paramZH(path); !strings.Contains(zh, path) {
			return cf.zhOr(zh+" "+path, path)
		}
		return path
	}
	xt, yt := title(res.Param), title(res.Param2)
	grid := func(f func(pt *sim.SweepPoint) float64) (z [][]float64, lo, hi float64) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for j := range m {
			row := make([]float64, n)
			for i := range n {
				row[i] = f(&res.Points[j*n+i])
				if finite(row[i]) {
					lo, hi = min(lo, row[i]), max(hi, row[i])
				}
			}
			z = append(z, row)
		}
		return z, lo, hi
	}
	texts := func(z [][]float64, f func(float64) string) [][]string {
		out := make([][]string, len(z))
		for j, row := range z {
			for _, v := range row {
				out[j] = append(out[j], f(v))
			}
		}
		return out
	}
	add := func(hm heatMetric) error {
		ch, err := heatChart(cf, xt, yt, xs, g.Values2, hm)
		g.Charts = append(g.Charts, ch)
		return err
	}

	// The guarantors' expected loss, in one unit.
	var all []float64
	for _, pt := range res.Points {
		all = append(all, float64(pt.Loss["guarantor"].Mean))
	}
	u := unitFor(all...)
	z, lo, hi := grid(func(pt *sim.SweepPoint) float64 { return float64(pt.Loss["guarantor"].Mean) / u.Yuan })
	if err := add(heatMetric{ID: "sweep-grid-guarantor", Caption: name{"Guarantors' expected loss", "担保机构期望损失"},
		Legend: name{"Mean over paths of the credit loss the guarantors bear over the horizon: their part of every claim (after the bank, re-guarantor, national fund and county fund, and what the stop-losses refuse), net of their share of recoveries; in " + u.EN,
			"担保机构期望损失：期限内担保机构承担的信用损失（每笔代偿中扣除银行、再担保、国家融资担保基金、区县风险补偿分担后的部分，含止损线拒付部分，减去按出资比例分回的追偿）的路径平均值；单位 " + u.ZH},
		Z: z, Text: texts(z, func(v float64) string { return fmtNum(v, 2) }), Lo: lo, Hi: hi}); err != nil {
		return nil, err
	}

	// The top-up at the sweep's confidence.
	all = all[:0]
	for _, pt := range res.Points {
		all = append(all, float64(pt.Topup))
	}
	tu := unitFor(all...)
	conf := levelPct(strconv.FormatFloat(float64(res.Confidence), 'g', -1, 64))
	z, lo, hi = grid(func(pt *sim.SweepPoint) float64 { return float64(pt.Topup) / tu.Yuan })
	if err := add(heatMetric{ID: "sweep-grid-topup", Caption: name{"Capital top-up at " + conf, "资本金补充需求 " + conf},
		Legend: name{"Σ over guarantors of the " + conf + " quantile of each one's capital need at t = 0 (the least injection that keeps its capital targets in every year); in " + tu.EN,
			"各担保机构期初资本金需求（使其资本类目标在每一年都成立的最小注资）的 " + conf + " 分位数之和；单位 " + tu.ZH},
		Z: z, Text: texts(z, func(v float64) string { return fmtNum(v, 2) }), Lo: lo, Hi: hi}); err != nil {
		return nil, err
	}

	// Every target: the city's (or the policy's) lowest P(hold) over the
	// years, else the worst guarantor's.
	lowest := func(pt *sim.SweepPoint, id string) (float64, string) {
		worst, scope := math.Inf(1), ""
		for _, t := range pt.Targets {
			if t.ID != id {
				continue
			}
			switch {
			case t.Scope == sim.CityScope || t.Scope == "policy":
				return float64(t.Lowest), t.Scope
			case t.Scope == "all":
				continue
			}
			worst, scope = min(worst, float64(t.Lowest)), "worst guarantor"
		}
		return worst, scope
	}
	var ids []string
	seen := map[string]bool{}
	for _, t := range res.Points[0].Targets {
		if !seen[t.ID] {
			seen[t.ID] = true
			ids = append(ids, t.ID)
		}
	}
	slices.SortStableFunc(ids, func(a, b string) int { return targetRank(a) - targetRank(b) })
	for _, id := range ids {
		_, scope := lowest(&res.Points[0], id)
		z, lo, hi := grid(func(pt *sim.SweepPoint) float64 { v, _ := lowest(pt, id); return v })
		tn := targetName(id)
		if lo == hi {
			g.Constant = append(g.Constant, fmt.Sprintf("%s %s (%s): %s", tn.ZH, id, scope, fmtPct(lo, 1)))
			continue
		}
		scopeZH := map[string]string{sim.CityScope: "全市", "policy": "政策", "worst guarantor": "最差机构"}[scope]
		if err := add(heatMetric{ID: "sweep-grid-" + id, Caption: name{"P(" + id + " holds), " + scope, tn.ZH + "达标概率（" + scopeZH + "）"},
			Legend: name{"Share of paths on which " + id + " holds (" + scope + "), lowest over the years; 0 to 100 %",
				tn.ZH + "：目标成立的路径比例（" + scopeZH + "），取各年最低；0 至 100 %"},
			Z: z, Text: texts(z, func(v float64) string { return fmtPct(v, 1) }), Lo: 0, Hi: 1, GoodHigh: true, Pct: true}); err != nil {
			return nil, err
		}
	}
	return g, nil
}
