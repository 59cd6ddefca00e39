package web

import (
	"html/template"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/wenzhou/danbao/calibrate"
)

// maxCalibrationUpload bounds an uploaded history or outcomes table.
const maxCalibrationUpload = calibrate.MaxTableBytes

// calibrationView is the data of calibration.html: the forms' values and,
// after a POST, the calibration or the backtest.
type calibrationView struct {
	Bootstrap   string
	Portfolio   string
	Scenario    string
	Draws       string
	File        string
	Calibration *calibrate.Result
	Backtest    *calibrate.BacktestResult
	SVG         template.HTML // the backtest's calibration plot
}

// calibrationPage shows the forms: a history to calibrate, outcomes to
// backtest.
func (h *Handler) calibrationPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "calibration.html", page{Title: "Calibration 参数校准", Nav: "calibration",
		Data: calibrationView{Bootstrap: "199", Portfolio: "example", Scenario: "baseline", Draws: "100000"}})
}

// calibrationPost reads the uploaded table (field history or outcomes),
// sends it to POST /v1/calibrate or /v1/backtest with the user's key, and
// shows the answer.
func (h *Handler) calibrationPost(w http.ResponseWriter, r *http.Request) {
	v := calibrationView{Bootstrap: "199", Portfolio: "example", Scenario: "baseline", Draws: "100000"}
	show := func(status int, err error) {
		h.renderForm(w, r, status, "calibration.html", page{Title: "Calibration 参数校准", Nav: "calibration", Data: v}, err)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxCalibrationUpload+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		show(http.StatusBadRequest, newProblem(http.StatusBadRequest, "The upload could not be read: "+err.Error()))
		return
	}
	for k, dst := range map[string]*string{"bootstrap": &v.Bootstrap, "portfolio": &v.Portfolio, "scenario": &v.Scenario, "draws": &v.Draws} {
		if s := strings.TrimSpace(r.FormValue(k)); s != "" {
			*dst = s
		}
	}
	kind := "history"
	f, fh, err := r.FormFile("history")
	if err != nil {
		kind = "outcomes"
		f, fh, err = r.FormFile("outcomes")
	}
	if err != nil {
		show(http.StatusBadRequest, newProblem(http.StatusBadRequest, "Choose a history or an outcomes file to upload."))
		return
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, maxCalibrationUpload+1))
	if err != nil || len(body) > maxCalibrationUpload {
		show(http.StatusBadRequest, newProblem(http.StatusRequestEntityTooLarge, "The file is too large or could not be read."))
		return
	}
	v.File = fh.Filename
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(fh.Filename)), ".")
	q := url.Values{"format": {format}}
	if kind == "history" {
		q.Set("bootstrap", v.Bootstrap)
		var res calibrate.Result
		if err := h.call(r, http.MethodPost, "/v1/calibrate?"+q.Encode(), body, &res); err != nil {
			show(0, err)
			return
		}
		v.Calibration = &res
		show(http.StatusOK, nil)
		return
	}
	q.Set("portfolio", v.Portfolio)
	q.Set("scenario", v.Scenario)
	q.Set("draws", v.Draws)
	var res struct {
		calibrate.BacktestResult
		SVG string `json:"calibration_svg"`
	}
	if err := h.call(r, http.MethodPost, "/v1/backtest?"+q.Encode(), body, &res); err != nil {
		show(0, err)
		return
	}
	v.Backtest = &res.BacktestResult
	v.SVG = inlineSVG(res.SVG)
	show(http.StatusOK, nil)
}

// inlineSVG returns the plot's <svg> element (without the XML prolog) for
// inline HTML. The text comes from our own API's plot, not from the user.
func inlineSVG(s string) template.HTML {
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return template.HTML(s)
}
