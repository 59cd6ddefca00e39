package calibrate

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wenzhou/danbao/models"
)

// MaxLag is the longest recovery lag a history may report
// (recovered_lag1 … recovered_lag5).
const MaxLag = 5

// Record is one row of a default history: the loans guaranteed in one
// county and industry (and optionally segment) during one year, and how
// many of them defaulted (were compensated) in that year.
type Record struct {
	Row      int    // row in the file (the header is row 1)
	Year     int    // calendar year, 1900..2199
	County   string // county code or name
	Industry string
	Segment  string // optional: micro, small, agri, other

	Loans    int64 // guaranteed loans on the books during the year, ≥ 0
	Defaults int64 // of which defaulted (compensated) in the year, 0..Loans

	// Optional money columns, in yuan (exact; zero when not given, Has*
	// says whether given).
	Balance          decimal.Decimal // guaranteed balance on the books
	DefaultedBalance decimal.Decimal // balance of the loans that defaulted
	Compensation     decimal.Decimal // compensation paid for the year's defaults
	Released         decimal.Decimal // guarantees released (loans repaid) in the year
	Recovered        decimal.Decimal // recovered so far on this year's compensation, all lags
	// RecoveredLag[k-1] is what was recovered in year Year+k on this year's
	// compensation; HasLag[k-1] false means not reported (censored).
	RecoveredLag [MaxLag]decimal.Decimal
	HasLag       [MaxLag]bool

	HasBalance, HasDefaultedBalance, HasCompensation, HasReleased, HasRecovered bool
}

// History is a validated default history, rows in file order.
type History struct {
	File    string
	Records []Record
}

// historyColumns lists the columns a history may have; the first five are
// required.
var historyColumns = []string{"year", "county", "industry", "loans", "defaults",
	"segment", "balance", "defaulted_balance", "compensation", "released", "recovered",
	"recovered_lag1", "recovered_lag2", "recovered_lag3", "recovered_lag4", "recovered_lag5"}

const requiredHistoryColumns = 5

// ReadHistoryFile reads and validates a history table (see ReadHistory).
func ReadHistoryFile(path string) (*History, []string, error) {
	return readFile(path, "history", ReadHistory)
}

// readFile opens the file path and reads it with read (ReadHistory,
// ReadOutcomes), which names it by its path; what names the table in the
// error of a file that cannot be opened.
func readFile[T any](path, what string, read func(name string, r io.Reader) (T, []string, error)) (T, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		var none T
		return none, nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	return read(path, f)
}

// ReadHistory reads a default history from r, a CSV, XLSX or Parquet table
// (by name's extension) with the columns
//
//	year, county, industry, loans, defaults                 required
//	segment, balance, defaulted_balance, compensation,
//	released, recovered, recovered_lag1 … recovered_lag5    optional
//
// Counts are non-negative integers with defaults ≤ loans; money is
// non-negative yuan with at most two decimals, read exactly. Every problem
// is reported (a *models.ProblemsError naming file, row, column and value),
// and nothing is returned when there is one. Unknown columns are ignored
// with a warning.
func ReadHistory(name string, r io.Reader) (*History, []string, error) {
	var probs models.Problems
	t := readTable(name, r, &probs)
	if t == nil {
		return nil, nil, probs.Err()
	}
	col, warnings := mapHeader(name, t.header, historyColumns, requiredHistoryColumns, &probs)
	if len(probs) > 0 {
		return nil, warnings, probs.Err()
	}
	h := &History{File: name, Records: make([]Record, 0, len(t.rows))}
	type key struct {
		year                      int
		county, industry, segment string
	}
	seen := map[key]int{}
	for i, cells := range t.rows {
		row := t.rowNum[i]
		c := cellReader{name: name, row: row, cells: cells, col: col, probs: &probs}
		rec := Record{Row: row}
		rec.Year = c.year("year")
		rec.County = c.text("county", true)
		rec.Industry = c.text("industry", true)
		rec.Segment = c.text("segment", false)
		rec.Loans, rec.Defaults = c.loansDefaults()
		rec.Balance, rec.HasBalance = c.money("balance")
		rec.DefaultedBalance, rec.HasDefaultedBalance = c.money("defaulted_balance")
		rec.Compensation, rec.HasCompensation = c.money("compensation")
		rec.Released, rec.HasReleased = c.money("released")
		rec.Recovered, rec.HasRecovered = c.money("recovered")
		for k := range MaxLag {
			rec.RecoveredLag[k], rec.HasLag[k] = c.money("recovered_lag" + strconv.Itoa(k+1))
		}
		if rec.HasBalance && rec.HasDefaultedBalance && rec.DefaultedBalance.Cmp(rec.Balance) > 0 {
			probs.Add(name, row, "defaulted_balance", c.get("defaulted_balance"), "is more than balance ("+rec.Balance.String()+")", models.ErrInvalid)
		}
		if rec.County != "" && rec.Industry != "" {
			unique(c, seen, key{rec.Year, rec.County, rec.Industry, rec.Segment}, func() string {
				return fmt.Sprintf("year %d, county %q, industry %q, segment %q", rec.Year, rec.County, rec.Industry, rec.Segment)
			})
		}
		h.Records = append(h.Records, rec)
	}
	return tableResult(name, h, len(h.Records), warnings, probs)
}

// tableResult is what ReadHistory and ReadOutcomes return: v and the
// warnings, or every problem found. A table with a header and no data
// rows is one.
func tableResult[T any](name string, v *T, rows int, warnings []string, probs models.Problems) (*T, []string, error) {
	if rows == 0 && len(probs) == 0 {
		probs.Add(name, 0, "", "", "has a header but no data rows", models.ErrMissing)
	}
	if len(probs) > 0 {
		return nil, warnings, probs.Err()
	}
	return v, warnings, nil
}

// mapHeader maps each known column name to its index in header (−1 when
// absent), reports missing required columns and repeated known columns,
// and warns about unknown ones.
func mapHeader(name string, header, known []string, required int, probs *models.Problems) (map[string]int, []string) {
	col := make(map[string]int, len(known))
	for _, k := range known {
		col[k] = -1
	}
	var warnings []string
	for j, h := range header {
		if h == "" {
			continue
		}
		i, ok := col[h]
		switch {
		case !ok:
			warnings = append(warnings, fmt.Sprintf("%s: column %q is not used", name, h))
		case i >= 0:
			probs.Add(name, 1, h, "", fmt.Sprintf("appears twice in the header (columns %d and %d)", i+1, j+1), models.ErrInvalid)
		default:
			col[h] = j
		}
	}
	for _, k := range known[:required] {
		if col[k] < 0 {
			probs.Add(name, 1, k, "", "is a required column and is missing from the header (have: "+strings.Join(slices.DeleteFunc(slices.Clone(header), func(s string) bool { return s == "" }), ", ")+")", models.ErrMissing)
		}
	}
	return col, warnings
}

// cellReader parses the cells of one data row, reporting problems.
type cellReader struct {
	name  string
	row   int
	cells []string
	col   map[string]int
	probs *models.Problems
}

func (c cellReader) get(field string) string {
	j, ok := c.col[field]
	if !ok || j < 0 || j >= len(c.cells) {
		return ""
	}
	return c.cells[j]
}

func (c cellReader) bad(field, reason string) {
	c.probs.Add(c.name, c.row, field, c.get(field), reason, models.ErrInvalid)
}

func (c cellReader) text(field string, required bool) string {
	v := c.get(field)
	if v == "" && required {
		c.probs.Add(c.name, c.row, field, "", "is empty", models.ErrMissing)
	}
	return v
}

func (c cellReader) year(field string) int {
	v := c.get(field)
	y, err := strconv.Atoi(strings.TrimSuffix(v, ".0"))
	if err != nil || y < 1900 || y > 2199 {
		c.bad(field, "is not a year in 1900..2199")
		return 0
	}
	return y
}

// count parses a non-negative integer (an XLSX "12.0" is 12).
func (c cellReader) count(field string) (int64, bool) {
	v := c.get(field)
	if v == "" {
		c.probs.Add(c.name, c.row, field, "", "is empty", models.ErrMissing)
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(v, ".0"), 10, 64)
	if err != nil {
		c.bad(field, "is not a whole number")
		return 0, false
	}
	if n < 0 {
		c.bad(field, "is negative")
		return 0, false
	}
	return n, true
}

// loansDefaults parses the row's loans and defaults: counts, with no more
// defaults than loans.
func (c cellReader) loansDefaults() (loans, defaults int64) {
	loans, okL := c.count("loans")
	defaults, okD := c.count("defaults")
	if okL && okD && defaults > loans {
		c.bad("defaults", fmt.Sprintf("is more than loans (%d)", loans))
	}
	return loans, defaults
}

// unique reports the row if an earlier row had the key k (seen maps each
// key to its first row; what describes k), and otherwise records it as
// k's first row.
func unique[K comparable](c cellReader, seen map[K]int, k K, what func() string) {
	if first, dup := seen[k]; dup {
		c.probs.Add(c.name, c.row, "", "", fmt.Sprintf("repeats %s of row %d", what(), first), models.ErrConflict)
		return
	}
	seen[k] = c.row
}

// money parses an optional non-negative amount of yuan with at most two
// decimals; empty means not given.
func (c cellReader) money(field string) (decimal.Decimal, bool) {
	v := c.get(field)
	if v == "" {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(v)
	switch {
	case err != nil || len(v) > 40:
		c.bad(field, "is not an amount of yuan")
	case d.Sign() < 0:
		c.bad(field, "is negative")
	case d.Exponent() < -2 && !d.Equal(d.Round(2)):
		c.bad(field, "has more than two decimals (fen)")
	default:
		return d, true
	}
	return decimal.Decimal{}, false
}
