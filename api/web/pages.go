package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// runStatus is the API's status of a job (GET /v1/runs/{id}), with the
// part of its request the pages show.
type runStatus struct {
	dto.JobStatus
	Request runRequest `json:"request"`
}

// runRequest is the part of a stored run request the pages show.
type runRequest struct {
	Portfolio    string          `json:"portfolio"`
	Scenario     json.RawMessage `json:"scenario"`
	ScenarioYAML string          `json:"scenario_yaml"`
	Overrides    json.RawMessage `json:"overrides"`
	Paths        int             `json:"paths"`
	Seed         *uint64         `json:"seed"`
	HorizonYears int             `json:"horizon_years"`
}

// ScenarioName is the scenario's name, "inline" for a posted scenario.
func (q runRequest) ScenarioName() string {
	var s string
	if json.Unmarshal(q.Scenario, &s) == nil && s != "" {
		return s
	}
	if len(q.Scenario) > 0 || q.ScenarioYAML != "" {
		return "inline"
	}
	return "baseline"
}

// OverrideList is the overrides as "path=value" lines.
func (q runRequest) OverrideList() []string {
	var list []string
	if json.Unmarshal(q.Overrides, &list) == nil {
		return list
	}
	var m map[string]any
	if json.Unmarshal(q.Overrides, &m) == nil {
		for k, v := range m {
			list = append(list, fmt.Sprintf("%s=%v", k, v))
		}
		slices.Sort(list)
	}
	return list
}

// Finished reports whether the job has ended.
func (s runStatus) Finished() bool { return dto.Finished(s.State) }

// UIBase is the job's page, /ui/runs/{id} (sweeps, topups).
func (s runStatus) UIBase() string {
	kind := s.Kind
	if kind == "" {
		kind = "run"
	}
	return "/ui/" + url.PathEscape(kind) + "s/" + url.PathEscape(s.ID)
}

// Percent is the progress in whole percent.
func (s runStatus) Percent() int { return int(s.Progress.Fraction * 100) }

// ETA is the estimated time left, or "".
func (s runStatus) ETA() string {
	if s.Progress.ETASeconds == nil {
		return ""
	}
	return (time.Duration(*s.Progress.ETASeconds*10) * time.Second / 10).String()
}

// Created is the creation time without the seconds' fraction.
func (s runStatus) Created() string { return shortTime(s.CreatedAt) }

func shortTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// runForm is the form that starts a job (a run, a sweep or a top-up),
// with the values to show.
type runForm struct {
	Kind       string // "runs", "sweeps", "topups"
	Portfolios []dto.Portfolio
	Scenarios  []dto.ScenarioInfo
	Portfolio  string
	Scenario   string
	Paths      string
	Seed       string
	Horizon    string
	Overrides  string
	Param      string // sweeps: the swept path
	Values     string // sweeps: comma-separated values
	Param2     string // sweeps: a second path, for a 2-D sweep (optional)
	Values2    string // sweeps: its comma-separated values
	Joint      string // topups: "1" adds the joint top-up at the one level
	Confidence string // sweeps: one level; top-ups: comma-separated levels

	// solves: what to solve for (danbao solve's flags); Param is the path.
	Target, Scope, Year, P, Range string
}

// defaultForm has the defaults of danbao run, sweep and topup.
func defaultForm(kind string) runForm {
	f := runForm{Kind: kind, Portfolio: "example", Scenario: "baseline", Paths: "10000", Seed: "1"}
	switch kind {
	case "sweeps":
		f.Paths, f.Param, f.Values, f.Confidence = "2000", "policy.bank_share", "0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5", "0.95"
	case "topups":
		f.Confidence = "0.9, 0.95, 0.99"
	case "solves":
		f.Paths, f.Horizon, f.Param, f.Target, f.Scope, f.Year, f.P, f.Range = "1000", "2", "growth.rate", "leverage_min", "city", "2", "0.5", "0, 1"
	}
	return f
}

// formTitles are the pages' titles by kind.
var formTitles = map[string]string{"runs": "New run 新建模拟", "sweeps": "New sweep 参数扫描", "topups": "Capital top-up 资本金补充测算",
	"solves": "Solve 目标反求参数"}

type dashboardData struct {
	Portfolios []dto.Portfolio
	Portfolio  string
	Scenario   string
	Position   *positionView
	PosError   *apiError
	Runs       []runStatus
	Form       runForm
}

// lists loads the portfolios and scenarios for the form.
func (h *Handler) lists(r *http.Request, f *runForm) error {
	var ps struct {
		Portfolios []dto.Portfolio `json:"portfolios"`
	}
	if err := h.call(r, http.MethodGet, "/v1/portfolios", nil, &ps); err != nil {
		return err
	}
	var ss struct {
		Scenarios []dto.ScenarioInfo `json:"scenarios"`
	}
	if err := h.call(r, http.MethodGet, "/v1/scenarios", nil, &ss); err != nil {
		return err
	}
	f.Portfolios, f.Scenarios = ps.Portfolios, ss.Scenarios
	return nil
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	d := dashboardData{Form: defaultForm("runs")}
	if err := h.lists(r, &d.Form); err != nil {
		h.fail(w, r, err)
		return
	}
	d.Portfolios = d.Form.Portfolios
	d.Portfolio = r.URL.Query().Get("portfolio")
	if d.Portfolio == "" && len(d.Portfolios) > 0 {
		d.Portfolio = d.Portfolios[0].ID
		for _, p := range d.Portfolios {
			if p.ID == "example" {
				d.Portfolio = p.ID
			}
		}
	}
	d.Scenario = r.URL.Query().Get("scenario")
	if d.Scenario == "" {
		d.Scenario = "baseline"
	}
	d.Form.Portfolio, d.Form.Scenario = d.Portfolio, d.Scenario
	if d.Portfolio != "" {
		pos, err := h.position(r, d.Portfolio, d.Scenario)
		var ae *apiError
		switch {
		case errors.As(err, &ae) && ae.Status != http.StatusUnauthorized:
			d.PosError = ae
		case err != nil:
			h.fail(w, r, err)
			return
		default:
			if d.Position, err = newPositionView(h.fonts, pos); err != nil {
				h.fail(w, r, err)
				return
			}
		}
	}
	var runs struct {
		Runs []runStatus `json:"runs"`
	}
	if err := h.call(r, http.MethodGet, "/v1/runs?limit=10", nil, &runs); err != nil {
		h.fail(w, r, err)
		return
	}
	d.Runs = runs.Runs
	h.render(w, r, http.StatusOK, "dashboard.html", page{Title: "danbao 担保 · dashboard", Nav: "dashboard", Data: d})
}

// position asks the API for a portfolio's position today under scenario's
// policy and targets.
func (h *Handler) position(r *http.Request, id, scenario string) (*models.Position, error) {
	var out struct {
		Position models.Position `json:"position"`
	}
	path := "/v1/portfolios/" + url.PathEscape(id) + "/describe"
	if scenario != "" {
		path += "?scenario=" + url.QueryEscape(scenario)
	}
	if err := h.call(r, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return &out.Position, nil
}

// jobLists are the jobs the runs page lists, by kind.
type jobLists struct {
	Runs, Sweeps, Topups, Solves []runStatus
}

func (h *Handler) runsPage(w http.ResponseWriter, r *http.Request) {
	var d jobLists
	for kind, dst := range map[string]*[]runStatus{"runs": &d.Runs, "sweeps": &d.Sweeps, "topups": &d.Topups, "solves": &d.Solves} {
		var list map[string][]runStatus
		err := h.call(r, http.MethodGet, "/v1/"+kind+"?limit=100", nil, &list)
		var ae *apiError
		if kind != "runs" && errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			continue // a server without this kind of job
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, l := range list {
			*dst = l
		}
	}
	h.render(w, r, http.StatusOK, "runs.html", page{Title: "Runs 运行记录", Nav: "runs", Data: d})
}

// newJobPage shows the form that starts a job of kind, with fields
// prefilled from the query (?scenario=…&paths=…).
func (h *Handler) newJobPage(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := defaultForm(kind)
		if err := h.lists(r, &f); err != nil {
			h.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		for k, dst := range f.fields() {
			if v := q.Get(k); v != "" {
				*dst = v
			}
		}
		h.render(w, r, http.StatusOK, "newrun.html", page{Title: formTitles[kind], Nav: "new-" + kind, Data: f})
	}
}

// fields maps the form's field names to its values.
func (f *runForm) fields() map[string]*string {
	return map[string]*string{"portfolio": &f.Portfolio, "scenario": &f.Scenario, "paths": &f.Paths, "seed": &f.Seed,
		"horizon": &f.Horizon, "overrides": &f.Overrides, "param": &f.Param, "values": &f.Values,
		"param2": &f.Param2, "values2": &f.Values2, "confidence": &f.Confidence, "joint": &f.Joint,
		"target": &f.Target, "scope": &f.Scope, "year": &f.Year, "p": &f.P, "range": &f.Range}
}

// startJob turns the form into POST /v1/{kind} and goes to the job's page.
func (h *Handler) startJob(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			h.fail(w, r, newProblem(http.StatusBadRequest, "The form could not be read."))
			return
		}
		f := runForm{Kind: kind}
		for k, dst := range f.fields() {
			*dst = r.PostForm.Get(k)
		}
		req, bad := f.request()
		if bad == nil {
			body, err := json.Marshal(req)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			var st runStatus
			err = h.call(r, http.MethodPost, "/v1/"+kind, body, &st)
			if err == nil {
				http.Redirect(w, r, "/ui/"+kind+"/"+url.PathEscape(st.ID), http.StatusSeeOther)
				return
			}
			if !errors.As(err, &bad) || bad.Status == http.StatusUnauthorized {
				h.fail(w, r, err)
				return
			}
		}
		// Show the form again with the API's objections.
		if err := h.lists(r, &f); err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, bad.Status, "newrun.html", page{Title: formTitles[kind], Nav: "new-" + kind, Error: bad, Data: f})
	}
}

// request builds the JSON body of POST /v1/{runs,sweeps,topups} from the
// form. Numbers that do not parse are the user's error, reported like the
// API's; their range is the API's to check.
func (f runForm) request() (map[string]any, *apiError) {
	req := map[string]any{}
	if f.Portfolio != "" {
		req["portfolio"] = f.Portfolio
	}
	if f.Scenario != "" {
		req["scenario"] = f.Scenario
	}
	bad := newProblem(http.StatusUnprocessableEntity, "")
	bad.Code = "invalid_form"
	num := func(field, s string, key string) {
		s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
		if s == "" {
			return
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			bad.Message = "有些字段不是整数 · Some fields are not whole numbers."
			bad.Fixes = append(bad.Fixes, fmt.Sprintf("%s: %q is not a whole number ≥ 0（应为非负整数）.", field, s))
			return
		}
		req[key] = n
	}
	num("路径数 Paths", f.Paths, "paths")
	num("随机种子 Seed", f.Seed, "seed")
	num("年限 Horizon", f.Horizon, "horizon_years")
	floats := func(field, s string) []float64 {
		var out []float64
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\n' }) {
			v, err := strconv.ParseFloat(part, 64)
			if err != nil {
				bad.Message = "有些字段不是数字 · Some fields are not numbers."
				bad.Fixes = append(bad.Fixes, fmt.Sprintf("%s: %q is not a number（应为数字）.", field, part))
				continue
			}
			out = append(out, v)
		}
		return out
	}
	switch f.Kind {
	case "sweeps":
		if p := strings.TrimSpace(f.Param); p != "" {
			req["param"] = p
		}
		if vs := floats("取值 Values", f.Values); len(vs) > 0 {
			req["values"] = vs
		}
		if p := strings.TrimSpace(f.Param2); p != "" {
			req["param2"] = p
			req["values2"] = floats("第二参数取值 Values of the second parameter", f.Values2)
		} else if strings.TrimSpace(f.Values2) != "" {
			bad.Message = "第二参数取值需要第二参数 · Values of a second parameter need the parameter."
			bad.Fixes = append(bad.Fixes, "第二扫描参数 Second parameter: give a numeric path, e.g. policy.county_fund.share, or clear its values.")
		}
		if cs := floats("置信水平 Confidence", f.Confidence); len(cs) == 1 {
			req["confidence"] = cs[0]
		} else if len(cs) > 1 {
			bad.Message = "参数扫描只取一个置信水平 · A sweep takes one confidence level."
			bad.Fixes = append(bad.Fixes, "置信水平 Confidence: give one level, e.g. 0.95.")
		}
	case "topups":
		if cs := floats("置信水平 Confidence", f.Confidence); len(cs) > 0 {
			req["confidence"] = cs
		}
		if f.Joint != "" {
			req["joint"] = true
		}
	case "solves":
		req["param"], req["target"] = strings.TrimSpace(f.Param), strings.TrimSpace(f.Target)
		if sc := strings.TrimSpace(f.Scope); sc != "" {
			req["scope"] = sc
		}
		num("年度 Year", f.Year, "year")
		if ps := floats("概率 p", f.P); len(ps) == 1 {
			req["p"] = ps[0]
		} else {
			bad.Message = "概率 p 只取一个数 · p is one number."
			bad.Fixes = append(bad.Fixes, "概率 p: give one probability in (0, 1), e.g. 0.5.")
		}
		if rs := floats("范围 Range", f.Range); len(rs) > 0 {
			req["range"] = rs
		}
	}
	var overrides []string
	for _, line := range strings.Split(f.Overrides, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		overrides = append(overrides, line)
	}
	if len(overrides) > 0 {
		req["overrides"] = overrides
	}
	if bad.Message != "" {
		return nil, bad
	}
	return req, nil
}

type runData struct {
	Status    runStatus
	Result    *resultView
	Downloads []link
}

type link struct {
	Href, Label string
}

func (h *Handler) runStatusOf(r *http.Request) (runStatus, error) {
	var st runStatus
	err := h.call(r, http.MethodGet, "/v1/runs/"+url.PathEscape(r.PathValue("id")), nil, &st)
	return st, err
}

func (h *Handler) runPage(w http.ResponseWriter, r *http.Request) {
	st, err := h.runStatusOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := runData{Status: st}
	if st.State == dto.StateSucceeded {
		if d.Result, err = h.result(r, st); err != nil {
			h.fail(w, r, err)
			return
		}
		base := "/ui/runs/" + url.PathEscape(st.ID)
		d.Downloads = []link{{base + "/report.html", "Report 报告 (HTML)"}, {base + "/download/result.json", "Result document (JSON)"},
			{base + "/download/paths.csv", "Per-path results (CSV)"}}
		for _, t := range []string{"loss", "targets", "outlays", "contributions", "metrics"} {
			if _, ok := st.Links["table_"+t]; ok {
				d.Downloads = append(d.Downloads, link{base + "/download/" + t + ".csv", t + ".csv"})
			}
		}
	}
	title := "Run " + st.ID
	h.render(w, r, http.StatusOK, "run.html", page{Title: title, Nav: "runs", Refresh: !st.Finished(), Data: d})
}

// jobStatus serves a job's status JSON (GET /v1/{kind}/{id}) for the
// progress script.
func (h *Handler) jobStatus(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var raw json.RawMessage
		if err := h.call(r, http.MethodGet, "/v1/"+kind+"/"+url.PathEscape(r.PathValue("id")), nil, &raw); err != nil {
			h.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(raw)
	}
}

// jobAction cancels (DELETE /v1/{kind}/{id}) or resubmits a job and goes
// to its page (the new job's, after a resubmission).
func (h *Handler) jobAction(kind, action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		path := "/v1/" + kind + "/" + url.PathEscape(id)
		method := http.MethodDelete
		if action == "resubmit" {
			method, path = http.MethodPost, path+"/resubmit"
		}
		var st runStatus
		if err := h.call(r, method, path, nil, &st); err != nil {
			h.fail(w, r, err)
			return
		}
		if st.ID == "" {
			st.ID = id
		}
		http.Redirect(w, r, "/ui/"+kind+"/"+url.PathEscape(st.ID), http.StatusSeeOther)
	}
}

// result returns the view of a succeeded run, from the cache or built
// from the API's result document and per-path CSV.
func (h *Handler) result(r *http.Request, st runStatus) (*resultView, error) {
	h.cacheMu.Lock()
	for _, c := range h.cache {
		if c.id == st.ID {
			h.cacheMu.Unlock()
			return c.view, nil
		}
	}
	h.cacheMu.Unlock()
	doc, losses, pos, err := h.resultData(r, st)
	if err != nil {
		return nil, err
	}
	v, err := newResultView(h.fonts, doc, losses, pos)
	if err != nil {
		return nil, err
	}
	h.cacheMu.Lock()
	h.cache = append(h.cache, cachedView{st.ID, v})
	if len(h.cache) > maxCached {
		h.cache = slices.Delete(h.cache, 0, len(h.cache)-maxCached)
	}
	h.cacheMu.Unlock()
	return v, nil
}

// resultData fetches a run's document, its per-path losses by party (see
// newResultView) and the position of its portfolio (for names; nil if the
// portfolio is gone).
func (h *Handler) resultData(r *http.Request, st runStatus) (*sim.Document, map[string][]float64, *models.Position, error) {
	base := "/v1/runs/" + url.PathEscape(st.ID)
	var doc sim.Document
	if err := h.call(r, http.MethodGet, base+"/result", nil, &doc); err != nil {
		return nil, nil, nil, err
	}
	// The API's stored Arrow stream is piped into storedPathLosses.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := h.stream(r, base+"/paths?format=arrows", "application/vnd.apache.arrow.stream", pw)
		pw.CloseWithError(err)
		done <- err
	}()
	losses, err := storedPathLosses(pr)
	pr.Close() // a reader that stopped early unblocks the API's writes
	if serr := <-done; serr != nil && !errors.Is(serr, io.ErrClosedPipe) {
		return nil, nil, nil, serr // the API's own error (an apiError) first
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("web: per-path table of %s: %w", st.ID, err)
	}
	pos, err := h.position(r, st.Portfolio, "")
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			return nil, nil, nil, err
		}
		pos = nil // deleted portfolio: show ids
	}
	return &doc, losses, pos, nil
}

// runReport serves the run's report file (RenderReport) as a download.
func (h *Handler) runReport(w http.ResponseWriter, r *http.Request) {
	st, err := h.runStatusOf(r)
	if err == nil && st.State != dto.StateSucceeded {
		err = newProblem(http.StatusConflict, fmt.Sprintf("Run %s is %s; a report needs a finished run.", st.ID, st.State))
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	doc, losses, pos, err := h.resultData(r, st)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := renderReport(&buf, h.fonts, doc, losses, ReportOptions{Position: pos, Portfolio: st.Portfolio, RunID: st.ID}); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="danbao-`+safeName(st.ID)+`-report.html"`)
	_, _ = w.Write(buf.Bytes())
}

// download passes one of a run's files through from the API.
func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	id, what := r.PathValue("id"), r.PathValue("what")
	base := "/v1/runs/" + url.PathEscape(id)
	var path, accept string
	switch {
	case what == "result.json":
		path, accept = base+"/result", "application/json"
		w.Header().Set("Content-Disposition", `attachment; filename="`+safeName(id)+`-result.json"`)
	case what == "paths.csv":
		path, accept = base+"/paths?format=csv", "text/csv"
	case strings.HasSuffix(what, ".csv"):
		path, accept = base+"/tables/"+url.PathEscape(strings.TrimSuffix(what, ".csv")), "text/csv"
	default:
		h.fail(w, r, newProblem(http.StatusNotFound, fmt.Sprintf("There is no download %q.", what)))
		return
	}
	w.Header().Del("Content-Security-Policy")
	h.api.ServeHTTP(w, h.apiRequest(r, http.MethodGet, path, nil, "", accept))
}

// safeName keeps letters, digits, '-' and '_' of s, for file names.
func safeName(s string) string {
	return strings.Map(func(c rune) rune {
		if c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return c
		}
		return -1
	}, s)
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "login.html", page{Title: "Sign in 登录", Nav: "login", Data: localPath(r.URL.Query().Get("next"))})
}

// login checks the key against the API and starts a session with it: the
// cookie holds the session's id, the key stays on the server. Wrong keys
// count against the client's limit of failed attempts (the API's 429).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	key := strings.TrimSpace(r.PostFormValue("key"))
	next := localPath(r.PostFormValue("next"))
	probe := r.Clone(r.Context())
	probe.Header = http.Header{"Authorization": {"Bearer " + key}}
	if err := h.call(probe, http.MethodGet, "/v1/portfolios", nil, nil); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			switch ae.Status {
			case http.StatusUnauthorized:
				ae.Message = "The server does not know this key."
				ae.Fixes = []string{"danbao serve prints an admin key when it starts (it is kept in DATA/admin.key)."}
				h.render(w, r, http.StatusUnauthorized, "login.html", page{Title: "Sign in 登录", Nav: "login", Error: ae, Data: next})
				return
			case http.StatusTooManyRequests:
				if ae.RetryAfter != "" {
					w.Header().Set("Retry-After", ae.RetryAfter)
				}
				h.render(w, r, http.StatusTooManyRequests, "login.html", page{Title: "Sign in 登录", Nav: "login", Error: ae, Data: next})
				return
			}
		}
		h.fail(w, r, err)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		h.sessions.revoke(c.Value)
	}
	id := h.sessions.create(key, time.Now())
	h.setSessionCookie(w, r, id, int(h.opts.SessionTTL.Seconds()))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session on the server (the id is worthless from now on,
// wherever a copy of the cookie is) and deletes the cookie.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		h.sessions.revoke(c.Value)
	}
	h.setSessionCookie(w, r, "", -1)
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}
