package snapshot

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/wenzhou/danbao/models"
	"github.com/xuri/excelize/v2"
)

// rowSource yields the rows of a text table (CSV or a spreadsheet).
type rowSource interface {
	// next returns the cells of the next row and its number in the file
	// (the first row is 1), or err == io.EOF at the end. A *csv.ParseError
	// is a syntax error in one row; reading may go on after it.
	next() (cells []string, row int, err error)
}

// maxSyntaxErrors is how many CSV syntax errors are reported before the
// rest of the file is given up on.
const maxSyntaxErrors = 100

// readText reads a table whose first non-empty row is the header.
func readText[T any](d *decoder, src rowSource, cols []column[T], newRow func() T, warnings *[]string) []T {
	var header []string
	headerRow, syntaxErrors := 0, 0
	// fail reports a read error; it returns true when reading must stop.
	fail := func(err error) bool {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			syntaxErrors++
			d.add(pe.StartLine, "", "", fmt.Sprintf("CSV syntax error at line %d, column %d: %v", pe.Line, pe.Column, pe.Err), models.ErrInvalid)
			if syntaxErrors == maxSyntaxErrors {
				d.add(pe.Line, "", "", "too many CSV syntax errors; the rest of the file was not read", models.ErrInvalid)
				return true
			}
			return false
		}
		d.add(0, "", "", "could not be read: "+err.Error(), models.ErrInvalid)
		return true
	}
	for {
		cells, row, err := src.next()
		if err == io.EOF {
			d.add(0, "", "", "is empty: it has no header row", models.ErrMissing)
			return nil
		}
		if err != nil {
			if fail(err) {
				return nil
			}
			continue
		}
		if !blank(cells) {
			header, headerRow = append([]string(nil), cells...), row
			break
		}
	}
	m := mapColumns(d, cols, header, headerRow, warnings)
	var unnamed map[int]bool // unnamed columns holding data: one warning each
	def := newRow()
	rows := make([]T, 0, 1024)
	for {
		cells, row, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if fail(err) {
				break
			}
			continue
		}
		if blank(cells) {
			continue
		}
		rows = append(rows, def)
		d.rowNums = append(d.rowNums, int32(row))
		p := &rows[len(rows)-1]
		for j, cell := range cells {
			cell = strings.TrimSpace(cell)
			if j >= len(m) {
				if cell != "" {
					d.add(row, "", cell, fmt.Sprintf("has a value in column %d, beyond the %d columns of the header", j+1, len(m)), models.ErrInvalid)
					break
				}
				continue
			}
			k := m[j]
			if k < 0 {
				if cell != "" && normName(header[j]) == "" && !unnamed[j] {
					if unnamed == nil {
						unnamed = map[int]bool{}
					}
					unnamed[j] = true
					*warnings = append(*warnings, fmt.Sprintf("%s: column %d has no name in the header; its values are ignored", d.file, j+1))
				}
				continue
			}
			setCell(d, &cols[k], p, row, cell)
		}
	}
	return rows
}

// blank reports whether a row has no value at all.
func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// csvSource reads CSV with encoding/csv, reusing its record buffer.
type csvSource struct{ r *csv.Reader }

func newCSVSource(r io.Reader, sep rune) *csvSource {
	cr := csv.NewReader(r)
	cr.Comma = sep
	cr.FieldsPerRecord = -1 // short rows are padded with empty cells, long ones checked by readText
	cr.ReuseRecord = true
	return &csvSource{cr}
}

func (s *csvSource) next() ([]string, int, error) {
	rec, err := s.r.Read()
	if err != nil {
		return nil, 0, err
	}
	line, _ := s.r.FieldPos(0)
	return rec, line, nil
}

// xlsxSource reads the rows of one worksheet with raw cell values (numbers
// as stored, not as formatted), numbering them as Excel does.
type xlsxSource struct {
	rows *excelize.Rows
	n    int
}

func (s *xlsxSource) next() ([]string, int, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, 0, err
		}
		return nil, 0, io.EOF
	}
	s.n++
	cells, err := s.rows.Columns(excelize.Options{RawCellValue: true})
	return cells, s.n, err
}

// openXLSX opens the worksheet named sheet (any case) of a workbook, or its
// first worksheet. It returns nil, having reported the problem, when the
// workbook cannot be read.
func openXLSX(d *decoder, r io.Reader, sheet string, warnings *[]string) (src rowSource, closeFn func()) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		d.add(0, "", "", "is not a readable XLSX workbook: "+err.Error(), models.ErrInvalid)
		return nil, nil
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		d.add(0, "", "", "has no worksheet", models.ErrMissing)
		return nil, nil
	}
	name := ""
	for _, s := range sheets {
		if strings.EqualFold(strings.TrimSpace(s), sheet) {
			name = s
			break
		}
	}
	if name == "" {
		name = sheets[0]
		if len(sheets) > 1 {
			*warnings = append(*warnings, fmt.Sprintf("%s: no sheet named %q; reading the first sheet, %q", d.file, sheet, name))
		}
	}
	d.xlsx = true
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		d.date1904 = *props.Date1904
	}
	rows, err := f.Rows(name)
	if err != nil {
		f.Close()
		d.add(0, "", "", fmt.Sprintf("sheet %q could not be read: %v", name, err), models.ErrInvalid)
		return nil, nil
	}
	return &xlsxSource{rows: rows}, func() { rows.Close(); f.Close() }
}
