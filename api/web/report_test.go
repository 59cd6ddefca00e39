package web_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/api/web"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// outcome runs the small portfolio under a built-in scenario.
func outcome(t *testing.T, scenario string, paths, horizon int) (*models.Portfolio, models.Scenario, *sim.Outcome) {
	t.Helper()
	pf := smallPortfolio(t)
	sc, err := scenarios.Builtin(scenario)
	if err != nil {
		t.Fatal(err)
	}
	sc.HorizonYears = horizon
	o, err := sim.Execute(context.Background(), pf, &sc, sim.Params{Seed: 5, Paths: paths, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return pf, sc, o
}

func TestRenderReport(t *testing.T) {
	pf, sc, o := outcome(t, "baseline", 1000, 2)
	pos := models.Describe(pf, sc.Policy, sc.Targets)
	for _, tt := range []struct {
		name string
		res  *sim.Result
		pos  *models.Position
		want []string
		not  []string
	}{
		{"full", o.Paths, &pos, []string{`id="loss-hist"`, "Portfolio today", `id="checks"`, `id="heat"`, "County outlays", `id="joint-capital"`, "All guarantors at once 全部机构同时"}, nil},
		{"no paths, no position", nil, nil, []string{"per-path losses were not available", `id="heat"`}, []string{`id="loss-hist"`, "Portfolio today"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := web.RenderReport(&buf, o.Doc, tt.res, web.ReportOptions{Position: tt.pos, Portfolio: "synth", RunID: "run_x"}); err != nil {
				t.Fatal(err)
			}
			html := buf.String()
			checkSelfContained(t, html)
			checkReadable(t, "report "+tt.name, html)
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("report lacks %q", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(html, w) {
					t.Errorf("report has %q", w)
				}
			}
			saveArtifact(t, "report-"+strings.ReplaceAll(tt.name, " ", "-")+".html", buf.Bytes())
		})
	}
	if err := web.RenderReport(&bytes.Buffer{}, nil, nil, web.ReportOptions{}); err == nil {
		t.Error("RenderReport(nil document) did not fail")
	}
}

func TestRenderSweep(t *testing.T) {
	pf := smallPortfolio(t)
	sc, err := scenarios.Builtin("baseline")
	if err != nil {
		t.Fatal(err)
	}
	sc.HorizonYears = 2
	grid, err := scenarios.SweepPoints(&sc, models.SweepAxis{Param: models.BankSharePath, Values: []float64{0.1, 0.2, 0.3, 0.4}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Sweep(context.Background(), pf, grid, sim.SweepOptions{},
		sim.Params{Seed: 2, Paths: 600, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	pos := models.Describe(pf, sc.Policy, sc.Targets)
	var buf bytes.Buffer
	if err := web.RenderSweep(&buf, res, &pos); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	checkSelfContained(t, html)
	checkReadable(t, "sweep report", html)
	for id, want := range map[string]int{"sweep-loss": 4 * 6, "sweep-es": 4 * 6, "sweep-targets": 4 * 3, "sweep-topup": 4} {
		if n := marks(html, id); n < want {
			t.Errorf("chart %s has %d marks, want ≥ %d", id, n, want)
		}
	}
	for _, w := range []string{`id="sweep-points"`, `id="sweep-heat"`, "SE paired", "policy.bank_share"} {
		if !strings.Contains(html, w) {
			t.Errorf("sweep report lacks %q", w)
		}
	}
	saveArtifact(t, "sweep.html", buf.Bytes())
}

// TestRenderSweep2D: a 2-D sweep's report draws heat maps over the grid
// (a cell per point, its value written in it) whose captions put the
// Chinese first and whose legends state the figure's definition and unit;
// the points table has the second parameter's column; the 1-D line charts
// and target table are not drawn.
func TestRenderSweep2D(t *testing.T) {
	pf := smallPortfolio(t)
	sc, err := scenarios.Builtin("baseline")
	if err != nil {
		t.Fatal(err)
	}
	grid, err := scenarios.SweepPoints(&sc, models.SweepAxis{Param: models.BankSharePath, Values: []float64{0.2, 0.4}},
		models.SweepAxis{Param: "policy.county_fund.share", Values: []float64{0, 0.1, 0.2}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Sweep(context.Background(), pf, grid, sim.SweepOptions{}, sim.Params{Seed: 2, Paths: 300, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := web.RenderSweep(&buf, res, nil); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	checkSelfContained(t, html)
	checkReadable(t, "2-D sweep report", html)
	for _, id := range []string{"sweep-grid-guarantor", "sweep-grid-topup"} {
		if n := marks(html, id); n != 6 {
			t.Errorf("heat map %s has %d marks, want 6", id, n)
		}
	}
	for _, w := range []string{`<span lang="zh">担保机构期望损失</span> · Guarantors&#39; expected loss`,
		"担保机构期望损失：期限内担保机构承担的信用损失", "单位 亿元", "in 100m yuan",
		"的路径平均值", `id="sweep-points"`, "区县风险补偿分担比例", "policy.county_fund.share"} {
		if !strings.Contains(html, w) {
			t.Errorf("2-D sweep report lacks %q", w)
		}
	}
	for _, no := range []string{`id="sweep-loss"`, `id="sweep-heat"`} {
		if strings.Contains(html, no) {
			t.Errorf("2-D sweep report has the 1-D %s", no)
		}
	}
	saveArtifact(t, "sweep2d.html", buf.Bytes())
}

func TestRenderTopup(t *testing.T) {
	_, _, o := outcome(t, "baseline", 1000, 2)
	res, err := sim.Topup(o, []float64{0.9, 0.95, 0.99})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := web.RenderTopup(&buf, res); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	checkSelfContained(t, html)
	checkReadable(t, "top-up report", html)
	if n := marks(html, "topup-curve"); n < len(sim.TopupCurveLevels)*2 {
		t.Errorf("top-up curve has %d marks", n)
	}
	for _, w := range []string{`id="topup-city"`, `id="topup-guarantors"`, "at 95 %", "at 99 %"} {
		if !strings.Contains(html, w) {
			t.Errorf("top-up report lacks %q", w)
		}
	}
	saveArtifact(t, "topup.html", buf.Bytes())
}
