package sim

import (
	"math"
	"slices"

	"github.com/wenzhou/danbao/models"
)

// AllScope is the scope of a target row that holds for every guarantor at
// once (docs/decisions.md "Joint targets").
const AllScope = "all"

// JointResult holds the probabilities that several targets hold together.
type JointResult struct {
	// Capital is the probability that every capital-linked target holds
	// for every guarantor in every year of the horizon.
	Capital JointTarget `json:"capital"`
}

// JointTarget is the probability that a set of targets holds at once, with
// the binomial standard error √(p(1 − p)/P).
type JointTarget struct {
	// Targets are the target ids counted (capital_min, leverage_max,
	// concentration_max, those switched on and applying to some guarantor).
	Targets []string `json:"targets"`
	PHold   Number   `json:"p_hold"`
	SE      Number   `json:"se"`
}

// capitalLinked says which targets count in JointResult.Capital: those a
// capital injection at t = 0 can repair (the top-up's capital-linked
// targets, LedgerResult.NeedX).
var capitalLinked = map[string]bool{models.TargetCapitalMin: true, models.TargetLeverageMax: true, models.TargetConcentrationMax: true}

// jointTally gathers, while the guarantor rows of the targets are
// evaluated, on which paths each (target, definition, year) fails for some
// guarantor, and on which paths some capital-linked target fails in some
// year. It works after the run on the per-path metrics, so the tallies are
// those of the rows and as bit-identical across worker counts.
type jointTally struct {
	paths   int
	keys    []jointKey
	failAny map[jointKey][]bool
	thr     map[jointKey]float64 // NaN when the guarantors' thresholds differ
	capFail []bool
	capIDs  []string
	// w are the paths' importance-sampling weights (nil: plain Monte
	// Carlo); P(hold) is then 1 − Σ_fail w / Σ w (sim/weights.go).
	w []float64
}

type jointKey struct {
	id, def string
	year    int
}

func newJointTally(paths int) *jointTally {
	return &jointTally{paths: paths, failAny: map[jointKey][]bool{}, thr: map[jointKey]float64{}}
}

// note records a guarantor row: failed[q] says whether the target fails on path q.
func (j *jointTally) note(id, def string, year int, thr float64, failed []bool) {
	k := jointKey{id, def, year}
	f, ok := j.failAny[k]
	if !ok {
		f = make([]bool, j.paths)
		j.failAny[k] = f
		j.keys = append(j.keys, k)
		j.thr[k] = thr
	} else if j.thr[k] != thr {
		j.thr[k] = math.NaN()
	}
	for q, x := range failed {
		f[q] = f[q] || x
	}
	if !capitalLinked[id] {
		return
	}
	if j.capFail == nil {
		j.capFail = make([]bool, j.paths)
	}
	if !slices.Contains(j.capIDs, id) {
		j.capIDs = append(j.capIDs, id)
	}
	for q, x := range failed {
		j.capFail[q] = j.capFail[q] || x
	}
}

// rows returns a row of scope "all" for each (target, definition, year)
// noted, in the order first noted. Threshold is the guarantors' common
// threshold, null when they differ (leverage_max's cap is per guarantor).
func (j *jointTally) rows() []TargetResult {
	out := make([]TargetResult, 0, len(j.keys))
	for _, k := range j.keys {
		ph, se := j.holdShare(j.failAny[k])
		out = append(out, TargetResult{ID: k.id, Scope: AllScope, Year: k.year, Threshold: Number(j.thr[k]),
			Definition: k.def, PHold: Number(ph), SE: Number(se)})
	}
	return out
}

// joint returns the joint block, nil when no capital-linked target applies.
func (j *jointTally) joint() *JointResult {
	if j.capFail == nil {
		return nil
	}
	ph, se := j.holdShare(j.capFail)
	return &JointResult{Capital: JointTarget{Targets: j.capIDs, PHold: Number(ph), SE: Number(se)}}
}

// holdShare is the share p of paths not failing and √(p(1 − p)/P); under
// importance sampling 1 − P̂(fail) with P̂ and its SE from weightedShare.
func (j *jointTally) holdShare(failed []bool) (p, se float64) {
	if j.w != nil {
		f, se := weightedShare(j.w, len(failed), func(q int) bool { return failed[q] })
		return 1 - f, se
	}
	n := 0
	for _, x := range failed {
		if !x {
			n++
		}
	}
	p = float64(n) / float64(len(failed))
	return p, math.Sqrt(p * (1 - p) / float64(len(failed)))
}
