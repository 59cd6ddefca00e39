package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/wenzhou/danbao/models"
)

// Parties of a loss, in the order of the exact allocation.
const (
	PartyBank = iota
	PartyGuarantor
	PartyReguarantor
	PartyNationalFund
	PartyCountyFund
	NParties
)

// PartyNames are the parties' names in the result document.
var PartyNames = [NParties]string{"bank", "guarantor", "reguarantor", "national_fund", "county_fund"}

// Metrics projected per path, guarantor (or city) and year.
const (
	MetricBalance              = iota // guaranteed balance at year end, yuan
	MetricNetAssets                   // net assets at year end, yuan
	MetricLeveragePerf                // guaranteed balance / net assets
	MetricLeverageReg                 // risk-weighted balance / (net assets − equity in other guarantors)
	MetricLeverageFiscal              // guaranteed balance / government capital
	MetricCompRate                    // compensation paid / guarantees released in the year
	MetricCompRateBalance             // compensation paid / guaranteed balance at the start of the year
	MetricCompPaid                    // compensation paid in the year, yuan
	MetricRecoveries                  // recoveries received in the year, yuan
	MetricFeeRate                     // average fee rate borrowers pay in the year, after the county's fee subsidy
	MetricSmallAgriBalance            // small/micro + agri guaranteed balance at year end, yuan
	MetricReleased                    // guarantees released (matured or compensated) in the year, yuan
	MetricLoanBalance                 // loan balance (principal of the guaranteed loans) at year end, yuan
	MetricSmallAgriLoanBalance        // small/micro + agri loan balance at year end, yuan
	MetricLeveragePerfLoan            // loan balance / net assets (performance leverage on the loan basis)
	MetricFeeRateCharged              // average fee rate the guarantor charges (before the county's subsidy)
	MetricReserves                    // unearned-fee + compensation reserves at year end, yuan
	NMetrics
)

// MetricNames are the metrics' names in the result document.
var MetricNames = [NMetrics]string{"guaranteed_balance", "net_assets", "leverage_performance", "leverage_regulatory",
	"leverage_fiscal", "compensation_rate", "compensation_rate_balance", "compensation_paid", "recoveries",
	"fee_rate", "small_agri_balance", "released", "loan_balance", "small_agri_loan_balance", "leverage_performance_loan",
	"fee_rate_charged", "reserves"}

// Ledger is the compiled policy and balance-sheet projection of docs/model.md
// "Policy: who pays a loss", "Projection" and "Targets". It observes every
// path's defaults (it is a PathObserver) and records, per path, each party's
// ultimate loss, each guarantor's and the city's yearly metrics, each
// county's outlays, and the capital each guarantor needs.
//
// For a default of loan i in year t at time u, the claim C (principal plus
// normal interest to the claim date) is split exactly in fen by largest
// remainder into the nominal parts
//
//	bank (1 − g_i)·C, re-guarantor s_r·C, national fund s_n·C, county fund s_c·C,
//	guarantor the rest,
//
// with g_i the loan's guarantee ratio (models.Policy.GuaranteeRatio: its
// own, or 1 − policy.bank_share when it has none or under
// policy.bank_share_applies: all) and
// s_r = s_n = 0 for loans not eligible for re-guarantee. Compensation is
// paid at t + u + grace_days/365; claims paid in the same year are taken in
// time order. The county fund pays its part while its yearly budget lasts.
// At the end of each year the re-guarantor and the national fund pay at
// most share × stop_rate × (eligible loan principal released in the year:
// matured or compensated, the loan's whole balance, not the guaranteed
// part), so nominal parts and cap are on one basis (both fractions of the
// loan) and a guarantor whose compensation rate on re-guaranteed business
// is exactly the stop rate gets exactly the nominal parts back; above it,
// what the funds refuse falls back on the guarantor. Recoveries, C − C·lgd in total,
// are shared back in proportion to what each party paid, and reach the
// guarantor over the following years on recovery.lag. Claims paid after
// the horizon are split at the nominal parts.
//
// Net assets of guarantor g move as
//
//	NA_t = NA_{t−1} + fees + fee subsidy + y·NA_{t−1} − opex·B_{t−1}
//	       − re-guarantee fee − retained compensation + retained recoveries + injections
//	       − ΔU_t − ΔR_t   (with policy.reserves.deduct)
//
// with fees accrued on each loan's guaranteed balance while it is alive,
// U_t = unearned_fee × (fees + fee subsidy of year t) the unearned-fee
// reserve and R_t = min(R_{t−1} + compensation_add·B_t, compensation_cap·B_t)
// the compensation reserve (U_0 on year 1's scheduled fees, R_0 the rest of
// the guarantor's reserves in the snapshot, at least 0).
type Ledger struct {
	m   *Model
	pol models.Policy
	tg  models.Targets
	H   int
	// Guarantors in portfolio order; Counties are the county funds (the
	// loans' counties, sorted).
	Guarantors []models.Guarantor
	Counties   []string

	// loans[i] is what booking loan i's default reads of the loan, and
	// ly[i*H+t] what it reads of year t: a default costs three or four
	// cache lines, not one per field.
	loans   []ledgerLoan
	ly      []loanYear
	det     []gyDet // [g*H + t] figures before defaults
	subsDet []int64 // [c*H + t] fee subsidy per county before defaults
	budget  []int64 // [c] yearly county fund budget, −1 unlimited
	// finiteBudget is true when some county fund's budget can run out, so
	// that the order of the claims within a year matters.
	finiteBudget bool
	opex         []float64     // [g]
	yield        []float64     // [g]
	capMax       []float64     // [g] regulatory leverage cap
	minCap       []int64       // [g] capital minimum, 0 if none
	resInit      []int64       // [g] reserves in the snapshot, fen
	govCap       []int64       // [g]
	parent       []int32       // [g] parent index or −1
	stake        []float64     // [g]
	inject       []int64       // [g*(H+1) + t] injection at the start (t = 0) or end of year t
	regCap       []int64       // [g*H + t] registered capital at the end of year t, injections included
	largest      []int64       // [g] largest borrower's guaranteed balance, fen
	largestGroup []int64       // [g] largest related-party group's guaranteed balance, fen (0: no groups)
	conc         [][]concLimit // [g] concentration limits on (concentrationLimits)
	grace        float64       // years
	lagCum       []float64     // cumulative recovery lag fractions
	lag          *lagDraws     // random lags (ledger_lag.go); nil: fixed at lagCum
}

// ledgerLoan is loan i as the ledger books it: its static fields, in one
// 80-byte record.
type ledgerLoan struct {
	gb, rw int64 // guaranteed balance and its risk-weighted amount, fen
	bal    int64 // loan balance (principal), fen
	// Fees for a whole year alive, fen, unrounded: borrower's rate × gb,
	// subsidy rate × gb, re-guarantee rate × balance.
	feeB, feeS, reFee float64
	from, maturity    float64 // the Model's from[i] and maturity[i]
	g                 int32   // guarantor
	eligible          bool    // eligible for re-guarantee
	smallAg           bool    // small/micro or agri segment
	cty               int32   // county fund
}

// aliveIn returns the fraction of year t (0-based) that the loan is on the
// books: the length of [max(from, t), min(maturity, t+1)], or 0.
func (ll *ledgerLoan) aliveIn(t int) float64 {
	lo := max(ll.from, float64(t))
	hi := min(ll.maturity, float64(t+1))
	return max(0, hi-lo)
}

// feesFor returns the fees, fee subsidy and re-guarantee fee of loan ll
// for a fraction frac of a year, fen. Booking a default recomputes them
// rather than reading them from memory it would likely miss in cache.
func (ll *ledgerLoan) feesFor(frac float64) (feeB, feeS, reFee int64) {
	return roundFen(ll.feeB * frac), roundFen(ll.feeS * frac), roundFen(ll.reFee * frac)
}

// loanYear is loan i in year t as the ledger books it, in fen.
type loanYear struct {
	claim, loss int64           // the Model's claim and loss, copied here
	parts       [NParties]int64 // nominal split of the claim
}

// gyDet holds a guarantor-year's figures as if no loan defaulted.
type gyDet struct {
	startBal, endBal, rwEnd, smallAgEnd int64
	endLoan, smallAgLoanEnd             int64 // on the loan basis
	matured, maturedEligLoan            int64 // guaranteed; eligible loan principal
	feeB, feeS, reFee                   int64
	feeBase                             float64 // Σ gb × alive fraction (for the average fee rate)
}

// NewLedger compiles the policy for m (compiled from pf and sc).
func NewLedger(m *Model, pf *models.Portfolio, sc *models.Scenario) (*Ledger, error) {
	H, n := m.Horizon, m.n
	pol := sc.Policy
	L := &Ledger{m: m, pol: pol, tg: sc.Targets, H: H, Guarantors: pf.Guarantors, grace: float64(pol.GraceDays) / 365}
	G := len(pf.Guarantors)
	gidx := pf.GuarantorIndex()
	L.Counties = uniqueSorted(m.Loans, func(l *models.Loan) string { return l.County })
	cidx := indexOf(L.Counties)
	for _, f := range sc.Recovery.Lag {
		prev := 0.0
		if len(L.lagCum) > 0 {
			prev = L.lagCum[len(L.lagCum)-1]
		}
		L.lagCum = append(L.lagCum, prev+f)
	}
	L.opex, L.yield, L.capMax = make([]float64, G), make([]float64, G), make([]float64, G)
	L.minCap, L.govCap, L.parent, L.stake = make([]int64, G), make([]int64, G), make([]int32, G), make([]float64, G)
	L.resInit = make([]int64, G)
	L.inject, L.largest, L.largestGroup = make([]int64, G*(H+1)), make([]int64, G), make([]int64, G)
	for g, gr := range pf.Guarantors {
		L.opex[g], L.yield[g] = pol.OpexRate, pol.InvestmentYield
		if !math.IsNaN(gr.OpexRate) {
			L.opex[g] = gr.OpexRate
		}
		if !math.IsNaN(gr.InvestmentYield) {
			L.yield[g] = gr.InvestmentYield
		}
		L.capMax[g] = sc.Targets.LeverageMax.Threshold
		if gr.Focused {
			L.capMax[g] = sc.Targets.FocusedThreshold
		}
		if gr.Level == models.LevelCounty {
			L.minCap[g] = int64(sc.Targets.CapitalMin.MinimumFor(gr.County))
		}
		L.resInit[g] = int64(gr.Reserves)
		L.govCap[g] = int64(gr.GovernmentCapital)
		if L.govCap[g] < 0 {
			L.govCap[g] = int64(gr.RegisteredCapital)
		}
		L.parent[g] = -1
		if p, ok := gidx[gr.ParentID]; ok && gr.ParentID != "" {
			L.parent[g], L.stake[g] = int32(p), gr.ParentStake
		}
	}
	for k, inj := range sc.Injections {
		g, ok := gidx[inj.Guarantor]
		if !ok {
			return nil, fmt.Errorf("%w: injections[%d].guarantor %q is not in the portfolio", models.ErrNotFound, k, inj.Guarantor)
		}
		L.inject[g*(H+1)+inj.Year] += int64(inj.Amount)
	}
	// An injection is an equity injection: it adds to registered capital too.
	L.regCap = make([]int64, G*H)
	for g, gr := range pf.Guarantors {
		r := int64(gr.RegisteredCapital) + L.inject[g*(H+1)]
		for t := range H {
			r += L.inject[g*(H+1)+t+1]
			L.regCap[g*H+t] = r
		}
	}
	L.budget = make([]int64, len(L.Counties))
	for c, code := range L.Counties {
		L.budget[c] = int64(pol.CountyFund.BudgetFor(code))
		L.finiteBudget = L.finiteBudget || L.budget[c] >= 0
	}

	L.loans = make([]ledgerLoan, n)
	L.ly = make([]loanYear, n*H)
	L.det = make([]gyDet, G*H)
	L.subsDet = make([]int64, len(L.Counties)*H)
	borrowers, groups := map[[2]string]int64{}, map[[2]string]int64{}
	var parts [NParties]models.Cents
	for i := range m.Loans {
		l, ll := &m.Loans[i], &L.loans[i]
		g := gidx[l.GuarantorID]
		gr := &pf.Guarantors[g]
		ll.g, ll.cty = int32(g), int32(cidx[l.County])
		ll.from, ll.maturity = m.from[i], m.maturity[i]
		ratio := pol.GuaranteeRatio(l)
		ll.eligible = l.ReguaranteeEligible && gr.InReguarantee && l.Balance <= pol.Reguarantee.MaxBalance
		ll.gb = int64(math.Round(float64(l.Balance) * ratio))
		ll.bal = int64(l.Balance)
		ll.rw = int64(math.Round(float64(ll.gb) * l.RiskWeight()))
		ll.smallAg = models.SmallOrAgri(l.Segment)
		if i < len(pf.Loans) { // today's book; new business is new borrowers
			borrowers[[2]string{l.GuarantorID, l.BorrowerID}] += ll.gb
			if l.GroupID != "" {
				groups[[2]string{l.GuarantorID, l.GroupID}] += ll.gb
			}
		}
		// Nominal shares of the claim; the guarantor's is what is left of
		// its ratio, and never negative (the others shrink pro rata).
		w := [NParties]float64{PartyBank: 1 - ratio, PartyCountyFund: pol.CountyFund.Share}
		if ll.eligible {
			w[PartyReguarantor], w[PartyNationalFund] = pol.Reguarantee.Share, pol.NationalFund.Share
		}
		others := w[PartyReguarantor] + w[PartyNationalFund] + w[PartyCountyFund]
		if others > ratio {
			for _, k := range []int{PartyReguarantor, PartyNationalFund, PartyCountyFund} {
				w[k] *= ratio / others
			}
			others = ratio
		}
		w[PartyGuarantor] = ratio - others
		fee := l.FeeRate
		if math.IsNaN(fee) {
			fee = pol.Fee.RateFor(l.Balance)
		}
		rateB := min(fee, pol.FeeSubsidy.BorrowerMax)
		rateS := fee - rateB
		rateRe := 0.0
		if ll.eligible {
			r := pol.Reguarantee.FeeRate
			if l.Balance <= pol.Reguarantee.SmallLoanMax {
				r = pol.Reguarantee.FeeRateSmall
			}
			rateRe = r * (w[PartyReguarantor] + w[PartyNationalFund])
		}
		// rate × base × fraction multiplies left to right, so the products
		// kept here give the same fen as multiplying all three.
		ll.feeB, ll.feeS, ll.reFee = rateB*float64(ll.gb), rateS*float64(ll.gb), rateRe*float64(l.Balance)
		for t := range H {
			ly := &L.ly[i*H+t]
			ly.claim, ly.loss = m.claim[t*n+i], m.loss[t*n+i]
			models.Allocate(parts[:], models.Cents(m.claim[t*n+i]), w[:])
			for k := range NParties {
				ly.parts[k] = int64(parts[k])
			}
			d := &L.det[g*H+t]
			full := ll.aliveIn(t)
			if full <= 0 {
				continue
			}
			if t == 0 && ll.from <= 0 {
				d.startBal += ll.gb
			}
			feeB, feeS, reFee := ll.feesFor(full)
			d.feeB += feeB
			d.feeS += feeS
			d.reFee += reFee
			d.feeBase += float64(ll.gb) * full
			L.subsDet[int(ll.cty)*H+t] += feeS
			if ll.maturity > float64(t+1) {
				d.endBal += ll.gb
				d.endLoan += ll.bal
				d.rwEnd += ll.rw
				if ll.smallAg {
					d.smallAgEnd += ll.gb
					d.smallAgLoanEnd += ll.bal
				}
			} else {
				d.matured += ll.gb
				if ll.eligible {
					d.maturedEligLoan += ll.bal
				}
			}
		}
	}
	for t := 1; t < H; t++ {
		for g := range G {
			L.det[g*H+t].startBal = L.det[g*H+t-1].endBal
		}
	}
	for key, v := range borrowers {
		g := gidx[key[0]]
		L.largest[g] = max(L.largest[g], v)
	}
	for key, v := range groups {
		g := gidx[key[0]]
		L.largestGroup[g] = max(L.largestGroup[g], v)
	}
	L.compileConcentration()
	return L, nil
}

func roundFen(x float64) int64 { return int64(math.Round(x)) }

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

// project runs the balance sheets forward and writes path p's metrics,
// outlays and capital needs.
func (L *Ledger) project(s *ledgerScratch, p int, res *LedgerResult) {
	H, G, C := L.H, len(L.Guarantors), len(L.Counties)
	rs := L.pol.Reserves
	for g := range G {
		na := int64(L.Guarantors[g].NetAssets) + L.inject[g*(H+1)]
		prevEnd := L.det[g*H].startBal
		// Reserves today: the unearned-fee reserve on year 1's fees as
		// scheduled, the rest of the snapshot's reserves the compensation
		// reserve.
		unearned := roundFen(rs.UnearnedFee * float64(L.det[g*H].feeB+L.det[g*H].feeS))
		compRes := max(0, L.resInit[g]-unearned)
		for t := range H {
			d, gp := &L.det[g*H+t], &s.gy[g*H+t]
			feeB, feeS, reFee := d.feeB-gp.feeBLost, d.feeS-gp.feeSLost, d.reFee-gp.reFeeLost
			startBal := prevEnd
			endBal := d.endBal - gp.endBalAdj
			prevEnd = endBal
			inv := roundFen(L.yield[g] * float64(na))
			opex := roundFen(L.opex[g] * float64(startBal))
			na += feeB + feeS + inv - opex - reFee - gp.paid[PartyGuarantor] + s.recIn[g*H+t] + L.inject[g*(H+1)+t+1]
			u := roundFen(rs.UnearnedFee * float64(feeB+feeS))
			c := min(compRes+roundFen(rs.CompensationAdd*float64(endBal)), roundFen(rs.CompensationCap*float64(endBal)))
			if rs.Deduct {
				na -= (u - unearned) + (c - compRes)
			}
			unearned, compRes = u, c
			s.na[g*H+t] = na
			released := d.matured - gp.maturedAdj + gp.releasedComp
			loanEnd := d.endLoan - gp.endLoanAdj
			mt := res.Metrics[((p*(G+1)+g)*H+t)*NMetrics:][:NMetrics]
			mt[MetricBalance] = float64(endBal) / 100
			mt[MetricNetAssets] = float64(na) / 100
			mt[MetricLeveragePerf] = ratio(float64(endBal), float64(na))
			mt[MetricLeverageFiscal] = ratio(float64(endBal), float64(L.govCap[g]))
			mt[MetricCompRate] = ratio0(float64(gp.compPaid), float64(released))
			mt[MetricCompRateBalance] = ratio0(float64(gp.compPaid), float64(startBal))
			mt[MetricCompPaid] = float64(gp.compPaid) / 100
			mt[MetricRecoveries] = float64(s.recIn[g*H+t]) / 100
			mt[MetricFeeRate] = ratio0(float64(feeB), d.feeBase-gp.feeBaseLost)
			mt[MetricSmallAgriBalance] = float64(d.smallAgEnd-gp.smallAgAdj) / 100
			mt[MetricReleased] = float64(released) / 100
			mt[MetricLoanBalance] = float64(loanEnd) / 100
			mt[MetricSmallAgriLoanBalance] = float64(d.smallAgLoanEnd-gp.smallAgLoanAdj) / 100
			mt[MetricLeveragePerfLoan] = ratio(float64(loanEnd), float64(na))
			mt[MetricFeeRateCharged] = ratio0(float64(feeB+feeS), d.feeBase-gp.feeBaseLost)
			mt[MetricReserves] = float64(unearned+compRes) / 100
		}
	}
	// Regulatory leverage needs the children's net assets (equity held).
	for g := range G {
		for t := range H {
			rwEnd := float64(L.det[g*H+t].rwEnd-s.gy[g*H+t].rwAdj) / 100
			mt := res.Metrics[((p*(G+1)+g)*H+t)*NMetrics:][:NMetrics]
			mt[MetricLeverageReg] = ratio(rwEnd, float64(s.na[g*H+t])/100-L.heldAt(s, g, t))
		}
		res.NeedX[p*G+g] = L.capitalNeed(s, g)
	}
	// The city: sums, with net assets consolidated (equity stakes in county
	// guarantors are not counted twice).
	for t := range H {
		var bal, na, rw, comp, rel, rec, feeB, feeS, feeBase, sa, gov, loan, saLoan, reserves float64
		for g := range G {
			d, gp := &L.det[g*H+t], &s.gy[g*H+t]
			mt := res.Metrics[((p*(G+1)+g)*H+t)*NMetrics:][:NMetrics]
			bal += mt[MetricBalance]
			na += mt[MetricNetAssets]
			if L.parent[g] >= 0 {
				na -= L.stake[g] * mt[MetricNetAssets]
			}
			rw += float64(d.rwEnd-gp.rwAdj) / 100
			comp += mt[MetricCompPaid]
			rel += mt[MetricReleased]
			rec += mt[MetricRecoveries]
			feeB += float64(d.feeB-gp.feeBLost) / 100
			feeS += float64(d.feeS-gp.feeSLost) / 100
			loan += mt[MetricLoanBalance]
			saLoan += mt[MetricSmallAgriLoanBalance]
			reserves += mt[MetricReserves]
			feeBase += (d.feeBase - gp.feeBaseLost) / 100
			sa += mt[MetricSmallAgriBalance]
			gov += float64(L.govCap[g]) / 100
		}
		var startBal float64
		for g := range G {
			if t == 0 {
				startBal += float64(L.det[g*H].startBal) / 100
			} else {
				startBal += res.Metric(p, g, t-1, MetricBalance)
			}
		}
		mt := res.Metrics[((p*(G+1)+G)*H+t)*NMetrics:][:NMetrics]
		mt[MetricBalance], mt[MetricNetAssets] = bal, na
		mt[MetricLeveragePerf] = ratio(bal, na)
		mt[MetricLeverageReg] = ratio(rw, na)
		mt[MetricLeverageFiscal] = ratio(bal, gov)
		mt[MetricCompRate] = ratio0(comp, rel)
		mt[MetricCompRateBalance] = ratio0(comp, startBal)
		mt[MetricCompPaid], mt[MetricRecoveries], mt[MetricReleased] = comp, rec, rel
		mt[MetricFeeRate] = ratio0(feeB, feeBase)
		mt[MetricSmallAgriBalance] = sa
		mt[MetricLoanBalance], mt[MetricSmallAgriLoanBalance] = loan, saLoan
		mt[MetricLeveragePerfLoan] = ratio(loan, na)
		mt[MetricFeeRateCharged] = ratio0(feeB+feeS, feeBase)
		mt[MetricReserves] = reserves
	}
	for c := range C {
		for t := range H {
			comp := s.cty[c*H+t]
			res.CountyComp[(p*C+c)*H+t] = comp
			res.Outlays[(p*C+c)*H+t] = comp + L.subsDet[c*H+t] - s.subs[c*H+t]
		}
	}
}

// capitalNeed returns the smallest injection X at t = 0 (yuan) such that,
// with X invested at the guarantor's yield y, the capital-linked targets
// that are on hold in every year t:
//
//	leverage_max:      X ≥ (RW_t/cap − NA_t + held_t) / (1+y)^(t+1)   (regulatory; with the
//	                   performance definition, balance_t/cap − NA_t)
//	capital_min:       X ≥ (min − NA_t) / (1+y)^(t+1)   and   X ≥ min − registered_t
//	concentration_max: X ≥ (largest/c − NA_t) / (1+y)^(t+1), for the largest borrower
//	                   (c = 0.10) and the largest related-party group (c = 0.15)
//
// where registered_t is registered capital with the scenario's injections
// to the end of year t (an injection at t = 0 adds to it one for one). A
// negative X is spare capital; −Inf means no capital-linked target applies.
func (L *Ledger) capitalNeed(s *ledgerScratch, g int) float64 {
	H := L.H
	need := math.Inf(-1)
	minCap := float64(L.minCap[g]) / 100
	capOn := !L.tg.CapitalMin.Off && L.minCap[g] > 0
	levOn := !L.tg.LeverageMax.Off
	perf := L.tg.LeverageMax.Definition == models.LeveragePerformance
	grow := 1.0
	for t := range H {
		grow *= 1 + L.yield[g]
		na := float64(s.na[g*H+t]) / 100
		if levOn {
			if perf {
				bal := float64(L.det[g*H+t].endBal-s.gy[g*H+t].endBalAdj) / 100
				need = max(need, (bal/L.capMax[g]-na)/grow)
			} else {
				rw := float64(L.det[g*H+t].rwEnd-s.gy[g*H+t].rwAdj) / 100
				need = max(need, (rw/L.capMax[g]-na+L.heldAt(s, g, t))/grow)
			}
		}
		if capOn {
			need = max(need, (minCap-na)/grow, minCap-float64(L.regCap[g*H+t])/100)
		}
		for _, c := range L.concentrationLimits(g) {
			need = max(need, (c.largest/c.share-na)/grow)
		}
	}
	return need
}

// heldAt returns the equity guarantor g holds in others at the end of year t, yuan.
func (L *Ledger) heldAt(s *ledgerScratch, g, t int) float64 {
	held := 0.0
	for c := range L.Guarantors {
		if int(L.parent[c]) == g {
			held += L.stake[c] * float64(s.na[c*L.H+t]) / 100
		}
	}
	return held
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return math.Inf(1)
	}
	return a / b
}

func ratio0(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// concLimit is one concentration limit of a guarantor: its largest
// exposure (yuan) may be at most share × net assets.
type concLimit struct{ largest, share float64 }

// concentrationLimits returns guarantor g's concentration limits that are
// on: the largest borrower's (concentration_max) and the largest related-
// party group's (concentration_group_max), when it has one. NewLedger
// computes them once; booking a path only reads them.
func (L *Ledger) concentrationLimits(g int) []concLimit { return L.conc[g] }

func (L *Ledger) compileConcentration() {
	L.conc = make([][]concLimit, len(L.Guarantors))
	for g := range L.Guarantors {
		if !L.tg.ConcentrationMax.Off && L.largest[g] > 0 {
			L.conc[g] = append(L.conc[g], concLimit{float64(L.largest[g]) / 100, L.tg.ConcentrationMax.Threshold})
		}
		if !L.tg.ConcentrationGroupMax.Off && L.largestGroup[g] > 0 {
			L.conc[g] = append(L.conc[g], concLimit{float64(L.largestGroup[g]) / 100, L.tg.ConcentrationGroupMax.Threshold})
		}
	}
}
