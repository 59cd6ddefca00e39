package scenarios

import (
	"fmt"
	"strings"

	"github.com/wenzhou/danbao/models"
)

// A Problem is one error in a scenario: where it is written and what is
// wrong with it. Line and Column are 1-based, Column counting characters
// (not bytes); they are 0 when the value has no place in a file (a
// default, or a --set override).
type Problem struct {
	File    string // file name as given to Parse, "builtin:NAME" or "--set"
	Line    int
	Column  int
	Path    string // dotted path of the field, e.g. "shocks[0].pd_multiplier"; "" for syntax errors
	Message string // human-readable, e.g. "-1 must be ≥ 0 (0 = unchanged)"
	Err     error  // category: models.ErrInvalid or models.ErrNotFound
}

// Error formats p as "file:line:col: path: message", leaving out what is
// unknown.
func (p *Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Unwrap returns the category, so errors.Is(err, models.ErrInvalid) holds.
func (p *Problem) Unwrap() error { return p.Err }

// Error is every problem found in a scenario, in file order for each file.
// It is what Parse, Load and Builtin return for a rejected scenario.
type Error struct {
	Problems []*Problem
}

// Error lists the problems one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes every problem to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// problems collects Problems and turns them into an *Error.
type problems []*Problem

func (ps *problems) add(file string, at pos, path, format string, args ...any) {
	*ps = append(*ps, &Problem{File: file, Line: at.line, Column: at.col, Path: path,
		Message: fmt.Sprintf(format, args...), Err: models.ErrInvalid})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Problems: ps}
}

// pos is a place in a file; the zero pos is "nowhere".
type pos struct{ line, col int }
