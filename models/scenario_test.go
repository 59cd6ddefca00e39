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

// A factor reference is parsed in one place: the kinds and names the
// engine shifts, and what Validate rejects.
func TestParseFactor(t *testing.T) {
	for _, tt := range []struct {
		ref, kind, name string
		ok              bool
	}{
		{"macro", "macro", "", true},
		{"industry/footwear", "industry", "footwear", true},
		{"county/330382", "county", "330382", true},
		{"industry/", "", "", false},
		{"county", "", "", false},
		{"sector/x", "", "", false},
		{"", "", "", false},
	} {
		kind, name, ok := models.ParseFactor(tt.ref)
		if kind != tt.kind || name != tt.name || ok != tt.ok {
			t.Errorf("ParseFactor(%q) = %q, %q, %v; want %q, %q, %v", tt.ref, kind, name, ok, tt.kind, tt.name, tt.ok)
		}
		if ok && models.FactorRef(kind, name) != tt.ref {
			t.Errorf("FactorRef(%q, %q) = %q, want %q", kind, name, models.FactorRef(kind, name), tt.ref)
		}
	}
	sc := models.DefaultScenario()
	sc.Shocks = []models.Shock{{Factor: "industry/", Shift: -1}, {Factor: "sector/x", Shift: -1}}
	err := sc.Validate()
	if err == nil || !strings.Contains(err.Error(), `shocks[0].factor: "industry/" names no industry`) ||
		!strings.Contains(err.Error(), `shocks[1].factor: "sector/x" must be macro, industry/<name> or county/<code>`) {
		t.Errorf("Validate: %v", err)
	}
}
