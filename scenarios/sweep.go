package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/wenzhou/danbao/models"
)

// MaxSweepPoints bounds a sweep grid: every point is a whole run, so a
// 2-D sweep of 20 × 20 values at 2,000 paths is already 800,000 paths.
const (
	MaxSweepAxes   = 2
	MaxSweepPoints = 400
)

// SweepPoints builds the scenarios of a sweep of base over one or two
// numeric parameters (see models.SweepGrid for their order). It is the
// one place where danbao sweep and POST /v1/sweeps check a sweep:
//
//   - every axis names a numeric path of base (NumericPaths lists them),
//     no path twice, with 1 or more finite values;
//   - the grid has at most MaxSweepPoints points;
//   - the floor rule: when an axis is policy.bank_share and one of its
//     values is below the 20 % national floor (models.BankShareFloor),
//     policy.allow_below_floor is set at every point, and Notes say so
//     (bank_share_min then fails there);
//   - every point is a valid scenario (SetValid).
//
// Errors wrap models.ErrInvalid or models.ErrNotFound and name the valid
// choices; base is not changed.
func SweepPoints(base *models.Scenario, axes ...models.SweepAxis) (*models.SweepGrid, error) {
	if len(axes) == 0 || len(axes) > MaxSweepAxes {
		return nil, fmt.Errorf("%w: a sweep varies 1 or %d parameters, not %d", models.ErrInvalid, MaxSweepAxes, len(axes))
	}
	g := &models.SweepGrid{Axes: axes}
	n, belowFloor := 1, false
	for k, ax := range axes {
		if err := numericPath(base, ax.Param); err != nil {
			return nil, err
		}
		for _, prev := range axes[:k] {
			if prev.Param == ax.Param {
				return nil, fmt.Errorf("%w: parameter %s is swept twice; sweep two different paths", models.ErrInvalid, ax.Param)
			}
		}
		if len(ax.Values) == 0 {
			return nil, fmt.Errorf("%w: sweep of %s has no values", models.ErrInvalid, ax.Param)
		}
		for _, v := range ax.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: sweep value %v of %s is not finite", models.ErrInvalid, v, ax.Param)
			}
			belowFloor = belowFloor || (ax.Param == models.BankSharePath && v < models.BankShareFloor)
		}
		g.MovesBankShare = g.MovesBankShare || ax.Param == models.BankSharePath
		n *= len(ax.Values)
		if n > MaxSweepPoints {
			return nil, fmt.Errorf("%w: the sweep grid has %s points; at most %d (every point is a whole run): use fewer values",
				models.ErrInvalid, gridSize(axes), MaxSweepPoints)
		}
	}
	if belowFloor && !base.Policy.AllowBelowFloor {
		g.Notes = append(g.Notes, fmt.Sprintf("policy.allow_below_floor set to true at every point: "+
			"the sweep goes below the %g national floor of the bank share (bank_share_min then fails there)", models.BankShareFloor))
	}
	g.Points = make([]models.Scenario, 0, n)
	for k := range n {
		sc := *base
		sc.Policy.AllowBelowFloor = sc.Policy.AllowBelowFloor || belowFloor
		var at []string
		for a, r := 0, k; a < len(axes); a++ {
			m := len(axes[a].Values)
			v := axes[a].Values[r%m]
			r /= m
			if err := SetValid(&sc, axes[a].Param, strconv.FormatFloat(v, 'f', -1, 64)); err != nil {
				return nil, fmt.Errorf("sweep point %s: %w", strings.Join(append(at, fmt.Sprintf("%s=%v", axes[a].Param, v)), ", "), err)
			}
			at = append(at, fmt.Sprintf("%s=%v", axes[a].Param, v))
		}
		g.Points = append(g.Points, sc)
	}
	return g, nil
}

// numericPath checks that path names a number in sc.
func numericPath(sc *models.Scenario, path string) error {
	v, err := Get(sc, path)
	if err != nil {
		return err
	}
	switch v.(type) {
	case float64, int, models.Cents:
		return nil
	}
	return &Problem{Path: path, Err: models.ErrInvalid,
		Reason: fmt.Sprintf("not a number (it holds %v); numeric paths: %s", v, strings.Join(NumericPaths(sc), ", "))}
}

func gridSize(axes []models.SweepAxis) string {
	s := make([]string, len(axes))
	for i, a := range axes {
		s[i] = strconv.Itoa(len(a.Values))
	}
	return strings.Join(s, " × ")
}
