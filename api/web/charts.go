package web

import (
	"bytes"
	"cmp"
	"fmt"
	"html"
	"html/template"
	"image/color"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/wenzhou/danbao/sim"
)

// chart is one SVG chart with its caption. Marks counts the data marks
// drawn (bars, bins, line points); pages expose it as data-marks so a test
// can tell an empty chart from a drawn one.
type chart struct {
	ID      string // element id, e.g. "loss-hist"
	Caption name
	SVG     template.HTML
	Marks   int
	// Legend, when set, is drawn in HTML under the chart (line charts with
	// many series, whose legend would cover the lines).
	Legend []legendItem
}

// legendItem is one entry of an HTML legend.
type legendItem struct {
	Label string
	Style template.CSS // the swatch: "border-top: 3px solid #4e79a7"
}

func swatch(c color.Color, dashed bool) template.CSS {
	r, g, b, _ := c.RGBA()
	kind := "solid"
	if dashed {
		kind = "dashed"
	}
	return template.CSS(fmt.Sprintf("border-top: 3px %s #%02x%02x%02x", kind, r>>8, g>>8, b>>8))
}

// barSwatch is the legend swatch of a bar series: a filled block.
func barSwatch(c color.Color) template.CSS {
	r, g, b, _ := c.RGBA()
	return template.CSS(fmt.Sprintf("height: .7rem; background: #%02x%02x%02x", r>>8, g>>8, b>>8))
}

// Chart sizes, in points (1/72 inch); pages scale them to their column.
const (
	chartW = 520
	chartH = 270
)

// Colors of the parties (Tableau 10), used by every chart.
var partyColor = map[string]color.RGBA{
	"total":         {0x4e, 0x79, 0xa7, 0xff},
	"bank":          {0x59, 0xa1, 0x4f, 0xff},
	"guarantor":     {0xf2, 0x8e, 0x2b, 0xff},
	"reguarantor":   {0xe1, 0x57, 0x59, 0xff},
	"national_fund": {0x76, 0xb7, 0xb2, 0xff},
	"county_fund":   {0xb0, 0x7a, 0xa1, 0xff},
}

var palette = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff}, {0x76, 0xb7, 0xb2, 0xff},
	{0x59, 0xa1, 0x4f, 0xff}, {0xed, 0xc9, 0x48, 0xff}, {0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff},
	{0x9c, 0x75, 0x5f, 0xff}, {0xba, 0xb0, 0xac, 0xff},
}

func paletteColor(i int) color.RGBA { return palette[i%len(palette)] }

// newPlot returns a plot whose every text uses the chart fonts.
func newPlot(cf *chartFonts, title string) *plot.Plot {
	p := plot.New()
	p.TextHandler = cf.handler
	set := func(s *text.Style, size vg.Length) {
		s.Font = font.From(cf.font, size)
		s.Handler = cf.handler
	}
	set(&p.Title.TextStyle, 12)
	set(&p.X.Label.TextStyle, 10)
	set(&p.Y.Label.TextStyle, 10)
	set(&p.X.Tick.Label, 9)
	set(&p.Y.Tick.Label, 9)
	set(&p.Legend.TextStyle, 9)
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.Legend.Top = true
	p.Y.Tick.Marker = groupTicker{}
	p.X.Tick.Marker = groupTicker{}
	p.Add(plotter.NewGrid())
	return p
}

// groupTicker puts about six labelled ticks at round numbers (1, 2, 2.5
// or 5 × 10ⁿ apart), with as few decimals as the step needs and digit
// groups: 0, 2,500, 5,000, …
type groupTicker struct{}

func (groupTicker) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || !finite(lo) || !finite(hi) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, f := range []float64{1, 2, 2.5, 5} {
		if f*mag >= raw {
			step = f * mag
			break
		}
	}
	dec := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	if r := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9)); math.Abs(r-2.5) < 1e-9 {
		dec++ // 0.25, 2.5 need one more
	}
	if step >= 1 && math.Abs(step-math.Round(step)) < 1e-9 {
		dec = 0
	}
	var ts []plot.Tick
	minor := step / 5
	for k := math.Ceil(lo/minor - 1e-9); k*minor <= hi+minor*1e-9; k++ {
		v := k * minor
		if v < lo-minor*1e-9 {
			continue
		}
		t := plot.Tick{Value: v}
		if q := v / step; math.Abs(q-math.Round(q)) < 1e-6 {
			if math.Abs(v) < step*1e-9 {
				v = 0
			}
			t.Label = GroupDigits(strconv.FormatFloat(v, 'f', dec, 64))
		}
		ts = append(ts, t)
	}
	return ts
}

var svgStart = regexp.MustCompile(`<svg width="[^"]*" height="[^"]*"`)

// render draws p as an inline SVG element (no XML prolog, scaled by CSS
// through its viewBox) titled aria.
func render(p *plot.Plot, w, h vg.Length, aria string) (template.HTML, error) {
	c := vgsvg.New(w, h)
	// gonum/plot sets the X label's baseline one descent above the bottom
	// edge, and descenders (p, y, _) of the CJK font reach past it: keep a
	// 3 pt margin below.
	p.Draw(draw.Crop(draw.New(c), 0, 0, vg.Points(3), 0))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("web: draw chart %q: %w", aria, err)
	}
	s := buf.String()
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", fmt.Errorf("web: draw chart %q: no <svg> element", aria)
	}
	s = s[i:]
	s = svgStart.ReplaceAllLiteralString(s, `<svg role="img" aria-label="`+html.EscapeString(aria)+`"`)
	if j := strings.Index(s, ">"); j > 0 {
		s = s[:j+1] + "\n<title>" + html.EscapeString(aria) + "</title>" + s[j+1:]
	}
	return template.HTML(s), nil // #nosec: vgsvg escapes every text it writes; the rest is ours
}

// vline is a vertical line at x from 0 to y, for VaR and ES marks.
func vline(x, y float64, c color.Color, dashes []vg.Length) (*plotter.Line, error) {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: y}})
	if err != nil {
		return nil, err
	}
	l.Color = c
	l.Width = vg.Points(1.6)
	l.Dashes = dashes
	return l, nil
}

// histogram bins x into n equal bins over [lo, hi]; NaNs are skipped.
func histogram(x []float64, n int) (bins []plotter.HistogramBin, width float64, drawn int) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		if finite(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo > hi {
		return nil, 0, 0
	}
	if hi == lo {
		lo, hi = lo-0.5, hi+0.5
	}
	width = (hi - lo) / float64(n)
	bins = make([]plotter.HistogramBin, n)
	for i := range bins {
		bins[i].Min, bins[i].Max = lo+float64(i)*width, lo+float64(i+1)*width
	}
	for _, v := range x {
		if !finite(v) {
			continue
		}
		k := min(int((v-lo)/width), n-1)
		bins[k].Weight++
	}
	for _, b := range bins {
		if b.Weight > 0 {
			drawn++
		}
	}
	return bins, width, drawn
}

// lossHistogram draws the distribution of per-path losses (yuan) in unit
// u (the unit of the section it is drawn in) with VaR and ES at 95 % and
// 99 % marked.
func lossHistogram(cf *chartFonts, id string, losses []float64, st sim.LossStats, caption name, u unit) (chart, error) {
	ch := chart{ID: id, Caption: caption}
	x := make([]float64, len(losses))
	for i, v := range losses {
		x[i] = v / u.Yuan
	}
	n := min(max(int(math.Sqrt(float64(len(x)))), 10), 60)
	bins, width, drawn := histogram(x, n)
	p := newPlot(cf, cf.bi(caption.EN, caption.ZH))
	p.X.Label.Text = cf.bi("Loss over the horizon", "损失") + " (" + cf.zhOr(u.ZH, u.EN) + ")"
	p.Y.Label.Text = cf.bi("Paths", "路径数")
	if len(bins) > 0 {
		h := &plotter.Histogram{Bins: bins, Width: width, FillColor: color.RGBA{0x9d, 0xb9, 0xd3, 0xff},
			LineStyle: draw.LineStyle{Color: color.RGBA{0x4e, 0x79, 0xa7, 0xff}, Width: vg.Points(0.5)}}
		p.Add(h)
		p.Legend.Add(cf.bi(fmt.Sprintf("%d paths", len(x)), "路径"), h)
		top := 0.0
		for _, b := range bins {
			top = max(top, b.Weight)
		}
		marks := []struct {
			label string
			v     float64
			c     color.RGBA
			dash  []vg.Length
		}{
			{"VaR 95 %", float64(st.VaR["0.95"]), color.RGBA{0xf2, 0x8e, 0x2b, 0xff}, []vg.Length{vg.Points(4), vg.Points(2)}},
			{"VaR 99 %", float64(st.VaR["0.99"]), color.RGBA{0xe1, 0x57, 0x59, 0xff}, []vg.Length{vg.Points(4), vg.Points(2)}},
			{"ES 99 %", float64(st.ES["0.99"]), color.RGBA{0x8b, 0x1a, 0x1a, 0xff}, nil},
		}
		for _, m := range marks {
			if !finite(m.v) {
				continue
			}
			l, err := vline(m.v/u.Yuan, top, m.c, m.dash)
			if err != nil {
				return ch, err
			}
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s = %s", m.label, fmtIn(m.v, u)), l)
		}
		p.Y.Min = 0
		p.Y.Max = top * 1.3 // room for the legend
	}
	ch.Marks = drawn
	svg, err := render(p, chartW, chartH, caption.EN)
	ch.SVG = svg
	return ch, err
}

// barSeries is one series of a bar chart.
type barSeries struct {
	Label  string
	Values []float64
	Color  color.Color
}

// barChart draws grouped bars: one group per category, one bar per
// series. Horizontal bars suit long category names. With reference lines
// the legend is drawn in HTML under the chart (chart.Legend): inside the
// plot it would sit on a line near the top of the axis (the leverage cap).
func barChart(cf *chartFonts, id string, caption name, categories []string, series []barSeries,
	valueLabel string, horizontal bool, refs []refLine, h vg.Length) (chart, error) {
	ch := chart{ID: id, Caption: caption}
	p := newPlot(cf, cf.bi(caption.EN, caption.ZH))
	n := len(series)
	if n == 0 || len(categories) == 0 {
		svg, err := render(p, chartW, h, caption.EN)
		ch.SVG = svg
		return ch, err
	}
	// Bars share the width of a category slot.
	slot := vg.Points(float64(chartW-90) / float64(len(categories)))
	if horizontal {
		slot = vg.Points(float64(h-60) / float64(len(categories)))
	}
	bw := min(slot*0.8/vg.Length(n), vg.Points(28))
	top := 0.0
	for i, s := range series {
		vals := make(plotter.Values, len(s.Values))
		for j, v := range s.Values {
			if finite(v) {
				vals[j] = v
				top = max(top, v)
				if v != 0 {
					ch.Marks++
				}
			}
		}
		b, err := plotter.NewBarChart(vals, bw)
		if err != nil {
			return ch, err
		}
		b.Color = s.Color
		b.LineStyle.Width = 0
		b.Horizontal = horizontal
		b.Offset = vg.Length(float64(i)-float64(n-1)/2) * bw
		p.Add(b)
		switch {
		case len(refs) > 0:
			ch.Legend = append(ch.Legend, legendItem{Label: s.Label, Style: barSwatch(s.Color)})
		case n > 1 || s.Label != "":
			p.Legend.Add(s.Label, b)
		}
	}
	for _, r := range refs {
		top = max(top, r.Value)
		l, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: r.Value}, {X: float64(len(categories)) - 0.5, Y: r.Value}})
		if err != nil {
			return ch, err
		}
		if horizontal {
			l.XYs = plotter.XYs{{X: r.Value, Y: -0.5}, {X: r.Value, Y: float64(len(categories)) - 0.5}}
		}
		l.Color = r.Color
		l.Width = vg.Points(1.2)
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(l)
		ch.Legend = append(ch.Legend, legendItem{Label: r.Label, Style: swatch(r.Color, true)})
	}
	if horizontal {
		p.NominalY(categories...)
		p.X.Label.Text = valueLabel
		p.X.Min = min(p.X.Min, 0)
		p.Y.Tick.Marker = nominal(categories)
	} else {
		p.NominalX(categories...)
		p.Y.Label.Text = valueLabel
		p.Y.Min = min(p.Y.Min, 0)
		switch {
		case len(refs) > 0:
			p.Y.Max = max(p.Y.Max, top*1.05) // the lines clear the frame
		case n > 1:
			p.Y.Max = max(p.Y.Max, top*1.28) // room for the legend
		}
		p.X.Tick.Marker = nominal(categories)
	}
	svg, err := render(p, chartW, h, caption.EN)
	ch.SVG = svg
	return ch, err
}

// refLine is a horizontal reference line (a target threshold) on a bar chart.
type refLine struct {
	Label string
	Value float64
	Color color.Color
}

// nominal is the ticker of NominalX / NominalY, kept when newPlot's
// groupTicker would replace it.
func nominal(names []string) plot.Ticker {
	return plot.TickerFunc(func(min, max float64) []plot.Tick {
		ts := make([]plot.Tick, len(names))
		for i, n := range names {
			ts[i] = plot.Tick{Value: float64(i), Label: n}
		}
		return ts
	})
}

// lineSeries is one line of a line chart.
type lineSeries struct {
	Label  string
	X, Y   []float64
	Color  color.Color
	Dashed bool
}

// lineChart draws lines with points, for sweeps and the top-up curve.
// A series whose points lie on an earlier series' (under the 4321 policy
// the national fund's loss is the re-guarantor's) would hide behind it: it
// is drawn first, as a wide band with rings around its points, the earlier
// line runs on top of it, and its legend entry names the line it
// coincides with.
func lineChart(cf *chartFonts, id string, caption name, xLabel, yLabel string, series []lineSeries, yMin, yMax *float64) (chart, error) {
	ch := chart{ID: id, Caption: caption}
	p := newPlot(cf, cf.bi(caption.EN, caption.ZH))
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	xys := make([]plotter.XYs, len(series))
	for k, s := range series {
		for i := range s.X {
			if i < len(s.Y) && finite(s.X[i]) && finite(s.Y[i]) {
				xys[k] = append(xys[k], plotter.XY{X: s.X[i], Y: s.Y[i]})
			}
		}
	}
	var under, over []plot.Plotter
	for k, s := range series {
		xy := xys[k]
		if len(xy) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return ch, err
		}
		l.Color, pts.Color = s.Color, s.Color
		l.Width = vg.Points(1.6)
		pts.Shape = draw.CircleGlyph{}
		pts.Radius = vg.Points(2.5)
		item := legendItem{Label: s.Label, Style: swatch(s.Color, s.Dashed)}
		if j := coincides(xys, k); j >= 0 {
			l.Width = vg.Points(5)
			pts.Shape = draw.RingGlyph{}
			pts.Radius = vg.Points(4.5)
			item.Label += " = " + series[j].Label + "（重合 coincide）"
			item.Style = swatch(s.Color, false) + "; border-top-width: 6px"
			under = append(under, l, pts)
		} else {
			if s.Dashed {
				l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			over = append(over, l, pts)
		}
		ch.Legend = append(ch.Legend, item)
		ch.Marks += len(xy)
	}
	p.Add(under...)
	p.Add(over...)
	if yMin != nil {
		p.Y.Min = *yMin
	}
	if yMax != nil {
		p.Y.Max = *yMax
	}
	svg, err := render(p, chartW, chartH, caption.EN)
	ch.SVG = svg
	return ch, err
}

// coincides returns the index of the first series before k that would
// hide series k: same X, and every Y within 0.5 % of the Y range of all
// series (less than a line's width on the chart); -1 when there is none.
func coincides(xys []plotter.XYs, k int) int {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, xy := range xys {
		for _, p := range xy {
			lo, hi = min(lo, p.Y), max(hi, p.Y)
		}
	}
	tol := 0.005 * (hi - lo)
	for j := range k {
		if len(xys[j]) != len(xys[k]) || len(xys[j]) == 0 {
			continue
		}
		same := true
		for i, a := range xys[k] {
			b := xys[j][i]
			if a.X != b.X || math.Abs(a.Y-b.Y) > tol {
				same = false
				break
			}
		}
		if same {
			return j
		}
	}
	return -1
}

// sortedKeys returns m's keys ordered by value, largest first (ties by key).
func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return keys
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
