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
// the style sheet inline, every chart an inline SVG whose labels are glyph
// outlines of the CJK font (outlines.go), no script and no external asset,
// so it opens offline, reads the same without a Chinese font, and can be
// mailed. res gives the
// per-path losses for the histograms (the total, and each party's when the
// run had the policy ledger); with res nil they are left out (and the
// report says so).
func RenderReport(w io.Writer, doc *sim.Document, res *sim.Result, opts ReportOptions) error {
	if doc == nil {
		return errors.New("web: RenderReport: nil document")
	}
	cf := loadFonts()
	return writeOutlined(w, cf, func(w io.Writer) error { return renderReport(w, cf, doc, pathLosses(res), opts) })
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

// pathLosses returns res's per-path losses in yuan keyed by party ("total"
// and, with the policy ledger, each of sim.PartyNames); nil for a nil res.
func pathLosses(res *sim.Result) map[string][]float64 {
	if res == nil {
		return nil
	}
	out := map[string][]float64{}
	total := make([]float64, res.Paths)
	for p := range res.Paths {
		total[p] = float64(res.TotalLoss(p)) / 100
	}
	out[sim.PartyTotal] = total
	if res.PartyLoss != nil {
		for k, party := range sim.PartyNames {
			x := make([]float64, res.Paths)
			for p := range res.Paths {
				x[p] = float64(res.PartyLoss[p*sim.NParties+k]) / 100
			}
			out[party] = x
		}
	}
	return out
}

func renderReport(w io.Writer, cf *chartFonts, doc *sim.Document, losses map[string][]float64, opts ReportOptions) error {
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
