package sim

import (
	"fmt"
	"math"
	"slices"

	"github.com/wenzhou/danbao/models"
)

// TopupSchema names the top-up document's format (danbao topup --json and
// the API). Field names are the contract: add, never rename.
const TopupSchema = "danbao.topup/v1"

// TopupCurveLevels are the confidence levels of a top-up curve: 0.50 to
// 0.95 in steps of 0.05, then 0.96 to 0.99, 0.995 and 0.999.
var TopupCurveLevels = []float64{0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95,
	0.96, 0.97, 0.98, 0.99, 0.995, 0.999}

// IdleShare is the idle-capital line: a top-up is flagged idle when, once it
// is in, the leverage_min target holds in every year on fewer than this
// share of the paths (it is then more likely than not that the capital sits
// below the leverage the policy wants).
const IdleShare = 0.5

// TopupResult answers the finance bureau's question of docs/model.md
// "Questions built on the simulation": how much capital to inject at t = 0,
// and where, so that the capital-linked targets (regulatory leverage ≤ cap,
// net assets ≥ the capital minimum, registered capital ≥ the minimum, the
// largest borrower ≤ 10 % and the largest related-party group ≤ 15 % of net
// assets) hold in every year with confidence α.
//
// Path p of a run gives each guarantor g the smallest injection X_{p,g} at
// t = 0 that keeps those targets on that path (LedgerResult.NeedX: net
// assets move one for one with the injection, grown at the guarantor's
// investment yield y). The top-up of g at confidence α is
//
//	T_g(α) = Q_α( max(0, X_{·,g}) ),   Q_α(x) = x_(⌈αP⌉), the smallest value with F_P ≥ α
//
// (the VaR convention), and the city's is Σ_g T_g(α): capital cannot move
// between institutions, so each needs its own. The α-quantile of the
// city-wide need Σ_g max(0, X_{p,g}) is given beside it for comparison.
//
// Idle capital: with T_g(α) in, guarantor g's net assets at the end of year
// t are NA_t + T_g(α)·(1+y)^(t+1), and the leverage_min target (leverage ≥
// 5, performance by default) is checked again on every path. Performance
// leverage is B_t / NA_t; regulatory leverage is RW_t / (NA_t − held_t)
// with RW_t recovered from the run's regulatory leverage (a path where
// NA_t − held_t ≤ 0 before the injection counts as failing once capital
// makes it positive, since RW_t is then unknown); fiscal leverage does not
// depend on net assets and is unchanged. As in the result document's
// targets, a path where net assets (less equity held) are ≤ 0 has infinite
// leverage and counts as holding: no capital is idle there.
type TopupResult struct {
	Schema         string  `json:"schema"` // TopupSchema
	Scenario       string  `json:"scenario"`
	Paths          int     `json:"paths"`
	Seed           uint64  `json:"seed"`
	HorizonYears   int     `json:"horizon_years"`
	Workers        int     `json:"workers"`         // Deprecated: run_info.workers; goes in the next release
	ElapsedSeconds float64 `json:"elapsed_seconds"` // Deprecated: run_info.elapsed_seconds; goes in the next release

	Confidences []Number `json:"confidences"`
	// LeverageMin is the target checked for idle capital.
	LeverageMin LeverageMinRule `json:"leverage_min"`

	Guarantors []GuarantorTopup `json:"guarantors"`
	// Counties groups the guarantors by the county they serve (the city
	// institution under the city's code); their amounts add up to the city's.
	Counties []CountyTopup `json:"counties"`
	City     CityTopup     `json:"city"`
	// Joint is the joint top-up (danbao topup --joint; JointTopupOf).
	Joint *JointTopup `json:"joint,omitempty"`

	// RunInfo is how the run was done (set by the caller: SetRunInfo).
	RunInfo RunInfo `json:"run_info"`
}

// LeverageMinRule is the leverage_min target as the top-up checks it.
type LeverageMinRule struct {
	Threshold  Number `json:"threshold"`
	Definition string `json:"definition"`
	Off        bool   `json:"off,omitempty"`
}

// GuarantorTopup is one guarantor's top-up.
type GuarantorTopup struct {
	Guarantor string `json:"guarantor"`
	Name      string `json:"name,omitempty"`
	Level     string `json:"level"`
	County    string `json:"county"`
	// RegisteredGap is the capital minimum less registered capital when
	// positive: a floor of the need on every path.
	RegisteredGap Money `json:"registered_capital_gap"`
	// PNeed is the share of paths needing capital (X_p > 0): the chance that
	// a capital-linked target fails in some year without a top-up.
	PNeed    Number `json:"p_need"`
	MeanNeed Money  `json:"mean_need"` // mean of max(0, X_p)
	// PLeverageMinBefore is P(leverage_min holds in every year) without a top-up.
	PLeverageMinBefore Number `json:"p_leverage_min_before"`
	// At holds the top-up at each requested confidence, Curve at TopupCurveLevels.
	At    []TopupLevel `json:"at"`
	Curve []TopupLevel `json:"curve"`
}

// TopupLevel is a guarantor's top-up at one confidence level.
type TopupLevel struct {
	Confidence Number `json:"confidence"`
	Amount     Money  `json:"amount"` // T(α)
	// Low and High bound T(α) with 95 % confidence: the order statistics of
	// ranks ⌊αP ∓ 1.96·√(Pα(1−α))⌉ (binomial bounds for a quantile).
	Low  Money `json:"ci95_low"`
	High Money `json:"ci95_high"`
	// PCapital is the share of this run's paths on which the capital-linked
	// targets hold in every year with the top-up in (≥ α by construction).
	PCapital Number `json:"p_capital"`
	// PLeverageMin is P(leverage_min holds in every year) with the top-up in;
	// PLeverageMinByYear gives each year (At only).
	PLeverageMin       Number   `json:"p_leverage_min"`
	PLeverageMinByYear []Number `json:"p_leverage_min_by_year,omitempty"`
	// Idle is true when the amount is positive and PLeverageMin < IdleShare.
	Idle bool `json:"idle_capital"`
	// Certain is the part of Amount needed on every path today
	// (TopupSplit with CertainGap), Risk the rest.
	Certain Money `json:"certain"`
	Risk    Money `json:"risk"`
}

// CountyTopup is the top-up of the guarantor(s) serving a county.
type CountyTopup struct {
	County     string        `json:"county"`
	Name       string        `json:"name"`
	Guarantors []string      `json:"guarantors"`
	At         []CountyLevel `json:"at"`
	Curve      []CountyLevel `json:"curve"`
}

// CountyLevel is a county's top-up at one confidence: the sum of its guarantors'.
type CountyLevel struct {
	Confidence Number `json:"confidence"`
	Amount     Money  `json:"amount"`
}

// CityTopup is the city-wide top-up.
type CityTopup struct {
	// PLeverageMinBefore is P(the consolidated city leverage_min holds in
	// every year) without top-ups.
	PLeverageMinBefore Number      `json:"p_leverage_min_before"`
	At                 []CityLevel `json:"at"`
	Curve              []CityLevel `json:"curve"`
}

// CityLevel is the city-wide top-up at one confidence.
type CityLevel struct {
	Confidence Number `json:"confidence"`
	Total      Money  `json:"total"` // Σ_g T_g(α)
	// Pooled is the α-quantile of Σ_g max(0, X_{p,g}), for comparison.
	Pooled Money `json:"pooled"`
	// PCapitalAll is the share of paths on which every guarantor's
	// capital-linked targets hold in every year with all top-ups in (below
	// α when the guarantors' needs are not perfectly dependent).
	PCapitalAll Number `json:"p_capital_all"`
	// Certain is Σ_g of the guarantors' certain parts, Risk the rest of Total.
	Certain Money `json:"certain"`
	Risk    Money `json:"risk"`
	// PLeverageMin: the consolidated city leverage_min in every year with
	// all top-ups in; PLeverageMinByYear per year (At only).
	PLeverageMin       Number   `json:"p_leverage_min"`
	PLeverageMinByYear []Number `json:"p_leverage_min_by_year,omitempty"`
}

// Topup computes the top-ups of the run o at each confidence (each in
// (0, 1)) and along TopupCurveLevels. It reads o.Book and o.Ledger and
// changes nothing.
func Topup(o *Outcome, confidences []float64) (*TopupResult, error) {
	for _, a := range confidences {
		if !(a > 0 && a < 1) {
			return nil, fmt.Errorf("%w: confidence %v is not in (0, 1)", models.ErrInvalid, a)
		}
	}
	L, b := o.Ledger, o.Book
	P, G, H := b.Paths, b.G, b.H
	res := &TopupResult{Schema: TopupSchema, Paths: P, HorizonYears: H}
	if o.Doc != nil {
		res.Scenario, res.Seed, res.Workers, res.RunInfo.Workers = o.Doc.Scenario, o.Doc.Seed, o.Doc.Workers, o.Doc.Workers
	}
	for _, a := range confidences {
		res.Confidences = append(res.Confidences, Number(a))
	}
	lv := newLevCheck(L, b)
	res.LeverageMin = LeverageMinRule{Threshold: Number(lv.thr), Definition: lv.def, Off: lv.off}

	// need[g][p] = max(0, X_{p,g}); sorted copies for the quantiles.
	need := make([][]float64, G)
	sorted := make([][]float64, G)
	pooled := make([]float64, P)
	for g := range G {
		need[g] = make([]float64, P)
		for p := range P {
			need[g][p] = max(0, b.NeedX[p*G+g])
			pooled[p] += need[g][p]
		}
		sorted[g] = slices.Clone(need[g])
		slices.Sort(sorted[g])
	}
	// Importance sampling: the same samples with their weights (pooled
	// last), whose quantiles are the weighted ones (sim/weights.go).
	var ws []weightedSample
	W := weightSum(b.Weight, P) // P without importance sampling
	if b.Weight != nil {
		for g := range G {
			ws = append(ws, newWeightedSample(need[g], b.Weight, W))
		}
		ws = append(ws, newWeightedSample(pooled, b.Weight, W))
	}
	slices.Sort(pooled)
	quantile := func(g int, a float64) float64 { // g == G: pooled
		if ws != nil {
			return ws[g].quantile(a)
		}
		if g == G {
			return quantileSorted(pooled, a)
		}
		return quantileSorted(sorted[g], a)
	}

	amounts := map[float64][]float64{} // α → T_g(α)
	amountsAt := func(a float64) []float64 {
		if x, ok := amounts[a]; ok {
			return x
		}
		x := make([]float64, G)
		for g := range G {
			x[g] = quantile(g, a)
		}
		amounts[a] = x
		return x
	}

	zero := make([]float64, G)
	for g := range G {
		gr := L.Guarantors[g]
		gt := GuarantorTopup{Guarantor: gr.GuarantorID, Name: gr.Name, Level: gr.Level, County: gr.County}
		if gap := float64(L.minCap[g]-int64(gr.RegisteredCapital)) / 100; L.minCap[g] > 0 && gap > 0 {
			gt.RegisteredGap = Money(gap)
		}
		var pos, sum float64 // Σ w over paths needing capital, Σ w·need
		for p, x := range need[g] {
			wp := weightOf(b.Weight, p)
			if x > 0 {
				pos += wp
			}
			sum += wp * x
		}
		gt.PNeed, gt.MeanNeed = Number(pos/W), Money(sum/W)
		before, _ := lv.guarantor(g, 0, false)
		gt.PLeverageMinBefore = before
		level := func(a float64, byYear bool) TopupLevel {
			x := amountsAt(a)[g]
			var lo, hi, pc float64
			if ws != nil {
				lo, hi = ws[g].quantileBounds(a, x)
				pc = ws[g].atMost(x)
			} else {
				lo, hi = quantileBounds(sorted[g], a)
				pc = shareAtMost(sorted[g], x)
			}
			tl := TopupLevel{Confidence: Number(a), Amount: Money(x), Low: Money(lo), High: Money(hi),
				PCapital: Number(pc)}
			tl.PLeverageMin, tl.PLeverageMinByYear = lv.guarantor(g, x, byYear)
			tl.Idle = x > 0 && !lv.off && float64(tl.PLeverageMin) < IdleShare
			c, r := topupSplit(x, o.CertainGap(g))
			tl.Certain, tl.Risk = Money(c), Money(r)
			return tl
		}
		for _, a := range confidences {
			gt.At = append(gt.At, level(a, true))
		}
		for _, a := range TopupCurveLevels {
			gt.Curve = append(gt.Curve, level(a, false))
		}
		res.Guarantors = append(res.Guarantors, gt)
	}

	// Counties: guarantors grouped by the county they serve, in order of code.
	byCounty := map[string][]int{}
	var codes []string
	for g, gr := range L.Guarantors {
		if _, ok := byCounty[gr.County]; !ok {
			codes = append(codes, gr.County)
		}
		byCounty[gr.County] = append(byCounty[gr.County], g)
	}
	slices.Sort(codes)
	for _, code := range codes {
		ct := CountyTopup{County: code, Name: models.CountyName(code)}
		for _, g := range byCounty[code] {
			ct.Guarantors = append(ct.Guarantors, L.Guarantors[g].GuarantorID)
		}
		level := func(a float64) CountyLevel {
			var s float64
			for _, g := range byCounty[code] {
				s += amountsAt(a)[g]
			}
			return CountyLevel{Confidence: Number(a), Amount: Money(s)}
		}
		for _, a := range confidences {
			ct.At = append(ct.At, level(a))
		}
		for _, a := range TopupCurveLevels {
			ct.Curve = append(ct.Curve, level(a))
		}
		res.Counties = append(res.Counties, ct)
	}

	res.City.PLeverageMinBefore, _ = lv.city(zero, false)
	city := func(a float64, byYear bool) CityLevel {
		x := amountsAt(a)
		var total float64
		for _, v := range x {
			total += v
		}
		cl := CityLevel{Confidence: Number(a), Total: Money(total), Pooled: Money(quantile(G, a))}
		for g, v := range x {
			c, _ := topupSplit(v, o.CertainGap(g))
			cl.Certain += Money(c)
		}
		cl.Risk = cl.Total - cl.Certain
		// Σ w over the paths where every guarantor's need is covered, and
		// over the others (P(all) = 1 − Σ_{others} w / W under importance sampling).
		var all, notAll float64
		for p := range P {
			if coveredBut(need, x, p, -1) {
				all++
			} else {
				notAll += weightOf(b.Weight, p)
			}
		}
		cl.PCapitalAll = Number(all / float64(P))
		if b.Weight != nil {
			cl.PCapitalAll = Number(1 - notAll/W)
		}
		cl.PLeverageMin, cl.PLeverageMinByYear = lv.city(x, byYear)
		return cl
	}
	for _, a := range confidences {
		res.City.At = append(res.City.At, city(a, true))
	}
	for _, a := range TopupCurveLevels {
		res.City.Curve = append(res.City.Curve, city(a, false))
	}
	return res, nil
}

// quantileSorted returns the α-quantile of the sample sorted ascending in
// the VaR convention: x_(⌈αP⌉), the smallest value with empirical F ≥ α.
// NaN for an empty sample.
func quantileSorted(sorted []float64, alpha float64) float64 {
	P := len(sorted)
	if P == 0 {
		return math.NaN()
	}
	return sorted[varRank(alpha, P)-1]
}

// quantileBounds returns the order statistics bounding the α-quantile with
// about 95 % confidence: ranks ⌊αP − 1.96·√(Pα(1−α))⌋ and ⌈αP + 1.96·√(Pα(1−α))⌉
// (the number of sample values below the true quantile is Binomial(P, α)).
func quantileBounds(sorted []float64, alpha float64) (lo, hi float64) {
	P := len(sorted)
	if P == 0 {
		return math.NaN(), math.NaN()
	}
	h := 1.96 * math.Sqrt(float64(P)*alpha*(1-alpha))
	l := int(math.Floor(alpha*float64(P) - h))
	u := int(math.Ceil(alpha*float64(P) + h))
	return sorted[min(max(l, 1), P)-1], sorted[min(max(u, 1), P)-1]
}

// shareAtMost returns the share of the sorted sample ≤ x.
func shareAtMost(sorted []float64, x float64) float64 {
	n, _ := slices.BinarySearchFunc(sorted, x, func(v, x float64) int {
		if v <= x {
			return -1
		}
		return 1
	})
	return float64(n) / float64(len(sorted))
}

// levCheck evaluates the leverage_min target with injections at t = 0.
type levCheck struct {
	L   *Ledger
	b   *LedgerResult
	off bool
	thr float64
	def string
	k   int         // metric of the definition
	gw  [][]float64 // [g][t] (1+y_g)^(t+1)
}

func newLevCheck(L *Ledger, b *LedgerResult) *levCheck {
	tg := L.tg.LeverageMin
	lv := &levCheck{L: L, b: b, off: tg.Off, thr: tg.Threshold, def: tg.Definition}
	if lv.def == "" {
		lv.def = models.LeveragePerformance
	}
	lv.k = levMetric(lv.def, L.tg.BasisOr())
	lv.gw = make([][]float64, b.G)
	for g := range b.G {
		lv.gw[g] = make([]float64, b.H)
		grow := 1.0
		for t := range b.H {
			grow *= 1 + L.yield[g]
			lv.gw[g][t] = grow
		}
	}
	return lv
}

// held returns the equity guarantor g holds in others at the end of year t on
// path p, with injections x (nil: none) in the children.
func (lv *levCheck) held(p, g, t int, x []float64) float64 {
	var h float64
	for c := range lv.L.Guarantors {
		if int(lv.L.parent[c]) == g {
			na := lv.b.Metric(p, c, t, MetricNetAssets)
			if x != nil {
				na += x[c] * lv.gw[c][t]
			}
			h += lv.L.stake[c] * na
		}
	}
	return h
}

// after returns scope g's leverage of the target's definition in year t on
// path p once net assets (less equity held, for regulatory leverage) rise by
// add. The run's own figures are used when add is 0.
func (lv *levCheck) after(p, g, t int, add, netAssets, held float64) float64 {
	lev := lv.b.Metric(p, g, t, lv.k)
	if add == 0 || lv.k == MetricLeverageFiscal {
		return lev
	}
	switch lv.k {
	case MetricLeveragePerf:
		return ratio(lv.b.Metric(p, g, t, MetricBalance), netAssets+add)
	case MetricLeveragePerfLoan:
		return ratio(lv.b.Metric(p, g, t, MetricLoanBalance), netAssets+add)
	default: // regulatory: RW = lev·D with D = net assets less equity held
		d := netAssets - held
		if d <= 0 || math.IsInf(lev, 0) {
			if d+add <= 0 {
				return math.Inf(1)
			}
			return math.NaN() // RW unknown: counts as failing
		}
		return ratio(lev*d, d+add)
	}
}

// guarantor returns P(leverage_min holds in every year) for guarantor g with
// x injected at t = 0, and per year when byYear. NaN when the target is off.
func (lv *levCheck) guarantor(g int, x float64, byYear bool) (Number, []Number) {
	return lv.share(byYear, func(p, t int) bool {
		na := lv.b.Metric(p, g, t, MetricNetAssets)
		var held float64
		if lv.k == MetricLeverageReg {
			held = lv.held(p, g, t, nil)
		}
		return lv.after(p, g, t, x*lv.gw[g][t], na, held) >= lv.thr
	})
}

// city returns P(the consolidated city leverage_min holds in every year)
// with x[g] injected into each guarantor at t = 0: consolidated net assets
// rise by Σ_g x_g·(1+y_g)^(t+1)·(1 − stake_g), the parent's stake in a
// county guarantor being counted once (as the ledger consolidates).
func (lv *levCheck) city(x []float64, byYear bool) (Number, []Number) {
	G := lv.b.G
	return lv.share(byYear, func(p, t int) bool {
		var add float64
		for g := range G {
			v := x[g] * lv.gw[g][t]
			if lv.L.parent[g] >= 0 {
				v -= lv.L.stake[g] * v
			}
			add += v
		}
		na := lv.b.Metric(p, G, t, MetricNetAssets)
		return lv.after(p, G, t, add, na, 0) >= lv.thr
	})
}

func (lv *levCheck) share(byYear bool, holds func(p, t int) bool) (Number, []Number) {
	P, H := lv.b.Paths, lv.b.H
	if lv.off {
		nan := Number(math.NaN())
		var by []Number
		if byYear {
			by = make([]Number, H)
			for t := range by {
				by[t] = nan
			}
		}
		return nan, by
	}
	// P(hold) is the share of paths that hold; under importance sampling
	// 1 − Σ_{fail} w / W (sim/weights.go).
	var every, fail float64 // paths holding in every year; Σ w over the others
	perYear, failYear := make([]float64, H), make([]float64, H)
	for p := range P {
		wp := weightOf(lv.b.Weight, p)
		ok := true
		for t := range H {
			if holds(p, t) {
				perYear[t]++
			} else {
				failYear[t] += wp
				ok = false
				if !byYear {
					break
				}
			}
		}
		if ok {
			every++
		} else {
			fail += wp
		}
	}
	W := weightSum(lv.b.Weight, P)
	share := func(hold, fail float64) Number {
		if lv.b.Weight == nil {
			return Number(hold / float64(P))
		}
		return Number(1 - fail/W)
	}
	var by []Number
	if byYear {
		by = make([]Number, H)
		for t := range H {
			by[t] = share(perYear[t], failYear[t])
		}
	}
	return share(every, fail), by
}

// CapitalHold returns the share of o's paths on which guarantor g's
// capital-linked targets hold in every year — regulatory leverage ≤ its cap,
// the largest borrower and related-party group within their shares of net
// assets (concentration_max) and, where a capital minimum applies, net assets ≥ the minimum and
// registered capital plus the injections made so far (the scenario's
// injections, at t = 0 and at year ends) ≥ the minimum — with its binomial
// standard error √(p(1−p)/P) (weighted under importance sampling:
// √(Σ w² (1_hold − p)²)/Σ w, sim/weights.go). It is the figure a top-up at confidence α
// aims at: re-running with T_g(α) injected at t = 0 gives CapitalHold ≈ α.
func (o *Outcome) CapitalHold(g int) (p, se float64) {
	L, b := o.Ledger, o.Book
	H := b.H
	minYuan := float64(L.minCap[g]) / 100
	reg := make([]float64, H) // registered capital plus injections to the end of year t
	r := float64(L.Guarantors[g].RegisteredCapital) + float64(L.inject[g*(H+1)])
	for t := range H {
		r += float64(L.inject[g*(H+1)+t+1])
		reg[t] = r / 100
	}
	conc := L.concentrationLimits(g)
	fail, se := weightedShare(b.Weight, b.Paths, func(q int) bool {
		ok := true
		for t := range H {
			if !(b.Metric(q, g, t, MetricLeverageReg) <= L.capMax[g]) {
				ok = false
				break
			}
			if L.minCap[g] > 0 && (b.Metric(q, g, t, MetricNetAssets) < minYuan || reg[t] < minYuan) {
				ok = false
				break
			}
			for _, c := range conc {
				if !(c.largest <= c.share*b.Metric(q, g, t, MetricNetAssets)) {
					ok = false
				}
			}
			if !ok {
				break
			}
		}
		return !ok
	})
	if b.Weight == nil { // the share of paths that hold, as counted
		p = float64(b.Paths-int(math.Round(fail*float64(b.Paths)))) / float64(b.Paths)
		return p, math.Sqrt(p * (1 - p) / float64(b.Paths))
	}
	return 1 - fail, se
}

// GuarantorIndex returns the index of guarantor id in the run, or −1.
func (o *Outcome) GuarantorIndex(id string) int {
	for g, gr := range o.Ledger.Guarantors {
		if gr.GuarantorID == id {
			return g
		}
	}
	return -1
}
