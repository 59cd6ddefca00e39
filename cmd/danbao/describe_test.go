package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
	"github.com/wenzhou/danbao/models/synth"
	"github.com/xuri/excelize/v2"

	"github.com/spf13/pflag"
)

// run executes the danbao command line with args and returns its stdout.
// Cobra keeps flag values between runs in one process, so callers spell
// out every flag whose default matters.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	return out.String(), err
}

func TestGen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wz")
	out, err := run(t, "gen", "--loans", "300", "--seed", "5", "--as-of", "2023-06-30", "--force=false", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "wrote 300 loans and 10 guarantors as of 2023-06-30 to "+dir) {
		t.Errorf("output %q", out)
	}
	got, err := snapshot.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	asOf, _ := models.ParseDate("2023-06-30")
	want, _ := synth.Generate(synth.Options{Loans: 300, Seed: 5, AsOf: asOf})
	if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *want) {
		t.Error("gen wrote something other than synth.Generate")
	}
	if _, err := run(t, "gen", "--loans", "300", "--seed", "6", "--as-of", "", "--force=false", "--out", dir); err == nil {
		t.Error("gen replaced a non-empty folder without --force")
	}
	if _, err := run(t, "gen", "--loans", "300", "--seed", "6", "--as-of", "", "--force", "--out", dir); err != nil {
		t.Errorf("gen --force: %v", err)
	}
	for _, bad := range [][]string{{"--loans", "0"}, {"--loans", "-3"}, {"--as-of", "30/06/2023"}} {
		args := append([]string{"gen", "--loans", "10", "--as-of", "", "--force", "--out", filepath.Join(t.TempDir(), "x")}, bad...)
		if _, err := run(t, args...); err == nil {
			t.Errorf("gen %v: no error", bad)
		}
	}
}

func TestDescribeJSON(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wz")
	if _, err := run(t, "gen", "--loans", "400", "--seed", "3", "--as-of", "", "--force=false", "--out", dir); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "describe", "--portfolio", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema    string `json:"schema"`
		Portfolio string `json:"portfolio"`
		models.Position
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	pf, _ := snapshot.Read(dir)
	want := models.Describe(pf, models.Policy4321(), models.DefaultTargets())
	if doc.Schema != PositionSchema || doc.Portfolio != dir || doc.Loans != 400 || doc.Guaranteed != want.Guaranteed ||
		len(doc.Targets) != len(want.Targets) || doc.City.NetAssets != want.City.NetAssets {
		t.Errorf("describe --json: schema %q, portfolio %q, %d loans, guaranteed %v (want %v), %d checks (want %d)",
			doc.Schema, doc.Portfolio, doc.Loans, doc.Guaranteed, want.Guaranteed, len(doc.Targets), len(want.Targets))
	}
}

// TestDescribeExample runs describe on the embedded example and checks the
// headline figures and that every table is aligned in display cells.
func TestDescribeExample(t *testing.T) {
	out, err := run(t, "describe", "--portfolio", "", "--json=false")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Portfolio embedded example, as of 2022-12-31: 20000 loans",
		"  of which small/micro + agri                             227.40", // loan basis: above the seed's 200亿
		"  of which small/micro + agri                             180.82", // guaranteed basis: just short of it
		"330382 乐清市",
		"✓  balance_min        city      loan                227.40亿  >   200.00亿",
		"✓  leverage_min       G-330382  performance/loan        6.55  ≥       5.00",
		"✗  capital_min        G-330329  registered_capital",
		"checks hold.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe output lacks %q", want)
		}
	}
	// Within each block (tables are separated by blank lines or titles),
	// right-aligned tables end every row at the same display column.
	tables := 0
	for _, block := range strings.Split(out, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) < 3 || !strings.Contains(lines[0], "(amounts in 亿 yuan)") {
			continue
		}
		tables++
		w := runewidth.StringWidth(lines[1])
		for _, l := range lines[2:] {
			if runewidth.StringWidth(l) != w {
				t.Errorf("misaligned table %q: row %q is %d cells wide, header %d", lines[0], l, runewidth.StringWidth(l), w)
			}
		}
	}
	if tables != 5 { // guarantors, by county, industry, product, segment
		t.Errorf("checked %d tables, want 5", tables)
	}
}

func TestFormatMoney(t *testing.T) {
	for _, tt := range []struct {
		c        models.Cents
		yi, wan_ string
	}{
		{0, "0.00", "0.00"},
		{123456789012, "12.35", "123456.79"}, // 1,234,567,890.12 yuan
		{models.Yi / 200, "0.01", "50.00"},   // 0.005亿 rounds half away from zero
		{-5000, "0.00", "-0.01"},             // −50 yuan = −0.005万; no "-0.00"
		{4999, "0.00", "0.00"},
	} {
		if got := fmtYi(tt.c); got != tt.yi {
			t.Errorf("fmtYi(%d) = %s, want %s", tt.c, got, tt.yi)
		}
		if got := fmtWan(tt.c); got != tt.wan_ {
			t.Errorf("fmtWan(%d) = %s, want %s", tt.c, got, tt.wan_)
		}
	}
	tb := newTextTable("county", "balance")
	tb.add("330382 乐清市", "1.00")
	tb.add("x", "100.00")
	var b bytes.Buffer
	tb.print(&b, 1)
	widths := []int{}
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		widths = append(widths, runewidth.StringWidth(l))
	}
	if !slices.Equal(widths, []int{22, 22, 22}) { // 13 cells ("乐清市" is 6) + 2 + 7 ("balance")
		t.Errorf("table widths %v:\n%s", widths, b.String())
	}
}

// TestDescribeScenario: describe judges today's position by the scenario's
// targets, so --set moves a threshold: the city's leverage 3.63 fails the
// seed's 5 and holds against 3.5.
func TestDescribeScenario(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "✗  leverage_min       city"},
		{[]string{"--set", "targets.leverage_min.threshold=3.5"}, "✓  leverage_min       city"},
	} {
		resetAfter(t, "describe", "set")
		out, err := run(t, append([]string{"describe", "--scenario", "baseline"}, tt.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, tt.want) {
			t.Errorf("describe %v: no line %q", tt.args, tt.want)
		}
	}
	if _, err := run(t, "describe", "--set", "targets.leverage_min.threshold=abc"); err == nil {
		t.Error("describe with a bad --set: no error")
	}
}

// resetAfter restores flags of the subcommand name to their defaults when
// the test ends, since cobra keeps values between runs in one process.
func resetAfter(t *testing.T, name string, flags ...string) {
	t.Helper()
	t.Cleanup(func() {
		for _, c := range rootCmd.Commands() {
			if c.Name() != name {
				continue
			}
			for _, f := range flags {
				fl := c.Flags().Lookup(f)
				if sv, ok := fl.Value.(pflag.SliceValue); ok {
					sv.Replace(nil)
				} else {
					fl.Value.Set(fl.DefValue)
				}
				fl.Changed = false
			}
		}
	})
}

// TestReportFiles: sweep and topup write self-contained HTML reports with
// their charts, like run.
func TestReportFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		cmd  string
		args []string
	}{
		{"sweep", []string{"--param", "policy.bank_share", "--values", "0.2,0.3", "--paths", "200", "--horizon", "1"}},
		{"topup", []string{"--confidence", "0.9,0.95", "--paths", "200", "--horizon", "1"}},
	} {
		resetAfter(t, tt.cmd, "report")
		if tt.cmd == "sweep" {
			resetAfter(t, tt.cmd, "param", "values") // repeatable flags keep what they were given
		}
		file := filepath.Join(dir, tt.cmd+".html")
		if _, err := run(t, append(append([]string{tt.cmd}, tt.args...), "--report", file)...); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "<svg"); n == 0 || strings.Contains(string(b), "<script") {
			t.Errorf("%s report: %d charts, script %v", tt.cmd, n, strings.Contains(string(b), "<script"))
		}
	}
}

// TestReportWorkbooks: --report FILE.xlsx writes a workbook, on run,
// sweep and topup, with the sheets of each.
func TestReportWorkbooks(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		cmd    string
		args   []string
		sheets string
	}{
		{"run", []string{"--paths", "200", "--horizon", "1"}, "损失 Losses|分年度 By year|目标 Targets|财政支出 Outlays|风险贡献 Contributions"},
		{"sweep", []string{"--param", "policy.bank_share", "--values", "0.2,0.3", "--paths", "200", "--horizon", "1"},
			"各取值 Points|补充资本 Top-ups|目标 Targets|相邻差异 Differences"},
		{"topup", []string{"--confidence", "0.9,0.95", "--paths", "200", "--horizon", "1"}, "全市 City|担保机构 Guarantors|区县 Counties"},
	} {
		resetAfter(t, tt.cmd, "report")
		if tt.cmd == "sweep" {
			resetAfter(t, tt.cmd, "param", "values") // repeatable flags keep what they were given
		}
		file := filepath.Join(dir, tt.cmd+".xlsx")
		if _, err := run(t, append(append([]string{tt.cmd}, tt.args...), "--report", file)...); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(file)
		if err != nil {
			t.Fatalf("%s: %v", tt.cmd, err)
		}
		if got := strings.Join(f.GetSheetList(), "|"); got != tt.sheets {
			t.Errorf("%s: sheets %s, want %s", tt.cmd, got, tt.sheets)
		}
		f.Close()
	}
}
