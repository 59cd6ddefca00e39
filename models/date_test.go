package models_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// A loan dated outside MinDate..MaxDate is refused, naming the field and
// the value (a Parquet date32 of year 5,835,702 once passed validation and
// then failed the CSV round trip: the fuzzer found it).
func TestValidateRefusesImplausibleDates(t *testing.T) {
	pf := threeLoans()
	far, _ := models.ParseDate("9999-12-31")
	pf.Loans[1].MaturityDate = far
	pf.Loans[2].StartDate = models.MinDate - 1
	err := pf.Validate(models.DefaultFiles)
	var pe *models.ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 2 {
		t.Fatalf("Validate = %v, want two problems", err)
	}
	for i, want := range []string{`row 3, column "maturity_date" = "9999-12-31": is outside 1900-01-01..2199-12-31`, `row 4, column "start_date" = "1899-12-31": is outside`} {
		if got := pe.Problems[i].Error(); !strings.Contains(got, want) {
			t.Errorf("problem %d = %q, want it to contain %q", i, got, want)
		}
	}
	if !models.MinDate.Plausible() || !models.MaxDate.Plausible() || (models.MaxDate + 1).Plausible() {
		t.Error("MinDate and MaxDate are the inclusive bounds")
	}
}
