package web_test

import (
	"bytes"
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/api/web"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// TestRenderReverse: the reverse report of the small portfolio (one year)
// shows the target and threshold, |z| in σ with Φ(−|z|), one factor row
// per factor with |F| ≥ 0.05 (Chinese names first), the worst-hit
// segments, one row per radius searched (and a chart of them), one pasted
// shock per factor and year, and the method's approximation; it is
// self-contained and passes the readability checks. The margin of a rate
// target is in the metric's own unit (cmd/danbao's TestReverseReport
// checks 万元 for capital_min on the example: every capital_min and the
// city's balance_min of this small portfolio already fail at the origin).
func TestRenderReverse(t *testing.T) {
	pf := smallPortfolio(t)
	sc, err := scenarios.Builtin("baseline")
	if err != nil {
		t.Fatal(err)
	}
	sc.HorizonYears = 1
	reverse := func(target, scope string) (*sim.ReverseResult, error) {
		return sim.Reverse(context.Background(), pf, &sc,
			sim.ReverseOptions{Target: target, Scope: scope, Year: 1, MaxSigma: sim.DefaultReverseMax, Tol: 1e-2},
			sim.Params{Seed: 1, Paths: 60, Workers: 2})
	}
	t.Run(models.TargetCompRateMax, func(t *testing.T) {
		res, err := reverse(models.TargetCompRateMax, sim.CityScope)
		if err != nil {
			t.Fatal(err)
		}
		checkReverseReport(t, res, "指标自身单位")
	})
}

// checkReverseReport renders res and checks its sections, its tables'
// row counts, the pasted shocks and the readability rules.
func checkReverseReport(t *testing.T, res *sim.ReverseResult, unit string) {
	t.Helper()
	var buf bytes.Buffer
	if err := web.RenderReverse(&buf, res); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	checkSelfContained(t, html)
	checkReadable(t, "reverse report "+res.Target, html)
	sigma := "|z| = " + strconv.FormatFloat(float64(res.Sigma), 'f', 3, 64) + " σ"
	for _, w := range []string{`id="reverse-result"`, res.Target, res.Scope, "阈值", sigma, "Φ(−|z|) = ", unit,
		`id="reverse-factors"`, `<span lang="zh">宏观因子</span>`, `id="reverse-segments"`, "给定因子的违约概率",
		`id="reverse-evaluations"`, `id="reverse-search"`, `id="reverse-shocks"`, "- factor: macro", `id="reverse-method"`, "搜索方向", "条件均值",
		`id="reverse-definitions"`, `id="glossary"`} {
		if !strings.Contains(html, w) {
			t.Errorf("reverse report lacks %q", w)
		}
	}
	if i, j := strings.Index(html, `<span lang="zh">宏观因子</span>`), strings.Index(html, `lang="en">Macro</span>`); i < 0 || j < i {
		t.Errorf("the factor's Chinese name should come first (zh at %d, en at %d)", i, j)
	}
	shown := 0
	for _, f := range res.Factors {
		if math.Abs(float64(f.Value)) >= 0.05 {
			shown++
		}
	}
	for _, c := range []struct {
		id   string
		want int
	}{{"reverse-factors", shown}, {"reverse-segments", len(res.Segments)}, {"reverse-evaluations", len(res.Evaluations)}} {
		if n := tableRows(html, c.id); n != c.want {
			t.Errorf("table %s has %d rows, want %d", c.id, n, c.want)
		}
	}
	if n, want := strings.Count(html, "- factor: "), len(res.Shocks(1)); n != want || want == 0 {
		t.Errorf("%d shocks pasted, want %d (> 0)", n, want)
	}
	saveArtifact(t, "reverse-"+res.Target+".html", buf.Bytes())
}

// tableRows counts the body rows of the table with the given id.
func tableRows(html, id string) int {
	i := strings.Index(html, `id="`+id+`"`)
	if i < 0 {
		return -1
	}
	body := html[i:]
	body = body[strings.Index(body, "<tbody>"):]
	body = body[:strings.Index(body, "</tbody>")]
	return strings.Count(body, "<tr>")
}
