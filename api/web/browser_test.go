package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wenzhou/danbao"
	"github.com/wenzhou/danbao/api"
)

// chromePath finds a Chromium: $DANBAO_CHROME, else the usual names.
func chromePath() string {
	if p := os.Getenv("DANBAO_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser drives the real pages in a real browser: the API server
// (with the pages mounted as danbao serve mounts them) on loopback with
// the embedded Wenzhou example, headless Chromium through the DevTools
// protocol. It signs in with an analyst key, checks the dashboard's
// charts, starts a run from the form, waits through the live progress
// page for the result page, checks that every chart has data, and saves
// screenshots under the test's temp folder (and $DANBAO_SCREENSHOTS).
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped in -short mode")
	}
	exe := chromePath()
	if exe == "" {
		t.Skip("browser test: no Chromium found (apt-get install -y chromium, or set DANBAO_CHROME)")
	}
	pf, err := danbao.Example()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.NewServer(api.Config{DataDir: t.TempDir(), MaxConcurrentRuns: 1, Keys: []api.Key{
		{Secret: analystKey, Role: api.RoleAnalyst, Name: "analyst"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.EnsurePortfolio(context.Background(), "example", "Wenzhou example (20,000 loans, embedded)", "example", pf); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(site(srv)) // the pages as danbao serve has them: mounted beside the API's router
	defer func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()

	shots := t.TempDir()
	extra := os.Getenv("DANBAO_SCREENSHOTS")
	save := func(name string, png []byte) {
		t.Helper()
		for _, dir := range []string{shots, extra} {
			if dir == "" {
				continue
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("screenshot %s (%d bytes) in %s", name, len(png), shots)
	}

	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // as root, Chromium needs it
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()

	// step runs actions with a deadline; on failure it saves what the
	// browser shows and stops the test.
	step := func(what string, d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
				save("failed.png", png)
			}
			t.Fatalf("%s: %v (browser at %s)", what, err, loc)
		}
	}

	// Start the browser on ctx: a browser started within a step's
	// shorter context would end with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}

	// Sign in: the dashboard sends a browser without a key to the login page.
	step("open the dashboard", 30*time.Second, chromedp.Navigate(ts.URL+"/"))
	step("see the login page", 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`input[name="key"]`)))
	step("sign in", 30*time.Second,
		chromedp.SendKeys(chromedp.CSS(`input[name="key"]`), analystKey),
		chromedp.Click(chromedp.CSS(`form.stack button`)),
		chromedp.WaitVisible(chromedp.ID("run-form")))
	// The bureau's screens: 1,280 px wide. Every table fits its container.
	step("set a 1,280 px viewport", 10*time.Second, chromedp.EmulateViewport(1280, 1000))
	tablesFit(t, ctx, "dashboard")
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	save("1-dashboard.png", png)
	for _, id := range []string{"county-balance", "guarantor-leverage"} {
		if n := svgMarks(t, ctx, id); n < 12 {
			t.Errorf("dashboard chart %s: %d SVG paths, want ≥ 12 (bars)", id, n)
		}
	}
	if n := count(t, ctx, `#checks td.ok, #checks td.miss`); n < 10 {
		t.Errorf("targets today: %d checks shown", n)
	}

	// Start a run from the form: 3,000 paths of the export slump over 2 years.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("f-scenario"), "export-slump"),
		chromedp.SetValue(chromedp.ID("f-paths"), "3000"),
		chromedp.SetValue(chromedp.ID("f-horizon"), "2"),
		chromedp.SendKeys(chromedp.ID("f-overrides"), "policy.bank_share=0.25"),
		chromedp.Click(chromedp.ID("start-run")),
	); err != nil {
		t.Fatalf("start a run: %v", err)
	}
	// The progress page, if the run is still going when it loads.
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(`h1 code`))); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc, "/ui/runs/run_") {
		t.Fatalf("after submitting the form the browser is at %s", loc)
	}
	if n := count(t, ctx, `#progress`); n == 1 {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err == nil {
			save("2-progress.png", png)
		}
	}
	// The script polls and reloads when the run ends; wait for the result.
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#loss-hist svg`))); err != nil {
		st, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("state")))
		t.Fatalf("result page did not appear (state %q): %v", st, err)
	}
	png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	save("3-result.png", png)
	tablesFit(t, ctx, "result")
	for id, want := range map[string]int{"loss-hist": 20, "party-loss": 10, "outlays": 12, "contrib-county": 10, "contrib-guarantor": 8, "contrib-industry": 8} {
		if n := svgMarks(t, ctx, id); n < want {
			t.Errorf("result chart %s: %d SVG paths, want ≥ %d", id, n, want)
		}
	}
	if n := count(t, ctx, `#heat td[class^="h"]`); n < 20 {
		t.Errorf("heat table: %d cells with a probability", n)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`p.meta`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "export-slump") || !strings.Contains(text, "3,000 paths") || !strings.Contains(text, "policy.bank_share=0.25") {
		t.Errorf("result page header %q does not name the run's inputs", text)
	}
	// Each chart alone, for a closer look.
	for _, id := range []string{"loss-hist", "heat"} {
		png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID(id)))
		if err != nil {
			t.Fatal(err)
		}
		save("4-"+id+".png", png)
	}

	// The planners' bank-share sweep and the finance bureau's top-up, from their forms.
	for _, job := range []struct {
		kind, shot string
		fields     map[string]string
		charts     map[string]int // chart id → least SVG paths
	}{
		{"sweeps", "5-sweep.png", map[string]string{"f-values": "0.1, 0.2, 0.3, 0.4", "f-paths": "1000", "f-horizon": "1"},
			map[string]int{"sweep-loss": 6, "sweep-targets": 6, "sweep-topup": 2}},
		{"topups", "6-topup.png", map[string]string{"f-paths": "2000", "f-horizon": "2"},
			map[string]int{"topup-curve": 3, "topup-guarantors": 10}},
	} {
		actions := []chromedp.Action[chromedp.Void]{chromedp.Navigate(ts.URL + "/ui/" + job.kind + "/new"), chromedp.WaitVisible(chromedp.ID(job.kind + "-form"))}
		for id, v := range job.fields {
			actions = append(actions, chromedp.SetValue(chromedp.ID(id), v))
		}
		actions = append(actions, chromedp.Click(chromedp.ID("start-"+job.kind)))
		step("start a "+job.kind[:len(job.kind)-1], 30*time.Second, actions...)
		first := ""
		for id := range job.charts {
			first = id
			break
		}
		step("wait for the "+job.kind[:len(job.kind)-1]+" result", 3*time.Minute, chromedp.WaitVisible(chromedp.CSS("#"+first+" svg")))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		save(job.shot, png)
		tablesFit(t, ctx, job.kind)
		for id, want := range job.charts {
			if n := svgMarks(t, ctx, id); n < want {
				t.Errorf("%s chart %s: %d SVG paths, want ≥ %d", job.kind, id, n, want)
			}
		}
	}
}

// svgMarks counts the SVG path elements (bars, bins, lines) in the chart
// figure with id.
func svgMarks(t *testing.T, ctx context.Context, id string) int {
	t.Helper()
	return count(t, ctx, fmt.Sprintf(`#%s svg path`, id))
}

// count counts the elements matching a CSS selector.
func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// tablesFit fails for every table on the page that is wider than its
// container (it would be cut off or need sideways scrolling), with the
// widths in CSS pixels. Tables in closed <details> are opened first.
func tablesFit(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	const js = `(() => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  const out = [];
  document.querySelectorAll('table').forEach((tb, i) => {
    const box = tb.parentElement;
    const w = tb.getBoundingClientRect().width, cw = box.clientWidth;
    if (w > cw + 1 || box.scrollWidth > box.clientWidth + 1) {
      out.push((tb.id || ('table ' + (i + 1))) + ': ' + Math.round(w) + ' px in ' + Math.round(cw) + ' px');
    }
  });
  return out;
})()`
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js))
	if err != nil {
		t.Fatalf("%s: measure tables: %v", page, err)
	}
	for _, w := range wide {
		t.Errorf("%s at 1,280 px: table wider than its container: %s", page, w)
	}
}
