package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/wenzhou/danbao/models"
)

// jointTopupMethod names how JointTopupOf searches (docs/decisions.md).
const jointTopupMethod = "common-level bisection, then greedy reduction of the largest"

// JointTopup is the finance bureau's joint answer: per-guarantor injections
// at t = 0, of least total found by JointTopupMethod, such that every
// guarantor's capital-linked targets hold in every year together on a share
// ≥ α of the paths (docs/decisions.md "Joint top-up").
//
// With need N_{p,g} = max(0, X_{p,g}) (LedgerResult.NeedX), injections x
// make the capital targets hold jointly on path p iff N_{p,g} ≤ x_g for
// every g, so the joint probability is J(x) = (1/P)·#{p : N_{p,·} ≤ x}.
//
//  1. Common level: the least order-statistic rank k (bisection over
//     1..P) such that x_g = N_{(k),g} (each guarantor's stand-alone top-up
//     at level β = k/P) gives J(x) ≥ α. J is non-decreasing in k.
//  2. Greedy reduction: the guarantors in order of decreasing x_g
//     (largest first, ties by index), each lowered to the least value
//     keeping J ≥ α with the others fixed: the ⌈αP⌉-th smallest N_{p,g}
//     over the paths on which every other guarantor holds. The result is
//     coordinate-wise minimal: no single x_g can be lowered.
type JointTopup struct {
	Confidence Number `json:"confidence"`
	Method     string `json:"method"` // JointTopupMethod
	// CommonLevel is β; CommonTotal Σ_g N_{(k),g}; PCommon its J.
	CommonLevel Number `json:"common_level"`
	CommonTotal Money  `json:"common_total"`
	PCommon     Number `json:"p_common"`
	// StandaloneTotal is Σ_g T_g(α), the stand-alone top-ups at α, and
	// PStandalone its J (below α unless the needs are comonotone).
	StandaloneTotal Money  `json:"standalone_total"`
	PStandalone     Number `json:"p_standalone"`
	// Total is Σ_g x_g after the greedy reduction; PJoint = J(x) on this
	// run's paths, SE = √(PJoint(1 − PJoint)/P).
	Total  Money  `json:"total"`
	PJoint Number `json:"p_joint"`
	SE     Number `json:"se"`
	// Certain and Risk split Total (TopupSplit).
	Certain    Money                `json:"certain"`
	Risk       Money                `json:"risk"`
	Guarantors []JointGuarantorItem `json:"guarantors"`
}

// JointGuarantorItem is one guarantor's injection in a joint top-up.
type JointGuarantorItem struct {
	Guarantor  string `json:"guarantor"`
	Amount     Money  `json:"amount"`     // x_g
	Standalone Money  `json:"standalone"` // T_g(α)
	AtCommon   Money  `json:"at_common"`  // N_{(k),g}
	Certain    Money  `json:"certain"`
	Risk       Money  `json:"risk"`
}

// CertainGap returns the part of guarantor g's capital need that is certain
// today, on every path: the larger of the registered-capital gap (capital
// minimum − registered capital) and the concentration gap (largest
// borrower / 10 % − net assets, and the group's / 15 %, at t = 0), or 0.
func (o *Outcome) CertainGap(g int) float64 {
	L := o.Ledger
	gr := L.Guarantors[g]
	gap := 0.0
	if !L.tg.CapitalMin.Off && L.minCap[g] > 0 {
		gap = max(gap, float64(L.minCap[g]-int64(gr.RegisteredCapital))/100)
	}
	for _, c := range L.concentrationLimits(g) {
		gap = max(gap, c.largest/c.share-float64(gr.NetAssets)/100)
	}
	return gap
}

// topupSplit splits a top-up amount into its certain part min(amount,
// gap) and the risk part, the rest (the capital needed only on the paths
// where losses erode net assets).
func topupSplit(amount, gap float64) (certain, risk float64) {
	certain = min(max(amount, 0), gap)
	return certain, amount - certain
}

// JointTopupOf computes the joint top-up of run o at confidence α.
func JointTopupOf(o *Outcome, alpha float64) (*JointTopup, error) {
	if !(alpha > 0 && alpha < 1) {
		return nil, fmt.Errorf("%w: confidence %v is not in (0, 1)", models.ErrInvalid, alpha)
	}
	b := o.Book
	P, G := b.Paths, b.G
	if P == 0 || G == 0 {
		return nil, fmt.Errorf("%w: the run has no paths or no guarantors", models.ErrInvalid)
	}
	if b.Weight != nil {
		return jointTopupWeighted(o, alpha), nil
	}
	need := pathNeeds(b)
	sorted := make([][]float64, G)
	for g := range G {
		sorted[g] = slices.Clone(need[g])
		slices.Sort(sorted[g])
	}
	required := varRank(alpha, P) // paths that must hold
	x := make([]float64, G)
	at := func(k int) []float64 {
		for g := range G {
			x[g] = sorted[g][k-1]
		}
		return x
	}
	// 1. Least rank k with J(x(k)) ≥ α; J(x(P)) = 1.
	lo, hi := 1, P
	for lo < hi {
		mid := (lo + hi) / 2
		if jointHolds(need, at(mid)) >= required {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	common := slices.Clone(at(lo))
	jt := &JointTopup{Confidence: Number(alpha), Method: jointTopupMethod, CommonLevel: Number(float64(lo) / float64(P)),
		PCommon: Number(float64(jointHolds(need, common)) / float64(P))}
	stand := make([]float64, G)
	for g := range G {
		stand[g] = quantileSorted(sorted[g], alpha)
		jt.CommonTotal += Money(common[g])
		jt.StandaloneTotal += Money(stand[g])
	}
	jt.PStandalone = Number(float64(jointHolds(need, stand)) / float64(P))

	// 2. Greedy reduction, largest first.
	x = slices.Clone(common)
	order := largestFirst(x)
	cand := make([]float64, 0, P)
	for _, g := range order {
		cand = cand[:0]
		for p := range P {
			if coveredBut(need, x, p, g) {
				cand = append(cand, need[g][p])
			}
		}
		if len(cand) < required { // cannot happen: x holds on ≥ required paths
			continue
		}
		slices.Sort(cand)
		x[g] = min(x[g], cand[required-1])
	}
	n := jointHolds(need, x)
	ph := float64(n) / float64(P)
	jt.PJoint, jt.SE = Number(ph), Number(math.Sqrt(ph*(1-ph)/float64(P)))
	jt.fill(o, x, stand, common)
	return jt, nil
}

// jointHolds counts the paths p with need[g][p] ≤ x[g] for every g.
func jointHolds(need [][]float64, x []float64) int {
	n := 0
	for p := range need[0] {
		if coveredBut(need, x, p, -1) {
			n++
		}
	}
	return n
}

// coveredBut reports whether on path p every guarantor h other than skip
// has need[h][p] ≤ x[h] (skip −1: every guarantor).
func coveredBut(need [][]float64, x []float64, p, skip int) bool {
	for h := range need {
		if h != skip && need[h][p] > x[h] {
			return false
		}
	}
	return true
}

// pathNeeds returns need[g][p] = max(0, NeedX[p·G+g]), each guarantor's
// capital need on each path.
func pathNeeds(b *LedgerResult) [][]float64 {
	need := make([][]float64, b.G)
	for g := range need {
		need[g] = make([]float64, b.Paths)
		for p := range need[g] {
			need[g][p] = max(0, b.NeedX[p*b.G+g])
		}
	}
	return need
}

// largestFirst returns the indices of x ordered by decreasing x (stable).
func largestFirst(x []float64) []int {
	order := make([]int, len(x))
	for g := range order {
		order[g] = g
	}
	slices.SortStableFunc(order, func(a, c int) int { return cmp.Compare(x[c], x[a]) })
	return order
}

// fill sets the joint top-up's totals and rows from the injections x, the
// stand-alone amounts and the amounts at the common level.
func (jt *JointTopup) fill(o *Outcome, x, stand, common []float64) {
	for g := range x {
		c, r := topupSplit(x[g], o.CertainGap(g))
		jt.Total += Money(x[g])
		jt.Certain += Money(c)
		jt.Risk += Money(r)
		jt.Guarantors = append(jt.Guarantors, JointGuarantorItem{Guarantor: o.Ledger.Guarantors[g].GuarantorID,
			Amount: Money(x[g]), Standalone: Money(stand[g]), AtCommon: Money(common[g]), Certain: Money(c), Risk: Money(r)})
	}
}

// Injections returns the joint top-up as capital injections at t = 0, each
// rounded up to the fen, the guarantors with nothing to inject left out.
func (jt *JointTopup) Injections() []models.Injection {
	var out []models.Injection
	for _, g := range jt.Guarantors {
		if c := models.Cents(math.Ceil(float64(g.Amount) * 100)); c > 0 {
			out = append(out, models.Injection{Guarantor: g.Guarantor, Year: 0, Amount: c})
		}
	}
	return out
}

// jointTopupWeighted is JointTopupOf under importance sampling, with the
// self-normalised estimator of sim/weights.go: J(x) = Σ_{p: N_{p,·} ≤ x} w_p / W.
//
//  1. Common level: x_g = q̂_g(β), each guarantor's weighted stand-alone
//     quantile at β, with β the least level (bisection on [0, 1] to 1e-9)
//     such that J(x) ≥ α; J is non-decreasing in β.
//  2. Greedy reduction as in JointTopupOf: each x_g, largest first, lowered
//     to the least need c with Σ_{others hold, N_{p,g} ≤ c} w / W ≥ α.
//
// PJoint's SE is weightedShare's √(Σ w² (1_hold − J)²)/W.
func jointTopupWeighted(o *Outcome, alpha float64) *JointTopup {
	b := o.Book
	P, G, w := b.Paths, b.G, b.Weight
	W := weightSum(w, P)
	need := pathNeeds(b)
	ws := make([]weightedSample, G)
	for g := range G {
		ws[g] = newWeightedSample(need[g], w, W)
	}
	J := func(x []float64) float64 {
		var h float64
		for p := range P {
			if coveredBut(need, x, p, -1) {
				h += w[p]
			}
		}
		return h / W
	}
	x := make([]float64, G)
	at := func(beta float64) []float64 {
		for g := range G {
			x[g] = ws[g].quantile(beta)
		}
		return x
	}
	lo, hi := 0.0, 1.0 // J(x(1)) = 1: every guarantor at its largest need
	for hi-lo > 1e-9 {
		mid := (lo + hi) / 2
		if J(at(mid)) >= alpha {
			hi = mid
		} else {
			lo = mid
		}
	}
	common := slices.Clone(at(hi))
	jt := &JointTopup{Confidence: Number(alpha), Method: jointTopupMethod + " (weighted: importance sampling)",
		CommonLevel: Number(hi), PCommon: Number(J(common))}
	stand := make([]float64, G)
	for g := range G {
		stand[g] = ws[g].quantile(alpha)
		jt.CommonTotal += Money(common[g])
		jt.StandaloneTotal += Money(stand[g])
	}
	jt.PStandalone = Number(J(stand))

	x = slices.Clone(common)
	order := largestFirst(x)
	cand, candW := make([]float64, 0, P), make([]float64, 0, P)
	for _, g := range order {
		cand, candW = cand[:0], candW[:0]
		for p := range P {
			if coveredBut(need, x, p, g) {
				cand = append(cand, need[g][p])
				candW = append(candW, w[p])
			}
		}
		// The least c with Σ_{cand ≤ c} w / W ≥ α: walk the candidates up.
		cs := newWeightedSample(cand, candW, W)
		var acc float64
		for i, v := range cs.x {
			acc += cs.w[i]
			if acc/W >= alpha && (i+1 == len(cs.x) || cs.x[i+1] != v) {
				x[g] = min(x[g], v)
				break
			}
		}
	}
	ph, se := weightedShare(w, P, func(p int) bool { return coveredBut(need, x, p, -1) })
	jt.PJoint, jt.SE = Number(ph), Number(se)
	jt.fill(o, x, stand, common)
	return jt
}
