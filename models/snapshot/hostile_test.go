package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/internal/hostile"
	"github.com/wenzhou/danbao/models"
)

// TestHostileImport feeds each table of the hostile corpus (issue 18) to
// Import as the loans table, with the default limits, and checks that it
// is refused with a problem that says why, within 512 MB of peak RSS.
func TestHostileImport(t *testing.T) {
	files, err := hostile.Tables()
	if err != nil {
		t.Fatal(err)
	}
	guarantors, err := os.ReadFile("../../testdata/portfolios/guarantors.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"loans.arrow":   "declares 1000000000 rows, more than the limit of 10000000",
		"loans.parquet": "declares 1000000000 rows, more than the limit of 10000000",
		"loans.xlsx":    "unzips to more than 102 MiB, the limit for a workbook of 1062481 bytes",
		"loans.csv":     "has no value in any column",
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			var err error
			peak, ok := hostile.PeakRSS(func() {
				_, _, err = ImportFrom(Input{Name: f.Name, R: bytes.NewReader(f.Data)},
					Input{Name: "guarantors.csv", R: bytes.NewReader(guarantors)}, ImportOptions{})
			})
			var pe *models.ProblemsError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), f.Name+": ") || !strings.Contains(err.Error(), want[f.Name]) {
				t.Fatalf("%s (%d bytes): err = %v\nwant a problem with %s saying %q", f.What, len(f.Data), err, f.Name, want[f.Name])
			}
			if len(pe.Problems) > models.MaxProblems {
				t.Errorf("%d problems kept, want at most %d", len(pe.Problems), models.MaxProblems)
			}
			t.Logf("%s, %d bytes: peak RSS %d MiB; %d problems (%d kept)", f.What, len(f.Data), peak>>20, pe.Total(), len(pe.Problems))
			if ok && peak > hostile.MaxPeakRSS {
				t.Errorf("peak RSS %d MiB, want under %d MiB", peak>>20, hostile.MaxPeakRSS>>20)
			}
		})
	}
}

// TestHostileSnapshot reads an Arrow snapshot folder whose loans.arrow
// declares 10⁹ rows, as `--portfolio DIR` and the server's store do.
func TestHostileSnapshot(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(t.TempDir(), "good")
	if err := Write(good, testPortfolio(10, 1)); err != nil {
		t.Fatal(err)
	}
	g, err := os.ReadFile(filepath.Join(good, GuarantorsFile))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, GuarantorsFile), g, 0o644)
	os.WriteFile(filepath.Join(dir, LoansFile), hostile.Arrow(hostile.Rows), 0o644)
	var rerr error
	peak, ok := hostile.PeakRSS(func() { _, rerr = Read(dir) })
	if rerr == nil || !strings.Contains(rerr.Error(), "loans.arrow: declares 1000000000 rows") {
		t.Fatalf("err = %v", rerr)
	}
	if ok && peak > hostile.MaxPeakRSS {
		t.Errorf("peak RSS %d MiB", peak>>20)
	}
	// Within the row limit, a file that is too small for its rows.
	os.WriteFile(filepath.Join(dir, LoansFile), hostile.Arrow(1_000_000), 0o644)
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "declares 1000000 rows in") {
		t.Errorf("1,000,000 rows in a tiny file: err = %v", err)
	}
	// A lower limit, from Options.
	os.WriteFile(filepath.Join(dir, LoansFile), hostile.Arrow(100), 0o644)
	if _, err := (Options{Limits: Limits{MaxRows: 10}}).Read(dir); err == nil || !strings.Contains(err.Error(), "more than the limit of 10") {
		t.Errorf("MaxRows 10: err = %v", err)
	}
}

// TestTextLimits: a CSV stops at MaxRows and at the memory budget, and once
// MaxProblems are kept it keeps no more rows but goes on counting.
func TestTextLimits(t *testing.T) {
	guarantors, err := os.ReadFile("../../testdata/portfolios/guarantors.csv")
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	csv.WriteString("loan_id,guarantor_id,county,industry,balance,pd,lgd\n")
	for i := range 5000 {
		fmt.Fprintf(&csv, "L%d,G-3303,330302,footwear,1000.00,0.02,0.5\n", i)
	}
	imp := func(lim Limits, data []byte) error {
		_, _, err := ImportFrom(Input{Name: "loans.csv", R: bytes.NewReader(data)},
			Input{Name: "guarantors.csv", R: bytes.NewReader(guarantors)}, ImportOptions{Limits: lim})
		return err
	}
	if err := imp(Limits{MaxRows: 100}, csv.Bytes()); err == nil || !strings.Contains(err.Error(), "loans.csv: row 102, the table has more than 100 rows") {
		t.Errorf("MaxRows 100: %v", err)
	}
	// 5,000 rows of a models.Loan (about 200 bytes) and their text do not fit 256 KiB.
	if err := imp(Limits{MaxBytes: 256 << 10}, csv.Bytes()); err == nil || !strings.Contains(err.Error(), "needs more than") {
		t.Errorf("MaxBytes 256 KiB: %v", err)
	}
	// Every row has a bad pd: 5,000 problems, 1,000 kept.
	bad := bytes.ReplaceAll(csv.Bytes(), []byte(",0.02,"), []byte(",2%,"))
	var pe *models.ProblemsError
	if err := imp(Limits{}, bad); !errors.As(err, &pe) || len(pe.Problems) != models.MaxProblems || pe.Total() != 5000 {
		t.Fatalf("5,000 bad rows: %v", err)
	}
	if !strings.Contains(pe.Error(), "5000 problem(s) in input") || !strings.Contains(pe.Error(), "… and 4900 more") {
		t.Errorf("message: %.300s", pe.Error())
	}
}

// TestGenuineWithinBudget: genuine files of 20,000 loans, in each format,
// import within 32 bytes of memory per byte of file (the server's upload
// estimate, api.uploadEstimate, less its 64 MiB floor), and the same
// files are refused with a problem, not a crash, when the budget is 1 MiB.
func TestGenuineWithinBudget(t *testing.T) {
	pf := testPortfolio(20000, 7)
	dir := t.TempDir()
	if err := WriteCSV(filepath.Join(dir, "csv"), pf); err != nil {
		t.Fatal(err)
	}
	if err := WriteParquet(filepath.Join(dir, "pq"), pf); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(dir, "arrow"), pf); err != nil {
		t.Fatal(err)
	}
	for _, files := range [][2]string{
		{"csv/" + LoansCSV, "csv/" + GuarantorsCSV},
		{"pq/" + LoansParquet, "pq/" + GuarantorsParquet},
		{"arrow/" + LoansFile, "arrow/" + GuarantorsFile},
	} {
		l, g := filepath.Join(dir, files[0]), filepath.Join(dir, files[1])
		st, err := os.Stat(l)
		if err != nil {
			t.Fatal(err)
		}
		lim := Limits{MaxBytes: 32 * st.Size()}
		if _, _, err := Import(l, g, ImportOptions{Limits: lim}); err != nil {
			t.Errorf("%s (%d bytes) within %d MiB: %v", files[0], st.Size(), lim.MaxBytes>>20, err)
		}
		_, _, err = Import(l, g, ImportOptions{Limits: Limits{MaxBytes: 1 << 20}})
		if err == nil || !strings.Contains(err.Error(), "needs more than") {
			t.Errorf("%s within 1 MiB: %v", files[0], err)
		}
	}
	if _, err := (Options{Limits: Limits{MaxBytes: 1 << 20}}).Read(filepath.Join(dir, "arrow")); err == nil || !strings.Contains(err.Error(), "needs more than") {
		t.Errorf("Read within 1 MiB: %v", err)
	}
}

// TestXLSXTempDir: a worksheet part above 16 MiB (here 17 MiB of spaces in
// a 17 KB workbook) is unzipped into Limits.TempDir, not memory, and the
// file is gone once the workbook is closed and after Import.
func TestXLSXTempDir(t *testing.T) {
	data, err := hostile.XLSX(17 << 20)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	d := newLimitedDecoder("loans.xlsx", Limits{TempDir: tmp})
	var warnings []string
	src, closeFn := openXLSX(d, bytes.NewReader(data), "loans", &warnings)
	if src == nil {
		t.Fatalf("not opened: %v", d.probs.Err())
	}
	ents, _ := os.ReadDir(tmp)
	if len(ents) != 1 {
		t.Errorf("TempDir holds %d files while the workbook is open, want the sheet", len(ents))
	}
	closeFn()
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("left in TempDir after close: %v", ents)
	}
	guarantors, err := os.ReadFile("../../testdata/portfolios/guarantors.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ImportFrom(Input{Name: "loans.xlsx", R: bytes.NewReader(data)}, Input{Name: "guarantors.csv", R: bytes.NewReader(guarantors)},
		ImportOptions{Limits: Limits{TempDir: tmp}})
	if err == nil || !strings.Contains(err.Error(), "loans.xlsx: is empty: it has no header row") {
		t.Errorf("err = %v", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("left in TempDir after Import: %v", ents)
	}
}

// TestCompressedArrow: an Arrow file whose compressed buffers declare more
// than 255× the body is refused before arrow-go decompresses it, and
// genuine LZ4 and ZSTD files (as pyarrow's Feather writes) are read.
func TestCompressedArrow(t *testing.T) {
	bomb := hostile.CompressedArrow(2, 8<<20) // two values of 8 MiB: 16 MiB of data, 3 offsets of 4 bytes
	d := newLimitedDecoder("loans.arrow", Limits{})
	decodeIPC(d, bytes.NewReader(bomb), memory.DefaultAllocator, func(*table) { t.Error("the bomb was decoded") })
	if err := d.probs.Err(); err == nil || !strings.Contains(err.Error(), "compressed record batches declare 16777228 bytes once decompressed, more than 255×") {
		t.Errorf("%d-byte bomb: %v", len(bomb), err)
	}
	pf := testPortfolio(5000, 3)
	for _, opt := range []ipc.Option{ipc.WithLZ4(), ipc.WithZstd()} {
		rec, err := buildRecord(memory.DefaultAllocator, loanColumns, pf.Loans, pf.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w, err := ipc.NewFileWriter(&buf, ipc.WithSchema(rec.Schema()), opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		w.Close()
		rec.Release()
		for _, r := range []ReadAtSeeker{bytes.NewReader(buf.Bytes()), newMemFile(buf.Bytes())} {
			d := newLimitedDecoder("loans.arrow", Limits{})
			var n int
			decodeIPC(d, r, memory.DefaultAllocator, func(tb *table) { n = tb.nrows })
			if err := d.probs.Err(); err != nil || n != 5000 {
				t.Errorf("genuine compressed file (%d bytes, %T): %d rows, %v", buf.Len(), r, n, err)
			}
		}
	}
}

// TestCountingKeepsNothing: once the problem list is full, the rest of a
// CSV is only counted; its text is not kept, not even interned.
func TestCountingKeepsNothing(t *testing.T) {
	var csv bytes.Buffer
	csv.WriteString("loan_id,county,pd\n")
	for i := range 1000 {
		fmt.Fprintf(&csv, "L%d,C,x\n", i) // a bad pd: 1,000 problems
	}
	for i := range 5000 {
		fmt.Fprintf(&csv, "M%d,county-%d,0.01\n", i, i) // unique counties
	}
	d := newLimitedDecoder("loans.csv", Limits{})
	var warnings []string
	rows := readText(d, newCSVSource(&csv, ','), loanColumns, models.NewLoan, &warnings)
	// 4 problems for the missing required columns (guarantor_id, industry,
	// balance, lgd), then one per row: the list is full after 996 rows.
	if len(rows) != 996 || len(d.intern) > 10 || d.probs.Len() != 4+1000 {
		t.Errorf("%d rows kept, %d strings interned, %d problems; want 996, about 1, 1004", len(rows), len(d.intern), d.probs.Len())
	}
}
