package sim

import (
	"cmp"
	"container/heap"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/wenzhou/danbao/models"
)

// Model is a portfolio and a scenario compiled for simulation: per loan and
// year the default threshold and the loss in fen, the factor loadings of
// each cell, and the fast sampler's cells and PD bands. It is read-only
// after Compile and safe for concurrent use.
type Model struct {
	Horizon    int      // years
	Industries []string // industry factor k ↔ Industries[k] (sorted)
	Counties   []string // county factor j ↔ Counties[j] (sorted)

	// Loans are the portfolio's loans followed by the new business of
	// Scenario.Growth; start[i] is the year (0-based) loan i is written in,
	// from[i] the time it is written (0 for the portfolio's loans; a
	// renewal at the maturity of the loan it replaces, growth at the start
	// of its year). Simulate releases them (nil) once the model has read
	// them (compile): the ledger reads the snapshot's loans through src,
	// and the run and its document need only segs.
	Loans []models.Loan
	// src[i] is the snapshot loan (index into the portfolio's loans) that
	// loan i copies: i itself for the portfolio's loans, the loan it
	// renews or copies for new business, which differs from it only in
	// its LoanID, BorrowerID and dates.
	src   []int32
	start []int8
	from  []float64

	n        int
	loadings []loading // per cell
	loanCell []int32   // [t*n + i] → cell of loan i in year t
	thr      []float64 // [t*n + i] default threshold Φ⁻¹(pd_t) (or t_ν⁻¹)
	loss     []int64   // [t*n + i] ultimate loss EAD × lgd_t, fen
	claim    []int64   // [t*n + i] claim EAD_t (principal + normal interest), fen
	maturity []float64 // [i] years from the snapshot date; +Inf if none
	years    []yearPlan
	factors  factorModel
	lgd      *lgdModel // stochastic LGD (lgd.go); nil when model.lgd is off
	copulaT  bool
	nu       float64
	chains   *chains // the links between borrowers; nil when none (contagion.go)
	segs     loanSegments
	uplift   *uplift // model.contagion.pd_uplift (contagion_uplift.go); nil when off or without links
	// chainSegs is each loan's guarantee chain for the ES contributions
	// (chain_contrib.go), kept apart from Loans like segs; nil without links.
	chainSegs *contribSegments
}

// loading is the factor loadings of a cell of loans:
// X = m·M + i·I_k + c·C_j + σ·ε with m = √a_m, i = √a_i, c = √a_c, σ = √(1 − Σa).
type loading struct {
	m, i, c, sigma float64
	ind, cty       int32
}

// yearPlan lists, for one year, the loans that may still default (not
// matured before the year starts) grouped for both samplers.
type yearPlan struct {
	alive []int32 // dense sampler: loan indices, in portfolio order
	cells []cellPlan
	bands []band
	// members of the bands, contiguous per band; parallel arrays so that the
	// fast sampler's inner loop reads memory in order.
	member     []int32
	memberThr  []float64
	memberMat  []float64
	memberFrom []float64
	memberLoss []int64
	// With guarantee chains, the members that are roots (contagion.go):
	// member k is one iff bit k%64 of rootBits[k/64] is set, and its record
	// is roots[rank + set bits below k], in member order.
	rootBits []rootWord
	roots    []rootYear
}

type cellPlan struct {
	load           int32 // index into Model.loadings
	bandLo, bandHi int32 // bands[bandLo:bandHi]
}

// band is a run of members with thresholds in (thr − log(BandRatio), thr]
// in PD terms: every member's PD is within a factor BandRatio of the band's
// largest. wholeYear is true when
// every member is on the books for the whole year (written by its start,
// maturing at or after its end), so no default time can fall outside a
// member's life.
type band struct {
	lo, hi    int32
	thr       float64 // the largest member threshold (the band's upper PD)
	wholeYear bool
}

// bandRatio is the widest ratio between the largest and the smallest PD of
// one band of the fast sampler. Exactness does not depend on it (thinning
// corrects any ratio); speed does: a candidate is accepted with probability
// ≥ about 1/bandRatio. Narrower bands mean fewer rejected candidates and
// more bands. Since a band costs little (one table lookup per path-year,
// no draw) 1.3 is fastest: fast kernel on the peers' portfolio, µs per
// path, 1.1: 8.6, 1.15: 8.5, 1.3: 8.5, 1.45: 8.6, 1.6: 9.0, 1.8: 9.1
// (`go test ./sim -run '^$' -bench FastKernel -benchtime 100000x -count 3`).
const bandRatio = 1.3

// N returns the number of loans.
func (m *Model) N() int { return m.n }

// Cells returns the number of cells (distinct factor loadings).
func (m *Model) Cells() int { return len(m.loadings) }

// Bands returns the number of PD bands of year t (0-based).
func (m *Model) Bands(t int) int { return len(m.years[t].bands) }

// LossFen returns loan i's ultimate loss in year t (0-based) if it defaults, in fen.
func (m *Model) LossFen(t, i int) int64 { return m.loss[t*m.n+i] }

// ClaimFen returns loan i's claim in year t (0-based) if it defaults, in
// fen: EAD, principal plus normal interest to the claim date. The
// recovery on it is ClaimFen − LossFen.
func (m *Model) ClaimFen(t, i int) int64 { return m.claim[t*m.n+i] }

// Compile prepares pf under sc for simulation. pf must have passed
// Validate; sc must have passed Validate.
//
// Per loan i and year t:
//
//	pd_t   = min(pd × Π multipliers of the shocks selecting i in year t, models.MaxPD)
//	lgd_t  = clamp(1 − (1 − lgd)·recovery.scale + Σ LGD add-ons, 0, 1)
//	EAD_t  = balance × (1 + r_t × grace_days/365)   (normal interest to the
//	         claim date when policy.interest_in_scope; r_t = interest_rate
//	         plus the interest add-ons of year t)
//	loss_t = round(EAD × lgd_t) fen
//	thr_t  = Φ⁻¹(pd_t), or t_ν⁻¹(pd_t) under the t copula
//
// Maturity is measured in years of 365 days from pf.AsOf; a loan without a
// maturity date, or in a snapshot without AsOf, lives beyond the horizon.
// New business (Scenario.Growth: renewals and growth) is appended to the
// loans; see withNewBusiness.
func Compile(pf *models.Portfolio, sc *models.Scenario) (*Model, error) {
	return compile(pf, sc, false)
}

// compile is Compile; with releaseLoans (a caller that needs only the
// document: Simulate) the model's loans are released (Model.Loans nil) as
// soon as the model has read them, before the year plans: the compile's
// peak of memory is then the loans with the per loan-year arrays, not the
// loans with the whole model and the ledger. After Compile only the
// reverse stress (reverse.go) reads Model.Loans; the ledger reads the
// portfolio's loans through Model.src.
func compile(pf *models.Portfolio, sc *models.Scenario, releaseLoans bool) (*Model, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	H := sc.HorizonYears
	loans, src, start, from, maturity := withNewBusiness(pf, sc)
	n := len(loans)
	m := &Model{Horizon: H, n: n, copulaT: sc.Model.Copula == models.CopulaT, nu: sc.Model.TDof, src: src, start: start, Loans: loans,
		from: from, maturity: maturity}

	m.Industries = uniqueSorted(loans, func(l *models.Loan) string { return l.Industry })
	m.Counties = uniqueSorted(loans, func(l *models.Loan) string { return l.County })
	indIdx := indexOf(m.Industries)
	ctyIdx := indexOf(m.Counties)

	// Factors.
	f := &m.factors
	f.nInd, f.nCty, f.phi, f.horizon = len(m.Industries), len(m.Counties), sc.Model.Persistence, H
	var err error
	if f.cholInd, err = choleskyOf("model.industry_correlation", sc.Model.IndustryCorrelation, m.Industries); err != nil {
		return nil, err
	}
	if f.cholCty, err = choleskyOf("model.county_correlation", sc.Model.CountyCorrelation, m.Counties); err != nil {
		return nil, err
	}
	f.shiftMacro = make([]float64, H)
	f.shiftInd = make([]float64, H*f.nInd)
	f.shiftCty = make([]float64, H*f.nCty)
	for si, sh := range sc.Shocks {
		if sh.Factor == "" || sh.Shift == 0 {
			continue
		}
		for t := range H {
			if !sh.AppliesIn(t + 1) {
				continue
			}
			switch kind, name, _ := models.ParseFactor(sh.Factor); kind {
			case models.FactorMacro:
				f.shiftMacro[t] += sh.Shift
			case models.FactorIndustry:
				if k, ok := indIdx[name]; ok {
					f.shiftInd[t*f.nInd+k] += sh.Shift
				}
			case models.FactorCounty:
				if j, ok := ctyIdx[name]; ok {
					f.shiftCty[t*f.nCty+j] += sh.Shift
				}
			default:
				return nil, fmt.Errorf("%w: shocks[%d].factor %q", models.ErrInvalid, si, sh.Factor)
			}
		}
	}

	property := addEconomyShifts(f, &sc.Economy, m.Industries, m.Counties)

	// Cells: one per distinct (industry, county, R² weights); a correlation
	// stress (shock r2_multiplier) can move a loan to another cell in the
	// years it acts.
	type cellKey struct {
		ind, cty int32
		r2       models.R2
	}
	cellOf := map[cellKey]int32{}
	m.loanCell = make([]int32, H*n)
	for i := range loans {
		l := &loans[i]
		base := sc.Model.R2
		if s, ok := sc.Model.R2BySegment[l.Segment]; ok {
			base = s
		}
		for t := range H {
			r2 := base
			for _, sh := range sc.Shocks {
				if sh.R2Multiplier != 0 && sh.AppliesIn(t+1) && sh.Where.Matches(l) {
					r2 = models.R2{Macro: r2.Macro * sh.R2Multiplier, Industry: r2.Industry * sh.R2Multiplier, County: r2.County * sh.R2Multiplier}
				}
			}
			key := cellKey{int32(indIdx[l.Industry]), int32(ctyIdx[l.County]), r2}
			c, ok := cellOf[key]
			if !ok {
				c = int32(len(m.loadings))
				cellOf[key] = c
				m.loadings = append(m.loadings, loading{
					m: math.Sqrt(r2.Macro), i: math.Sqrt(r2.Industry), c: math.Sqrt(r2.County),
					sigma: math.Sqrt(1 - r2.Sum()), ind: key.ind, cty: key.cty,
				})
			}
			m.loanCell[t*n+i] = c
		}
	}

	// Per loan and year: thresholds and losses.
	m.thr = make([]float64, H*n)
	m.loss = make([]int64, H*n)
	m.claim = make([]int64, H*n)
	interestYears := 0.0
	if sc.Policy.InterestInScope {
		interestYears = float64(sc.Policy.GraceDays) / 365
	}
	quantile := PhiInv
	if m.copulaT {
		nu := m.nu
		quantile = func(p float64) float64 { return studentTInv(p, nu) }
	}
	thrCache := map[float64]float64{}
	var mu []float64 // [t*n + i] lgd_t, kept for the stochastic LGD
	if sc.Model.LGD.On() {
		mu = make([]float64, H*n)
	}
	for i := range loans {
		l := &loans[i]
		baseLGD := 1 - (1-l.LGD)*sc.Recovery.Scale
		for t := range H {
			pd, lgd, rate := l.PD, baseLGD, l.InterestRate
			for _, sh := range sc.Shocks {
				if !sh.AppliesIn(t+1) || !sh.Where.Matches(l) {
					continue
				}
				if sh.PDMultiplier != 0 {
					pd *= sh.PDMultiplier
				}
				lgd += sh.LGDAddOn
				rate += sh.InterestRateAddOn
			}
			ead := float64(l.Balance) * (1 + max(rate, 0)*interestYears)
			pd = min(pd, models.MaxPD)
			lgd = min(max(lgd, 0), 1)
			th, ok := thrCache[pd]
			if !ok {
				th = quantile(pd)
				thrCache[pd] = th
			}
			m.thr[t*n+i] = th
			m.loss[t*n+i] = int64(math.Round(ead * lgd))
			m.claim[t*n+i] = int64(math.Round(ead))
			if mu != nil {
				mu[t*n+i] = lgd
			}
		}
	}
	if mu != nil {
		m.lgd = compileLGD(m, sc.Model.LGD, mu, property)
	}
	m.chains = compileChains(m, pf.Links, pf)
	m.segs = newLoanSegments(loans)
	m.uplift = compileUplift(m, sc.Model.Contagion)
	if m.chains != nil {
		m.chainSegs = m.chainSegments()
	}
	if releaseLoans {
		// Nothing below reads the loans. On a large book, collect now, so
		// that the year plans (and the ledger, and the run's blocks) reuse
		// the loans' memory and the compile's garbage rather than growing
		// the heap (a small book is not worth a collection).
		large := n >= gcAfterCompileLoans
		m.Loans, loans = nil, nil
		if large {
			runtime.GC()
		}
	}
	m.years = make([]yearPlan, H)
	for t := range H {
		m.years[t] = m.planYear(t)
	}
	if m.chains != nil {
		m.chains.planRoots(m, m.years)
	}
	return m, nil
}

// planYear groups the loans alive at the start of year t by cell, and within
// a cell into PD bands of ratio at most BandRatio.
func (m *Model) planYear(t int) yearPlan {
	var y yearPlan
	start := float64(t)
	byCell := make([][]int32, len(m.loadings))
	cells := m.loanCell[t*m.n : (t+1)*m.n]
	for i := range m.n {
		if m.maturity[i] <= start || int(m.start[i]) > t {
			continue // matured before the year starts, or not yet written
		}
		y.alive = append(y.alive, int32(i))
		byCell[cells[i]] = append(byCell[cells[i]], int32(i))
	}
	thr := m.thr[t*m.n : (t+1)*m.n]
	y.member = make([]int32, 0, len(y.alive))
	y.memberThr = make([]float64, 0, len(y.alive))
	y.memberMat = make([]float64, 0, len(y.alive))
	y.memberFrom = make([]float64, 0, len(y.alive))
	y.memberLoss = make([]int64, 0, len(y.alive))
	type byThr struct {
		thr  float64
		loan int32
	}
	var sorted []byThr
	for c, loans := range byCell {
		if len(loans) == 0 {
			continue
		}
		// Highest threshold (PD) first; ties in portfolio order.
		sorted = sorted[:0]
		for _, i := range loans {
			sorted = append(sorted, byThr{thr[i], i})
		}
		slices.SortFunc(sorted, func(a, b byThr) int {
			if c := cmp.Compare(b.thr, a.thr); c != 0 {
				return c
			}
			return cmp.Compare(a.loan, b.loan)
		})
		cp := cellPlan{load: int32(c), bandLo: int32(len(y.bands))}
		for k := 0; k < len(sorted); {
			top := sorted[k].thr
			// The band takes the members with PD ≥ PD(top)/BandRatio, that
			// is with threshold ≥ cut (thresholds are increasing in PD).
			cut := m.thrOf(m.pdOf(top) / bandRatio)
			b := band{lo: int32(len(y.member)), thr: top, wholeYear: true}
			for ; k < len(sorted) && (sorted[k].thr >= cut || sorted[k].thr == top); k++ {
				i := sorted[k].loan
				b.wholeYear = b.wholeYear && m.from[i] <= start && m.maturity[i] >= start+1
				y.member = append(y.member, i)
				y.memberThr = append(y.memberThr, thr[i])
				y.memberMat = append(y.memberMat, m.maturity[i])
				y.memberFrom = append(y.memberFrom, m.from[i])
				y.memberLoss = append(y.memberLoss, m.loss[t*m.n+int(i)])
			}
			b.hi = int32(len(y.member))
			y.bands = append(y.bands, b)
		}
		cp.bandHi = int32(len(y.bands))
		y.cells = append(y.cells, cp)
	}
	return y
}

// thrOf maps a PD to its threshold (for banding only).
func (m *Model) thrOf(pd float64) float64 {
	if m.copulaT {
		return studentTInv(pd, m.nu)
	}
	return PhiInv(pd)
}

// pdOf maps a threshold back to its PD (for banding only).
func (m *Model) pdOf(thr float64) float64 {
	if m.copulaT {
		return studentTCDF(thr, m.nu)
	}
	return Phi(thr)
}

func uniqueSorted(loans []models.Loan, key func(*models.Loan) string) []string {
	seen := map[string]bool{}
	var out []string
	for i := range loans {
		k := key(&loans[i])
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func indexOf(names []string) map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i
	}
	return m
}

// withNewBusiness returns the portfolio's loans followed by the new loans
// of Scenario.Growth, with per loan the year it is written in (0-based),
// the time it is written and its maturity, in years from the snapshot
// (+Inf: beyond the horizon). Each guarantor's live book is
//
//	B(t) = B_0·(1 + rate)^⌊t⌋
//
// with B_0 its balance alive in the snapshot: constant within a year, with
// no overlap between a loan and the one replacing it. Two kinds of loan
// are written:
//
//   - A renewal replaces a loan maturing at τ inside the horizon, at τ: a
//     copy of it (same borrower, balance and profile) for the same term.
//     A renewal maturing inside the horizon is renewed in turn. So a loan
//     alive for a share f of a year and its renewal for 1 − f together
//     carry the loan's pd over the whole year, and year-1 defaults have
//     mean Σ pd of the book.
//   - Growth: at the start of year t ≥ 1 (time t) the guarantor writes
//     B_0·((1+rate)^t − (1+rate)^(t−1)) of new loans, copies of its own
//     loans drawn by a fixed hash of (guarantor, year, k), new borrowers,
//     each with the term of the loan it copies.
//
// A negative rate writes no growth and leaves unrenewed, in maturity order,
// the first loans maturing in year t−1 until B_0·((1+rate)^(t−1) − (1+rate)^t)
// has run off (approximately: the loan that crosses the amount is the last
// one left unrenewed). A loan's term is maturity − start, at least half a
// year, or growth.term_years when either date is missing.
//
// src[i] is the portfolio loan that loan i copies (i for the portfolio's own).
func withNewBusiness(pf *models.Portfolio, sc *models.Scenario) (loans []models.Loan, src []int32, start []int8, from, maturity []float64) {
	loans = pf.Loans
	n0 := len(loans)
	H := sc.HorizonYears
	src, start, from, maturity = make([]int32, n0), make([]int8, n0), make([]float64, n0), make([]float64, n0)
	for i := range loans {
		src[i] = int32(i)
		maturity[i] = math.Inf(1)
		if !pf.AsOf.IsZero() && !loans[i].MaturityDate.IsZero() {
			maturity[i] = loans[i].MaturityDate.YearsSince(pf.AsOf)
		}
	}
	if sc.Growth.RunOff || n0 == 0 {
		return loans, src, start, from, maturity
	}
	// Room for the new business up front (BookLoans' estimate; append
	// grows it if more is written): growing by doubling would hold two
	// copies of the book at once, the compile's peak of memory.
	est := int(min(BookLoans(n0, sc), int64(4*n0+1024)))
	loans = append(make([]models.Loan, 0, est), loans...)
	src, start = append(make([]int32, 0, est), src...), append(make([]int8, 0, est), start...)
	from, maturity = append(make([]float64, 0, est), from...), append(make([]float64, 0, est), maturity...)
	term := make([]float64, n0, est)
	for i := range term {
		term[i] = termOf(&loans[i], sc.Growth.TermYears)
	}
	add := func(l models.Loan, of int32, at, tm float64) int {
		loans = append(loans, l)
		src = append(src, of)
		start = append(start, int8(min(math.Floor(at), float64(H-1))))
		from = append(from, at)
		maturity = append(maturity, at+tm)
		term = append(term, tm)
		return len(loans) - 1
	}
	byG := map[string][]int{}
	var order []string
	for i := range pf.Loans {
		g := pf.Loans[i].GuarantorID
		if _, ok := byG[g]; !ok {
			order = append(order, g)
		}
		byG[g] = append(byG[g], i)
	}
	rate := sc.Growth.Rate
	for gi, g := range order {
		pool := byG[g]
		var b0 float64
		for _, i := range pool {
			if maturity[i] > 0 {
				b0 += float64(pf.Loans[i].Balance)
			}
		}
		mine := slices.Clone(pool)
		// Growth: new borrowers at the start of each year.
		for t := 1; t < H && rate > 0; t++ {
			want := models.Cents(math.Round(b0 * (math.Pow(1+rate, float64(t)) - math.Pow(1+rate, float64(t-1)))))
			var written models.Cents
			for k := uint64(0); written < want; k++ {
				h := mix64(uint64(gi)<<40 ^ uint64(t)<<32 ^ k)
				of := pool[h%uint64(len(pool))]
				l := pf.Loans[of]
				tm := termOf(&l, sc.Growth.TermYears)
				l.LoanID = fmt.Sprintf("%s+y%d-%d", l.LoanID, t+1, k)
				l.BorrowerID = l.LoanID // a new borrower
				l.MaturityDate, l.StartDate = 0, 0
				mine = append(mine, add(l, int32(of), float64(t), tm))
				written += l.Balance
			}
		}
		// Renewals, in maturity order (ties by index), each at the maturity
		// of the loan it replaces; a renewal maturing within the horizon
		// joins the queue.
		var due renewalQueue
		for _, i := range mine {
			if maturity[i] > 0 && maturity[i] < float64(H) {
				due = append(due, renewal{maturity[i], i})
			}
		}
		heap.Init(&due)
		runOff := make([]float64, H) // volume left unrenewed in year t under a negative rate
		if rate < 0 {
			for t := range H - 1 {
				runOff[t] = b0 * (math.Pow(1+rate, float64(t)) - math.Pow(1+rate, float64(t+1)))
			}
		}
		for len(due) > 0 {
			i := heap.Pop(&due).(renewal).loan
			if y := int(maturity[i]); runOff[y] > 0 {
				runOff[y] -= float64(loans[i].Balance)
				continue
			}
			r := loans[i]
			r.LoanID = renewalID(r.LoanID)
			r.MaturityDate, r.StartDate = 0, 0
			j := add(r, src[i], maturity[i], term[i])
			if maturity[j] < float64(H) {
				heap.Push(&due, renewal{maturity[j], j})
			}
		}
	}
	return loans, src, start, from, maturity
}

// renewal is a loan due for renewal: its maturity (years from the
// snapshot date) and its index in the book.
type renewal struct {
	maturity float64
	loan     int
}

// renewalQueue is a binary min-heap (container/heap) of renewals ordered by
// maturity, then index: the order in which withNewBusiness renews them. A
// sorted slice with an insertion per renewal cost O(n) a renewal, which on
// a 1M-loan book was most of the compile.
type renewalQueue []renewal

func (q renewalQueue) Len() int { return len(q) }
func (q renewalQueue) Less(a, b int) bool {
	if q[a].maturity != q[b].maturity {
		return q[a].maturity < q[b].maturity
	}
	return q[a].loan < q[b].loan
}
func (q renewalQueue) Swap(a, b int) { q[a], q[b] = q[b], q[a] }
func (q *renewalQueue) Push(x any)   { *q = append(*q, x.(renewal)) }
func (q *renewalQueue) Pop() any {
	old := *q
	r := old[len(old)-1]
	*q = old[:len(old)-1]
	return r
}

// renewalID names the renewal of a loan: "L1" → "L1+r1", "L1+r1" → "L1+r2".
func renewalID(id string) string {
	if k := strings.LastIndex(id, "+r"); k >= 0 {
		if n, err := strconv.Atoi(id[k+2:]); err == nil {
			return id[:k] + "+r" + strconv.Itoa(n+1)
		}
	}
	return id + "+r1"
}

// termOf returns the contractual term of l in years (maturity − start, at
// least half a year), or def when l lacks either date.
func termOf(l *models.Loan, def int) float64 {
	if l.StartDate.IsZero() || l.MaturityDate.IsZero() {
		return float64(def)
	}
	return max(0.5, l.MaturityDate.YearsSince(l.StartDate))
}

// mix64 is SplitMix64's finaliser: a bijective hash of 64-bit integers.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
