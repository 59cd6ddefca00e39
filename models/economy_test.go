package models

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestEconomyDocumented: every row of DefaultSensitivities appears in
// docs/economy.md's table with the same factor, variable, coefficient and
// reasoning, and every baseline with its value and source, so the page
// and the code cannot drift apart.
func TestEconomyDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/economy.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, s := range DefaultSensitivities {
		row := "| " + s.Factor + " | " + s.Variable + " | " + strconv.FormatFloat(s.Beta, 'g', -1, 64) + " | " + s.Source + " |"
		if !strings.Contains(text, row) {
			t.Errorf("docs/economy.md lacks the row\n%s", row)
		}
	}
	for _, v := range EconomyBaseline {
		cell := "| " + v.Unit + " | " + strconv.FormatFloat(v.Baseline, 'f', -1, 64)
		if v.Baseline == float64(int(v.Baseline)) {
			cell = "| " + v.Unit + " | " + strconv.FormatFloat(v.Baseline, 'f', 1, 64)
		}
		if !strings.Contains(text, "| `"+v.Name+"` |") || !strings.Contains(text, cell+" |") {
			t.Errorf("docs/economy.md lacks %s's baseline %q", v.Name, cell)
		}
	}
}

// TestEconomyShift: a worked example of the map s = Σ β·(x − baseline).
func TestEconomyShift(t *testing.T) {
	e := &Economy{GDPGrowth: []float64{3}, PropertyPrices: []float64{-30}}
	sens := []Sensitivity{
		{Factor: FactorMacro, Variable: VarGDPGrowth, Beta: 0.5},
		{Factor: FactorAnyCounty, Variable: VarPropertyPrices, Beta: 0.05},
		{Factor: "county/330382", Variable: VarPropertyPrices, Beta: 0.02},
	}
	for _, c := range []struct {
		factor string
		want   float64
	}{
		{FactorMacro, 0.5 * (3 - 6)},           // −1.5
		{"county/330381", 0.05 * -30},          // −1.5
		{"county/330382", 0.05*-30 + 0.02*-30}, // −2.1
		{"industry/footwear", 0},               // no row
		{FactorProperty, 0},                    // no row in sens
	} {
		if got := EconomyShift(e, sens, c.factor, 0); got != c.want {
			t.Errorf("%s: %v, want %v", c.factor, got, c.want)
		}
	}
	if got := EconomyShift(e, sens, FactorMacro, 1); got != 0 {
		t.Errorf("beyond the path: %v, want 0", got)
	}
}

// TestEconomyPathLength: a path shorter than the horizon is accepted (the
// later years stay at the baseline, as TestEconomyShift checks), one
// longer than the horizon is refused and names the path.
func TestEconomyPathLength(t *testing.T) {
	s := DefaultScenario()
	s.HorizonYears = 3
	s.Economy = Economy{GDPGrowth: []float64{4, 5}}
	if err := s.Validate(); err != nil {
		t.Errorf("a 2-year path over 3 years: %v", err)
	}
	s.Economy = Economy{GDPGrowth: []float64{4, 5, 6, 7}}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "economy.gdp_growth: 4 values for horizon_years 3") {
		t.Errorf("a 4-year path over 3 years: %v", err)
	}
}
