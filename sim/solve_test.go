package sim

import (
	"strings"
	"testing"
)

// TestCheckMonotone: P(hold) 0.2, 0.6, 0.4 rising then falling by 0.2 is
// not monotone when the SEs are 0.01 (2·√2·0.01 ≈ 0.028 < 0.2), and is
// accepted when they are 0.1 (2·√2·0.1 ≈ 0.28 > 0.2: within noise).
func TestCheckMonotone(t *testing.T) {
	pts := func(se Number) []SolvePoint {
		return []SolvePoint{{Value: 0, PHold: 0.2, SE: se}, {Value: 1, PHold: 0.6, SE: se}, {Value: 2, PHold: 0.4, SE: se}}
	}
	if err := checkMonotone(pts(0.01), 1, "x"); err == nil || !strings.Contains(err.Error(), "not monotone in x") {
		t.Errorf("SE 0.01: %v, want not monotone", err)
	}
	if err := checkMonotone(pts(0.1), 1, "x"); err != nil {
		t.Errorf("SE 0.1: %v, want accepted", err)
	}
	if err := checkMonotone(pts(0.01), -1, "x"); err == nil {
		t.Error("decreasing: 0.2 → 0.6 rises, want an error")
	}
}

// TestFindTarget names the valid ids, scopes and years.
func TestFindTarget(t *testing.T) {
	rows := []TargetResult{{ID: "a", Scope: "city", Year: 1}, {ID: "a", Scope: "city", Year: 2}, {ID: "a", Scope: "all", Year: 1}, {ID: "b", Scope: "G1", Year: 1}}
	if tr, err := findTarget(rows, "a", "city", 2); err != nil || tr.Year != 2 {
		t.Errorf("a/city/2: %+v %v", tr, err)
	}
	for _, c := range []struct {
		id, scope string
		year      int
		want      string
	}{{"c", "city", 1, "(targets of this run: a, b)"}, {"a", "G1", 1, "(scopes: city, all)"}, {"a", "city", 3, "(years: 1, 2)"}} {
		if _, err := findTarget(rows, c.id, c.scope, c.year); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c, err, c.want)
		}
	}
}
