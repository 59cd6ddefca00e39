package snapshot

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/wenzhou/danbao/models"
	"github.com/xuri/excelize/v2"
)

// decoder turns the cells of one input table into rows of T and collects
// every problem it finds, numbered as in the file.
type decoder struct {
	file     string // file name in problems
	lenient  bool   // money with thousands separators and 万/亿 suffixes
	xlsx     bool   // a date may be an Excel serial day number
	date1904 bool   // the workbook counts serial days from 1904

	probs   models.ProblemList    // the first models.MaxProblems problems, and the count of the rest
	bad     map[rowField]struct{} // cells with a kept problem: Validate's complaints about them are dropped
	missing map[string]bool       // required columns absent: Validate's complaints about them are dropped
	intern  map[string]string     // one copy of each repeated string value
	rowNums []int32               // file row of each data row (CSV, XLSX); nil when row i is i+2 (Arrow, Parquet)
	lim     Limits
	budget  *budget // the memory taken so far against lim.MaxBytes
	// counting: rows are only checked, to count their problems, not kept;
	// setCell stores no text (nor interns it).
	counting bool
}

type rowField struct {
	row   int
	field string
}

func newDecoder(file string) *decoder { return newLimitedDecoder(file, Limits{}) }

// newLimitedDecoder returns a decoder for a file read within lim.
func newLimitedDecoder(file string, lim Limits) *decoder {
	return &decoder{file: file, missing: map[string]bool{}, lim: lim, budget: newBudget(lim)}
}

// alloc returns mem charging d's budget.
func (d *decoder) alloc(mem memory.Allocator) memory.Allocator {
	return budgetAllocator{mem: mem, b: d.budget}
}

// sub returns a decoder for one column of d's file, to run concurrently
// with others; merge adds its problems back to d.
func (d *decoder) sub() *decoder {
	return &decoder{file: d.file, lenient: d.lenient, xlsx: d.xlsx, date1904: d.date1904, missing: d.missing}
}

// merge adds the problems found by s, a decoder from d.sub, to d.
func (d *decoder) merge(s *decoder) {
	for _, p := range s.probs.Problems {
		d.probs.Add(p.File, p.Row, p.Field, p.Value, p.Reason, p.Err)
	}
	d.probs.More += s.probs.More
	for k := range s.bad {
		if d.bad == nil {
			d.bad = make(map[rowField]struct{})
		}
		d.bad[k] = struct{}{}
	}
}

// maxValueLen caps the value quoted in a problem.
const maxValueLen = 80

// add records a problem with the cell (row, field) = value. Beyond
// models.MaxProblems it only counts it.
func (d *decoder) add(row int, field, value, reason string, cat error) {
	if d.probs.Full() {
		d.probs.More++
		return
	}
	if len(value) > maxValueLen {
		cut := maxValueLen
		for cut > 0 && !utf8.RuneStart(value[cut]) {
			cut--
		}
		value = value[:cut] + "…"
	} else {
		value = strings.Clone(value) // it may be a slice of a mapped file (memFile)
	}
	if row > 0 && field != "" {
		if d.bad == nil {
			d.bad = make(map[rowField]struct{})
		}
		d.bad[rowField{row, field}] = struct{}{}
	}
	d.probs.Add(d.file, row, field, value, reason, cat)
}

// internString returns one shared copy of s for all equal values.
func (d *decoder) internString(s string) string {
	if v, ok := d.intern[s]; ok {
		return v
	}
	v := strings.Clone(s)
	if d.intern == nil {
		d.intern = make(map[string]string)
	}
	d.intern[v] = v
	return v
}

// setCell parses the text s of column c into row p, which is row rowNum of
// the file. Empty text means "not given": the row keeps its default, and a
// required money or number column reports the cell.
func setCell[T any](d *decoder, c *column[T], p *T, rowNum int, s string) {
	if s == "" {
		if c.required && c.kind != kString {
			d.add(rowNum, c.name, s, "is empty", models.ErrMissing)
		}
		return
	}
	switch c.kind {
	case kString:
		if !utf8.ValidString(s) {
			d.add(rowNum, c.name, strings.ToValidUTF8(s, "\uFFFD"), "is not UTF-8 text (save the file as UTF-8)", models.ErrInvalid)
			return
		}
		if d.counting {
			return
		}
		if c.plain {
			*c.str(p) = strings.Clone(s)
		} else {
			*c.str(p) = d.internString(s)
		}
	case kMoney:
		v, reason := d.parseMoney(s)
		if reason != "" {
			d.add(rowNum, c.name, s, reason, models.ErrInvalid)
			return
		}
		*c.money(p) = v
	case kFloat:
		v, reason := parseFloat(s)
		if reason != "" {
			d.add(rowNum, c.name, s, reason, models.ErrInvalid)
			return
		}
		*c.num(p) = v
	case kDate:
		v, err := models.ParseDate(s)
		if err != nil && d.xlsx {
			v, err = excelDate(s, d.date1904)
		}
		if err != nil {
			d.add(rowNum, c.name, s, "is not a date (want YYYY-MM-DD)", models.ErrInvalid)
			return
		}
		*c.date(p) = v
	case kBool:
		v, ok := parseBool(s)
		if !ok {
			d.add(rowNum, c.name, s, "is not a boolean (want true/false, yes/no or 1/0)", models.ErrInvalid)
			return
		}
		*c.flag(p) = v
	}
}

// parseMoney parses yuan text into fen; reason is "" on success.
func (d *decoder) parseMoney(s string) (v models.Cents, reason string) {
	var err error
	if d.lenient {
		v, err = models.ParseCentsLenient(s)
	} else {
		if strings.ContainsAny(s, ",万亿") {
			// ParseCents says so too, but only after checking the decimals,
			// which would blame "12.5万" for having too many.
			return 0, "uses a thousands separator or a 万/亿 suffix (write plain yuan, or pass --lenient-money)"
		}
		v, err = models.ParseCents(s)
	}
	if err != nil {
		// Drop the repeated value from ParseCents' message.
		msg := err.Error()
		if r, ok := strings.CutPrefix(msg, fmt.Sprintf("%v: money %q ", models.ErrInvalid, s)); ok {
			return 0, r
		}
		return 0, msg
	}
	return v, ""
}

// parseFloat parses a finite decimal number; reason is "" on success.
func parseFloat(s string) (float64, string) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if strings.HasSuffix(s, "%") {
			return 0, "is not a number (write rates as fractions: 1.5% is 0.015)"
		}
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, "is out of range"
		}
		return 0, "is not a number"
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, "must be a finite number"
	}
	return v, ""
}

// parseBool accepts true/false, yes/no and 1/0 in any case.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "1":
		return true, true
	case "false", "no", "0":
		return false, true
	}
	return false, false
}

// excelDate converts an Excel serial day number (how XLSX stores a date
// cell) to a Date. Only whole days are accepted.
func excelDate(s string, date1904 bool) (models.Date, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || !(f >= 1 && f < 2958466) { // 2958466 = 10000-01-01
		return 0, fmt.Errorf("%w: %q is not an Excel date", models.ErrInvalid, s)
	}
	t, err := excelize.ExcelDateToTime(f, date1904)
	if err != nil {
		return 0, err
	}
	return models.DateOf(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)), nil
}

// columnIndex maps normalized column names to their index in cols.
func columnIndex[T any](cols []column[T]) map[string]int {
	m := make(map[string]int, len(cols))
	for i := range cols {
		m[cols[i].name] = i
	}
	return m
}

// normName is how a header cell is matched to a column: case and
// surrounding spaces (and a UTF-8 byte-order mark) do not matter.
func normName(s string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF")))
}

// mapColumns matches an input's column names to cols. It returns, for
// each input column, the index in cols or -1, and reports unknown columns
// as warnings, and duplicate and missing required columns as problems
// on headerRow.
func mapColumns[T any](d *decoder, cols []column[T], header []string, headerRow int, warnings *[]string) []int {
	idx := columnIndex(cols)
	m := make([]int, len(header))
	seen := make(map[int]int, len(cols))
	for j, h := range header {
		m[j] = -1
		name := normName(h)
		k, ok := idx[name]
		switch {
		case name == "":
			// an unnamed column: a warning only if it holds data (see readText)
		case !ok:
			*warnings = append(*warnings, fmt.Sprintf("%s: unknown column %q ignored", d.file, strings.TrimSpace(h)))
		case seen[k] > 0:
			d.add(headerRow, cols[k].name, h, fmt.Sprintf("column appears twice (columns %d and %d)", seen[k], j+1), models.ErrConflict)
		default:
			seen[k] = j + 1
			m[j] = k
		}
	}
	for k := range cols {
		if cols[k].required && seen[k] == 0 {
			d.missing[cols[k].name] = true
			d.add(headerRow, cols[k].name, "", "required column is missing", models.ErrMissing)
		}
	}
	return m
}

// finish validates pf and returns every problem: the decoders' first, then
// Validate's, less Validate's complaints about cells or columns the
// decoders already reported. Validate's rows are renumbered as in the
// files. The two decoders must have different file names.
func finish(pf *models.Portfolio, ld, gd, kd *decoder) error {
	files := models.Files{Loans: ld.file, Guarantors: gd.file, Links: LinksFile}
	decoders := []*decoder{ld, gd}
	if kd != nil { // the links table's decoder, when there is one
		files.Links = kd.file
		decoders = append(decoders, kd)
	}
	verr := pf.Validate(files)
	var probs models.ProblemList
	for _, d := range decoders {
		for _, p := range d.probs.Problems {
			probs.Add(p.File, p.Row, p.Field, p.Value, p.Reason, p.Err)
		}
		probs.More += d.probs.More
	}
	var pe *models.ProblemsError
	if errors.As(verr, &pe) {
		for _, p := range pe.Problems {
			d := ld
			if p.File == gd.file {
				d = gd
			} else if kd != nil && p.File == kd.file {
				d = kd
			}
			if p.Row >= 2 && p.Row-2 < len(d.rowNums) {
				p.Row = int(d.rowNums[p.Row-2])
			}
			if d.missing[p.Field] {
				continue
			}
			if _, dup := d.bad[rowField{p.Row, p.Field}]; dup {
				continue
			}
			probs.Add(p.File, p.Row, p.Field, p.Value, p.Reason, p.Err)
		}
		probs.More += pe.More
	} else if verr != nil {
		return verr
	}
	return probs.Err()
}
