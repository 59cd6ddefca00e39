package models

import (
	"errors"
	"fmt"
	"strings"
)

// Category sentinels. Wrap them for detail; the api package maps them to
// HTTP statuses with errors.Is.
var (
	ErrInvalid  = errors.New("invalid")
	ErrMissing  = errors.New("missing")
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// A FieldError reports an invalid value in an input table. Row is 1-based
// and counts the header, so the first data row is row 2 (as a spreadsheet
// shows it). Row 0 means the problem is with the file or a whole column.
type FieldError struct {
	File   string // file name as given, e.g. "loans.csv"
	Row    int
	Field  string // column name as it appears in the file, e.g. "pd"
	Value  string
	Reason string // human-readable, e.g. "must be in (0, 1)"
	Err    error  // category: ErrInvalid, ErrMissing, ErrNotFound, ErrConflict
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Row > 0 {
		fmt.Fprintf(&b, "row %d, ", e.Row)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "column %q", e.Field)
		if e.Row > 0 || e.Value != "" {
			fmt.Fprintf(&b, " = %q", e.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

// Problems collects every FieldError found in an input, in the order found.
// A nil or empty Problems is not an error.
type Problems []*FieldError

// Add appends a problem.
func (p *Problems) Add(file string, row int, field, value, reason string, category error) {
	*p = append(*p, &FieldError{File: file, Row: row, Field: field, Value: value, Reason: reason, Err: category})
}

// Err returns p as an error (a *ProblemsError), or nil when p is empty.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &ProblemsError{Problems: p}
}

// ProblemsError is the error returned for a rejected input. Error lists the
// first MaxListed problems and counts the rest.
type ProblemsError struct {
	Problems Problems
}

// MaxListed is how many problems ProblemsError.Error lists before counting the rest.
const MaxListed = 100

func (e *ProblemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s) in input:", len(e.Problems))
	for i, p := range e.Problems {
		if i == MaxListed {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Problems)-MaxListed)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap exposes every problem to errors.Is and errors.As.
func (e *ProblemsError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}
