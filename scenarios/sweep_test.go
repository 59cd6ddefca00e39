package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// TestSweepPointsGrid: a 2 × 3 grid runs the first axis fastest, sets both
// parameters at every point, leaves the base alone, and applies the floor
// rule (bank share 0.1 < 0.2: allow_below_floor at every point, said once).
func TestSweepPointsGrid(t *testing.T) {
	base, err := Builtin("baseline")
	if err != nil {
		t.Fatal(err)
	}
	bs := []float64{0.1, 0.3}
	r2 := []float64{0.02, 0.04, 0.06}
	g, err := SweepPoints(&base, models.SweepAxis{Param: models.BankSharePath, Values: bs},
		models.SweepAxis{Param: "model.r2.industry", Values: r2})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Points) != 6 || !g.MovesBankShare || len(g.Notes) != 1 || !strings.Contains(g.Notes[0], "allow_below_floor") {
		t.Fatalf("%d points, moves %v, notes %q", len(g.Points), g.MovesBankShare, g.Notes)
	}
	for j, y := range r2 {
		for i, x := range bs {
			pt := &g.Points[j*len(bs)+i]
			if pt.Policy.BankShare != x || pt.Model.R2.Industry != y || !pt.Policy.AllowBelowFloor {
				t.Errorf("point (%d, %d): bank share %v, r2.industry %v, allow %v; want %v, %v, true",
					i, j, pt.Policy.BankShare, pt.Model.R2.Industry, pt.Policy.AllowBelowFloor, x, y)
			}
		}
	}
	if base.Policy.AllowBelowFloor || base.Policy.BankShare != 0.2 {
		t.Errorf("base changed: %+v", base.Policy)
	}
	// Above the floor nothing is set and nothing said.
	g, err = SweepPoints(&base, models.SweepAxis{Param: models.BankSharePath, Values: []float64{0.2, 0.4}})
	if err != nil || len(g.Notes) != 0 || g.Points[1].Policy.AllowBelowFloor {
		t.Errorf("above the floor: %v, notes %q", err, g.Notes)
	}
}

func TestSweepPointsErrors(t *testing.T) {
	base, err := Builtin("baseline")
	if err != nil {
		t.Fatal(err)
	}
	many := make([]float64, 21)
	for _, tc := range []struct {
		name string
		axes []models.SweepAxis
		want string
		is   error
	}{
		{"none", nil, "1 or 2 parameters", models.ErrInvalid},
		{"unknown", []models.SweepAxis{{Param: "policy.bank_sahre", Values: []float64{0.3}}}, `did you mean "bank_share"`, models.ErrInvalid},
		{"text", []models.SweepAxis{{Param: "model.copula", Values: []float64{0.3}}}, "numeric paths: horizon_years", models.ErrInvalid},
		{"no values", []models.SweepAxis{{Param: "model.r2.macro"}}, "no values", models.ErrInvalid},
		{"twice", []models.SweepAxis{{Param: "model.r2.macro", Values: []float64{0.1}}, {Param: "model.r2.macro", Values: []float64{0.2}}}, "swept twice", models.ErrInvalid},
		{"too large", []models.SweepAxis{{Param: "model.r2.macro", Values: many}, {Param: "model.r2.county", Values: many}}, "21 × 21 points; at most 400", models.ErrInvalid},
		{"invalid point", []models.SweepAxis{{Param: "model.r2.macro", Values: []float64{0.1}}, {Param: models.BankSharePath, Values: []float64{0.3, 1.5}}},
			"sweep point model.r2.macro=0.1, policy.bank_share=1.5", models.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SweepPoints(&base, tc.axes...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %q (%v)", err, tc.want, tc.is)
			}
		})
	}
}
