package snapshot

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wenzhou/danbao/models"
	"github.com/xuri/excelize/v2"
)

// xlsxCells returns the rows of a table as typed spreadsheet cells, the way
// a business system exports them: money and rates as numbers, dates as date
// cells, booleans as boolean cells, unset values as empty cells.
func xlsxCells[T any](cols []column[T], rows []T) [][]any {
	out := [][]any{make([]any, len(cols))}
	for k := range cols {
		out[0][k] = cols[k].name
	}
	for i := range rows {
		r := make([]any, len(cols))
		for k := range cols {
			c, p := &cols[k], &rows[i]
			if c.unset != nil && c.unset(p) {
				continue
			}
			switch c.kind {
			case kString:
				r[k] = *c.str(p)
			case kMoney:
				r[k] = float64(*c.money(p)) / 100 // exact for ≤ 15 significant digits, see xlsxCells' test
			case kFloat:
				r[k] = *c.num(p)
			case kDate:
				r[k] = c.date(p).Time()
			case kBool:
				r[k] = *c.flag(p)
			}
		}
		out = append(out, r)
	}
	return out
}

// makeXLSX builds a workbook with the named sheets, in order.
func makeXLSX(t testing.TB, sheets []string, data [][][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for s, name := range sheets {
		if s == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			t.Fatal(err)
		}
		dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range data[s] {
			cells := make([]any, len(row))
			for k, v := range row {
				if tm, ok := v.(time.Time); ok {
					cells[k] = excelize.Cell{StyleID: dateStyle, Value: tm}
				} else {
					cells[k] = v
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := sw.SetRow(cell, cells); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestXLSXRoundTrip imports a workbook with sheets "loans" and "guarantors",
// given as both inputs, and gets the portfolio back exactly. A spreadsheet
// number has 15 significant digits (Excel's precision, and excelize writes
// floats so), so the test rates are rounded to 15 digits first; money up to
// 10¹³ yuan has at most 15 digits and round-trips as is.
func TestXLSXRoundTrip(t *testing.T) {
	pf := testPortfolio(500, 11)
	round15 := func(x *float64) {
		if !math.IsNaN(*x) {
			*x, _ = strconv.ParseFloat(strconv.FormatFloat(*x, 'g', 15, 64), 64)
		}
	}
	for i := range pf.Loans {
		l := &pf.Loans[i]
		for _, x := range []*float64{&l.GuaranteeRatio, &l.InterestRate, &l.FeeRate, &l.PD, &l.LGD} {
			round15(x)
		}
	}
	want := validated(t, pf)
	book := makeXLSX(t, []string{"guarantors", "loans"}, [][][]any{xlsxCells(guarantorColumns, pf.Guarantors), xlsxCells(loanColumns, pf.Loans)})
	path := filepath.Join(t.TempDir(), "book.xlsx")
	if err := os.WriteFile(path, book, 0o644); err != nil {
		t.Fatal(err)
	}
	got, warnings, err := Import(path, path, ImportOptions{AsOf: pf.AsOf})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
	for _, d := range diffPortfolios(want, got) {
		t.Error(d)
	}
}

// TestXLSXProblems checks row numbers and file names in a workbook: the
// first sheet is read when none is named loans, empty rows keep Excel's
// numbering, and one workbook given twice names the sheets.
func TestXLSXProblems(t *testing.T) {
	loans := [][]any{
		{"Loan_ID ", "guarantor_id", "county", "industry", "balance", "pd", "lgd", "maturity_date", "备注"},
		{"L1", "G-1", "330382", "footwear", 1000.5, 0.02, 0.5, time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), "x"},
		{},
		{"L2", "G-1", "330382", "footwear", "12.5万", 0.02, 0.5, "31/03/2026"},
		{"L3", "G-2", "330382", "footwear", 100, 1.5, 0.5},
	}
	guarantors := [][]any{
		{"guarantor_id", "level", "county", "registered_capital", "net_assets"},
		{"G-1", "county", "330382", 2e8, 2.1e8},
	}
	book := makeXLSX(t, []string{"Sheet1", "guarantors"}, [][][]any{loans, guarantors})
	path := filepath.Join(t.TempDir(), "book.xlsx")
	if err := os.WriteFile(path, book, 0o644); err != nil {
		t.Fatal(err)
	}
	_, warnings, err := Import(path, path, ImportOptions{})
	for _, want := range []string{
		`book.xlsx[loans]: row 4, column "balance" = "12.5万": uses a thousands separator or a 万/亿 suffix`,
		`book.xlsx[loans]: row 4, column "maturity_date" = "31/03/2026": is not a date`,
		`book.xlsx[loans]: row 5, column "guarantor_id" = "G-2": is not in the guarantors table`,
		`book.xlsx[loans]: row 5, column "pd" = "1.5": must be in (0, 1)`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\ndoes not contain %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "row 2") {
		t.Errorf("row 2 is valid, but: %v", err)
	}
	wantWarnings := []string{
		`book.xlsx[loans]: unknown column "备注" ignored`,
		`book.xlsx[loans]: no sheet named "loans"; reading the first sheet, "Sheet1"`,
	}
	for _, w := range wantWarnings {
		if !strings.Contains(strings.Join(warnings, "\n"), w) {
			t.Errorf("warnings %q lack %q", warnings, w)
		}
	}

	// The valid rows alone import, with the date cell as a date.
	loans = loans[:2]
	book = makeXLSX(t, []string{"loans", "guarantors"}, [][][]any{loans, guarantors})
	pf, _, err := ImportFrom(Input{"a.xlsx", bytes.NewReader(book)}, Input{"a.xlsx", bytes.NewReader(book)}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l := pf.Loans[0]; l.LoanID != "L1" || l.Balance != 100050 || l.MaturityDate.String() != "2026-03-31" {
		t.Errorf("loan = %+v", l)
	}
	if g := pf.Guarantors[0]; g.RegisteredCapital != 2*models.Yi || g.NetAssets != 210_000_000*models.Yuan {
		t.Errorf("guarantor = %+v", g)
	}
}
