package web

import (
	"errors"
	"html/template"
	"io"
	"time"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// ReportOptions adds context to a report file. The zero value is valid.
type ReportOptions struct {
	// Position is the portfolio's position today (models.Describe): the
	// report then shows it and names the guarantors. Optional.
	Position *models.Position
	// Portfolio names the portfolio (a folder, an API id). Optional.
	Portfolio string
	// RunID is the API's id of the run. Optional.
	RunID string
	// Generated is the time printed in the footer. Default: time.Now().
	Generated time.Time
}

// RenderReport writes the result of a run as one self-contained HTML file:
// the style sheet inline, every chart an inline SVG, no script and no
// external asset, so it opens offline and can be mailed. res gives the
// per-path total losses for the histogram; with res nil the histogram is
// left out (and the report says so).
func RenderReport(w io.Writer, doc *sim.Document, res *sim.Result, opts ReportOptions) error {
	if doc == nil {
		return errors.New("web: RenderReport: nil document")
	}
	var losses []float64
	if res != nil {
		losses = make([]float64, res.Paths)
		for p := range res.Paths {
			losses[p] = float64(res.TotalLoss(p)) / 100
		}
	}
	return renderReport(w, loadFonts(), doc, losses, opts)
}

type reportData struct {
	View      *resultView
	Position  *positionView
	Portfolio string
	RunID     string
	Generated string
	CSS       template.CSS
}

var reportTemplate = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/parts.html", "templates/report.html"))

func renderReport(w io.Writer, cf *chartFonts, doc *sim.Document, losses []float64, opts ReportOptions) error {
	v, err := newResultView(cf, doc, losses, opts.Position)
	if err != nil {
		return err
	}
	d := reportData{View: v, Portfolio: opts.Portfolio, RunID: opts.RunID}
	if opts.Position != nil {
		if d.Position, err = newPositionView(cf, opts.Position); err != nil {
			return err
		}
	}
	gen := opts.Generated
	if gen.IsZero() {
		gen = time.Now()
	}
	d.Generated = gen.UTC().Format("2006-01-02 15:04 UTC")
	css, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		return err
	}
	d.CSS = template.CSS(css)
	return reportTemplate.ExecuteTemplate(w, "report", d)
}
