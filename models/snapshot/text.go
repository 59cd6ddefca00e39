package snapshot

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"

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

// readText reads a table whose first non-empty row is the header. It
// stops at d's limits: more than MaxRows rows, or rows (their size plus
// the text of their cells) over the memory budget, is a problem that ends
// the reading. Once d holds models.MaxProblems problems the table cannot
// be imported, so further rows are only checked cell by cell (to count
// their problems) and not kept.
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
	rowSize := int64(unsafe.Sizeof(def)) + 4 // the row and its entry in d.rowNums
	rows := make([]T, 0, 1024)
	var scratch T
	nrows := 0
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
		if !usesColumns(cells, m) {
			// Not a row of the table at all, and keeping it (as a row of
			// defaults) would cost a models.Loan for two bytes of input.
			d.add(row, "", "", "has no value in any column of the table; its values are in columns that are ignored", models.ErrInvalid)
			continue
		}
		if nrows++; nrows > d.lim.maxRows() {
			d.add(row, "", "", fmt.Sprintf("the table has more than %d rows, the limit; the rest of the file was not read (raise --max-rows if the file is genuine)", d.lim.maxRows()), models.ErrInvalid)
			break
		}
		var p *T
		if d.probs.Full() {
			d.counting = true
			scratch = def
			p = &scratch
		} else {
			cost := rowSize
			for _, c := range cells {
				cost += int64(len(c))
			}
			if err := d.budget.charge(cost); err != nil {
				d.add(row, "", "", err.Error()+"; the rest of the file was not read (raise --max-memory if the file is genuine)", models.ErrInvalid)
				break
			}
			rows = append(rows, def)
			d.rowNums = append(d.rowNums, int32(row))
			p = &rows[len(rows)-1]
		}
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
	d.counting = false
	return rows
}

// usesColumns reports whether a row has a value in a column that m maps
// to the table.
func usesColumns(cells []string, m []int) bool {
	for j, c := range cells[:min(len(cells), len(m))] {
		if m[j] >= 0 && strings.TrimSpace(c) != "" {
			return true
		}
	}
	return false
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
	cr := csv.NewReader(&lineLimiter{r: r})
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
// workbook cannot be read. The workbook's parts may unzip to at most
// Limits.xlsxUnzipLimit bytes, judged from the sizes the zip file declares
// before anything is unzipped (archive/zip refuses a part that unzips to
// more than it declared); parts above xlsxMemPart are unzipped to a
// temporary file in Limits.TempDir, removed by closeFn.
func openXLSX(d *decoder, r ReadAtSeeker, sheet string, warnings *[]string) (src rowSource, closeFn func()) {
	size, err := r.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = r.Seek(0, io.SeekStart)
	}
	if err != nil {
		d.add(0, "", "", "could not be read: "+err.Error(), models.ErrInvalid)
		return nil, nil
	}
	if err := d.budget.charge(size); err != nil { // excelize reads the whole file into memory
		d.add(0, "", "", err.Error()+"; raise --max-memory if the file is genuine", models.ErrInvalid)
		return nil, nil
	}
	unzip := d.lim.xlsxUnzipLimit(size)
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: unzip, UnzipXMLSizeLimit: min(xlsxMemPart, unzip), TmpDir: d.lim.TempDir})
	if err != nil && strings.Contains(err.Error(), "unzip size exceeds") { // excelize has no sentinel for it
		d.add(0, "", "", fmt.Sprintf("unzips to more than %s, the limit for a workbook of %d bytes (%d× its size, at least %s)", mib(unzip), size, xlsxUnzipRatio, mib(xlsxMinUnzip)), models.ErrInvalid)
		return nil, nil
	}
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

// maxLineBytes is the longest line a CSV file may have. encoding/csv holds
// a whole line, and a slice header per field, in memory: one line of
// 256 MiB of commas would take 4 GiB.
const maxLineBytes = 1 << 20

// errLongLine is the read error of a CSV line longer than maxLineBytes.
var errLongLine = fmt.Errorf("a line is longer than %d bytes", maxLineBytes)

// lineLimiter passes a reader through, failing with errLongLine once a
// line exceeds maxLineBytes.
type lineLimiter struct {
	r    io.Reader
	line int // bytes since the last line feed
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.line = 0
		} else if l.line++; l.line > maxLineBytes {
			return 0, errLongLine
		}
	}
	return n, err
}
