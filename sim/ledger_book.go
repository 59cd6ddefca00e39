package sim

import (
	"cmp"
	"slices"
	"unsafe"

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
	// spill, when not nil, holds Metrics, Outlays and CountyComp, which
	// are then nil (Simulate on large runs, ledger_spill.go): read them
	// with metricColumns and countyColumns; Metric is for books in memory.
	spill *metricSpill
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

// newSpilledObserver is NewObserver for a book whose metrics and county
// outlays go to a file from create rather than to memory (ledger_spill.go), chunk paths at a time (the run's
// BlockSize). Call flush after the run, and Close the book when done.
func (L *Ledger) newSpilledObserver(paths, workers, chunk int, create func() (SpillFile, error)) (*ledgerRun, *LedgerResult, error) {
	G, H, C := len(L.Guarantors), L.H, len(L.Counties)
	sp, err := newMetricSpill(create, paths, chunk, G, H, C)
	if err != nil {
		return nil, nil, err
	}
	res := &LedgerResult{Paths: paths, G: G, H: H, C: C,
		PartyLoss: make([]int64, paths*NParties),
		NeedX:     make([]float64, paths*G),
		spill:     sp,
	}
	lr := &ledgerRun{L: L, res: res}
	for range workers {
		s := L.newScratch()
		s.spillW = sp.newWriter()
		lr.scratch = append(lr.scratch, s)
	}
	return lr, res, nil
}

// flush writes what the workers hold of a spilled book to its file, and
// returns the first error writing it.
func (lr *ledgerRun) flush() error {
	if lr.res.spill == nil {
		return nil
	}
	for _, s := range lr.scratch {
		lr.res.spill.flush(s.spillW)
	}
	return lr.res.spill.Err()
}

// rows returns where path p's figures go: lr.res's arrays, or the
// worker's row when the book is spilled.
func (lr *ledgerRun) rows(s *ledgerScratch, p int) pathRows {
	if s.spillW != nil {
		return s.spillW.row
	}
	r := lr.res
	m, ch := (r.G+1)*r.H*NMetrics, r.C*r.H
	return pathRows{metrics: r.Metrics[p*m : (p+1)*m], outlays: r.Outlays[p*ch : (p+1)*ch], comp: r.CountyComp[p*ch : (p+1)*ch]}
}

// ledgerScratch is one worker's working memory: the path being closed
// (gy, cty, subs are windows on the block's arrays) and the block being
// booked (ObserveBlock).
type ledgerScratch struct {
	gy      []gyPath // [g*H + t]
	budget  []int64  // [c*H + t] county fund budget left
	cty     []int64  // [c*H + t] county fund paid
	subs    []int64  // [c*H + t] fee subsidy lost to defaults
	recIn   []int64  // [g*H + t] guarantor's recoveries received
	na      []int64  // [g*H + t] net assets at year end
	parts   [NParties]models.Cents
	nominal [NParties]int64 // the claim being booked split at its nominal parts (Ledger.split)
	lagCum  []float64       // [y*K + k] this path's cumulative lag fractions (random lags)
	lagS    *Stream         // the lag stream (random lags)

	// The block: path j's figures are blockGy[j*G*H:], blockCty[j*C*H:],
	// blockSubs[j*C*H:].
	blockGy             []gyPath
	blockCty, blockSubs []int64
	lows                [lowMask + 2]int32 // radix sort of the block's defaults by loan: counts by low bits,
	starts              []int32            // and by high bits
	tmp, sorted         []blockEvent       // the block's defaults, by low bits, then by loan
	tmpLoss, sortedLoss []int64            // their losses, moved with them (the stochastic LGD only)
	capped              []cappedClaim
	nCapped             []int32 // [j] path j's claims in capped[ends[j−1]:]
	one                 [1]int32

	spillW *spillWriter // the chunk being filled, when the book is spilled
}

// blockEvent is a default of a block being booked: loan, year t and time u
// of path j of the block, with jt = j·H + t, in 16 bytes. Under the
// stochastic LGD the default's loss (Event.Loss) moves with it in
// ledgerScratch.tmpLoss and sortedLoss; the fixed LGD does not need it,
// and the sort moves a third fewer bytes.
type blockEvent struct {
	u    float64
	loan int32
	jt   int32
}

// cappedClaim is a claim on a county fund whose yearly budget may run
// out: booked first as if the fund paid its whole nominal part, then
// capped in payment order (capBudgets).
type cappedClaim struct {
	when    float64 // payment time in years from the snapshot
	loan    int32
	cy      int32 // county fund c and payment year y: c*H + y
	gy      int32 // guarantor g and payment year y: g*H + y
	nominal int64 // the fund's nominal part, fen
}

// gyPath is a guarantor-year's path-dependent figures.
type gyPath struct {
	adj                                                    yearEnd // the year-end figures of the loans defaulted by then
	feeBLost, feeSLost, reFeeLost                          int64
	feeBaseLost                                            float64
	claims, recover                                        int64 // claims paid in the year and their eventual recoveries
	paid                                                   [NParties]int64
	regNominal, natNominal                                 int64
	compPaid, compElig, releasedComp, releasedCompEligLoan int64
}

func (L *Ledger) newScratch() *ledgerScratch {
	G, H, C := len(L.Guarantors), L.H, len(L.Counties)
	return &ledgerScratch{
		budget: make([]int64, C*H),
		recIn:  make([]int64, G*H), na: make([]int64, G*H),
		starts: make([]int32, L.m.n>>lowBits+2),
	}
}

// The radix sort of a block's defaults by loan takes the low lowBits
// bits of the loan index, then the rest.
const (
	lowBits = 8
	lowMask = 1<<lowBits - 1
)

// blockEvents returns the most defaults the engine gathers before handing
// a block of paths to a BlockObserver, for a compiled book of n loans: 2¹⁹
// (55 MB a worker, blockEventBytes each, with the sort's arrays), and 2²⁰
// from largeBookLoans on. Booking reads each loan's records (161 B a loan)
// once per block whatever the block's size, so the larger the book, the
// more defaults a block needs to share that sweep: on the 1M-loan book
// (3.2 million loans compiled) 2²⁰ took a fifth less CPU than 2¹⁹ for 60
// MB more memory; on the 100k book (317,805 compiled) 3–4 % less, for 70
// MB that its 100k-path run cannot spare under 400 MB (docs/performance.md).
func blockEvents(n int) int {
	if n >= largeBookLoans {
		return 1 << 20
	}
	return 1 << 19
}

// Booking asks for the records of the defaults prefetchAhead ahead of the
// one it books, prefetchBatch defaults at a time: LedgerBook/block 52 →
// 48 ns a default (ahead 16 to 48 measured alike; 96 and 192 less good).
const prefetchAhead, prefetchBatch = 32, 16

// largeBookLoans is the compiled book from which blockEvents doubles.
const largeBookLoans = 1 << 20

func byPaymentTime(a, b cappedClaim) int {
	if c := cmp.Compare(a.when, b.when); c != 0 {
		return c
	}
	return cmp.Compare(a.loan, b.loan)
}

// grow makes the block arrays hold B paths and n defaults, and clears them.
func (s *ledgerScratch) grow(L *Ledger, B, n int) {
	G, H, C := len(L.Guarantors), L.H, len(L.Counties)
	if cap(s.blockGy) < B*G*H {
		s.blockGy = make([]gyPath, B*G*H)
		s.blockCty, s.blockSubs = make([]int64, B*C*H), make([]int64, B*C*H)
		s.nCapped = make([]int32, B)
	}
	s.blockGy, s.blockCty, s.blockSubs = s.blockGy[:B*G*H], s.blockCty[:B*C*H], s.blockSubs[:B*C*H]
	s.nCapped = s.nCapped[:B]
	clear(s.blockGy)
	clear(s.blockCty)
	clear(s.blockSubs)
	clear(s.nCapped)
	if cap(s.sorted) < n {
		s.sorted, s.tmp = make([]blockEvent, n+n/4), make([]blockEvent, n+n/4)
		if L.m.lgd != nil {
			s.sortedLoss, s.tmpLoss = make([]int64, n+n/4), make([]int64, n+n/4)
		}
		if L.finiteBudget {
			s.capped = make([]cappedClaim, n+n/4)
		}
	}
}

// Observe books path p's defaults (ObserveBlock with one path).
func (lr *ledgerRun) Observe(worker, p int, events []Event) {
	s := lr.scratch[worker]
	s.one[0] = int32(len(events))
	lr.ObserveBlock(worker, p, events, s.one[:])
}

// ObserveBlock books paths p0, p0+1, …, p0+len(ends)−1, whose defaults
// are events[ends[j−1]:ends[j]] (ends[−1] = 0). It books the block's
// defaults in loan order, so that each loan's records are read from memory
// once per block, in ascending addresses, rather than at random once per
// default; then it closes each path: county budgets in payment order, year
// ends, projection. A path's figures depend only on its own defaults, not
// on the block it came in (so not on the number of workers): its defaults
// are always booked in the same order, by loan. It does not allocate once
// the scratch has grown.
func (lr *ledgerRun) ObserveBlock(worker, p0 int, events []Event, ends []int32) {
	L, s, res := lr.L, lr.scratch[worker], lr.res
	H, G, C := L.H, len(L.Guarantors), len(L.Counties)
	B := len(ends)
	s.grow(L, B, len(events))
	for j := range B {
		clear(res.PartyLoss[(p0+j)*NParties : (p0+j+1)*NParties])
	}

	// Sort by loan, stably (paths and draws in order within a loan): a
	// radix sort on the loan's low bits, then on its high bits. Booking
	// then reads each loan's records once per block, in ascending order.
	tmp := s.tmp[:len(events)]
	lows := s.lows[:]
	clear(lows)
	for _, e := range events {
		lows[e.Loan&lowMask+1]++
	}
	for b := 1; b < len(lows); b++ {
		lows[b] += lows[b-1]
	}
	stochastic := L.m.lgd != nil
	j := 0
	for k, e := range events {
		for int32(k) >= ends[j] {
			j++
		}
		b := e.Loan & lowMask
		d := lows[b]
		tmp[d] = blockEvent{u: e.Time, loan: e.Loan, jt: int32(j*H) + e.Year}
		if stochastic {
			s.tmpLoss[d] = e.Loss
		}
		lows[b]++
	}
	starts := s.starts
	clear(starts)
	for _, e := range tmp {
		starts[e.loan>>lowBits+1]++
	}
	for b := 1; b < len(starts); b++ {
		starts[b] += starts[b-1]
	}
	sorted := s.sorted[:len(events)]
	for k, e := range tmp {
		b := e.loan >> lowBits
		d := starts[b]
		sorted[d] = e
		if stochastic {
			s.sortedLoss[d] = s.tmpLoss[k]
		}
		starts[b]++
	}

	// Each default's loan and loan-year records are asked for a few
	// dozen defaults ahead (prefetchRecords), so that they are in cache
	// when booked: the loans a block defaults are ascending but far apart,
	// which the processor's own prefetcher does not follow.
	loans, loanSize := uintptr(unsafe.Pointer(unsafe.SliceData(L.loans))), unsafe.Sizeof(ledgerLoan{})
	years, yearsSize := uintptr(unsafe.Pointer(unsafe.SliceData(L.ly))), uintptr(H)*unsafe.Sizeof(loanYear{})
	if L.lys != nil {
		years, yearsSize = uintptr(unsafe.Pointer(unsafe.SliceData(L.lys))), uintptr(H)*unsafe.Sizeof(loanYearSplit{})
	}
	prefetchRecords(sorted[:min(prefetchAhead, len(sorted))], loans, loanSize, years, yearsSize)
	for k, be := range sorted {
		if a := k + prefetchAhead; k%prefetchBatch == 0 && a < len(sorted) {
			prefetchRecords(sorted[a:min(a+prefetchBatch, len(sorted))], loans, loanSize, years, yearsSize)
		}
		j, t := int(be.jt)/H, int(be.jt)%H
		i := int(be.loan)
		ll := &L.loans[i]
		g := int(ll.g)
		gys := s.blockGy[j*G*H : (j+1)*G*H]
		// The loan-year's record is read before booking the fees, so that
		// its cache miss overlaps the loan record's rather than following it.
		var claim, loss int64
		if L.lys != nil { // the split kept (small books)
			r := &L.lys[i*H+t]
			claim, loss = r.claim, r.loss
			r.parts(&s.nominal)
		} else {
			r := &L.ly[i*H+t]
			claim, loss = r.claim, r.loss
			L.split(&s.nominal, ll, claim)
		}
		L.bookDefault(gys, s.blockSubs[j*C*H:(j+1)*C*H], ll, g, t, be.u)
		nominal := s.nominal[:]
		if stochastic {
			loss = s.sortedLoss[k] // the path-year's loss
		}
		when := float64(t) + be.u + L.grace
		y := int(when)
		if y >= H {
			// Paid after the horizon: the ultimate loss at nominal parts.
			w := [NParties]float64{}
			for k := range NParties {
				w[k] = float64(nominal[k])
			}
			models.Allocate(s.parts[:], models.Cents(loss), w[:])
			partyLoss := res.PartyLoss[(p0+j)*NParties : (p0+j+1)*NParties]
			for k := range NParties {
				partyLoss[k] += int64(s.parts[k])
			}
			continue
		}
		c := int(ll.cty)
		cty := nominal[PartyCountyFund] // capped by the budget in closePath
		s.blockCty[j*C*H+c*H+y] += cty
		gp := &gys[g*H+y]
		gp.claims += claim
		gp.recover += claim - loss
		gp.paid[PartyBank] += nominal[PartyBank]
		gp.paid[PartyCountyFund] += cty
		gp.paid[PartyGuarantor] += nominal[PartyGuarantor]
		gp.regNominal += nominal[PartyReguarantor]
		gp.natNominal += nominal[PartyNationalFund]
		gp.compPaid += claim - nominal[PartyBank]
		gp.releasedComp += ll.gb
		if ll.eligible {
			gp.compElig += claim - nominal[PartyBank]
			gp.releasedCompEligLoan += ll.bal
		}
		if cty > 0 && L.budget[c] >= 0 {
			first := int32(0)
			if j > 0 {
				first = ends[j-1]
			}
			s.capped[first+s.nCapped[j]] = cappedClaim{when: when, loan: be.loan, cy: int32(c*H + y), gy: int32(g*H + y), nominal: cty}
			s.nCapped[j]++
		}
	}

	for j := range B {
		first := int32(0)
		if j > 0 {
			first = ends[j-1]
		}
		s.gy = s.blockGy[j*G*H : (j+1)*G*H]
		s.cty = s.blockCty[j*C*H : (j+1)*C*H]
		s.subs = s.blockSubs[j*C*H : (j+1)*C*H]
		if s.nCapped[j] > 0 {
			L.capBudgets(s, s.capped[first:first+s.nCapped[j]])
		}
		L.closePath(s, p0+j, res, lr.rows(s, p0+j))
		if s.spillW != nil {
			res.spill.put(s.spillW, p0+j)
		}
	}
}

// capBudgets caps the county funds' payments at their yearly budgets:
// claims are paid first come, first served (by payment time, then loan),
// and what a fund cannot pay falls back on the guarantor.
func (L *Ledger) capBudgets(s *ledgerScratch, claims []cappedClaim) {
	H := L.H
	for c := range L.Counties {
		for t := range H {
			s.budget[c*H+t] = L.budget[c]
		}
	}
	slices.SortFunc(claims, byPaymentTime)
	for _, ce := range claims {
		paid := min(ce.nominal, s.budget[ce.cy])
		s.budget[ce.cy] -= paid
		if over := ce.nominal - paid; over > 0 {
			s.cty[ce.cy] -= over
			gp := &s.gy[ce.gy]
			gp.paid[PartyCountyFund] -= over
			gp.paid[PartyGuarantor] += over
		}
	}
}

// closePath applies the year ends of path p (stop-loss caps, recoveries
// over the fixed or path p's random lags) and projects its balance sheets.
func (L *Ledger) closePath(s *ledgerScratch, p int, res *LedgerResult, rows pathRows) {
	H, G := L.H, len(L.Guarantors)
	partyLoss := res.PartyLoss[p*NParties : (p+1)*NParties]
	clear(s.recIn)
	if L.lag != nil {
		L.drawLags(s, p) // path p's own lag stream: the same in any block
	}
	// Year ends: stop-loss caps, recoveries, net assets, metrics.
	for g := range G {
		for y := range H {
			d, gp := &L.det[g*H+y], &s.gy[g*H+y]
			// Eligible loan principal released: the cap's basis.
			releasedElig := float64(d.maturedEligLoan - gp.adj.maturedEligLoan + gp.releasedCompEligLoan)
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
	L.project(s, p, res, rows)
}

// capAt returns min(nominal, round(limit)), or nominal when stop is 0 (no stop-loss).
func capAt(nominal int64, limit, stop float64) int64 {
	if stop <= 0 {
		return nominal
	}
	return min(nominal, roundFen(limit))
}

// split writes claim (of loan ll) split exactly in fen at the loan's
// nominal shares into dst: largest remainder, models.Allocate, from the
// shares' fractions computed once (Ledger.fracs). newLedger keeps it per
// loan-year on small books (Ledger.lys); booking calls it per default on
// large ones.
func (L *Ledger) split(dst *[NParties]int64, ll *ledgerLoan, claim int64) {
	var parts [NParties]models.Cents
	models.AllocateFractions(parts[:], models.Cents(claim), L.shares[ll.shares][:], L.fracs[ll.shares])
	for k, v := range parts {
		dst[k] = int64(v)
	}
}

// bookDefault records what the default of loan ll (of guarantor g) at
// year t + u changes in the guarantor's balances and fees from year t on.
// gy and subs are the path's guarantor-years and county fee subsidies.
// The years after the loan's maturity change nothing and are skipped.
func (L *Ledger) bookDefault(gy []gyPath, subs []int64, ll *ledgerLoan, g, t int, u float64) {
	H := L.H
	gb := float64(ll.gb)
	cty := int(ll.cty)
	for y := t; y < H; y++ {
		if y > t && ll.maturity <= float64(y) {
			break // matured before year y: nothing lost from y on
		}
		gp := &gy[g*H+y]
		var full float64
		var lostB, lostS, lostRe int64
		switch {
		case ll.from <= float64(y) && ll.maturity > float64(y):
			// Written by the start of year y and alive then (always so
			// after year t): alive all year, or until it matures in it
			// (aliveIn's min(maturity, y+1) − y, whose fees newLedger
			// kept in matB, matS, matRe).
			if ll.maturity >= float64(y+1) {
				full, lostB, lostS, lostRe = 1, ll.yearB, ll.yearS, ll.yearRe
			} else {
				full, lostB, lostS, lostRe = ll.maturity-float64(y), ll.matB, ll.matS, ll.matRe
			}
		default: // written during year y (or off the books): part of it at most
			if full = ll.aliveIn(y); full > 0 {
				lostB, lostS, lostRe = ll.feesFor(full)
			}
		}
		lostBase := gb * full
		if y == t { // fees accrued until the default are kept
			// kept = t + u − max(from, t), when positive, and its fees
			// (feesFor, written out: a call here costs more than its
			// roundings, for the registers saved around it).
			since := float64(t)
			if ll.from > since {
				since = ll.from
			}
			if kept := float64(t) + u - since; kept > 0 {
				lostB -= roundFen(ll.feeB * kept)
				lostS -= roundFen(ll.feeS * kept)
				lostRe -= roundFen(ll.reFee * kept)
				lostBase -= gb * kept
			}
		}
		gp.feeBLost += lostB
		gp.feeSLost += lostS
		subs[cty*H+y] += lostS
		gp.reFeeLost += lostRe
		gp.feeBaseLost += lostBase
		if ll.maturity > float64(y) { // alive in year y, as it was at t
			gp.adj.add(ll, y)
		}
	}
}
