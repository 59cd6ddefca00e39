package sim

import (
	"cmp"
	"slices"

	"github.com/wenzhou/danbao/models"
)

// LedgerResult holds the ledger's per-path figures.
type LedgerResult struct {
	Paths, G, H, C int
	// PartyLoss[p*NParties + k]: party k's ultimate loss on path p, fen.
	PartyLoss []int64
	// Metrics[((p*(G+1) + g)*H + t)*NMetrics + k]; g == G is the city.
	Metrics []float64
	// Outlays[(p*C + c)*H + t]: county c's risk compensation + fee subsidy, fen.
	Outlays []int64
	// CountyComp[(p*C + c)*H + t]: the risk-compensation part of Outlays, fen.
	CountyComp []int64
	// NeedX[p*G + g]: smallest injection at t = 0 (yuan, may be negative:
	// the spare capital) keeping the capital-linked targets of guarantor g
	// in every year on path p.
	NeedX []float64
	// Weight[p] is path p's likelihood ratio under importance sampling
	// (Result.Weight); nil for plain Monte Carlo. Every figure over the
	// paths weighs path p by it (sim/weights.go).
	Weight []float64
}

// Metric returns metric k of guarantor g (G for the city) in year t on path p.
func (r *LedgerResult) Metric(p, g, t, k int) float64 {
	return r.Metrics[((p*(r.G+1)+g)*r.H+t)*NMetrics+k]
}

// ledgerRun is a Ledger observing one run: per-worker scratch and the result.
type ledgerRun struct {
	L       *Ledger
	res     *LedgerResult
	scratch []*ledgerScratch
}

// NewObserver returns a PathObserver that fills a LedgerResult of paths paths.
func (L *Ledger) NewObserver(paths, workers int) (PathObserver, *LedgerResult) {
	G, H, C := len(L.Guarantors), L.H, len(L.Counties)
	res := &LedgerResult{Paths: paths, G: G, H: H, C: C,
		PartyLoss:  make([]int64, paths*NParties),
		Metrics:    make([]float64, paths*(G+1)*H*NMetrics),
		Outlays:    make([]int64, paths*C*H),
		CountyComp: make([]int64, paths*C*H),
		NeedX:      make([]float64, paths*G),
	}
	lr := &ledgerRun{L: L, res: res}
	for range workers {
		lr.scratch = append(lr.scratch, L.newScratch())
	}
	return lr, res
}

// ledgerScratch is one worker's per-path working memory.
type ledgerScratch struct {
	claims []claimEvent
	gy     []gyPath // [g*H + t]
	budget []int64  // [c*H + t] county fund budget left
	cty    []int64  // [c*H + t] county fund paid
	subs   []int64  // [c*H + t] fee subsidy lost to defaults
	recIn  []int64  // [g*H + t] guarantor's recoveries received
	na     []int64  // [g*H + t] net assets at year end
	parts  [NParties]models.Cents
	sink   int64     // the sum of what touch read: storing it keeps the reads
	lagCum []float64 // [y*K + k] this path's cumulative lag fractions (random lags)
	lagS   *Stream   // the lag stream (random lags)
}

type claimEvent struct {
	when float64 // payment time in years from the snapshot
	loan int32
	year int32 // default year
	u    float64
	loss int64 // the event's loss (used under the stochastic LGD)
}

// gyPath is a guarantor-year's path-dependent figures.
type gyPath struct {
	endBalAdj, rwAdj, smallAgAdj, maturedAdj, maturedEligLoanAdj int64
	endLoanAdj, smallAgLoanAdj                                   int64
	feeBLost, feeSLost, reFeeLost                                int64
	feeBaseLost                                                  float64
	claims, recover                                              int64 // claims paid in the year and their eventual recoveries
	paid                                                         [NParties]int64
	regNominal, natNominal                                       int64
	compPaid, compElig, releasedComp, releasedCompEligLoan       int64
}

func (L *Ledger) newScratch() *ledgerScratch {
	G, H, C := len(L.Guarantors), L.H, len(L.Counties)
	return &ledgerScratch{
		claims: make([]claimEvent, 0, 1024),
		gy:     make([]gyPath, G*H),
		budget: make([]int64, C*H), cty: make([]int64, C*H), subs: make([]int64, C*H),
		recIn: make([]int64, G*H), na: make([]int64, G*H),
	}
}

func byPaymentTime(a, b claimEvent) int {
	if c := cmp.Compare(a.when, b.when); c != 0 {
		return c
	}
	return cmp.Compare(a.loan, b.loan)
}

// Observe books path p's defaults. It does not allocate once the scratch
// has grown to the path's number of defaults.
func (lr *ledgerRun) Observe(worker, p int, events []Event) {
	L, s, res := lr.L, lr.scratch[worker], lr.res
	H, G, C := L.H, len(L.Guarantors), len(L.Counties)
	clear(s.gy)
	clear(s.cty)
	clear(s.subs)
	clear(s.recIn)
	for c := range C {
		for t := range H {
			s.budget[c*H+t] = L.budget[c]
		}
	}
	s.claims = s.claims[:0]
	for _, e := range events {
		s.claims = append(s.claims, claimEvent{when: float64(e.Year) + e.Time + L.grace, loan: e.Loan, year: e.Year, u: e.Time, loss: e.Loss})
	}
	if L.finiteBudget {
		// County funds pay first come, first served within their budget.
		slices.SortFunc(s.claims, byPaymentTime)
	}
	partyLoss := res.PartyLoss[p*NParties : (p+1)*NParties]
	clear(partyLoss)
	if L.lag != nil {
		L.drawLags(s, p)
	}

	for k, ce := range s.claims {
		if k%touchAhead == 0 {
			L.touch(s, s.claims[k:min(k+touchAhead, len(s.claims))])
		}
		i, t := int(ce.loan), int(ce.year)
		ll := &L.loans[i]
		g := int(ll.g)
		L.bookDefault(s, ll, g, t, ce.u)
		ly := &L.ly[i*H+t]
		claim, loss := ly.claim, ly.loss
		if L.m.lgd != nil {
			loss = ce.loss // stochastic LGD: the path-year's loss
		}
		nominal := ly.parts[:]
		y := int(ce.when)
		if y >= H {
			// Paid after the horizon: the ultimate loss at nominal parts.
			w := [NParties]float64{}
			for k := range NParties {
				w[k] = float64(nominal[k])
			}
			models.Allocate(s.parts[:], models.Cents(loss), w[:])
			for k := range NParties {
				partyLoss[k] += int64(s.parts[k])
			}
			continue
		}
		c := int(ll.cty)
		cty := nominal[PartyCountyFund]
		if b := s.budget[c*H+y]; b >= 0 && cty > b {
			cty = b
		}
		if s.budget[c*H+y] >= 0 {
			s.budget[c*H+y] -= cty
		}
		s.cty[c*H+y] += cty
		gp := &s.gy[g*H+y]
		gp.claims += claim
		gp.recover += claim - loss
		gp.paid[PartyBank] += nominal[PartyBank]
		gp.paid[PartyCountyFund] += cty
		gp.paid[PartyGuarantor] += nominal[PartyGuarantor] + nominal[PartyCountyFund] - cty
		gp.regNominal += nominal[PartyReguarantor]
		gp.natNominal += nominal[PartyNationalFund]
		gp.compPaid += claim - nominal[PartyBank]
		gp.releasedComp += ll.gb
		if ll.eligible {
			gp.compElig += claim - nominal[PartyBank]
			gp.releasedCompEligLoan += ll.bal
		}
	}

	// Year ends: stop-loss caps, recoveries, net assets, metrics.
	for g := range G {
		for y := range H {
			d, gp := &L.det[g*H+y], &s.gy[g*H+y]
			// Eligible loan principal released: the cap's basis.
			releasedElig := float64(d.maturedEligLoan - gp.maturedEligLoanAdj + gp.releasedCompEligLoan)
			gp.paid[PartyReguarantor] = capAt(gp.regNominal, L.pol.Reguarantee.Share*L.pol.Reguarantee.StopRate*releasedElig, L.pol.Reguarantee.StopRate)
			gp.paid[PartyNationalFund] = capAt(gp.natNominal, L.pol.NationalFund.Share*L.pol.NationalFund.StopRate*releasedElig, L.pol.NationalFund.StopRate)
			gp.paid[PartyGuarantor] += gp.regNominal - gp.paid[PartyReguarantor] + gp.natNominal - gp.paid[PartyNationalFund]
			var w [NParties]float64
			for k := range NParties {
				w[k] = float64(gp.paid[k])
			}
			models.Allocate(s.parts[:], models.Cents(gp.recover), w[:])
			for k := range NParties {
				partyLoss[k] += gp.paid[k] - int64(s.parts[k])
			}
			// The guarantor's recoveries arrive over the following years.
			rec := float64(s.parts[PartyGuarantor])
			prev := int64(0)
			for k, cum := range L.lagCumFor(s, y) {
				got := roundFen(rec * cum)
				if yy := y + 1 + k; yy < H {
					s.recIn[g*H+yy] += got - prev
				}
				prev = got
			}
		}
	}
	L.project(s, p, res)
}

// touchAhead is how many claims touch reads ahead of booking them (8 to
// 64 measured the same).
const touchAhead = 16

// touch reads the records that booking claims will read, so that their
// cache misses, independent of each other here, overlap rather than come
// one default after another (Go has no prefetch instruction). It reads a
// word on each cache line the records may span.
func (L *Ledger) touch(s *ledgerScratch, claims []claimEvent) {
	H := L.H
	var sum int64
	for _, ce := range claims {
		i := int(ce.loan)
		ll := &L.loans[i]
		sum += ll.gb + int64(ll.cty) // ledgerLoan's first and last words
		lys := L.ly[i*H : (i+1)*H]
		sum += lys[ce.year].claim + lys[ce.year].parts[NParties-1]
	}
	s.sink += sum
}

// capAt returns min(nominal, round(limit)), or nominal when stop is 0 (no stop-loss).
func capAt(nominal int64, limit, stop float64) int64 {
	if stop <= 0 {
		return nominal
	}
	return min(nominal, roundFen(limit))
}

// bookDefault records what the default of loan ll (of guarantor g) at
// year t + u changes in the guarantor's balances and fees from year t on.
func (L *Ledger) bookDefault(s *ledgerScratch, ll *ledgerLoan, g, t int, u float64) {
	H := L.H
	gb := float64(ll.gb)
	cty := int(ll.cty)
	for y := t; y < H; y++ {
		gp := &s.gy[g*H+y]
		full := ll.aliveIn(y)
		var lostB, lostS, lostRe int64
		if full > 0 { // the year's fees as NewLedger counted them
			lostB, lostS, lostRe = ll.feesFor(full)
		}
		lostBase := gb * full
		if y == t { // fees accrued until the default are kept
			kept := max(0, float64(t)+u-max(ll.from, float64(t)))
			if kept > 0 {
				keptB, keptS, keptRe := ll.feesFor(kept)
				lostB -= keptB
				lostS -= keptS
				lostRe -= keptRe
				lostBase -= gb * kept
			}
		}
		gp.feeBLost += lostB
		gp.feeSLost += lostS
		s.subs[cty*H+y] += lostS
		gp.reFeeLost += lostRe
		gp.feeBaseLost += lostBase
		if ll.maturity > float64(y+1) {
			gp.endBalAdj += ll.gb
			gp.endLoanAdj += ll.bal
			gp.rwAdj += ll.rw
			if ll.smallAg {
				gp.smallAgAdj += ll.gb
				gp.smallAgLoanAdj += ll.bal
			}
		} else if ll.maturity > float64(y) {
			gp.maturedAdj += ll.gb
			if ll.eligible {
				gp.maturedEligLoanAdj += ll.bal
			}
		}
	}
}
