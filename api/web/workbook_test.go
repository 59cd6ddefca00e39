package web_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/wenzhou/danbao/api/web"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// checkWorkbook opens b with excelize, checks it has the sheets (in
// order), that the first two rows are Chinese and English headers, and
// that every cell of a column whose header names 亿元 or 万元 is a number
// (not text); with python3 on PATH it also reads the file with Python's
// zipfile, as an analyst's script would.
func checkWorkbook(t *testing.T, b []byte, sheets []string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, "|") != strings.Join(sheets, "|") {
		t.Fatalf("sheets %q, want %q", got, sheets)
	}
	for _, s := range sheets {
		rows, err := f.GetRows(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 3 {
			t.Errorf("%s: %d rows, want headers and data", s, len(rows))
			continue
		}
		moneyCols := 0
		for c, zh := range rows[0] {
			if !hasHan(zh) {
				t.Errorf("%s column %d: header %q has no Chinese", s, c+1, zh)
			}
			if !strings.Contains(zh, "亿元") && !strings.Contains(zh, "万元") {
				continue
			}
			moneyCols++
			for r := 3; r <= len(rows); r++ {
				cell, _ := excelize.CoordinatesToCellName(c+1, r)
				typ, err := f.GetCellType(s, cell)
				if err != nil {
					t.Fatal(err)
				}
				v, _ := f.GetCellValue(s, cell)
				if v != "" && typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
					t.Errorf("%s!%s: money cell %q is of type %v, not a number", s, cell, v, typ)
				}
			}
		}
		if moneyCols == 0 && s != "目标 Targets" {
			t.Errorf("%s: no money column", s)
		}
		panes, err := f.GetPanes(s)
		if err != nil || !panes.Freeze || panes.YSplit != 2 {
			t.Errorf("%s: panes %+v (%v), want the two header rows frozen", s, panes, err)
		}
	}
	if py, err := exec.LookPath("python3"); err == nil {
		file := filepath.Join(t.TempDir(), "w.xlsx")
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		script := `import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
names = z.namelist()
assert "xl/workbook.xml" in names, names
print(sum(1 for n in names if n.startswith("xl/worksheets/sheet")))`
		out, err := exec.Command(py, "-c", script, file).CombinedOutput()
		if err != nil {
			t.Fatalf("python3 zipfile: %v\n%s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != strings.TrimSpace(itoa(len(sheets))) {
			t.Errorf("python3 zipfile sees %s sheets, want %d", got, len(sheets))
		}
	} else {
		t.Log("python3 not found: the zipfile check is skipped")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func TestRunWorkbook(t *testing.T) {
	pf, sc, o := outcome(t, "baseline", 500, 2)
	pos := models.Describe(pf, sc.Policy, sc.Targets)
	var buf bytes.Buffer
	if err := web.RunWorkbook(&buf, o.Doc, &pos); err != nil {
		t.Fatal(err)
	}
	checkWorkbook(t, buf.Bytes(), []string{"损失 Losses", "分年度 By year", "目标 Targets", "财政支出 Outlays", "风险贡献 Contributions"})
	saveArtifact(t, "run.xlsx", buf.Bytes())

	// The expected total loss reads back as the document's, in the
	// column's unit.
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	head, _ := f.GetCellValue("损失 Losses", "C1")
	raw, _ := f.GetCellValue("损失 Losses", "C3", excelize.Options{RawCellValue: true})
	unit := 1e4
	if strings.Contains(head, "亿元") {
		unit = 1e8
	}
	want := float64(o.Doc.Loss[sim.PartyTotal].Mean) / unit
	if got := parseFloat(t, raw); abs(got-want) > 1e-9*abs(want) {
		t.Errorf("expected loss cell %v (%s), want %v", got, head, want)
	}
}

func TestSweepAndTopupWorkbooks(t *testing.T) {
	pf := smallPortfolio(t)
	sc, err := scenarios.Builtin("baseline")
	if err != nil {
		t.Fatal(err)
	}
	sc.HorizonYears = 2
	grid, err := scenarios.SweepPoints(&sc, models.SweepAxis{Param: models.BankSharePath, Values: []float64{0.1, 0.3}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Sweep(context.Background(), pf, grid, sim.SweepOptions{},
		sim.Params{Seed: 2, Paths: 300, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := web.SweepWorkbook(&buf, res); err != nil {
		t.Fatal(err)
	}
	checkWorkbook(t, buf.Bytes(), []string{"各取值 Points", "补充资本 Top-ups", "目标 Targets", "相邻差异 Differences"})

	_, _, o := outcome(t, "baseline", 500, 2)
	tr, err := sim.Topup(o, []float64{0.9, 0.99})
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := web.TopupWorkbook(&buf, tr); err != nil {
		t.Fatal(err)
	}
	checkWorkbook(t, buf.Bytes(), []string{"全市 City", "担保机构 Guarantors", "区县 Counties"})
	saveArtifact(t, "topup.xlsx", buf.Bytes())
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("cell %q is not a number: %v", s, err)
	}
	return v
}

func abs(x float64) float64 { return math.Abs(x) }
