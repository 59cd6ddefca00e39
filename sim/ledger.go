package sim

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

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

	// loans[i] is what booking loan i's default reads of the loan, in one
	// record, and ly[i*H+t] what it reads of year t (claim and loss, in
	// one 16-byte record rather than two reads of the Model's arrays:
	// BenchmarkLedgerBook/block, 119–130 against 171–179 CPU ns a default
	// at load 10). It splits the claim into its nominal parts by the
	// loan's shares, shares[loans[i].shares] (a few distinct vectors: they
	// depend on the loan's guarantee ratio and eligibility only), rather
	// than keep the split per loan-year (40 bytes: 0.43 GB on the 1M book,
	// which raised the run's peak RSS from 1.7 to 2.26 GB).
	loans []ledgerLoan
	ly    []loanYear
	// lys replaces ly (which is then nil) when it takes at most
	// keepSplitMaxBytes and every claim fits in an int32 (below 21.47M
	// yuan): each loan-year's record then carries its nominal split too,
	// computed once, and booking a default reads it with the claim instead
	// of splitting the claim again (BenchmarkLedgerBook/block on the 100k
	// book: about 77 against 110 CPU ns a default). Both give the same fen:
	// both are Ledger.split of the same claim.
	lys    []loanYearSplit
	shares [][NParties]float64
	// fracs[k] is shares[k]'s fractions (models.Fractions; nil when they
	// sum to zero), computed once so that booking does not divide.
	fracs   [][]float64
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
// 128-byte record (two cache lines).
type ledgerLoan struct {
	gb, rw int64 // guaranteed balance and its risk-weighted amount, fen
	bal    int64 // loan balance (principal), fen
	// Fees for a whole year alive, fen, unrounded: borrower's rate × gb,
	// subsidy rate × gb, re-guarantee rate × balance.
	feeB, feeS, reFee float64
	// The same fees rounded to the fen (feesFor(1)): a year the loan is
	// alive throughout, which booking a default reads rather than rounds.
	yearB, yearS, yearRe int64
	// The same fees for the part of its maturity's year that the loan is
	// alive, feesFor(maturity − ⌊maturity⌋): the fees a default in an
	// earlier year loses in the year the loan would have matured.
	matB, matS, matRe int64
	from, maturity    float64 // the Model's from[i] and maturity[i]
	g                 int32   // guarantor
	eligible          bool    // eligible for re-guarantee
	smallAg           bool    // small/micro or agri segment
	cty               int32   // county fund
	shares            int32   // the nominal shares of a claim: Ledger.shares[shares]
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
// for a part of a year (from the loan's record, already in cache) and
// reads a whole year's from ledgerLoan.yearB, yearS, yearRe.
func (ll *ledgerLoan) feesFor(frac float64) (feeB, feeS, reFee int64) {
	return roundFen(ll.feeB * frac), roundFen(ll.feeS * frac), roundFen(ll.reFee * frac)
}

// loanYear is loan i in year t as the ledger books it, in fen.
type loanYear struct {
	claim, loss int64 // the Model's claim and loss, copied here
}

// loanYearSplit is loanYear with the claim's nominal split, fen, in 32
// bytes (two to a cache line): the parts of the bank, the re-guarantor,
// the national fund and the county fund as int32, which they fit when the
// claim does (a part is at most the claim); the guarantor's part is the
// claim less the others', as Ledger.split's parts sum to the claim.
type loanYearSplit struct {
	loanYear
	bank, reg, nat, cty int32
}

// setParts keeps parts, the split of r.claim (Ledger.split), in r.
func (r *loanYearSplit) setParts(parts *[NParties]int64) {
	r.bank, r.reg, r.nat, r.cty = int32(parts[PartyBank]), int32(parts[PartyReguarantor]), int32(parts[PartyNationalFund]), int32(parts[PartyCountyFund])
}

// parts writes the claim's split into dst, the guarantor's part the rest.
func (r *loanYearSplit) parts(dst *[NParties]int64) {
	bank, reg, nat, cty := int64(r.bank), int64(r.reg), int64(r.nat), int64(r.cty)
	*dst = [NParties]int64{PartyBank: bank, PartyGuarantor: r.claim - bank - reg - nat - cty, PartyReguarantor: reg, PartyNationalFund: nat, PartyCountyFund: cty}
}

// keepSplitMaxBytes is the most memory the ledger spends on keeping every
// loan-year's nominal split (32 bytes a loan-year rather than 16): 34 MB
// on the gen'd 100k book, which keeps it; 0.59 GB on the 1M book, which
// splits per default instead and so stays within 2 GB. A variable so that
// the tests can run both ways.
var keepSplitMaxBytes = 256 << 20

// gyDet holds a guarantor-year's figures as if no loan defaulted.
type gyDet struct {
	startBal int64
	yearEnd
	feeB, feeS, reFee int64
	feeBase           float64 // Σ gb × alive fraction (for the average fee rate)
}

// yearEnd is what a guarantor's loans leave at the end of a year, fen:
// the balances still guaranteed (on both bases, the small/micro + agri
// part, and the risk-weighted balance) and what matured in the year. The
// deterministic ledger (gyDet) sums it over the loans alive in the year;
// a path subtracts, in gyPath.adj, the loans that defaulted before.
type yearEnd struct {
	endBal, rwEnd, smallAgEnd int64
	endLoan, smallAgLoanEnd   int64 // on the loan basis
	matured, maturedEligLoan  int64 // guaranteed; eligible loan principal
}

// add counts loan ll, alive in year y, at the year's end: outstanding if
// it matures after the year, else among the year's matured loans.
func (e *yearEnd) add(ll *ledgerLoan, y int) {
	if ll.maturity > float64(y+1) {
		e.endBal += ll.gb
		e.endLoan += ll.bal
		e.rwEnd += ll.rw
		if ll.smallAg {
			e.smallAgEnd += ll.gb
			e.smallAgLoanEnd += ll.bal
		}
		return
	}
	e.matured += ll.gb
	if ll.eligible {
		e.maturedEligLoan += ll.bal
	}
}

// newLedger compiles the policy for m (compiled from pf and sc). It does
// not read m.Loans.
func newLedger(m *Model, pf *models.Portfolio, sc *models.Scenario) (*Ledger, error) {
	H, n := m.Horizon, m.n
	pol := sc.Policy
	L := &Ledger{m: m, pol: pol, tg: sc.Targets, H: H, Guarantors: pf.Guarantors, grace: float64(pol.GraceDays) / 365}
	G := len(pf.Guarantors)
	gidx := pf.GuarantorIndex()
	// The loans' counties, as the model's county factors (new business
	// copies a portfolio loan's county).
	L.Counties = slices.Clone(m.Counties)
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
	sharesOf := map[[NParties]float64]int32{}
	fits := true // every claim fits in an int32, so do its parts
	for _, c := range m.claim {
		fits = fits && c == int64(int32(c))
	}
	if fits && n*H*int(unsafe.Sizeof(loanYearSplit{})) <= keepSplitMaxBytes {
		L.lys = make([]loanYearSplit, n*H)
	} else {
		L.ly = make([]loanYear, n*H)
	}
	L.det = make([]gyDet, G*H)
	L.subsDet = make([]int64, len(L.Counties)*H)
	borrowers, groups := map[[2]string]int64{}, map[[2]string]int64{}
	for i := range n {
		// What the ledger reads of loan i is its portfolio loan's (new
		// business differs only in ids and dates), so Model.Loans may be
		// released before the ledger is compiled.
		l, ll := &pf.Loans[m.src[i]], &L.loans[i]
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
		k, ok := sharesOf[w]
		if !ok {
			k = int32(len(L.shares))
			sharesOf[w] = k
			L.shares = append(L.shares, w)
			L.fracs = append(L.fracs, models.Fractions(make([]float64, 0, NParties), w[:]))
		}
		ll.shares = k
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
		ll.yearB, ll.yearS, ll.yearRe = ll.feesFor(1)
		ll.matB, ll.matS, ll.matRe = ll.feesFor(ll.maturity - math.Floor(ll.maturity))
		for t := range H {
			ly := loanYear{m.claim[t*n+i], m.loss[t*n+i]}
			if L.lys != nil {
				r := &L.lys[i*H+t]
				r.loanYear = ly
				var parts [NParties]int64
				L.split(&parts, ll, ly.claim)
				r.setParts(&parts)
			} else {
				L.ly[i*H+t] = ly
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
			d.add(ll, t)
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
