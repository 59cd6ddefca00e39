package sim

import (
	"math"
	"slices"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// TestJointTopupHoldsOutOfSample: the joint top-up at α = 0.9 on seed 7,
// injected at t = 0 and re-run on seed 8, keeps every capital-linked target
// of every guarantor in every year on a share of paths (the document's
// joint.capital.p_hold) ≥ 0.9 − 2 SE. SE = √(α(1−α)(1/P + 1/P')): the
// in-sample joint coverage of a quantile-like estimate has variance about
// α(1−α)/P, the re-run's share adds the binomial α(1−α)/P' (as in
// TestTopupHoldsOutOfSample). Its total is at most the sum of the
// stand-alone top-ups at the common level that reaches the same joint
// probability, and in-sample it reaches α.
func TestJointTopupHoldsOutOfSample(t *testing.T) {
	pf := thinCapital(2000)
	sc := thinScenario(pf)
	const alpha, P = 0.9, 4000
	o := mustExecute(t, pf, sc, Params{Seed: 7, Paths: P})
	jt, err := JointTopupOf(o, alpha)
	if err != nil {
		t.Fatal(err)
	}
	if float64(jt.PJoint) < alpha || float64(jt.PCommon) < alpha {
		t.Errorf("in-sample joint P %v, common-level P %v: both must be ≥ %v", jt.PJoint, jt.PCommon, alpha)
	}
	if jt.Total > jt.CommonTotal {
		t.Errorf("joint total %v above the stand-alone total at the common level %v (%v)", jt.Total, jt.CommonLevel, jt.CommonTotal)
	}
	if float64(jt.PStandalone) >= alpha {
		t.Logf("note: stand-alone top-ups at α already reach the joint α (P %v)", jt.PStandalone)
	}
	cp := *sc
	cp.Injections = jt.Injections()
	if len(cp.Injections) != 2 {
		t.Fatalf("injections %+v: the fixture needs capital in both guarantors", cp.Injections)
	}
	o2 := mustExecute(t, pf, &cp, Params{Seed: 8, Paths: P})
	got := float64(o2.Doc.Joint.Capital.PHold)
	se := math.Sqrt(alpha * (1 - alpha) * (2.0 / P))
	t.Logf("joint %.2f (common level %.4f: %.2f, stand-alone at α: %.2f with joint P %.3f); seed 8: joint P %.4f ± %.4f (z = %.2f vs SE %.4f)",
		float64(jt.Total), float64(jt.CommonLevel), float64(jt.CommonTotal), float64(jt.StandaloneTotal), float64(jt.PStandalone),
		got, float64(o2.Doc.Joint.Capital.SE), (got-alpha)/se, se)
	if got < alpha-2*se {
		t.Errorf("joint P on seed 8 = %.4f, below %.2f − 2 SE (%.4f)", got, alpha, se)
	}
}

// TestJointTopupIsCoordinateMinimal: lowering any guarantor's injection to
// its next smaller per-path need drops the joint share below α.
func TestJointTopupIsCoordinateMinimal(t *testing.T) {
	pf := thinCapital(1000)
	sc := thinScenario(pf)
	const alpha, P = 0.8, 2000
	o := mustExecute(t, pf, sc, Params{Seed: 3, Paths: P})
	jt, err := JointTopupOf(o, alpha)
	if err != nil {
		t.Fatal(err)
	}
	b := o.Book
	need := make([][]float64, b.G)
	x := make([]float64, b.G)
	for g := range b.G {
		for p := range P {
			need[g] = append(need[g], max(0, b.NeedX[p*b.G+g]))
		}
		x[g] = float64(jt.Guarantors[g].Amount)
	}
	required := int(math.Ceil(alpha * P))
	if n := jointHolds(need, x); n < required {
		t.Fatalf("joint holds on %d paths, want ≥ %d", n, required)
	}
	for g := range b.G {
		s := slices.Clone(need[g])
		slices.Sort(s)
		i, _ := slices.BinarySearch(s, x[g])
		if i == 0 {
			continue // already at the least need
		}
		y := slices.Clone(x)
		y[g] = s[i-1]
		if n := jointHolds(need, y); n >= required {
			t.Errorf("guarantor %d lowered from %v to %v still holds on %d ≥ %d paths", g, x[g], y[g], n, required)
		}
	}
}

// TestTopupCertainPart: with GC's capital minimum at 120 % of its
// registered capital, 20 % of registered capital is needed on every path
// (minimum − registered, injections count as registered capital), so every
// top-up of GC has exactly that certain part and the rest is risk.
func TestTopupCertainPart(t *testing.T) {
	pf := thinCapital(1000)
	sc := thinScenario(pf)
	reg := pf.Guarantors[1].RegisteredCapital
	sc.Targets.CapitalMin.ByCounty = map[string]models.Cents{"330399": reg * 12 / 10}
	o := mustExecute(t, pf, sc, Params{Seed: 3, Paths: 1000})
	gap := float64(reg*12/10-reg) / 100
	if got := o.CertainGap(1); math.Abs(got-gap) > 1e-9 {
		t.Fatalf("certain gap %v, want %v", got, gap)
	}
	for p := range o.Book.Paths {
		if x := o.Book.NeedX[p*2+1]; x < gap-1e-6 {
			t.Fatalf("path %d needs %v, less than the certain gap %v", p, x, gap)
		}
	}
	tp := mustTopup(t, o, 0.9)
	l := tp.Guarantors[1].At[0]
	if math.Abs(float64(l.Certain)-gap) > 1e-9 || math.Abs(float64(l.Risk)-(float64(l.Amount)-gap)) > 1e-6 {
		t.Errorf("GC at 0.9: amount %v certain %v risk %v, want certain %v", l.Amount, l.Certain, l.Risk, gap)
	}
	if c, r := topupSplit(5, 8); c != 5 || r != 0 {
		t.Errorf("TopupSplit(5, 8) = %v, %v; want 5, 0", c, r)
	}
}
