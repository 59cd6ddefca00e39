package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
)

// scenarioInput is how a request picks a scenario: Scenario is a built-in
// name (a JSON string) or an inline scenario (a JSON object with the keys
// of a scenario file); ScenarioYAML is a scenario file's text. At most one
// of the two; neither means "baseline". Overrides are applied after, in
// order, as `--set path=value` does: either ["path=value", …] or
// {"path": value, …} (applied in key order).
type scenarioInput struct {
	Scenario     json.RawMessage `json:"scenario,omitempty"`
	ScenarioYAML string          `json:"scenario_yaml,omitempty"`
	Overrides    json.RawMessage `json:"overrides,omitempty"`
}

// defaultScenario is the scenario of a request that names none.
const defaultScenario = "baseline"

// resolve returns the scenario in, with overrides and extra assignments
// (e.g. "horizon_years=3") applied and validated. A built-in name that
// does not exist is a 422: the request body is at fault, not the URL.
func (in *scenarioInput) resolve(extra []string) (models.Scenario, error) {
	var sc models.Scenario
	var err error
	raw := bytes.TrimSpace(in.Scenario)
	switch {
	case len(raw) > 0 && !bytes.Equal(raw, []byte("null")) && in.ScenarioYAML != "":
		return sc, badRequest("Give scenario or scenario_yaml, not both.")
	case in.ScenarioYAML != "":
		sc, err = scenarios.ParseFS(nil, "scenario_yaml", []byte(in.ScenarioYAML))
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		sc, err = scenarios.Builtin(defaultScenario)
	case raw[0] == '"':
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return sc, badRequest("scenario is not a valid JSON string.")
		}
		sc, err = scenarios.Builtin(name)
		if errors.Is(err, models.ErrNotFound) {
			return sc, &Error{Status: http.StatusUnprocessableEntity, Code: "unknown_scenario",
				Message: fmt.Sprintf("There is no built-in scenario %q.", name), err: models.ErrInvalid,
				Fixes: []string{"GET /v1/scenarios lists the built-ins: " + strings.Join(scenarios.Names(), ", ") + "; or send the scenario inline."}}
		}
	case raw[0] == '{':
		// JSON is YAML: the file parser checks keys, types and values with
		// positions (lines of the JSON text).
		sc, err = scenarios.ParseFS(nil, "scenario", raw)
	default:
		return sc, badRequest("scenario must be a built-in name (string) or an inline scenario (object).")
	}
	if err != nil {
		return sc, err
	}
	sets, err := overrideList(in.Overrides)
	if err != nil {
		return sc, err
	}
	sets = append(sets, extra...)
	if len(sets) > 0 {
		if err := scenarios.SetAll(&sc, sets); err != nil {
			return sc, err
		}
	}
	return sc, nil
}

// maxOverrides bounds the overrides of one request.
const maxOverrides = 1000

// overrideList turns the overrides member into "path=value" assignments.
func overrideList(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var out []string
	switch raw[0] {
	case '[':
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, badRequest(`overrides must be an array of "path=value" strings or an object of path: value.`)
		}
		for _, a := range out {
			if !strings.Contains(a, "=") {
				return nil, &Error{Message: fmt.Sprintf("Override %q is not path=value.", a), err: models.ErrInvalid,
					Fixes: []string{`Write e.g. "policy.bank_share=0.3".`}}
			}
		}
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, badRequest(`overrides must be an array of "path=value" strings or an object of path: value.`)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := bytes.TrimSpace(m[k])
			if len(v) > 0 && v[0] == '"' {
				var s string
				_ = json.Unmarshal(v, &s)
				out = append(out, k+"="+s)
			} else {
				out = append(out, k+"="+string(v)) // numbers, booleans, arrays and objects are YAML as written
			}
		}
	default:
		return nil, badRequest(`overrides must be an array of "path=value" strings or an object of path: value.`)
	}
	if len(out) > maxOverrides {
		return nil, &Error{Message: fmt.Sprintf("%d overrides; at most %d are allowed.", len(out), maxOverrides), err: models.ErrInvalid}
	}
	return out, nil
}

// scenarioInfo is an entry of GET /v1/scenarios (api/dto).
type scenarioInfo = dto.ScenarioInfo

func (s *Server) listScenarios(w http.ResponseWriter, r *http.Request) error {
	var out []scenarioInfo
	for _, in := range scenarios.List() {
		out = append(out, scenarioInfo{Name: in.Name, Description: in.Description, Extends: in.Extends, Link: "/v1/scenarios/" + in.Name})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"scenarios": out})
}

// scenarioDoc is the JSON of one scenario: the resolved values and, for a
// built-in, its YAML source with comments.
type scenarioDoc struct {
	Name     string          `json:"name"`
	Source   string          `json:"source,omitempty"`
	Scenario models.Scenario `json:"scenario"`
}

// getScenario serves a built-in scenario: JSON by default, its YAML source
// for Accept: application/yaml.
func (s *Server) getScenario(w http.ResponseWriter, r *http.Request) error {
	name := chi.URLParam(r, "name")
	src, err := scenarios.BuiltinSource(name)
	if err != nil {
		return notFound("scenario", name)
	}
	if wantsYAML(r) {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = w.Write(src)
		return nil
	}
	sc, err := scenarios.Builtin(name)
	if err != nil {
		return fmt.Errorf("built-in scenario %s: %w", name, err) // a bug: the library's tests parse every built-in
	}
	return writeJSON(w, http.StatusOK, scenarioDoc{Name: name, Source: string(src), Scenario: sc})
}

func wantsYAML(r *http.Request) bool {
	for _, p := range parseAccept(r.Header.Get("Accept")) {
		switch p.typ {
		case "application/yaml", "application/x-yaml", "text/yaml":
			return p.q > 0
		case "application/json", "*/*", "application/*":
			return false
		}
	}
	return false
}

// validateScenario checks a posted scenario: YAML text (Content-Type
// application/yaml) or JSON {scenario | scenario_yaml, overrides}. It
// answers 200 with the resolved scenario, or 422 listing every problem.
func (s *Server) validateScenario(w http.ResponseWriter, r *http.Request) error {
	var in scenarioInput
	switch mt := mediaType(r); mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return &Error{Message: "The scenario is empty.", err: models.ErrInvalid}
		}
		in.ScenarioYAML = string(b)
	default:
		b, err := readJSONBody(r)
		if err != nil {
			var ae *Error
			if errors.As(err, &ae) && errors.Is(err, errUnsupportedMedia) {
				ae.Message = "Send the scenario as YAML (Content-Type: application/yaml) or JSON (application/json)."
				ae.Fixes = []string{"Set Content-Type to application/yaml or application/json."}
			}
			return err
		}
		if err := decodeStrict(b, &in); err != nil {
			return err
		}
	}
	sc, err := in.resolve(nil)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"valid": true, "scenario": sc})
}
