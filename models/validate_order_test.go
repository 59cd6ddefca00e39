package models_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// Validate checks the loans' ids on another core and merges their problems
// back: the list is still in row order, a row's id problem before its
// others, the first MaxProblems kept and the rest counted, as one pass over
// the rows gives. Here row r (r = 2, 3, …) of 2,000 loans has: an empty id
// when r % 7 == 0, a repeat of the first loan's id when r % 5 == 0, and a
// negative balance when r % 3 == 0.
func TestValidateKeepsRowOrder(t *testing.T) {
	pf := threeLoans()
	base := pf.Loans[0]
	pf.Loans = pf.Loans[:0]
	type want struct {
		row   int
		field string
	}
	var all []want
	for i := range 2000 {
		l := base
		r := i + 2
		l.LoanID, l.BorrowerID = fmt.Sprintf("L%d", i), "B"
		switch {
		case r%7 == 0:
			l.LoanID = ""
			all = append(all, want{r, "loan_id"})
		case r%5 == 0 && i > 0:
			l.LoanID = "L0"
			all = append(all, want{r, "loan_id"})
		}
		if r%3 == 0 {
			l.Balance = -1
			all = append(all, want{r, "balance"})
		}
		pf.Loans = append(pf.Loans, l)
	}
	var pe *models.ProblemsError
	if err := pf.Validate(models.DefaultFiles); !errors.As(err, &pe) {
		t.Fatalf("Validate = %v, want problems", err)
	}
	if len(all) <= models.MaxProblems {
		t.Fatalf("the book has %d problems, want more than %d", len(all), models.MaxProblems)
	}
	if pe.Total() != len(all) || len(pe.Problems) != models.MaxProblems {
		t.Fatalf("Validate kept %d and counted %d problems, want %d kept of %d", len(pe.Problems), pe.Total(), models.MaxProblems, len(all))
	}
	for k, p := range pe.Problems {
		var fe *models.FieldError
		if !errors.As(p, &fe) || fe.Row != all[k].row || fe.Field != all[k].field {
			t.Fatalf("problem %d is %v, want row %d, column %q", k, p, all[k].row, all[k].field)
		}
	}
}
