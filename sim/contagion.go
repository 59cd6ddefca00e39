package sim

import (
	"cmp"
	"math"
	"math/bits"
	"slices"

	"github.com/wenzhou/danbao/models"
)

// chains is the compiled links table of a portfolio (互保/联保; see
// docs/chains.md): the firms in any link, their loans, the links into each
// firm (the firms that guarantee it) and each firm's capacity. Read-only
// after compileChains.
//
// Contagion within path-year t, after the sampler has drawn the year's
// direct defaults: the direct defaults whose borrower has guarantors are
// taken in time order (ties by loan). A default of debt D (the claim EAD_t
// of the loans that defaulted) calls each firm h that guarantees the
// defaulter for c = min(amount − called so far on that link this year, D).
// A firm whose calls this year exceed its capacity this year,
//
//	Σ c > capacity_h × exp(S − R²/2)   (see setCellMult; capacity_h by
//	default DefaultCapacityMultiple × h's own balance),
//
// defaults at the time of the call: each of its loans alive then and not
// yet defaulted defaults (a contagion default), and their debt calls h's
// own guarantors in turn, breadth first, until no call topples a firm. A
// firm topples at most once a year, and a firm with a direct default is
// down from its time on (a call on it topples nothing), so cycles
// terminate. A loan that defaults directly in the year stays a direct default even if its firm is
// toppled earlier in that year: the first year's direct defaults are
// exactly those of the run without links, path by path (later years differ
// because loans toppled before are no longer drawn).
type chains struct {
	// The roots: the loans whose firm some firm guarantees. Loan i is one
	// iff bit i%64 of rootBits[i/64].bits is set; it is then root number
	// r = rootBits[i/64].rank + (set bits of rootBits[i/64].bits below i),
	// and rootFirm[r] is its firm. The bits and their rank share a word (16
	// bytes per 64 loans). The fast sampler does not use them: it finds a
	// year's roots by member (yearPlan.rootBits, chainRoots).
	rootBits []rootWord
	rootFirm []int32  // [r]
	inLo     []int32  // the links into f (f's guarantors) are [inLo[f], inLo[f+1])
	in       []inLink // [link], by the firm guaranteed
	// firms[f] is firm f's borrower. Firms are numbered chain by chain
	// (numberFirms); public[f] is f's public number (Cascade.RootFirm),
	// byPublic the inverse.
	firms            []string
	public, byPublic []int32
	// The loans of firm f that may be alive in year t (written in year t or
	// before, maturing at t or later), in loan order, packed for the topple
	// loop with their claim and loss of year t:
	// yearLoans[yearLo[t*(F+1)+f] : yearLo[t*(F+1)+f+1]].
	yearLo    []int32
	yearLoans []yearLoan
	// firmCell[t*F + f] is the cell of firm f's first loan in year t; nil
	// when every firm is in one cell in every year (no correlation stress
	// moves it), and then inLink.cell gives it.
	firmCell []int32
	halfR2   []float64 // [cell] R²/2 of the cell
}

// inLink is a link into a firm: its guarantor from, the amount (fen), and
// what a call needs of from, so that it reads one record: from's
// capacity in an average year (fen) and its cell (when c.firmCell is nil).
type inLink struct {
	from     int32
	cell     int32
	amount   int64
	capacity int64
	outTotal int64 // the amounts of all from's links out: the most it can be called for in a year, fen
}

// yearLoan is a loan of a firm in a link in a year, as the topple loop
// reads it: when it lives, and its claim and ultimate loss that year, fen.
type yearLoan struct {
	i           int32
	from, mat   float64
	claim, loss int64
}

// rootWord is rootBits' entry for 64 loans: the roots among them (bit
// i%64 for loan i) and the number of roots before them.
type rootWord struct {
	bits uint64
	rank int32
}

// rootYear is a root's firm, the range of the firm's links in (c.in's
// and the worker's links) and the root's claim in a year, fen: what its
// cascade starts from, in one record, so that the cascade need not read
// the firm's state first (yearPlan.roots).
type rootYear struct {
	claim    int64
	firm     int32
	in0, in1 int32
}

// compileChains compiles pf.Links for m; nil when there are none, so that a
// run without links does exactly what it did before links existed.
func compileChains(m *Model, links []models.Link, pf *models.Portfolio) *chains {
	if len(links) == 0 {
		return nil
	}
	c := &chains{}
	idx := c.numberFirms(links) // borrower → firm
	F := len(c.firms)
	// Own balance (the snapshot's loans) and capacity.
	own := make([]float64, F)
	for i := range pf.Loans {
		if f, ok := idx[borrowerOf(&pf.Loans[i])]; ok {
			own[f] += float64(pf.Loans[i].Balance)
		}
	}
	capacity := make([]int64, F) // [firm] calls it can pay within a year in an average year, fen
	for f := range F {
		capacity[f] = int64(math.Round(models.DefaultCapacityMultiple * own[f]))
	}
	for i := range links {
		if links[i].Capacity >= 0 {
			capacity[idx[links[i].From]] = int64(links[i].Capacity)
		}
	}
	// Loans per firm (the book and its renewals), in loan order.
	firmOf := make([]int32, m.n) // [loan] its firm, or −1 when the borrower is in no link
	count := make([]int32, F+1)
	for i := range m.n {
		f, ok := idx[borrowerOf(&m.Loans[i])]
		if !ok {
			f = -1
		} else {
			count[f+1]++
		}
		firmOf[i] = f
	}
	loansLo := prefix(count) // firm f's loans are firmLoans[loansLo[f]:loansLo[f+1]]
	firmLoans := make([]int32, loansLo[F])
	next := slices.Clone(loansLo[:F])
	for i, f := range firmOf {
		if f >= 0 {
			firmLoans[next[f]] = int32(i)
			next[f]++
		}
	}
	H := m.Horizon
	c.yearLo = make([]int32, 0, H*(F+1))
	for t := range H {
		for f := range F {
			c.yearLo = append(c.yearLo, int32(len(c.yearLoans)))
			for _, i := range firmLoans[loansLo[f]:loansLo[f+1]] {
				if int(m.start[i]) <= t && m.maturity[i] >= float64(t) {
					c.yearLoans = append(c.yearLoans, yearLoan{i: i, from: m.from[i], mat: m.maturity[i],
						claim: m.claim[t*m.n+int(i)], loss: m.loss[t*m.n+int(i)]})
				}
			}
		}
		c.yearLo = append(c.yearLo, int32(len(c.yearLoans)))
	}
	c.firmCell = make([]int32, H*F)
	moves := false // some firm's cell differs between years
	for f := range F {
		if loansLo[f+1] > loansLo[f] {
			i := int(firmLoans[loansLo[f]])
			for t := range H {
				c.firmCell[t*F+f] = m.loanCell[t*m.n+i]
				moves = moves || c.firmCell[t*F+f] != c.firmCell[f]
			}
		}
	}
	c.halfR2 = make([]float64, len(m.loadings))
	for k, ld := range m.loadings {
		c.halfR2[k] = (1 - ld.sigma*ld.sigma) / 2
	}
	// Links by the firm they guarantee, in file order.
	count = make([]int32, F+1)
	for i := range links {
		count[idx[links[i].To]+1]++
	}
	c.inLo = prefix(count)
	c.in = make([]inLink, len(links))
	next = slices.Clone(c.inLo[:F])
	for i := range links {
		to := idx[links[i].To]
		from := idx[links[i].From]
		c.in[next[to]] = inLink{from: from, cell: c.firmCell[from], amount: int64(links[i].Amount), capacity: capacity[from]}
		next[to]++
	}
	outTotal := make([]int64, F)
	for i := range links {
		outTotal[idx[links[i].From]] += int64(links[i].Amount)
	}
	for l := range c.in {
		c.in[l].outTotal = outTotal[c.in[l].from]
	}
	if !moves {
		c.firmCell = nil
	}
	c.rootBits = make([]rootWord, (m.n+63)/64)
	var rootFirm []int32
	for i, f := range firmOf {
		if f >= 0 && c.inLo[f+1] > c.inLo[f] {
			c.rootBits[i/64].bits |= 1 << (i % 64)
			rootFirm = append(rootFirm, f)
		}
	}
	rankBits(c.rootBits)
	c.rootFirm = rootFirm
	return c
}

// borrowerOf is the loan's borrower: its BorrowerID, or its LoanID when it
// has none.
func borrowerOf(l *models.Loan) string {
	if l.BorrowerID == "" {
		return l.LoanID
	}
	return l.BorrowerID
}

// prefix turns counts (count[f+1] = size of f) into offsets in place.
func prefix(count []int32) []int32 {
	for f := 1; f < len(count); f++ {
		count[f] += count[f-1]
	}
	return count
}

// rootIndex returns loan i's root number, or −1 when no firm guarantees
// its borrower.
func (c *chains) rootIndex(i int32) int32 {
	rw, b := &c.rootBits[i/64], uint(i%64)
	if rw.bits&(1<<b) == 0 {
		return -1
	}
	return rw.rank + int32(bits.OnesCount64(rw.bits&(1<<b-1)))
}

// setCellMult sets cell's capacity multiplier for the path-year being
// drawn. A guarantor h's capacity moves with the systematic part S of its
// cell's latent variable (its first loan's cell),
//
//	capacity_t = capacity × exp(S − R²/2),   S ~ N(0, R²) without shocks,
//
// a lognormal multiplier of mean 1: firms of a cluster in a bad year (S
// low, when their own defaults are many) can pay less of their calls. The
// contagion step computes capacity_t, rounded to the fen, at each call,
// and sets the cell's multiplier at its first use in the path-year
// (cellStamp).
//
//go:noinline
func (s *chainScratch) setCellMult(w *worker, cell int32) {
	s.cellStamp[cell] = s.stamp
	s.cellMult[cell] = math.Exp(w.sys[cell] - s.halfR2[cell])
}

// chainScratch is a worker's contagion state; its slices are cleared
// through the touched lists, so a year costs what its calls cost.
//
// A year's contagion starts with none of its data in cache (the sampler's
// have replaced them), and its reads, each depending on the one before,
// wait for memory one after the other. So what a call reads is laid out
// to take few cache lines: a firm's state holds the range of its links in,
// and each link its used amount next to its guarantor's number, amount
// and capacity (the worker's copy of chains.in); the firms of a chain, and
// their links, are next to each other (numberFirms).
type chainScratch struct {
	firm     []firmState // [firm] this year's calls, capacity and state, and its links in
	links    []linkState // [link] chains.in and what was called on it this year
	firmsHit []int32     // firms with called > 0 or down (repeats allowed)
	linksHit []int32     // links with used > 0
	roots    []rootKey   // this year's direct events with guarantors, by time once sorted
	// rootsTo is where the fast sampler's root collection stopped: the
	// events w.events[:rootsTo] of this year are in roots already.
	rootsTo int
	// rootsPlan is how many roots the fast sampler collected: roots[:rootsPlan]
	// hold their time and loan, and in firm their number in the year plan's
	// roots, until fillRoots reads the rest.
	rootsPlan int
	sortTmp   []rootKey // sortRoots' buffer
	buckets   []int32   // sortRoots' bucket offsets
	// cellMult[c] is exp(S_c − R²_c/2) of this path-year, valid when
	// cellStamp[c] == stamp (one stamp per path-year).
	cellMult  []float64
	cellStamp []uint64
	halfR2    []float64 // chains.halfR2
	stamp     uint64
	queue     []call
	contLoss  []int64   // [t] contagion loss, fen
	contDef   []int32   // [t] contagion defaults
	cascades  []Cascade // the worker's largest, best first (byLargest), at most MaxCascades
	path      uint64    // the path being drawn
	addrs     []uintptr // warm's prefetch addresses
}

// firmState is a firm's contagion state in the current path-year, and
// where its links in are: links[in0:in1] (24 bytes).
type firmState struct {
	called   int64 // calls this year, fen
	capT     int64 // capacity this year (set at its first call), fen; firmDown when in default
	in0, in1 int32
}

// linkState is a link into a firm and what was called on it this year.
type linkState struct {
	inLink
	used int64 // fen
}

// firmDown is firmState.capT of a firm toppled, or in direct default, this
// year (a capacity is never negative).
const firmDown = -1

func (fs *firmState) down() bool { return fs.capT == firmDown }

// rootKey is a direct default that calls guarantors: its time, loan, the
// loan's firm, the firm's links in [in0, in1) and the loan's claim that
// year (fen). They are read as the year's events are scanned, where the
// reads of successive events overlap, rather than one by one in the
// cascade loop.
type rootKey struct {
	time     float64
	claim    int64
	loan     int32
	firm     int32
	in0, in1 int32
}

// before orders roots by time, then loan.
func (a *rootKey) before(b *rootKey) bool {
	return a.time < b.time || a.time == b.time && a.loan < b.loan
}

// sortRoots sorts s.roots by time, then loan (before) in linear
// expected time: the times are in [0, 1) and close to uniform, so a
// counting sort into len(roots) buckets of ⌊time·len⌋ (monotone in time)
// leaves each root among a few others of its bucket, which an insertion
// sort then orders. The result is the one order before defines.
func (s *chainScratch) sortRoots() {
	n := len(s.roots)
	if n < 32 {
		insertionSort(s.roots)
		return
	}
	if cap(s.buckets) < n+1 {
		s.buckets = make([]int32, n+n/4+1)
		s.sortTmp = make([]rootKey, n+n/4)
	}
	count, tmp := s.buckets[:n+1], s.sortTmp[:n]
	clear(count)
	bucket := func(x float64) int { return min(max(int(x*float64(n)), 0), n-1) }
	for _, r := range s.roots {
		count[bucket(r.time)+1]++
	}
	for b := 1; b <= n; b++ {
		count[b] += count[b-1]
	}
	for _, r := range s.roots {
		b := bucket(r.time)
		tmp[count[b]] = r
		count[b]++
	}
	copy(s.roots, tmp)
	insertionSort(s.roots)
}

// insertionSort sorts x by before; linear when x is nearly sorted.
func insertionSort(x []rootKey) {
	for i := 1; i < len(x); i++ {
		v, j := x[i], i
		for ; j > 0 && v.before(&x[j-1]); j-- {
			x[j] = x[j-1]
		}
		x[j] = v
	}
}

// call is a defaulted firm whose debt calls its guarantors, the links
// [in0, in1).
type call struct {
	in0, in1 int32
	debt     int64
}

// Cascade is the contagion that one direct default set off on a path: the
// firms it toppled and their loans' loss.
type Cascade struct {
	Path     uint64  // path number (FirstPath + index)
	Year     int     // 0-based
	Time     float64 // within the year
	Root     string  // the borrower whose direct default set it off
	root     int32   // its firm's public number (RootFirm)
	Firms    int     // firms toppled
	Defaults int     // their loans' defaults
	Loss     int64   // their loans' ultimate loss, fen
}

func (c *chains) newScratch(H int) *chainScratch {
	F := len(c.firms)
	s := &chainScratch{firm: make([]firmState, F), links: make([]linkState, len(c.in)),
		contLoss: make([]int64, H), contDef: make([]int32, H), cascades: make([]Cascade, 0, MaxCascades),
		cellMult: make([]float64, len(c.halfR2)), cellStamp: make([]uint64, len(c.halfR2)), halfR2: c.halfR2}
	for f := range s.firm {
		s.firm[f].in0, s.firm[f].in1 = c.inLo[f], c.inLo[f+1]
	}
	for l := range s.links {
		s.links[l].inLink = c.in[l]
	}
	return s
}

// MaxCascades is how many of the largest cascades a run keeps.
const MaxCascades = 10

// byLargest orders cascades by loss, largest first, then by path, year,
// time and root: a total order, so the kept cascades do not depend on
// which worker drew which path.
func byLargest(a, b Cascade) int {
	if x := cmp.Compare(b.Loss, a.Loss); x != 0 {
		return x
	}
	if x := cmp.Compare(a.Path, b.Path); x != 0 {
		return x
	}
	if x := cmp.Compare(a.Year, b.Year); x != 0 {
		return x
	}
	if x := cmp.Compare(a.Time, b.Time); x != 0 {
		return x
	}
	return cmp.Compare(a.root, b.root)
}

// keep adds cs to the worker's largest cascades if it is among them; one
// cascade per root borrower (its largest), so the list shows different
// chains. cs.root is a firm number, which keep turns into its public one
// (public[firm]).
func (s *chainScratch) keep(cs Cascade, public []int32) {
	if len(s.cascades) == MaxCascades && cs.Loss < s.cascades[MaxCascades-1].Loss {
		return // smaller than every kept one
	}
	cs.root = public[cs.root]
	for j := range s.cascades {
		if s.cascades[j].root == cs.root {
			if byLargest(s.cascades[j], cs) <= 0 {
				return
			}
			s.cascades = slices.Delete(s.cascades, j, j+1)
			break
		}
	}
	k, _ := slices.BinarySearchFunc(s.cascades, cs, byLargest)
	if k >= MaxCascades {
		return
	}
	if len(s.cascades) == MaxCascades {
		s.cascades = s.cascades[:MaxCascades-1]
	}
	s.cascades = slices.Insert(s.cascades, k, cs)
}

// largestCascades merges the workers' kept cascades into the run's
// MaxCascades largest, one per root borrower, with the roots' names.
func (c *chains) largestCascades(lists [][]Cascade) []Cascade {
	var all []Cascade
	for _, l := range lists {
		all = append(all, l...)
	}
	out := topCascades(all)
	for k := range out {
		out[k].Root = c.firms[c.byPublic[out[k].root]]
	}
	return out
}

// topCascades returns the MaxCascades largest of all, one per root, in
// byLargest order (all is reordered).
func topCascades(all []Cascade) []Cascade {
	slices.SortFunc(all, byLargest)
	var out []Cascade
	for _, cs := range all {
		if len(out) < MaxCascades && !slices.ContainsFunc(out, func(o Cascade) bool { return o.root == cs.root }) {
			out = append(out, cs)
		}
	}
	return out
}

// contagion adds year t's contagion defaults to w.events (after the direct
// ones, which start at w.events[before]) and returns their loss in fen.
// It draws nothing from the stream.
func (m *Model) contagion(w *worker, t, before int) (loss int64) {
	c, s := m.chains, w.chain
	s.contLoss[t], s.contDef[t] = 0, 0
	F := len(c.firms)
	yearLo := c.yearLo[t*(F+1) : (t+1)*(F+1)]
	// The roots among the events the fast sampler did not collect (all of
	// them after the dense sampler; the uplifted firms' defaults).
	s.fillRoots(m.years[t].roots)
	claims := m.claim[t*m.n : (t+1)*m.n]
	for _, e := range w.events[max(before, s.rootsTo):] {
		if r := c.rootIndex(e.Loan); r >= 0 {
			f := c.rootFirm[r]
			s.roots = append(s.roots, rootKey{time: e.Time, claim: claims[e.Loan], loan: e.Loan, firm: f, in0: c.inLo[f], in1: c.inLo[f+1]})
		}
	}
	s.rootsTo, s.rootsPlan = 0, 0
	if len(s.roots) == 0 {
		return 0
	}
	s.stamp++
	direct := len(w.events)
	s.sortRoots()
	s.warm(c, yearLo)
	// A guarantor whose calls this year cannot exceed its capacity (all its
	// links out together, outTotal, are at most capT) never topples; without
	// the uplift, which notes every firm called, its calls change nothing,
	// so they are not made and its state is not read.
	skipStanding := m.uplift == nil
	queue, firms, links := s.queue, s.firm, s.links
	firmCell, tF, stamps, stamp, mults := c.firmCell, t*F, s.cellStamp, s.stamp, s.cellMult
	for _, root := range s.roots {
		u, f := root.time, root.firm
		// In default: calls on it topple nothing more this year. Written
		// without reading the state first (a firm already down stays
		// down; firmsHit may list it twice), so that the cascade does not
		// wait for the state's line.
		firms[f].capT = firmDown
		s.firmsHit = append(s.firmsHit, f)
		queue = append(queue[:0], call{in0: root.in0, in1: root.in1, debt: root.claim})
		cs := Cascade{Path: s.path, Year: t, Time: u, root: f}
		for q := 0; q < len(queue); q++ {
			d := queue[q]
			for l := d.in0; l < d.in1; l++ {
				lk := &links[l]
				// The guarantor's capacity this year (setCellMult).
				cell := lk.cell
				if firmCell != nil {
					cell = firmCell[tF+int(lk.from)]
				}
				if stamps[cell] != stamp {
					s.setCellMult(w, cell)
				}
				capT := int64(math.Round(float64(lk.capacity) * mults[cell]))
				if skipStanding && lk.outTotal <= capT {
					continue
				}
				fs := &firms[lk.from]
				if fs.down() {
					continue
				}
				amt := min(lk.amount-lk.used, d.debt)
				if amt <= 0 {
					continue
				}
				if lk.used == 0 {
					s.linksHit = append(s.linksHit, l)
				}
				if fs.called == 0 {
					s.firmsHit = append(s.firmsHit, lk.from)
					fs.capT = capT
				}
				lk.used += amt
				fs.called += amt
				if fs.called <= fs.capT {
					continue
				}
				fs.capT = firmDown
				if debt := m.topple(w, t, lk.from, u, &cs); debt > 0 {
					queue = append(queue, call{in0: fs.in0, in1: fs.in1, debt: debt})
				}
			}
		}
		if cs.Firms > 0 {
			loss += cs.Loss
			s.keep(cs, c.public)
		}
	}
	s.queue = queue
	s.contLoss[t] = loss
	s.contDef[t] = int32(len(w.events) - direct)
	if m.uplift != nil {
		m.uplift.noteCalled(w) // the firms called that stood carry a higher PD into t+1
	}
	for _, h := range s.firmsHit {
		s.firm[h].called, s.firm[h].capT = 0, 0
	}
	for _, l := range s.linksHit {
		s.links[l].used = 0
	}
	s.firmsHit, s.linksHit = s.firmsHit[:0], s.linksHit[:0]
	s.roots = s.roots[:0]
	return loss
}

// topple defaults firm h at time u of year t: each of its loans alive then
// and not yet in default defaults (a contagion default, added to w.events
// and to cs). It returns their debt (claims), which calls h's guarantors.
//
// With the stochastic LGD (lgd.go) a default's loss is the path-year's,
// as lossesTo gives it and the ledger books it: ℓ(P_t), P_t drawn before
// the year's defaults.
func (m *Model) topple(w *worker, t int, h int32, u float64, cs *Cascade) (debt int64) {
	c := m.chains
	F := len(c.firms)
	at := float64(t) + u
	lo, hi := c.yearLo[t*(F+1)+int(h)], c.yearLo[t*(F+1)+int(h)+1]
	cs.Firms++
	for k := lo; k < hi; k++ {
		r := &c.yearLoans[k]
		if r.from > at || r.mat < at || w.dead[r.i] {
			continue
		}
		w.dead[r.i] = true
		l := r.loss
		if m.lgd != nil {
			l = m.lgd.lossOf(m.n, t, r.i, m.lgd.sqrtB*w.prop[t])
		}
		w.events = append(w.events, Event{Loan: r.i, Year: int32(t), Time: u, Loss: l})
		debt += r.claim
		cs.Loss += l
		cs.Defaults++
	}
	return debt
}

// rankBits sets each word's rank: the number of set bits in the words
// before it.
func rankBits(words []rootWord) {
	r := int32(0)
	for k := range words {
		words[k].rank = r
		r += int32(bits.OnesCount64(words[k].bits))
	}
}

// planRoots gives each year plan of m its roots by member (yearPlan.rootBits
// and roots), so that the fast sampler collects a year's roots as it draws
// them, reading their records in member order rather than at random by
// loan.
func (c *chains) planRoots(m *Model, years []yearPlan) {
	for t := range years {
		y := &years[t]
		y.rootBits = make([]rootWord, (len(y.member)+63)/64)
		y.roots = y.roots[:0]
		claims := m.claim[t*m.n : (t+1)*m.n]
		for k, i := range y.member {
			if r := c.rootIndex(i); r >= 0 {
				f := c.rootFirm[r]
				y.rootBits[k/64].bits |= 1 << (k % 64)
				y.roots = append(y.roots, rootYear{claim: claims[i], firm: f, in0: c.inLo[f], in1: c.inLo[f+1]})
			}
		}
		rankBits(y.rootBits)
	}
}
