package calibrate

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// WriteCalibrationSVG draws the backtest's calibration plot as SVG: per
// outcome the realised default rate (defaults ÷ loans) against the model's
// expected rate (expected ÷ loans), with the model's central 90 % band of
// the rate as a vertical bar, and the diagonal where the two agree.
func (r *BacktestResult) WriteCalibrationSVG(w io.Writer) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Backtest: realised vs expected default rate (verdict %s)", r.Verdict)
	p.X.Label.Text = "expected default rate (model)"
	p.Y.Label.Text = "realised default rate"
	pts := make(plotter.XYs, 0, len(r.Outcomes))
	bars := make(plotterErrors, 0, len(r.Outcomes))
	hi := 0.0
	for _, o := range r.Outcomes {
		if o.Loans == 0 {
			continue
		}
		n := float64(o.Loans)
		x, y := o.Expected/n, float64(o.Defaults)/n
		lo, up := float64(o.Band[0])/n, float64(o.Band[1])/n
		pts = append(pts, plotter.XY{X: x, Y: y})
		bars = append(bars, bar{x: x, lo: lo, hi: up})
		hi = max(hi, x, y, up)
	}
	if hi == 0 {
		hi = 0.01
	}
	hi *= 1.05
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: hi, Y: hi}})
	if err != nil {
		return err
	}
	diag.Color = color.Gray{Y: 128}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(diag, bars)
	if len(pts) > 0 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(2.5)
		sc.GlyphStyle.Color = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
		p.Add(sc)
		p.Legend.Add("outcome (county/guarantor × year)", sc)
	}
	p.Legend.Add("90 % band of the model", bars)
	p.Legend.Add("realised = expected", diag)
	p.Legend.Top, p.Legend.Left = true, true
	p.X.Min, p.Y.Min, p.X.Max, p.Y.Max = 0, 0, hi, hi
	c := vgsvg.New(16*vg.Centimeter, 12*vg.Centimeter)
	p.Draw(draw.New(c))
	_, err = c.WriteTo(w)
	return err
}

// bar is one vertical band [lo, hi] at x.
type bar struct{ x, lo, hi float64 }

// plotterErrors draws vertical bands; it is a plot.Plotter and a
// plot.Thumbnailer.
type plotterErrors []bar

var barColor = color.NRGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xa0}

func (b plotterErrors) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	st := draw.LineStyle{Color: barColor, Width: vg.Points(1)}
	for _, e := range b {
		x := trX(e.x)
		c.StrokeLine2(st, x, trY(e.lo), x, trY(e.hi))
	}
}

func (b plotterErrors) Thumbnail(c *draw.Canvas) {
	st := draw.LineStyle{Color: barColor, Width: vg.Points(1)}
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(st, x, c.Min.Y, x, c.Max.Y)
}
