package web

import (
	"io"
	"math"

	"github.com/wenzhou/danbao/sim"
)

// solveView is what a solve page and a solve report show
// (danbao.solve/v1): the answer with P(hold) ± SE on both sides, and every
// run of the search on a chart of P(hold) against the value.
type solveView struct {
	Res               *sim.SolveResult
	Word              string // "least" or "greatest"
	WordZH            string
	Value             string
	Holding, Failing  solveRow
	Rows              []solveRow // every evaluation, in order of value
	Chart             chart
	Elapsed, P, Range string
}

type solveRow struct {
	Value, PHold, SE string
	Holds            bool
}

func newSolveView(cf *chartFonts, res *sim.SolveResult) (*solveView, error) {
	v := &solveView{Res: res, Word: "least", WordZH: "最小", Value: fmtG(float64(res.Value)), Elapsed: fmtNum(res.ElapsedSeconds, 1),
		P: fmtPct(float64(res.P), 1), Range: fmtG(float64(res.Range[0])) + " – " + fmtG(float64(res.Range[1]))}
	if res.Direction == "decreasing" {
		v.Word, v.WordZH = "greatest", "最大"
	}
	row := func(e sim.SolvePoint) solveRow {
		return solveRow{Value: fmtG(float64(e.Value)), PHold: fmtPct(float64(e.PHold), 1), SE: fmtPct(float64(e.SE), 1), Holds: e.PHold >= res.P}
	}
	v.Holding, v.Failing = row(res.Holding), row(res.Failing)
	var x, y, lo, hi []float64
	for _, e := range res.Evaluations {
		v.Rows = append(v.Rows, row(e))
		x, y = append(x, float64(e.Value)), append(y, float64(e.PHold))
		lo, hi = append(lo, math.Max(0, float64(e.PHold-2*e.SE))), append(hi, math.Min(1, float64(e.PHold+2*e.SE)))
	}
	pl := []float64{float64(res.P), float64(res.P)}
	px := []float64{float64(res.Range[0]), float64(res.Range[1])}
	series := []lineSeries{
		{Label: cf.bi("P(hold)", "达标概率"), X: x, Y: y, Color: paletteColor(0)},
		{Label: cf.bi("P(hold) − 2 SE", "减 2 标准误"), X: x, Y: lo, Color: paletteColor(9), Dashed: true},
		{Label: cf.bi("P(hold) + 2 SE", "加 2 标准误"), X: x, Y: hi, Color: paletteColor(3), Dashed: true},
		{Label: cf.bi("p required", "要求的概率"), X: px, Y: pl, Color: paletteColor(2), Dashed: true},
	}
	var err error
	v.Chart, err = lineChart(cf, "solve-evaluations", name{"P(hold) at every value searched", "搜索中每个取值的达标概率"},
		res.Param, cf.bi("P(hold)", "概率"), series, ptr(0.0), ptr(1.0))
	return v, err
}

// fmtG formats a parameter value with as many digits as it needs (up to 6
// significant ones).
func fmtG(x float64) string {
	if !finite(x) {
		return "–"
	}
	d := 0
	for d < 6 && math.Abs(x*math.Pow(10, float64(d))-math.Round(x*math.Pow(10, float64(d)))) > 1e-9*math.Max(1, math.Abs(x)) {
		d++
	}
	return fmtNum(x, d)
}

// RenderSolve writes a solve (danbao.solve/v1) as one self-contained HTML
// file, as RenderReport does for a run.
func RenderSolve(w io.Writer, res *sim.SolveResult) error {
	return renderView(w, "RenderSolve", "solvereport", res, newSolveView)
}
