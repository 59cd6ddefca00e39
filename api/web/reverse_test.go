package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestReversePage: the form, a reverse point with its factor table
// (Chinese names first) and |z|, and a bad target's problem naming the
// valid ones.
func TestReversePage(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	c := ts.client(t, analystKey)
	resp, html := get(t, c, ts.URL+"/ui/reverse")
	if resp.StatusCode != http.StatusOK || !strings.Contains(html, `id="reverse-form"`) || !strings.Contains(html, "反向压力测试") {
		t.Fatalf("GET: status %d\n%.500s", resp.StatusCode, html)
	}
	form := url.Values{"target": {"compensation_rate_max"}, "scope": {"city"}, "year": {"1"}, "horizon_years": {"1"}, "paths": {"60"},
		"portfolio": {"example"}, "scenario": {"baseline"}}
	resp, html = postForm(t, c, ts.URL+"/ui/reverse", form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(html, `id="sigma"`) || !strings.Contains(html, `id="reverse-factors"`) {
		t.Fatalf("POST: status %d\n%.3000s", resp.StatusCode, html)
	}
	checkReadable(t, "reverse page", html)
	for _, want := range []string{"|z| = ", "宏观因子", "Macro", `id="reverse-segments"`, "- factor: macro", `id="reverse-search"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if i, j := strings.Index(html, `<span lang="zh">宏观因子</span>`), strings.Index(html, `lang="en">Macro</span>`); i < 0 || j < i {
		t.Errorf("the factor's Chinese name should come first (zh at %d, en at %d)", i, j)
	}
	form.Set("target", "capital")
	resp, html = postForm(t, c, ts.URL+"/ui/reverse", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html, "unknown target") || !strings.Contains(html, "compensation_rate_max") {
		t.Errorf("bad target: status %d\n%.2000s", resp.StatusCode, html)
	}
}
