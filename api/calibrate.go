package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/wenzhou/danbao/calibrate"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
)

// Calibration and backtest endpoints (docs/calibration.md). Both take the
// table as the request body, its format from ?format= (csv, the default;
// tsv, xlsx, parquet), and answer synchronously: a calibration costs a few
// seconds (three parametric bootstraps), a backtest about a second per
// 100,000 draws × outcomes ÷ 100.
//
//	POST /v1/calibrate?format=csv&by=county,industry&bootstrap=199&seed=1
//	POST /v1/backtest?format=csv&portfolio=example&scenario=baseline&draws=100000&seed=1

// MaxBacktestWork bounds draws × outcomes of one backtest request.
const MaxBacktestWork = 50_000_000

// tableName is the file name the readers see: "history.csv" etc.
func tableName(r *http.Request, base string) (string, error) {
	f := strings.ToLower(r.URL.Query().Get("format"))
	switch f {
	case "":
		f = "csv"
	case "csv", "tsv", "xlsx", "parquet":
	default:
		return "", badRequest("format %q is not csv, tsv, xlsx or parquet.", f)
	}
	return base + "." + f, nil
}

func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest("%s %q is not a whole number.", name, v)
	}
	return n, nil
}

// queryIntIn is queryInt for a parameter that must lie in lo..hi.
func queryIntIn(r *http.Request, name string, def, lo, hi int) (int, error) {
	n, err := queryInt(r, name, def)
	if err == nil && (n < lo || n > hi) {
		return 0, &Error{Message: fmt.Sprintf("%s %d is not in %d..%d.", name, n, lo, hi), err: models.ErrInvalid}
	}
	return n, err
}

// readTableBody reads the request body (readBody) as the table name with
// read (calibrate.ReadHistory, calibrate.ReadOutcomes).
func readTableBody[T any](r *http.Request, name string, read func(string, io.Reader) (T, []string, error)) (T, []string, error) {
	body, err := readBody(r)
	if err != nil {
		var none T
		return none, nil, err
	}
	return read(name, bytes.NewReader(body))
}

// readBody reads the request body (capped by the route's limit).
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("The body is larger than %d bytes.", mbe.Limit), err: errBadRequest}
		}
		return nil, badRequest("The body could not be read.")
	}
	return b, nil
}

// postCalibrate answers the calibration of the history in the body.
func (s *Server) postCalibrate(w http.ResponseWriter, r *http.Request) error {
	name, err := tableName(r, "history")
	if err != nil {
		return err
	}
	B, err := queryIntIn(r, "bootstrap", 199, 19, 999)
	if err != nil {
		return err
	}
	draws, err := queryIntIn(r, "score_draws", 99, calibrate.MinScoreDraws, 999)
	if err != nil {
		return err
	}
	seed, err := queryInt(r, "seed", 1)
	if err != nil {
		return err
	}
	h, warnings, err := readTableBody(r, name, calibrate.ReadHistory)
	if err != nil {
		return err
	}
	var by []string
	if v := r.URL.Query().Get("by"); v != "" {
		by = strings.Split(v, ",")
	}
	res, err := calibrate.Calibrate(h, calibrate.Options{By: by, Bootstrap: B, ScoreDraws: draws, Seed: uint64(max(seed, 1)), Workers: s.runWorkers()})
	if err != nil {
		return &Error{Message: err.Error(), err: models.ErrInvalid}
	}
	res.Warnings = append(append([]string{}, warnings...), res.Warnings...) // [] rather than null when there are none
	return writeJSON(w, http.StatusOK, res)
}

// backtestResponse is a backtest with its calibration plot.
type backtestResponse struct {
	*calibrate.BacktestResult
	CalibrationSVG string `json:"calibration_svg"`
}

// postBacktest answers the backtest of the outcomes in the body.
func (s *Server) postBacktest(w http.ResponseWriter, r *http.Request) error {
	name, err := tableName(r, "outcomes")
	if err != nil {
		return err
	}
	draws, err := queryInt(r, "draws", 100_000)
	if err != nil {
		return err
	}
	seed, err := queryInt(r, "seed", 1)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	id := q.Get("portfolio")
	if id == "" {
		id = defaultPortfolio
	}
	scName := q.Get("scenario")
	if scName == "" {
		scName = defaultScenario
	}
	sc, err := scenarios.Builtin(scName)
	if errors.Is(err, models.ErrNotFound) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "unknown_scenario", Message: fmt.Sprintf("There is no built-in scenario %q.", scName), err: models.ErrInvalid}
	}
	if err != nil {
		return err
	}
	out, _, err := readTableBody(r, name, calibrate.ReadOutcomes)
	if err != nil {
		return err
	}
	if draws*len(out.Rows) > MaxBacktestWork || draws < 100 {
		return &Error{Message: fmt.Sprintf("draws %d × %d outcomes is outside 100..%d draws and %d draw-outcomes.", draws, len(out.Rows), 10_000_000, MaxBacktestWork), err: models.ErrInvalid,
			Fixes: []string{"Ask for fewer draws."}}
	}
	if _, err := s.store.portfolio(r.Context(), id); err != nil {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "unknown_portfolio", Message: fmt.Sprintf("There is no portfolio %q.", id), err: models.ErrInvalid}
	}
	pf, err := s.portfolioData(id)
	if err != nil {
		return err
	}
	res, err := calibrate.Backtest(pf, &sc, out, calibrate.BacktestOptions{Draws: draws, Seed: uint64(max(seed, 1))})
	if err != nil {
		return err
	}
	var svg bytes.Buffer
	if err := res.WriteCalibrationSVG(&svg); err != nil {
		return fmt.Errorf("calibration plot: %w", err)
	}
	return writeJSON(w, http.StatusOK, backtestResponse{BacktestResult: res, CalibrationSVG: svg.String()})
}
