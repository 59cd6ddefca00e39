package scenarios

import (
	"fmt"

	"github.com/wenzhou/danbao/models"
)

// A Problem is one error in a scenario: where it is written (File, Line,
// Column, Path) and what is wrong with it (Reason, Err). It is
// models.FieldError, the module's one problem type; Line and Column are 0
// when the value has no place in a file (a default, or a --set override),
// and File is the name given to Parse, "builtin:NAME" or "--set".
type Problem = models.FieldError

// Error is every problem found in a scenario, in file order for each file.
// It is what Parse, Load, Builtin and SetAll return for a rejected
// scenario: a *models.ProblemsError.
type Error = models.ProblemsError

// problems collects Problems and turns them into an *Error.
type problems = models.Problems

// addAt appends a problem placed at a position in file.
func addAt(ps *problems, file string, at pos, path, format string, args ...any) {
	*ps = append(*ps, &Problem{File: file, Line: at.line, Column: at.col, Path: path,
		Reason: fmt.Sprintf(format, args...), Err: models.ErrInvalid})
}

// pos is a place in a file; the zero pos is "nowhere".
type pos struct{ line, col int }
