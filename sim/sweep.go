package sim

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/wenzhou/danbao/models"
)

// SweepSchema names the sweep document's format (danbao sweep --json and
// the API). Field names are the contract: add, never rename.
const SweepSchema = "danbao.sweep/v1"

// SweepOptions says what a sweep reports beside its grid.
type SweepOptions struct {
	// Confidence is the level of the capital top-up reported at each point;
	// 0 means 0.95.
	Confidence float64
	// ResponseElasticity e switches on a behavioural response of the banks
	// (an assumption, off when 0): banks screen less when they carry less
	// of the loss, so every loan's PD is multiplied, in every year, by
	//
	//	m = 1 + e·(0.20 − bank_share)
	//
	// where bank_share is the point's policy.bank_share and 0.20 the
	// national floor (models.BankShareFloor): m > 1 below the floor, < 1
	// above it, 1 at it. It is applied as an extra PD-multiplier shock; a
	// point where m ≤ 0 is an error.
	ResponseElasticity float64
	// Progress, if not nil, is called with the number of paths done over
	// the whole sweep (len(grid.Points) × Paths in all), from several
	// goroutines.
	Progress func(done int)
	// Execute, if not nil, runs point k (scenario sc) in place of Execute.
	// A nil Outcome with a nil error leaves the point out of the result: a
	// shard records its paths and summarizes nothing, and the merge hands
	// back each point's merged paths (Assemble; docs/shards.md).
	Execute func(ctx context.Context, k int, sc *models.Scenario, p Params) (*Outcome, error)
}

// SweepResult is a sweep on common random numbers: every point is a run with
// the same Seed and Paths, so path p draws the same random numbers at every
// point (streams are keyed by (seed, path)), and when the parameter does not
// change the defaults — a policy parameter such as the bank share — every
// point sees exactly the same defaults on every path. The differences
// between adjacent points are then the parameter's effect and not noise;
// Differences shows it with the paired standard error beside the one two
// independent runs would have.
type SweepResult struct {
	Schema   string   `json:"schema"` // SweepSchema
	Scenario string   `json:"scenario"`
	Param    string   `json:"param"`
	Values   []Number `json:"values"`
	// Param2 and Values2 are the second parameter of a 2-D sweep (absent
	// in one dimension); the points then run over the grid by rows, Param
	// varying fastest (see Sweep).
	Param2         string   `json:"param2,omitempty"`
	Values2        []Number `json:"values2,omitempty"`
	Paths          int      `json:"paths"`
	Seed           uint64   `json:"seed"`
	HorizonYears   int      `json:"horizon_years"`
	Workers        int      `json:"workers"`         // Deprecated: run_info.workers; goes in the next release
	ElapsedSeconds float64  `json:"elapsed_seconds"` // Deprecated: run_info.elapsed_seconds; goes in the next release
	Confidence     Number   `json:"confidence"`      // of the top-ups
	// BankShareApplies (policy.bank_share_applies: "unset" or "all") and
	// BookMoves (the share of today's loan balance whose guarantee ratio
	// follows policy.bank_share) say how much of the book a bank-share
	// sweep moves; set only when Param is policy.bank_share.
	BankShareApplies string `json:"bank_share_applies,omitempty"`
	BookMoves        Number `json:"book_moves,omitempty"`
	// Response is the behavioural response, absent when off.
	Response *SweepResponse `json:"response,omitempty"`
	// Notes says what the sweep changed beyond Param (allow_below_floor,
	// the response) and what limits its reading.
	Notes       []string     `json:"notes,omitempty"`
	Points      []SweepPoint `json:"points"`
	Differences []SweepDiff  `json:"differences"`

	// RunInfo is how the sweep was done (set by the caller: SetRunInfo).
	RunInfo RunInfo `json:"run_info"`
}

// SweepResponse is the behavioural response of SweepOptions.ResponseElasticity.
type SweepResponse struct {
	Elasticity         Number `json:"elasticity"`
	ReferenceBankShare Number `json:"reference_bank_share"`
	Assumption         string `json:"assumption"`
}

// SweepPoint is one point of a sweep.
type SweepPoint struct {
	Value Number `json:"value"`
	// Value2 is the second parameter's value in a 2-D sweep.
	Value2 *Number `json:"value2,omitempty"`
	// PDMultiplier is the behavioural response's multiplier at this point
	// (1 when off).
	PDMultiplier Number `json:"pd_multiplier"`
	// Loss per party over the horizon, as the result document's loss.
	Loss map[string]LossStats `json:"loss"`
	// Targets: every target's P(hold) by scope and year.
	Targets []SweepTarget `json:"targets"`
	// Topup is the city's capital top-up at the sweep's confidence (Σ of the
	// guarantors' α-quantiles of max(0, X_p)); TopupPooled the α-quantile of
	// the city-wide sum of needs.
	Topup       Money `json:"topup"`
	TopupPooled Money `json:"topup_pooled"`
	// Outlays are the county outlays (risk compensation + fee subsidy),
	// mean per year, by county code and in total ("total").
	Outlays map[string][]Money `json:"outlays"`
}

// SweepTarget is one target in one scope along the years.
type SweepTarget struct {
	ID     string   `json:"id"`
	Scope  string   `json:"scope"`
	PHold  []Number `json:"p_hold"` // PHold[t-1] for year t
	SE     []Number `json:"se"`
	Lowest Number   `json:"lowest"` // the lowest P(hold) over the years
}

// SweepDiff is the change of one party's loss between adjacent points k and
// k+1, over paths p = 1..P with d_p = L_{k+1,p} − L_{k,p}:
//
//	Mean = d̄,   SEPaired = sd(d)/√P,   SEIndependent = √(sd_k² + sd_{k+1}²)/√P
//
// SEIndependent is the standard error the difference would have if the two
// points were independent runs of P paths each; the ratio of the two is
// what common random numbers buy.
type SweepDiff struct {
	From Number `json:"from"`
	To   Number `json:"to"`
	// Value2 is the second parameter's value the step is taken at, in a
	// 2-D sweep.
	Value2        *Number `json:"value2,omitempty"`
	Party         string  `json:"party"`
	Mean          Money   `json:"mean"`
	SEPaired      Money   `json:"se_paired"`
	SEIndependent Money   `json:"se_independent"`
}

// Sweep runs the grid's points on common random numbers (p.Seed and p.Paths
// for every point) and summarizes each. The grid comes from
// scenarios.SweepPoints, which checks the parameters and sets the points;
// Sweep reads the axes' names only to label the document. With two axes
// the points run by rows, the first parameter varying fastest, and the
// differences are between adjacent values of the first parameter at each
// value of the second.
func Sweep(ctx context.Context, pf *models.Portfolio, g *models.SweepGrid, opt SweepOptions, p Params) (*SweepResult, error) {
	if g == nil || len(g.Axes) == 0 || len(g.Axes) > 2 {
		return nil, fmt.Errorf("%w: a sweep grid has 1 or 2 axes", models.ErrInvalid)
	}
	n, total := len(g.Axes[0].Values), 1
	for _, ax := range g.Axes {
		total *= len(ax.Values)
		if len(ax.Values) == 0 {
			return nil, fmt.Errorf("%w: sweep of %s has no values", models.ErrInvalid, ax.Param)
		}
		for _, v := range ax.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: sweep value %v of %s is not finite", models.ErrInvalid, v, ax.Param)
			}
		}
	}
	if len(g.Points) != total {
		return nil, fmt.Errorf("%w: sweep grid has %d points for %d values", models.ErrInvalid, len(g.Points), total)
	}
	conf := opt.Confidence
	if conf == 0 {
		conf = 0.95
	}
	if !(conf > 0 && conf < 1) {
		return nil, fmt.Errorf("%w: top-up confidence %v is not in (0, 1)", models.ErrInvalid, conf)
	}
	e := opt.ResponseElasticity
	if math.IsNaN(e) || math.IsInf(e, 0) {
		return nil, fmt.Errorf("%w: response elasticity %v is not finite", models.ErrInvalid, e)
	}
	base := &g.Points[0]
	res := &SweepResult{Schema: SweepSchema, Scenario: base.Name, Param: g.Axes[0].Param, Paths: p.Paths, Seed: p.Seed,
		Confidence: Number(conf)}
	for _, v := range g.Axes[0].Values {
		res.Values = append(res.Values, Number(v))
	}
	var values2 []float64
	if len(g.Axes) == 2 {
		res.Param2, values2 = g.Axes[1].Param, g.Axes[1].Values
		for _, v := range values2 {
			res.Values2 = append(res.Values2, Number(v))
		}
	}
	res.Notes = append(res.Notes, g.Notes...)
	if e != 0 {
		res.Response = &SweepResponse{Elasticity: Number(e), ReferenceBankShare: models.BankShareFloor,
			Assumption: fmt.Sprintf("banks screen less when they carry less of the loss: every PD × (1 + %g·(%g − bank_share)) in every year", e, models.BankShareFloor)}
		res.Notes = append(res.Notes, "behavioural response on (an assumption, not an estimate): "+res.Response.Assumption+
			"; the points' defaults then differ, and common random numbers only keep them close")
	}
	if g.MovesBankShare {
		res.BankShareApplies, res.BookMoves = bookMoves(pf, &base.Policy)
		if res.BankShareApplies == models.BankShareAll {
			res.Notes = append(res.Notes, fmt.Sprintf("policy.bank_share_applies: all — the bank share applies to every loan, "+
				"overriding their own guarantee_ratio: %.1f %% of the loan balance moves with it", 100*res.BookMoves))
		} else {
			own := 0
			for i := range pf.Loans {
				if !math.IsNaN(pf.Loans[i].GuaranteeRatio) {
					own++
				}
			}
			res.Notes = append(res.Notes, fmt.Sprintf("policy.bank_share_applies: unset — %d of %d loans carry their own guarantee_ratio "+
				"and keep it; policy.bank_share moves the others and all new business: %.1f %% of today's loan balance "+
				"(set policy.bank_share_applies=all to move every loan)", own, len(pf.Loans), 100*res.BookMoves))
		}
	}

	var prev []int64    // previous point's per-path party losses, [p*(NParties+1) + k], total last
	var prevW []float64 // its importance-sampling weights (nil: plain Monte Carlo)
	for k := range g.Points {
		i := k % n
		v := g.Axes[0].Values[i]
		at := fmt.Sprintf("%s=%v", res.Param, v)
		var v2 *Number
		if values2 != nil {
			x := Number(values2[k/n])
			v2 = &x
			at += fmt.Sprintf(", %s=%v", res.Param2, values2[k/n])
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sim: sweep cancelled at point %d of %d: %w", k+1, len(g.Points), err)
		}
		sc := g.Points[k]
		sc.Shocks = slices.Clip(sc.Shocks)
		m := 1.0
		if e != 0 {
			m = 1 + e*(models.BankShareFloor-sc.Policy.BankShare)
			if !(m > 0) {
				return nil, fmt.Errorf("%w: sweep point %s: response PD multiplier 1 + %g·(%g − %g) = %g is not positive",
					models.ErrInvalid, at, e, models.BankShareFloor, sc.Policy.BankShare, m)
			}
			if m != 1 {
				sc.Shocks = append(sc.Shocks, models.Shock{PDMultiplier: m})
			}
			if err := sc.Validate(); err != nil {
				return nil, fmt.Errorf("sweep point %s: %w", at, err)
			}
		}
		pp := p
		if opt.Progress != nil {
			offset := k * p.Paths
			pp.Progress = func(done int) { opt.Progress(offset + done) }
		}
		var o *Outcome
		var err error
		if opt.Execute != nil {
			o, err = opt.Execute(ctx, k, &sc, pp)
		} else {
			o, err = Execute(ctx, pf, &sc, pp)
		}
		if err != nil {
			return nil, fmt.Errorf("sweep point %s: %w", at, err)
		}
		if o == nil {
			continue
		}
		if k == 0 {
			res.HorizonYears, res.Workers, res.RunInfo.Workers = o.Doc.HorizonYears, o.Doc.Workers, o.Doc.Workers
		}
		pt, cur, err := sweepPoint(o, v, m, conf)
		if err != nil {
			return nil, err
		}
		pt.Value2 = v2
		res.Points = append(res.Points, pt)
		if i > 0 {
			ds := sweepDiffs(g.Axes[0].Values[i-1], v, prev, cur, prevW, o.Book.Weight, o.Book.Paths)
			for j := range ds {
				ds[j].Value2 = v2
			}
			res.Differences = append(res.Differences, ds...)
		}
		prev, prevW = cur, o.Book.Weight
	}
	return res, nil
}

// sweepPoint summarizes one point and returns its per-path party losses
// (and total, last) in fen, [p*(NParties+1) + k].
func sweepPoint(o *Outcome, v, m, conf float64) (SweepPoint, []int64, error) {
	b := o.Book
	P, H, C := b.Paths, b.H, b.C
	W := weightSum(b.Weight, P) // P without importance sampling
	pt := SweepPoint{Value: Number(v), PDMultiplier: Number(m), Loss: o.Doc.Loss, Outlays: map[string][]Money{}}
	idx := map[[2]string]int{}
	for _, tr := range o.Doc.Targets {
		key := [2]string{tr.ID, tr.Scope}
		i, ok := idx[key]
		if !ok {
			i = len(pt.Targets)
			idx[key] = i
			pt.Targets = append(pt.Targets, SweepTarget{ID: tr.ID, Scope: tr.Scope, Lowest: tr.PHold})
		}
		st := &pt.Targets[i]
		st.PHold = append(st.PHold, tr.PHold)
		st.SE = append(st.SE, tr.SE)
		st.Lowest = min(st.Lowest, tr.PHold)
	}
	tp, err := Topup(o, []float64{conf})
	if err != nil {
		return pt, nil, err
	}
	pt.Topup, pt.TopupPooled = tp.City.At[0].Total, tp.City.At[0].Pooled
	total := make([]Money, H)
	for c, code := range o.Ledger.Counties {
		mean := make([]Money, H)
		for t := range H {
			var s float64
			for q := range P {
				s += weightOf(b.Weight, q) * float64(b.Outlays[(q*C+c)*H+t])
			}
			mean[t] = Money(s / W / 100)
			total[t] += mean[t]
		}
		pt.Outlays[code] = mean
	}
	pt.Outlays["total"] = total
	const K = NParties + 1
	cur := make([]int64, P*K)
	for q := range P {
		copy(cur[q*K:], b.PartyLoss[q*NParties:(q+1)*NParties])
		cur[q*K+NParties] = o.Paths.TotalLoss(q)
	}
	return pt, cur, nil
}

// sweepDiffs returns the paired and independent-runs standard errors of
// the change of each party's loss (and the total) from point a to point b.
// Under importance sampling path p's losses count wa_p·a_p and wb_p·b_p
// (the points' weights; nil is w ≡ 1), each point's mean being
// (1/P) Σ w·loss, and the paired SE is sd(wb·b − wa·a)/√P.
func sweepDiffs(from, to float64, a, b []int64, wa, wb []float64, P int) []SweepDiff {
	const K = NParties + 1
	names := append(PartyNames[:], PartyTotal)
	out := make([]SweepDiff, 0, K)
	d, x, y := make([]float64, P), make([]float64, P), make([]float64, P)
	for k := range K {
		for q := range P {
			x[q] = weightOf(wa, q) * float64(a[q*K+k]) / 100
			y[q] = weightOf(wb, q) * float64(b[q*K+k]) / 100
			d[q] = y[q] - x[q]
		}
		md, sdd := meanSD(d)
		_, sdx := meanSD(x)
		_, sdy := meanSD(y)
		rp := math.Sqrt(float64(P))
		out = append(out, SweepDiff{From: Number(from), To: Number(to), Party: names[k], Mean: Money(md),
			SEPaired: Money(sdd / rp), SEIndependent: Money(math.Hypot(sdx, sdy) / rp)})
	}
	return out
}

// bookMoves returns which loans policy.bank_share applies to and the share
// of today's loan balance whose guarantee ratio follows it: every loan
// under "all", the loans without their own guarantee_ratio otherwise.
func bookMoves(pf *models.Portfolio, pol *models.Policy) (string, Number) {
	applies := pol.BankShareApplies
	if applies == "" {
		applies = models.BankShareUnset
	}
	var moves, total float64
	for i := range pf.Loans {
		b := float64(pf.Loans[i].Balance)
		total += b
		if pol.FollowsBankShare(&pf.Loans[i]) {
			moves += b
		}
	}
	if total == 0 {
		return applies, 0
	}
	return applies, Number(moves / total)
}
