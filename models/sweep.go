package models

// BankSharePath is the scenario path of the bank share, the headline sweep.
const BankSharePath = "policy.bank_share"

// SweepAxis is one swept parameter: a dotted scenario path (see
// scenarios.Set) and its values, in the order reported.
type SweepAxis struct {
	Param  string
	Values []float64
}

// SweepGrid is the scenarios of a sweep over one or two parameters, built
// by scenarios.SweepPoints and run by sim.Sweep on common random numbers.
//
// Points hold one scenario per grid point, the first axis varying fastest:
// with n = len(Axes[0].Values),
//
//	Points[j·n + i]  has  Axes[0].Param = Axes[0].Values[i]  and  Axes[1].Param = Axes[1].Values[j]
//
// (j = 0 only, for one axis). No two points share maps or slices.
type SweepGrid struct {
	Axes   []SweepAxis
	Points []Scenario
	// MovesBankShare says that an axis is policy.bank_share: the sweep then
	// reports how much of the book the bank share moves.
	MovesBankShare bool
	// Notes say what the grid changed beyond its axes (allow_below_floor).
	Notes []string
}
