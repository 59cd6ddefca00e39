package sim

import (
	"math"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// TestJointTallyByHand: two guarantors, three paths. leverage_max fails for
// A on path 0 and for B on path 2, capital_min fails for B on path 1: every
// guarantor holds leverage_max only on path 1 (P = 1/3), and every
// capital-linked target holds on no path at all.
func TestJointTallyByHand(t *testing.T) {
	j := newJointTally(3)
	j.note(models.TargetLeverageMax, "regulatory", 1, 10, []bool{true, false, false})
	j.note(models.TargetLeverageMax, "regulatory", 1, 8, []bool{false, false, true})
	j.note(models.TargetCapitalMin, "both", 1, 1e6, []bool{false, true, false})
	j.note(models.TargetFeeMax, "charged", 1, 0.01, []bool{true, true, true}) // not capital-linked
	rows := j.rows()
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	lev := rows[0]
	if lev.ID != models.TargetLeverageMax || lev.Scope != AllScope || math.Abs(float64(lev.PHold)-1.0/3) > 1e-15 ||
		math.Abs(float64(lev.SE)-math.Sqrt(1.0/3*2.0/3/3)) > 1e-15 || !math.IsNaN(float64(lev.Threshold)) {
		t.Errorf("leverage_max all: %+v, want P 1/3, SE √(2/27), threshold NaN (caps differ)", lev)
	}
	if rows[1].PHold != 2.0/3 || rows[1].Threshold != 1e6 {
		t.Errorf("capital_min all: %+v, want P 2/3 threshold 1e6", rows[1])
	}
	jc := j.joint()
	if jc == nil || jc.Capital.PHold != 0 || len(jc.Capital.Targets) != 2 {
		t.Errorf("joint: %+v, want P 0 over leverage_max and capital_min", jc)
	}
}

// TestJointCapitalMatchesPaths recomputes the joint block and the "all"
// rows of a run from the per-path metrics: joint capital holds on path q
// when, for every guarantor and year, regulatory leverage ≤ its cap and,
// where a minimum applies, net assets ≥ the minimum (concentration is off
// in thinScenario, registered capital is above the minimum).
func TestJointCapitalMatchesPaths(t *testing.T) {
	pf := thinCapital(1000)
	sc := thinScenario(pf)
	o := mustExecute(t, pf, sc, Params{Seed: 5, Paths: 1500})
	L, b, d := o.Ledger, o.Book, o.Doc
	hold, levHold := 0, make([]int, b.H)
	for q := range b.Paths {
		ok := true
		for t := range b.H {
			levOK := true
			for g := range b.G {
				if b.Metric(q, g, t, MetricLeverageReg) > L.capMax[g] {
					levOK = false
				}
				if L.minCap[g] > 0 && b.Metric(q, g, t, MetricNetAssets) < float64(L.minCap[g])/100 {
					ok = false
				}
			}
			if levOK {
				levHold[t]++
			}
			ok = ok && levOK
		}
		if ok {
			hold++
		}
	}
	want := float64(hold) / float64(b.Paths)
	if d.Joint == nil || float64(d.Joint.Capital.PHold) != want {
		t.Fatalf("joint capital %+v, want P %v", d.Joint, want)
	}
	if want <= 0.05 || want >= 0.95 {
		t.Fatalf("joint P %v: the fixture should make it bind", want)
	}
	n := 0
	for _, tr := range d.Targets {
		if tr.Scope != AllScope || tr.ID != models.TargetLeverageMax {
			continue
		}
		n++
		if w := float64(levHold[tr.Year-1]) / float64(b.Paths); float64(tr.PHold) != w {
			t.Errorf("leverage_max all year %d: %v, want %v", tr.Year, tr.PHold, w)
		}
		// all ≤ each guarantor's own row
		for _, g := range d.Targets {
			if g.ID == tr.ID && g.Year == tr.Year && g.Scope != AllScope && g.Scope != CityScope && g.PHold < tr.PHold {
				t.Errorf("%s year %d: all %v above %s's %v", tr.ID, tr.Year, tr.PHold, g.Scope, g.PHold)
			}
		}
	}
	if n != b.H {
		t.Errorf("%d leverage_max rows of scope all, want %d", n, b.H)
	}
	t.Logf("joint capital P = %.4f ± %.4f over %v", float64(d.Joint.Capital.PHold), float64(d.Joint.Capital.SE), d.Joint.Capital.Targets)
}
