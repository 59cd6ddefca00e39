package sim

import (
	"cmp"
	"math"
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
//	Σ c > capacity_h × exp(S − R²/2)   (see capacityIn; capacity_h by
//	default DefaultCapacityMultiple × h's own balance),
//
// defaults at the time of the call: each of its loans alive then and not
// yet defaulted defaults (a contagion default), and their debt calls h's
// own guarantors in turn, breadth first, until no call topples a firm. A
// firm topples at most once a year, and a firm with a direct default is
// down from its time on (a call on it topples nothing), so cycles
// terminate. A loan that
// defaults directly in the year stays a direct default even if its firm is
// toppled earlier in that year: the first year's direct defaults are
// exactly those of the run without links, path by path (later years differ
// because loans toppled before are no longer drawn).
type chains struct {
	firmOf    []int32 // [loan] its firm, or −1 when the borrower is in no link
	rootOf    []int32 // [loan] its firm if some firm guarantees it, else −1
	loansLo   []int32 // firm f's loans are firmLoans[loansLo[f]:loansLo[f+1]]
	firmLoans []int32
	inLo      []int32  // the links into f (f's guarantors) are [inLo[f], inLo[f+1])
	in        []inLink // [link], by the firm guaranteed
	capacity  []int64  // [firm] calls it can pay within a year in an average year, fen
	firms     []string
	// Per firm loan k (firmLoans[k]), packed for the topple loop: when it
	// lives, and its claim and loss in year t at [t*len(firmLoans) + k].
	fl              []firmLoan
	flClaim, flLoss []int64
	firmCell        []int32   // [t*F + f] the cell of f's first loan in year t
	halfR2          []float64 // [cell] R²/2 of the cell
}

// inLink is a link into a firm: its guarantor and the amount, fen.
type inLink struct {
	from   int32
	amount int64
}

// firmLoan is a loan of a firm in a link, as the topple loop reads it.
type firmLoan struct {
	i         int32
	start     int32 // year it is written in
	from, mat float64
}

// compileChains compiles pf.Links for m; nil when there are none, so that a
// run without links does exactly what it did before links existed.
func compileChains(m *Model, links []models.Link, pf *models.Portfolio) *chains {
	if len(links) == 0 {
		return nil
	}
	c := &chains{}
	idx := map[string]int32{}
	firm := func(b string) int32 {
		f, ok := idx[b]
		if !ok {
			f = int32(len(c.firms))
			idx[b] = f
			c.firms = append(c.firms, b)
		}
		return f
	}
	for i := range links {
		firm(links[i].From)
		firm(links[i].To)
	}
	F := len(c.firms)
	// Own balance (the snapshot's loans) and capacity.
	own := make([]float64, F)
	for i := range pf.Loans {
		if f, ok := idx[borrowerOf(&pf.Loans[i])]; ok {
			own[f] += float64(pf.Loans[i].Balance)
		}
	}
	c.capacity = make([]int64, F)
	for f := range F {
		c.capacity[f] = int64(math.Round(models.DefaultCapacityMultiple * own[f]))
	}
	for i := range links {
		if links[i].Capacity >= 0 {
			c.capacity[idx[links[i].From]] = int64(links[i].Capacity)
		}
	}
	// Loans per firm (the book and its renewals), in loan order.
	c.firmOf = make([]int32, m.n)
	count := make([]int32, F+1)
	for i := range m.n {
		f, ok := idx[borrowerOf(&m.Loans[i])]
		if !ok {
			f = -1
		} else {
			count[f+1]++
		}
		c.firmOf[i] = f
	}
	c.loansLo = prefix(count)
	c.firmLoans = make([]int32, c.loansLo[F])
	next := slices.Clone(c.loansLo[:F])
	for i, f := range c.firmOf {
		if f >= 0 {
			c.firmLoans[next[f]] = int32(i)
			next[f]++
		}
	}
	H := m.Horizon
	L := len(c.firmLoans)
	c.fl = make([]firmLoan, L)
	c.flClaim, c.flLoss = make([]int64, H*L), make([]int64, H*L)
	for k, i := range c.firmLoans {
		c.fl[k] = firmLoan{i: i, start: int32(m.start[i]), from: m.from[i], mat: m.maturity[i]}
		for t := range H {
			c.flClaim[t*L+k], c.flLoss[t*L+k] = m.claim[t*m.n+int(i)], m.loss[t*m.n+int(i)]
		}
	}
	c.firmCell = make([]int32, H*F)
	for f := range F {
		if c.loansLo[f+1] > c.loansLo[f] {
			i := int(c.firmLoans[c.loansLo[f]])
			for t := range H {
				c.firmCell[t*F+f] = m.loanCell[t*m.n+i]
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
		c.in[next[to]] = inLink{from: idx[links[i].From], amount: int64(links[i].Amount)}
		next[to]++
	}
	c.rootOf = make([]int32, m.n)
	for i, f := range c.firmOf {
		c.rootOf[i] = -1
		if f >= 0 && c.inLo[f+1] > c.inLo[f] {
			c.rootOf[i] = f
		}
	}
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

// capacityIn is firm h's capacity in year t of the path w is drawing: its
// capacity moves with the systematic part S of its cell's latent variable
// (its first loan's cell),
//
//	capacity_t = capacity × exp(S − R²/2),   S ~ N(0, R²) without shocks,
//
// a lognormal multiplier of mean 1: firms of a cluster in a bad year (S
// low, when their own defaults are many) can pay less of their calls.
func (m *Model) capacityIn(w *worker, t int, h int32) int64 {
	c, s := m.chains, w.chain
	cell := c.firmCell[t*len(c.firms)+int(h)]
	if s.cellStamp[cell] != s.stamp {
		s.cellStamp[cell] = s.stamp
		s.cellMult[cell] = math.Exp(w.sys[cell] - c.halfR2[cell])
	}
	return int64(math.Round(float64(c.capacity[h]) * s.cellMult[cell]))
}

// chainScratch is a worker's contagion state; its slices are cleared
// through the touched lists, so a year costs what its calls cost.
type chainScratch struct {
	firm     []firmState // [firm] this year's calls, capacity and state
	used     []int64     // [link] called this year, fen
	firmsHit []int32     // firms with called > 0 or down (repeats allowed)
	linksHit []int32     // links with used > 0
	roots    []rootKey   // this year's direct events with guarantors, by time
	// cellMult[c] is exp(S_c − R²_c/2) of this path-year, valid when
	// cellStamp[c] == stamp (one stamp per path-year).
	cellMult  []float64
	cellStamp []uint64
	stamp     uint64
	queue     []call
	contLoss  []int64   // [t] contagion loss, fen
	contDef   []int32   // [t] contagion defaults
	cascades  []Cascade // the worker's largest, best first (byLargest), at most MaxCascades
	path      uint64    // the path being drawn
}

// firmState is a firm's contagion state in the current path-year (one
// record, so a call reads one cache line).
type firmState struct {
	called int64 // calls this year, fen
	capT   int64 // capacity this year (set at its first call), fen
	down   bool  // toppled, or in direct default, this year
}

// rootKey is a direct default that calls guarantors, in sort order.
type rootKey struct {
	time float64
	loan int32
}

// call is a defaulted firm whose debt calls its guarantors.
type call struct {
	firm int32
	debt int64
}

// Cascade is the contagion that one direct default set off on a path: the
// firms it toppled and their loans' loss.
type Cascade struct {
	Path     uint64  // path number (FirstPath + index)
	Year     int     // 0-based
	Time     float64 // within the year
	Root     string  // the borrower whose direct default set it off
	root     int32   // its firm
	Firms    int     // firms toppled
	Defaults int     // their loans' defaults
	Loss     int64   // their loans' ultimate loss, fen
}

func (c *chains) newScratch(H int) *chainScratch {
	F := len(c.firms)
	return &chainScratch{firm: make([]firmState, F), used: make([]int64, len(c.in)),
		contLoss: make([]int64, H), contDef: make([]int32, H), cascades: make([]Cascade, 0, MaxCascades),
		cellMult: make([]float64, len(c.halfR2)), cellStamp: make([]uint64, len(c.halfR2))}
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
// chains.
func (s *chainScratch) keep(cs Cascade) {
	if len(s.cascades) == MaxCascades && cs.Loss < s.cascades[MaxCascades-1].Loss {
		return // smaller than every kept one
	}
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
		out[k].Root = c.firms[out[k].root]
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
	s.roots = s.roots[:0]
	for _, e := range w.events[before:] {
		if c.rootOf[e.Loan] >= 0 {
			s.roots = append(s.roots, rootKey{e.Time, e.Loan})
		}
	}
	if len(s.roots) == 0 {
		return 0
	}
	s.stamp++
	direct := len(w.events)
	slices.SortFunc(s.roots, func(a, b rootKey) int {
		if x := cmp.Compare(a.time, b.time); x != 0 {
			return x
		}
		return cmp.Compare(a.loan, b.loan)
	})
	n, start, L := m.n, float64(t), len(c.fl)
	fl, flClaim, flLoss := c.fl, c.flClaim[t*L:(t+1)*L], c.flLoss[t*L:(t+1)*L]
	for _, root := range s.roots {
		u := root.time
		f := c.rootOf[root.loan]
		if !s.firm[f].down {
			s.firm[f].down = true // in default: calls on it topple nothing more this year
			s.firmsHit = append(s.firmsHit, f)
		}
		s.queue = append(s.queue[:0], call{firm: f, debt: m.claim[t*n+int(root.loan)]})
		cs := Cascade{Path: s.path, Year: t, Time: u, root: f}
		for q := 0; q < len(s.queue); q++ {
			d := s.queue[q]
			for l := c.inLo[d.firm]; l < c.inLo[d.firm+1]; l++ {
				lk := &c.in[l]
				h := lk.from
				fs := &s.firm[h]
				if fs.down {
					continue
				}
				amt := min(lk.amount-s.used[l], d.debt)
				if amt <= 0 {
					continue
				}
				if s.used[l] == 0 {
					s.linksHit = append(s.linksHit, l)
				}
				if fs.called == 0 {
					s.firmsHit = append(s.firmsHit, h)
					fs.capT = m.capacityIn(w, t, h)
				}
				s.used[l] += amt
				fs.called += amt
				if fs.called <= fs.capT {
					continue
				}
				// h topples at u: its loans alive then default.
				fs.down = true
				cs.Firms++
				var debt int64
				for k := c.loansLo[h]; k < c.loansLo[h+1]; k++ {
					r := &fl[k]
					if w.dead[r.i] || int(r.start) > t || r.from > start+u || r.mat < start+u {
						continue
					}
					w.dead[r.i] = true
					w.events = append(w.events, Event{Loan: r.i, Year: int32(t), Time: u, Loss: flLoss[k]})
					debt += flClaim[k]
					loss += flLoss[k]
					cs.Loss += flLoss[k]
					cs.Defaults++
				}
				if debt > 0 {
					s.queue = append(s.queue, call{firm: h, debt: debt})
				}
			}
		}
		if cs.Firms > 0 {
			s.keep(cs)
		}
	}
	s.contLoss[t] = loss
	s.contDef[t] = int32(len(w.events) - direct)
	for _, h := range s.firmsHit {
		s.firm[h] = firmState{}
	}
	for _, l := range s.linksHit {
		s.used[l] = 0
	}
	s.firmsHit, s.linksHit = s.firmsHit[:0], s.linksHit[:0]
	return loss
}
