package models

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"sort"
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

// A FieldError is one problem in an input: where it is, the value found
// there, and what is wrong with it. It is the one problem type of the
// module: tables (loans.csv, guarantors.csv, calibration histories) place
// it by Row and Field, documents (scenario YAML, --set overrides, models'
// Validate) by Line, Column and Path. A field left 0 or "" is unknown.
type FieldError struct {
	File string // file name as given, e.g. "loans.csv", "stress.yaml", "builtin:NAME" or "--set"

	// In a table: Row is 1-based and counts the header, so the first data
	// row is row 2 (as a spreadsheet shows it); Row 0 means the problem is
	// with the file or a whole column. Field is the column name as it
	// appears in the file, e.g. "pd".
	Row   int
	Field string

	// In a document: Line and Column are 1-based, Column counting
	// characters (not bytes); 0 when the value has no place in a file (a
	// default, a --set override, a value built in Go). Path is the dotted
	// path of the field, e.g. "shocks[0].pd_multiplier"; "" for syntax
	// errors.
	Line, Column int
	Path         string

	Value  string
	Reason string // human-readable, e.g. "must be in (0, 1)"
	Err    error  // category: ErrInvalid, ErrMissing, ErrNotFound, ErrConflict
}

// Error formats e as "file: row R, column "field" = "value": reason" for a
// table and "file:line:col: path: reason" for a document, leaving out what
// is unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
		}
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
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the category, so errors.Is(err, ErrInvalid) holds.
func (e *FieldError) Unwrap() error { return e.Err }

// ComparePlaces orders two problems of the same file by where they are:
// row or line, then column. A problem with no place (row and line 0) comes
// after those with one. Problems at the same place compare equal, so a
// stable sort keeps them in the order found.
func ComparePlaces(a, b *FieldError) int {
	at := func(p *FieldError) int {
		if n := max(p.Row, p.Line); n > 0 {
			return n
		}
		return math.MaxInt
	}
	return cmp.Or(cmp.Compare(at(a), at(b)), cmp.Compare(a.Column, b.Column))
}

// Problems collects the FieldErrors found in an input, in the order found.
// A nil or empty Problems is not an error. Like go/scanner's ErrorList, it
// sorts (by file, then ComparePlaces) and turns into an error with Err.
type Problems []*FieldError

// Add appends a table problem.
func (p *Problems) Add(file string, row int, field, value, reason string, category error) {
	*p = append(*p, &FieldError{File: file, Row: row, Field: field, Value: value, Reason: reason, Err: category})
}

// Invalid appends a document problem at a path, with no place: what
// Validate reports. The category is ErrInvalid.
func (p *Problems) Invalid(path, format string, args ...any) {
	*p = append(*p, &FieldError{Path: path, Reason: fmt.Sprintf(format, args...), Err: ErrInvalid})
}

func (p Problems) Len() int      { return len(p) }
func (p Problems) Swap(i, j int) { p[i], p[j] = p[j], p[i] }
func (p Problems) Less(i, j int) bool {
	return cmp.Or(cmp.Compare(p[i].File, p[j].File), ComparePlaces(p[i], p[j])) < 0
}

// Sort sorts p by file, then place (ComparePlaces), keeping the order of
// problems at the same place.
func (p Problems) Sort() { sort.Stable(p) }

// Err returns p as an error (a *ProblemsError), or nil when p is empty.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &ProblemsError{Problems: p}
}

// MaxProblems is how many problems one input keeps. A hostile file can
// have a problem in every cell of millions of rows; beyond the first
// MaxProblems they are only counted (ProblemList, ProblemsError.More), so
// the memory a rejected input costs does not grow with its size.
const MaxProblems = 1000

// ProblemList collects problems, keeping the first MaxProblems and
// counting the rest in More. The zero value is empty and ready to use.
type ProblemList struct {
	Problems Problems
	More     int // problems found beyond the first MaxProblems, not kept
}

// Add keeps a problem, or counts it once MaxProblems are kept.
func (l *ProblemList) Add(file string, row int, field, value, reason string, category error) {
	if l.Full() {
		l.More++
		return
	}
	l.Problems.Add(file, row, field, value, reason, category)
}

// Full reports whether the list keeps no more problems.
func (l *ProblemList) Full() bool { return len(l.Problems) >= MaxProblems }

// Len is the number of problems found, kept or not.
func (l *ProblemList) Len() int { return len(l.Problems) + l.More }

// Err returns the list as an error (a *ProblemsError), or nil when empty.
func (l *ProblemList) Err() error {
	if l.Len() == 0 {
		return nil
	}
	return &ProblemsError{Problems: l.Problems, More: l.More}
}

// ProblemsError is the error returned for a rejected input. Error lists the
// first MaxListed problems and counts the rest.
type ProblemsError struct {
	Problems Problems
	// More counts problems found but not kept (beyond MaxProblems); the
	// input has len(Problems) + More problems in all, or more: a reader
	// may stop early (see snapshot.Limits).
	More int
}

// Total is the number of problems found, kept or not.
func (e *ProblemsError) Total() int { return len(e.Problems) + e.More }

// MaxListed is how many problems ProblemsError.Error lists before counting the rest.
const MaxListed = 100

func (e *ProblemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s) in input:", e.Total())
	for i, p := range e.Problems {
		if i == MaxListed {
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	if n := min(len(e.Problems), MaxListed); e.Total() > n {
		fmt.Fprintf(&b, "\n  … and %d more", e.Total()-n)
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
