package models_test

import (
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// A correlation matrix with a short row is an error for that row, not an
// index out of range while checking symmetry (found by fuzzing:
// matrix [[0],[0,0]] for two labels).
func TestValidateRaggedCorrelationMatrix(t *testing.T) {
	sc := models.DefaultScenario()
	sc.Model.IndustryCorrelation = &models.Correlation{Labels: []string{"a", "b"}, Matrix: [][]float64{{0}, {0, 0}}}
	err := sc.Validate()
	if err == nil || !strings.Contains(err.Error(), "row 1 has 1 entries for 2 labels") {
		t.Fatalf("got %v, want the short row named", err)
	}
	sc.Model.IndustryCorrelation.Matrix = [][]float64{{1, 0.3}, {0.2, 1}}
	if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), "symmetric") {
		t.Fatalf("asymmetric matrix: got %v", err)
	}
}
