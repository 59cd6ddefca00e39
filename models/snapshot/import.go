package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/wenzhou/danbao/models"
)

// ImportOptions controls Import. The zero value imports strictly.
type ImportOptions struct {
	// LenientMoney accepts thousands separators and 万/亿 suffixes in money
	// ("1,234.50", "12.5万"), as models.ParseCentsLenient does. By default
	// money must be plain decimal yuan ("1234.50") and anything else is a
	// problem.
	LenientMoney bool
	// AsOf is the snapshot date. Zero keeps the date a Parquet or Arrow
	// input carries in its "danbao.as_of" metadata (loans file first), if any.
	AsOf models.Date
	// Mem allocates Arrow memory for Parquet and Arrow inputs; nil means
	// memory.DefaultAllocator.
	Mem memory.Allocator
	// Limits bound the rows and the memory of each table.
	Limits
}

// Input is one table to import: Name (a path or a file name) picks the
// format by its extension and, by its base name, names the file in
// problems; R is its content (an *os.File or a *bytes.Reader, say).
type Input struct {
	Name string
	R    ReadAtSeeker
}

// Import reads the loans and guarantors tables from files in any mix of the
// formats below, chosen by extension, and validates the portfolio:
//
//	.csv, .tsv                  UTF-8 text, first row the header (a BOM is skipped)
//	.xlsx, .xlsm, .xltx, .xltm  the sheet named "loans" (or "guarantors"), else the first sheet
//	.parquet, .pq               any Parquet file; pqarrow reads it
//	.arrow, .feather, .ipc      an Arrow IPC file
//
// Columns are matched by name (docs/data.md), ignoring case and
// surrounding spaces; each column not in the schema is reported in
// warnings and ignored. Money is exact decimal yuan parsed with
// models.ParseCents (opts.LenientMoney: ParseCentsLenient), dates are
// YYYY-MM-DD (or Excel date cells), booleans true/false, yes/no or 1/0 in any
// case, and an empty cell takes the column's default (models.NewLoan,
// models.NewGuarantor). Text sources are trimmed of surrounding spaces and
// rows with no value at all are skipped. Typed sources (Parquet, Arrow)
// are read through the same text rules when a column's type is not the
// snapshot's own, so a float64 balance of 1234.56 is the money "1234.56".
//
// Every problem is returned at once as a *models.ProblemsError: parse
// problems first, then those of models.Portfolio.Validate, each with the
// file's base name, its row as in the file (the header being row 1; in
// Parquet and Arrow files the first row is row 2) and column. A missing
// required column is reported once, on the header row (row 0 in Parquet and
// Arrow). Import never panics on bad input.
func Import(loansPath, guarantorsPath string, opts ImportOptions) (pf *models.Portfolio, warnings []string, err error) {
	lf, err := os.Open(loansPath)
	if err != nil {
		return nil, nil, fmt.Errorf("import: %w", err)
	}
	defer lf.Close()
	gf, err := os.Open(guarantorsPath)
	if err != nil {
		return nil, nil, fmt.Errorf("import: %w", err)
	}
	defer gf.Close()
	return ImportFrom(Input{Name: loansPath, R: lf}, Input{Name: guarantorsPath, R: gf}, opts)
}

// ImportFrom is Import on open inputs, e.g. uploaded files.
func ImportFrom(loans, guarantors Input, opts ImportOptions) (pf *models.Portfolio, warnings []string, err error) {
	return importFrom(loans, guarantors, nil, opts)
}

// importFrom is ImportFrom with an optional links table (nil: none).
func importFrom(loans, guarantors Input, links *Input, opts ImportOptions) (pf *models.Portfolio, warnings []string, err error) {
	ln, gn := filepath.Base(loans.Name), filepath.Base(guarantors.Name)
	if ln == gn { // one workbook with two sheets, say
		ln, gn = ln+"[loans]", gn+"[guarantors]"
	}
	ld, gd := newLimitedDecoder(ln, opts.Limits), newLimitedDecoder(gn, opts.Limits)
	ld.lenient, gd.lenient = opts.LenientMoney, opts.LenientMoney
	var kd *decoder
	if links != nil {
		kn := filepath.Base(links.Name)
		if kn == ln || kn == gn || kn+"[loans]" == ln {
			kn += "[links]"
		}
		kd = newLimitedDecoder(kn, opts.Limits)
		kd.lenient = opts.LenientMoney
	}
	mem := opts.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	pf = &models.Portfolio{}
	var lAsOf, gAsOf models.Date
	pf.Loans = importTable(ld, loans, loanColumns, models.NewLoan, "loans", mem, &warnings, &lAsOf)
	pf.Guarantors = importTable(gd, guarantors, guarantorColumns, models.NewGuarantor, "guarantors", mem, &warnings, &gAsOf)
	if kd != nil {
		var kAsOf models.Date
		pf.Links = importTable(kd, *links, linkColumns, models.NewLink, "links", mem, &warnings, &kAsOf)
	}
	switch {
	case !opts.AsOf.IsZero():
		pf.AsOf = opts.AsOf
	case !lAsOf.IsZero():
		pf.AsOf = lAsOf
	default:
		pf.AsOf = gAsOf
	}
	if err := finish(pf, ld, gd, kd); err != nil {
		return nil, warnings, err
	}
	return pf, warnings, nil
}

// importTable reads one input table in the format its name says.
func importTable[T any](d *decoder, in Input, cols []column[T], newRow func() T, sheet string, mem memory.Allocator, warnings *[]string, asOf *models.Date) (rows []T) {
	defer func() {
		// excelize, the csv reader and pqarrow are not ours: whatever they
		// do on a hostile file, Import reports it instead of crashing.
		if p := recover(); p != nil {
			rows = nil
			if !budgetProblem(d, p) {
				recovered(p)
				d.add(0, "", "", fmt.Sprintf("could not be read (%v)", p), models.ErrInvalid)
			}
		}
	}()
	switch ext := strings.ToLower(filepath.Ext(in.Name)); ext {
	case ".csv", ".tsv":
		sep := ','
		if ext == ".tsv" {
			sep = '\t'
		}
		return readText(d, newCSVSource(in.R, sep), cols, newRow, warnings)
	case ".xlsx", ".xlsm", ".xltx", ".xltm":
		src, closeFn := openXLSX(d, in.R, sheet, warnings)
		if src == nil {
			return nil
		}
		defer closeFn()
		return readText(d, src, cols, newRow, warnings)
	case ".parquet", ".pq":
		t, release := readParquet(d, in.R, mem)
		if t == nil {
			return nil
		}
		defer release()
		*asOf = asOfMeta(d, t.schema)
		return decodeTable(d, cols, t, newRow, warnings)
	case ".arrow", ".feather", ".ipc":
		decodeIPC(d, in.R, mem, func(t *table) {
			*asOf = asOfMeta(d, t.schema)
			rows = decodeTable(d, cols, t, newRow, warnings)
		})
		return rows
	default:
		d.add(0, "", "", "has an unsupported file type (want .csv, .tsv, .xlsx, .parquet or .arrow)", models.ErrInvalid)
		return nil
	}
}

// panicHook, when set (by tests), sees the stack of every recovered panic.
var panicHook func(p any, stack []byte)

// recovered passes a recovered panic to panicHook. Call it from the
// deferred function that recovered p.
func recovered(p any) {
	if panicHook != nil {
		panicHook(p, debug.Stack())
	}
}
