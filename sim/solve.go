package sim

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/wenzhou/danbao/models"
)

// SolveSchema names the solve document's format (danbao solve --json).
const SolveSchema = "danbao.solve/v1"

// SolveKind is the kind of number a solved parameter holds: it decides
// how values are written for Set and how fine the search goes.
type SolveKind int

const (
	SolveFloat SolveKind = iota // any real; stops at Tol × (Hi − Lo)
	SolveInt                    // integers; stops when the bracket is 1 wide
	SolveMoney                  // yuan, to the fen; stops at max(Tol × (Hi − Lo), 0.01)
)

// SolveStart returns how the scenario value v (what scenarios.Get reads
// at the solved path) is searched: its kind, its current value as a float
// (models.Cents in yuan), and the default range when none is given,
//
//	[cur − |cur|/2, cur + |cur|/2], or [−1, 1] when cur = 0.
//
// ok is false when v is not a number.
func SolveStart(v any) (kind SolveKind, cur, lo, hi float64, ok bool) {
	switch x := v.(type) {
	case float64:
		kind, cur = SolveFloat, x
	case int:
		kind, cur = SolveInt, float64(x)
	case models.Cents:
		kind, cur = SolveMoney, float64(x)/100
	default:
		return 0, 0, 0, 0, false
	}
	if cur == 0 {
		return kind, cur, -1, 1, true
	}
	return kind, cur, cur - 0.5*math.Abs(cur), cur + 0.5*math.Abs(cur), true
}

// SolveOptions says what danbao solve searches (docs/decisions.md "Solve").
type SolveOptions struct {
	Param  string    // dotted scenario path
	Kind   SolveKind // of the number at Param
	Lo, Hi float64   // the range searched, Lo < Hi
	// Target, Scope and Year (1-based) pick one row of the result
	// document's targets; P is the probability it must hold with.
	Target, Scope string
	Year          int
	P             float64
	// Tol is the bracket's final width relative to Hi − Lo; 0 means 1e-3.
	Tol float64
	// Set assigns value (decimal text) to path and validates the result,
	// as scenarios.SetAll does.
	Set func(sc *models.Scenario, path, value string) error
}

// SolvePoint is one evaluated value of the parameter.
type SolvePoint struct {
	Value Number `json:"value"`
	PHold Number `json:"p_hold"`
	SE    Number `json:"se"`
}

// SolveResult is the answer of Solve: Value is the least (Direction
// "increasing") or greatest ("decreasing") value found at which the target
// holds with P ≥ P; Holding is the run at Value, Failing the run at the
// nearest value evaluated on the other side (within the tolerance).
type SolveResult struct {
	Schema         string       `json:"schema"` // SolveSchema
	Scenario       string       `json:"scenario"`
	Param          string       `json:"param"`
	Target         string       `json:"target"`
	Scope          string       `json:"scope"`
	Year           int          `json:"year"`
	P              Number       `json:"p"`
	Range          [2]Number    `json:"range"`
	Paths          int          `json:"paths"`
	Seed           uint64       `json:"seed"`
	Direction      string       `json:"direction"` // "increasing": P(hold) rises with the value
	Value          Number       `json:"value"`
	Holding        SolvePoint   `json:"holding"`
	Failing        SolvePoint   `json:"failing"`
	Evaluations    []SolvePoint `json:"evaluations"`     // every run, in order of value
	ElapsedSeconds float64      `json:"elapsed_seconds"` // Deprecated: run_info.elapsed_seconds; goes in the next release

	// RunInfo is how the search was done (set by the caller: SetRunInfo).
	RunInfo RunInfo `json:"run_info"`
}

// solveGrid is the number of evenly spaced values evaluated first (ends
// included) to find the direction, check monotonicity and bracket p.
const solveGrid = 5

// Solve finds the value of a numeric scenario parameter at which a target
// holds with probability P, by bisection on common random numbers: every
// run has p's seed and paths, so path k draws the same random numbers at
// every value and P(hold) moves only with the parameter.
//
// It evaluates solveGrid values over [Lo, Hi]; P(hold) must be monotone
// over them up to 2 standard errors of the difference (else an error
// names the values), and p must be crossed (else an error gives P at both
// ends). It then bisects the grid interval where p is crossed until the
// bracket is Tol × (Hi − Lo) wide, checking each new value against its
// neighbours the same way.
func Solve(ctx context.Context, pf *models.Portfolio, base *models.Scenario, opt SolveOptions, p Params) (*SolveResult, error) {
	if !(opt.Lo < opt.Hi) || math.IsInf(opt.Lo, 0) || math.IsInf(opt.Hi, 0) {
		return nil, fmt.Errorf("%w: range %v,%v: need lo < hi, both finite", models.ErrInvalid, opt.Lo, opt.Hi)
	}
	if !(opt.P > 0 && opt.P < 1) {
		return nil, fmt.Errorf("%w: p %v is not in (0, 1)", models.ErrInvalid, opt.P)
	}
	tol := opt.Tol
	if tol == 0 {
		tol = 1e-3
	}
	width := tol * (opt.Hi - opt.Lo)
	switch opt.Kind {
	case SolveInt:
		opt.Lo, opt.Hi, width = math.Ceil(opt.Lo), math.Floor(opt.Hi), 1
		if !(opt.Lo < opt.Hi) {
			return nil, fmt.Errorf("%w: range has fewer than two integers", models.ErrInvalid)
		}
	case SolveMoney:
		width = max(width, 0.01)
	}
	res := &SolveResult{Schema: SolveSchema, Scenario: base.Name, Param: opt.Param, Target: opt.Target, Scope: opt.Scope,
		Year: opt.Year, P: Number(opt.P), Range: [2]Number{Number(opt.Lo), Number(opt.Hi)}, Paths: p.Paths, Seed: p.Seed}
	var pts []SolvePoint
	eval := func(v float64) (SolvePoint, error) {
		if i := slices.IndexFunc(pts, func(s SolvePoint) bool { return float64(s.Value) == v }); i >= 0 {
			return pts[i], nil
		}
		sc := *base
		sc.Shocks = slices.Clip(sc.Shocks)
		sc.Injections = slices.Clip(sc.Injections)
		if err := opt.Set(&sc, opt.Param, opt.Kind.format(v)); err != nil {
			return SolvePoint{}, fmt.Errorf("%s=%s: %w", opt.Param, opt.Kind.format(v), err)
		}
		o, err := Execute(ctx, pf, &sc, p)
		if err != nil {
			return SolvePoint{}, fmt.Errorf("%s=%s: %w", opt.Param, opt.Kind.format(v), err)
		}
		tr, err := findTarget(o.Doc.Targets, opt.Target, opt.Scope, opt.Year)
		if err != nil {
			return SolvePoint{}, err
		}
		pt := SolvePoint{Value: Number(v), PHold: tr.PHold, SE: tr.SE}
		pts = append(pts, pt)
		slices.SortFunc(pts, func(a, b SolvePoint) int { return cmpNumber(a.Value, b.Value) })
		return pt, nil
	}
	grid := make([]float64, solveGrid)
	for i := range grid {
		grid[i] = opt.Lo + (opt.Hi-opt.Lo)*float64(i)/float64(solveGrid-1)
		if opt.Kind == SolveInt {
			grid[i] = math.Round(grid[i])
		} else if opt.Kind == SolveMoney {
			grid[i] = math.Round(grid[i]*100) / 100
		}
	}
	grid = slices.Compact(grid)
	for _, v := range grid {
		if _, err := eval(v); err != nil {
			return nil, err
		}
	}
	first, last := pts[0], pts[len(pts)-1]
	holdsLo, holdsHi := float64(first.PHold) >= opt.P, float64(last.PHold) >= opt.P
	if holdsLo == holdsHi {
		word := "below"
		if holdsLo {
			word = "at or above"
		}
		return nil, fmt.Errorf("%w: no solution in %s ∈ [%v, %v]: P(%s holds, %s, year %d) is %s %v at both ends (%v at %v, %v at %v); widen --range",
			models.ErrInvalid, opt.Param, opt.Lo, opt.Hi, opt.Target, opt.Scope, opt.Year, word, opt.P,
			first.PHold, first.Value, last.PHold, last.Value)
	}
	sign := 1.0 // P(hold) rises with the value
	res.Direction = "increasing"
	if holdsLo {
		sign, res.Direction = -1, "decreasing"
	}
	if err := checkMonotone(pts, sign, opt.Param); err != nil {
		return nil, err
	}
	// Bracket: fail = a value where P < p, hold = one where P ≥ p, adjacent in pts.
	var fail, hold float64
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		if (float64(a.PHold) >= opt.P) != (float64(b.PHold) >= opt.P) {
			if sign > 0 {
				fail, hold = float64(a.Value), float64(b.Value)
			} else {
				hold, fail = float64(a.Value), float64(b.Value)
			}
			break
		}
	}
	for math.Abs(hold-fail) > width*(1+1e-9) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sim: solve cancelled: %w", err)
		}
		mid := (hold + fail) / 2
		switch opt.Kind {
		case SolveInt:
			mid = math.Floor(mid)
			if mid == math.Min(hold, fail) {
				mid++
			}
		case SolveMoney:
			mid = math.Round(mid*100) / 100
		}
		if mid == hold || mid == fail {
			break
		}
		pt, err := eval(mid)
		if err != nil {
			return nil, err
		}
		if err := checkMonotone(pts, sign, opt.Param); err != nil {
			return nil, err
		}
		if float64(pt.PHold) >= opt.P {
			hold = mid
		} else {
			fail = mid
		}
	}
	res.Value = Number(hold)
	for _, pt := range pts {
		switch float64(pt.Value) {
		case hold:
			res.Holding = pt
		case fail:
			res.Failing = pt
		}
	}
	res.Evaluations = pts
	return res, nil
}

// checkMonotone reports an error when, in pts (sorted by value), P(hold)
// moves against sign between two values by more than 2 standard errors
// of the difference, √(se₁² + se₂²) (an upper bound: on common random
// numbers the runs are positively correlated).
func checkMonotone(pts []SolvePoint, sign float64, param string) error {
	for i := range pts {
		for j := i + 1; j < len(pts); j++ {
			d := sign * float64(pts[j].PHold-pts[i].PHold)
			se := math.Hypot(float64(pts[i].SE), float64(pts[j].SE))
			if d < -2*se && d < -1e-12 {
				var b strings.Builder
				for _, pt := range pts {
					fmt.Fprintf(&b, " %v→%.4f", pt.Value, float64(pt.PHold))
				}
				return fmt.Errorf("%w: P(hold) is not monotone in %s over the range (value→P:%s); narrow --range",
					models.ErrInvalid, param, b.String())
			}
		}
	}
	return nil
}

// findTarget returns the row (id, scope, year) of targets, or an error
// naming the valid ids, the valid scopes of id, or the valid years.
func findTarget(targets []TargetResult, id, scope string, year int) (TargetResult, error) {
	var ids, scopes []string
	var years []string
	for _, t := range targets {
		if !slices.Contains(ids, t.ID) {
			ids = append(ids, t.ID)
		}
		if t.ID != id {
			continue
		}
		if !slices.Contains(scopes, t.Scope) {
			scopes = append(scopes, t.Scope)
		}
		if t.Scope != scope {
			continue
		}
		years = append(years, strconv.Itoa(t.Year))
		if t.Year == year {
			return t, nil
		}
	}
	switch {
	case len(scopes) == 0:
		return TargetResult{}, fmt.Errorf("%w: unknown target %q (targets of this run: %s)", models.ErrInvalid, id, strings.Join(ids, ", "))
	case len(years) == 0:
		return TargetResult{}, fmt.Errorf("%w: target %s has no scope %q (scopes: %s)", models.ErrInvalid, id, scope, strings.Join(scopes, ", "))
	default:
		return TargetResult{}, fmt.Errorf("%w: target %s in %s has no year %d (years: %s)", models.ErrInvalid, id, scope, year, strings.Join(years, ", "))
	}
}

func (k SolveKind) format(v float64) string {
	switch k {
	case SolveInt:
		return strconv.FormatInt(int64(v), 10)
	case SolveMoney:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func cmpNumber(a, b Number) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
