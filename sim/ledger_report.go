package sim

import (
	"context"
	"encoding/json"
	"math"
	"sync"
	"sync/atomic"

	"github.com/wenzhou/danbao/models"
)

// Quantiles summarizes a projected metric over the paths: its mean and its
// 5 %, 50 % and 95 % quantiles (VaR convention: the smallest value with
// empirical F ≥ level). Amounts of money (Money true) are written to JSON
// as decimal strings of yuan, like Money; rates and counts as numbers.
type Quantiles struct {
	Mean  Number `json:"mean"`
	Q05   Number `json:"q05"`
	Q50   Number `json:"q50"`
	Q95   Number `json:"q95"`
	Money bool   `json:"-"`
}

// MarshalJSON writes the four figures, as Money when q.Money.
func (q Quantiles) MarshalJSON() ([]byte, error) {
	type plain Quantiles
	if !q.Money {
		return json.Marshal(plain(q))
	}
	return json.Marshal(struct {
		Mean Money `json:"mean"`
		Q05  Money `json:"q05"`
		Q50  Money `json:"q50"`
		Q95  Money `json:"q95"`
	}{Money(q.Mean), Money(q.Q05), Money(q.Q50), Money(q.Q95)})
}

// UnmarshalJSON reads what MarshalJSON writes; decimal strings mark money.
func (q *Quantiles) UnmarshalJSON(b []byte) error {
	var raw struct {
		Mean, Q05, Q50, Q95 json.RawMessage
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*q = Quantiles{Money: len(raw.Mean) > 0 && raw.Mean[0] == '"'}
	for _, f := range []struct {
		dst *Number
		src json.RawMessage
	}{{&q.Mean, raw.Mean}, {&q.Q05, raw.Q05}, {&q.Q50, raw.Q50}, {&q.Q95, raw.Q95}} {
		if len(f.src) == 0 {
			*f.dst = Number(math.NaN())
			continue
		}
		if err := f.dst.UnmarshalJSON(f.src); err != nil {
			return err
		}
	}
	return nil
}

// moneyMetric says which metrics are amounts of money.
var moneyMetric = [NMetrics]bool{MetricBalance: true, MetricNetAssets: true, MetricCompPaid: true,
	MetricRecoveries: true, MetricSmallAgriBalance: true, MetricReleased: true, MetricLoanBalance: true,
	MetricSmallAgriLoanBalance: true, MetricReserves: true}

// quantilesOf summarizes x (modified: sorted in place). NaN for an empty x.
func quantilesOf(x []float64) Quantiles {
	if len(x) == 0 {
		nan := Number(math.NaN())
		return Quantiles{Mean: nan, Q05: nan, Q50: nan, Q95: nan}
	}
	sortFloats(x, nil)
	var s float64
	for _, v := range x {
		s += v
	}
	q := func(a float64) Number { return Number(quantileSorted(x, a)) }
	return Quantiles{Mean: Number(s / float64(len(x))), Q05: q(0.05), Q50: q(0.5), Q95: q(0.95)}
}

// CityScope is the scope name of city-wide figures.
const CityScope = "city"

// contributionLevel is the level of the expected-shortfall contributions.
const contributionLevel = 0.99

// Contributions are the Euler (expected-shortfall) contributions of each
// segment to the portfolio's ES at Level; within each dimension they add
// up to ES.
type Contributions struct {
	Level float64                     `json:"level"`
	ES    Money                       `json:"es"`
	By    map[string]map[string]Money `json:"by"` // dimension → segment → contribution
	// Chains splits ES by guarantee chain (chain_contrib.go); present when
	// the portfolio has links.
	Chains *ChainContributions `json:"chains,omitempty"`
}

// Outlay is a county's yearly outlay distribution: risk compensation paid
// by its fund plus the fee subsidy.
type Outlay struct {
	Year                 int       `json:"year"`
	Total                Quantiles `json:"total"`
	RiskCompensation     Quantiles `json:"risk_compensation"`
	FeeSubsidyMean       Money     `json:"fee_subsidy_mean"`
	BudgetExhaustedShare Number    `json:"p_budget_exhausted"` // share of paths where the fund's budget ran out
}

// addLedger fills the document's party losses, metrics, targets, outlays
// and contributions.
func (d *Document) addLedger(ctx context.Context, L *Ledger, r *Result, b *LedgerResult, p Params) error {
	P, G, H := b.Paths, b.G, b.H
	W := weightSum(b.Weight, P) // P without importance sampling
	x := make([]float64, P)
	for k := range NParties {
		for q := range P {
			x[q] = float64(b.PartyLoss[q*NParties+k]) / 100
		}
		d.Loss[PartyNames[k]] = statsOf[Money](r.summarize(x))
	}
	scopes := make([]string, G+1)
	for g := range G {
		scopes[g] = L.Guarantors[g].GuarantorID
	}
	scopes[G] = CityScope
	metrics := b.metricQuantiles(p.Workers, W)
	for t := range H {
		d.Years[t].Metrics = map[string]map[string]Quantiles{}
		for g, scope := range scopes {
			d.Years[t].Metrics[scope] = metrics[t*(G+1)+g]
		}
	}
	d.Targets, d.Joint = L.targets(b)

	outlays := map[string][]Outlay{}
	y := make([]float64, P)
	cy := make([]int64, 2*P)
	for c, code := range L.Counties {
		for t := range H {
			cy = b.countyColumns(c, t, cy)
			outl, paid := cy[:P], cy[P:]
			var subs, exhausted float64 // Σ w·subsidy, Σ w over paths where the budget ran out
			for q := range P {
				wq := weightOf(b.Weight, q)
				x[q] = float64(outl[q]) / 100
				y[q] = float64(paid[q]) / 100
				subs += wq * float64(outl[q]-paid[q]) / 100
				if L.budget[c] >= 0 && paid[q] >= L.budget[c] && L.budget[c] > 0 {
					exhausted += wq
				}
			}
			tot, comp := weightedQuantiles(x, b.Weight, W), weightedQuantiles(y, b.Weight, W)
			tot.Money, comp.Money = true, true
			outlays[code] = append(outlays[code], Outlay{Year: t + 1, Total: tot, RiskCompensation: comp,
				FeeSubsidyMean: Money(subs / W), BudgetExhaustedShare: Number(exhausted / W)})
		}
	}
	d.Outlays = outlays
	if err := b.Err(); err != nil {
		return err
	}
	contrib, err := esContributions(ctx, L.m, r, p, contributionLevel, L)
	if err != nil {
		return err
	}
	d.Contributions = contrib
	return nil
}

// targets evaluates every target of docs/model.md's table for every scope and
// year: P(hold) is the share of paths where it holds, with the binomial
// standard error √(p(1 − p)/P) (paths are independent). The guarantor rows
// are also tallied together: rows of scope "all" and the joint block
// (jointTally, docs/decisions.md).
func (L *Ledger) targets(b *LedgerResult) ([]TargetResult, *JointResult) {
	P := b.Paths
	var out []TargetResult
	short := make([]float64, 0, P)
	jt := newJointTally(P)
	jt.w = b.Weight
	failed := make([]bool, P)
	var shortW []float64 // the failing paths' weights (importance sampling)
	var W, W2 float64    // Σ w, Σ w² over all paths
	if b.Weight != nil {
		shortW = make([]float64, 0, P)
		for _, v := range b.Weight {
			W += v
			W2 += v * v
		}
	}
	add := func(id, scope string, year int, thr float64, def string, miss func(q int) float64) {
		money := id == models.TargetBalanceMin || id == models.TargetCapitalMin // shortfalls in yuan
		short = short[:0]
		var sw, sw2 float64 // Σ w, Σ w² over the failing paths
		if shortW != nil {
			shortW = shortW[:0]
		}
		for q := range P {
			m := miss(q)
			failed[q] = m > 0
			if m > 0 {
				short = append(short, m)
				if shortW != nil {
					shortW = append(shortW, b.Weight[q])
					sw += b.Weight[q]
					sw2 += b.Weight[q] * b.Weight[q]
				}
			}
		}
		if scope != CityScope && scope != "policy" {
			jt.note(id, def, year, thr, failed)
		}
		N := float64(P)
		ph := 1 - float64(len(short))/N
		se := math.Sqrt(ph * (1 - ph) / N)
		if shortW != nil { // P(fail) = Σ_fail w / W, SE = √(Σ w² (1_fail − P(fail))²)/W (sim/weights.go)
			pf := sw / W
			ph = 1 - pf
			se = math.Sqrt(max(sw2*(1-2*pf)+pf*pf*W2, 0)) / W
		}
		tr := TargetResult{ID: id, Scope: scope, Year: year, Threshold: Number(thr), Definition: def,
			PHold: Number(ph), SE: Number(se)}
		if len(short) > 0 {
			qs := weightedQuantiles(short, shortW, sw) // the shortfall's law given failure
			qs.Money = money
			tr.Shortfall = &qs
		}
		out = append(out, tr)
	}
	L.eachTarget(b, add)
	return append(out, jt.rows()...), jt.joint()
}

// eachTarget calls add for every target of docs/model.md's table, scope and
// year with miss(q): the target's margin on path q, > 0 when it fails (in
// the target's unit: yuan for balance_min and capital_min, the metric's
// own unit otherwise). targets tallies P(hold) from it; Reverse averages
// it over the paths given the factors.
func (L *Ledger) eachTarget(b *LedgerResult, add func(id, scope string, year int, thr float64, def string, miss func(q int) float64)) {
	G, H, P := b.G, b.H, b.Paths
	tg := L.tg
	cols := make([]float64, NMetrics*P) // the (year, scope) at hand: metric k on path q at [k*P + q]
	at := func(q, k int) float64 { return cols[k*P+q] }
	basis := tg.BasisOr()
	balMetric := MetricSmallAgriLoanBalance
	if basis == models.BasisGuaranteed {
		balMetric = MetricSmallAgriBalance
	}
	feeMetric := MetricFeeRateCharged
	if tg.FeeDefinition() == models.FeeBorrowerNet {
		feeMetric = MetricFeeRate
	}
	// concentration adds a concentration_max target of definition def:
	// the largest exposure (one borrower's or one group's, fen) at most
	// the threshold × net assets; it fails outright when net assets are
	// not positive.
	concentration := func(tgt models.Target, def string, largest int64, scope string, year int) {
		if tgt.Off || largest <= 0 {
			return
		}
		lg := float64(largest) / 100
		add(models.TargetConcentrationMax, scope, year, tgt.Threshold, def, func(q int) float64 {
			na := at(q, MetricNetAssets)
			if na <= 0 {
				return math.Inf(1)
			}
			return lg/na - tgt.Threshold
		})
	}
	for t := range H {
		year := t + 1
		if !tg.BalanceMin.Off {
			b.metricColumns(G, t, cols)
			add(models.TargetBalanceMin, CityScope, year, tg.BalanceMin.Threshold, basis, func(q int) float64 {
				v := at(q, balMetric)
				if v > tg.BalanceMin.Threshold {
					return tg.BalanceMin.Threshold - v // < 0: holds by that much
				}
				return tg.BalanceMin.Threshold - v + 0.01 // > 0 even when equal: the target is strict
			})
		}
		for g := 0; g <= G; g++ {
			scope := CityScope
			if g < G {
				scope = L.Guarantors[g].GuarantorID
			}
			b.metricColumns(g, t, cols)
			if !tg.LeverageMin.Off {
				def := tg.LeverageMin.Definition
				if def == "" {
					def = models.LeveragePerformance
				}
				k := levMetric(def, basis)
				add(models.TargetLeverageMin, scope, year, tg.LeverageMin.Threshold, models.LeverageLabel(def, basis), func(q int) float64 {
					if at(q, MetricNetAssets) <= 0 {
						return tg.LeverageMin.Threshold // insolvent: no leverage to speak of
					}
					return tg.LeverageMin.Threshold - at(q, k)
				})
			}
			if !tg.CompensationRateMax.Off {
				add(models.TargetCompRateMax, scope, year, tg.CompensationRateMax.Threshold, models.CompRateReleased, func(q int) float64 {
					return at(q, MetricCompRate) - tg.CompensationRateMax.Threshold
				})
			}
			if !tg.FeeMax.Off {
				add(models.TargetFeeMax, scope, year, tg.FeeMax.Threshold, tg.FeeDefinition(), func(q int) float64 {
					// Strict ("< 1 %"); fees are rounded to the fen loan by
					// loan, so a rate within 1e-9 of the threshold counts as on it.
					v := at(q, feeMetric)
					if v < tg.FeeMax.Threshold-1e-9 {
						return v - tg.FeeMax.Threshold // < 0: holds by that much
					}
					return max(v-tg.FeeMax.Threshold, 1e-9)
				})
			}
			if g == G {
				continue
			}
			if !tg.LeverageMax.Off {
				cap := L.capMax[g]
				def := tg.LeverageMax.Definition
				if def == "" {
					def = models.LeverageRegulatory
				}
				k := levMetric(def, models.BasisGuaranteed)
				add(models.TargetLeverageMax, scope, year, cap, def, func(q int) float64 {
					return at(q, k) - cap
				})
			}
			if !tg.CapitalMin.Off && L.minCap[g] > 0 {
				minYuan := float64(L.minCap[g]) / 100
				reg := float64(L.regCap[g*H+t]) / 100 // injections count as capital
				add(models.TargetCapitalMin, scope, year, minYuan, models.CapitalBoth, func(q int) float64 {
					return max(minYuan-at(q, MetricNetAssets), minYuan-reg)
				})
			}
			concentration(tg.ConcentrationMax, models.ConcentrationBorrower, L.largest[g], scope, year)
			concentration(tg.ConcentrationGroupMax, models.ConcentrationGroup, L.largestGroup[g], scope, year)
		}
		if !tg.BankShareMin.Off {
			add(models.TargetBankShareMin, "policy", year, tg.BankShareMin.Threshold, models.BankSharePolicy, func(int) float64 {
				return tg.BankShareMin.Threshold - L.pol.BankShare
			})
		}
	}
}

// levMetric is the metric of a leverage definition; performance leverage
// is on the balance basis given.
func levMetric(def, basis string) int {
	switch def {
	case models.LeverageRegulatory:
		return MetricLeverageReg
	case models.LeverageFiscal:
		return MetricLeverageFiscal
	}
	if basis == models.BasisGuaranteed {
		return MetricLeveragePerf
	}
	return MetricLeveragePerfLoan
}

// metricQuantiles returns the quantiles of every metric, [t*(G+1) + g]
// by name, W the paths' total weight. Each (year, scope) is summarized on
// its own, by up to workers goroutines; the result does not depend on
// workers.
func (b *LedgerResult) metricQuantiles(workers int, W float64) []map[string]Quantiles {
	G, H, P := b.G, b.H, b.Paths
	out := make([]map[string]Quantiles, H*(G+1))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, len(out))) {
		wg.Go(func() {
			cols := make([]float64, NMetrics*P)
			for {
				j := int(next.Add(1) - 1)
				if j >= len(out) {
					return
				}
				t, g := j/(G+1), j%(G+1)
				b.metricColumns(g, t, cols)
				ms := make(map[string]Quantiles, NMetrics)
				for k := range NMetrics {
					x := cols[k*P : (k+1)*P] // sorted in place: cols is reloaded for the next (year, scope)
					q := weightedQuantiles(x, b.Weight, W)
					q.Money = moneyMetric[k]
					ms[MetricNames[k]] = q
				}
				out[j] = ms
			}
		})
	}
	wg.Wait()
	return out
}
