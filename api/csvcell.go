package api

import (
	"encoding/csv"
	"io"
	"regexp"
)

// csvWriter is a csv.Writer for every CSV file the service writes for
// download (job tables): Write escapes each cell a spreadsheet would take
// for a formula (csvCell). Per-path CSV (writePathsCSV) needs none: it is
// numbers and fixed column names only.
type csvWriter struct{ *csv.Writer }

func newCSVWriter(w io.Writer) *csvWriter { return &csvWriter{csv.NewWriter(w)} }

// Write writes one record, its cells escaped by csvCell. rec is not changed.
func (c *csvWriter) Write(rec []string) error {
	out, copied := rec, false
	for i, s := range rec {
		if e := csvCell(s); e != s {
			if !copied {
				out, copied = append([]string(nil), rec...), true
			}
			out[i] = e
		}
	}
	return c.Writer.Write(out)
}

// csvNumber matches a plain decimal number: optional sign, digits with an
// optional fraction, optional exponent ("-12.5", "+3", "-1.2e-05").
var csvNumber = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// csvCell escapes a cell against CSV injection (OWASP): text that begins
// with = + - @, a tab or a carriage return gets a leading single quote,
// so a spreadsheet shows it as text instead of running it as a formula
// ("=HYPERLINK(…)" → "'=HYPERLINK(…)"). A cell that is a plain decimal
// number (csvNumber: "-12.5", "+3", "-1e-05") is a number, not text, and
// is kept as it is; so are cells beginning with any other character.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if csvNumber.MatchString(s) {
			return s
		}
		return "'" + s
	}
	return s
}
