package api

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/sim"
)

// TestNullBody: a null or empty body is a 422 naming the fields, not a
// run with every default.
func TestNullBody(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/v1/runs", "/v1/sweeps", "/v1/topups"} {
		for _, body := range []string{"null", "", "  \n", " null "} {
			r := e.do(req{method: "POST", path: path, role: RoleAnalyst, ctype: "application/json", body: []byte(body), invalid: true})
			p := r.problem(t)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(p.Message, "portfolio") || !strings.Contains(p.Message, "paths") {
				t.Errorf("POST %s with body %q: %d %q; want 422 naming the fields", path, body, r.status, p.Message)
			}
		}
	}
	r := e.do(req{method: "POST", path: "/v1/sweeps", role: RoleAnalyst, ctype: "application/json", body: []byte("null"), invalid: true})
	if p := r.problem(t); !strings.Contains(p.Message, "values") || !strings.Contains(p.Message, "param") {
		t.Errorf("sweep's null body: %q; want its own fields named", p.Message)
	}
	if r := e.do(req{method: "GET", path: "/v1/runs", role: RoleViewer}); !strings.Contains(string(r.body), `"runs":[]`) {
		t.Errorf("runs after null bodies: %s; want none", r.body)
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://evil\",\"x\")": "'=HYPERLINK(\"http://evil\",\"x\")",
		"+cmd|' /C calc'!A0":                "'+cmd|' /C calc'!A0",
		"-2+3":                              "'-2+3",
		"@SUM(A1)":                          "'@SUM(A1)",
		"\t=1":                              "'\t=1",
		"\r=1":                              "'\r=1",
		"-":                                 "'-",
		"-12.5":                             "-12.5",
		"+3":                                "+3",
		"-1.2e-05":                          "-1.2e-05",
		"-.5":                               "-.5",
		"-Inf":                              "'-Inf",
		"G-CITY":                            "G-CITY",
		"":                                  "",
		"0.95":                              "0.95",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCSVDownloadEscaped: a table with ids a spreadsheet would run as
// formulas comes out escaped, negative numbers intact.
func TestCSVDownloadEscaped(t *testing.T) {
	d := &sim.Document{Targets: []sim.TargetResult{
		{ID: "=HYPERLINK(\"http://evil.example\",\"click\")", Scope: "@G-CITY", Year: 1, Threshold: -0.5, Definition: "-x", PHold: 0.25},
	}}
	var buf bytes.Buffer
	if err := writeTargetsTable(&buf, d); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := `"'=HYPERLINK(""http://evil.example"",""click"")",'@G-CITY,1,-0.5,'-x,0.25,`
	if len(lines) != 2 || !strings.HasPrefix(lines[1], want) {
		t.Errorf("targets table:\n%s\nwant the row to start %s", buf.String(), want)
	}
	if regexp.MustCompile(`(^|,)[=+@]`).MatchString(lines[1]) {
		t.Errorf("an unescaped formula cell: %s", lines[1])
	}
}
