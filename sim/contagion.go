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
	loansLo   []int32 // firm f's loans are firmLoans[loansLo[f]:loansLo[f+1]]
	firmLoans []int32
	inLo      []int32 // the links into f (f's guarantors) are [inLo[f], inLo[f+1])
	inFrom    []int32 // [link] the guarantor firm
	inAmount  []int64 // [link] amount, fen
	capacity  []int64 // [firm] calls it can pay within a year in an average year, fen
	firms     []string
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
	// Links by the firm they guarantee, in file order.
	count = make([]int32, F+1)
	for i := range links {
		count[idx[links[i].To]+1]++
	}
	c.inLo = prefix(count)
	c.inFrom = make([]int32, len(links))
	c.inAmount = make([]int64, len(links))
	next = slices.Clone(c.inLo[:F])
	for i := range links {
		to := idx[links[i].To]
		c.inFrom[next[to]] = idx[links[i].From]
		c.inAmount[next[to]] = int64(links[i].Amount)
		next[to]++
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
	c := m.chains
	i := c.firmLoans[c.loansLo[h]]
	ld := &m.loadings[m.loanCell[t*m.n+int(i)]]
	r2 := 1 - ld.sigma*ld.sigma
	return int64(math.Round(float64(c.capacity[h]) * math.Exp(w.sys[m.loanCell[t*m.n+int(i)]]-r2/2)))
}

// chainScratch is a worker's contagion state; its slices are cleared
// through the touched lists, so a year costs what its calls cost.
type chainScratch struct {
	called   []int64 // [firm] calls this year, fen
	capT     []int64 // [firm] its capacity this year (set at its first call), fen
	down     []bool  // [firm] toppled this year
	used     []int64 // [link] called this year, fen
	firmsHit []int32 // firms with called > 0 or down (repeats allowed)
	linksHit []int32 // links with used > 0
	roots    []int32 // this year's direct events with guarantors, by time
	queue    []call
	contLoss []int64   // [t] contagion loss, fen
	contDef  []int32   // [t] contagion defaults
	cascades []Cascade // the worker's largest, best first (byLargest), at most MaxCascades
	path     uint64    // the path being drawn
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
	Firms    int     // firms toppled
	Defaults int     // their loans' defaults
	Loss     int64   // their loans' ultimate loss, fen
}

func (c *chains) newScratch(H int) *chainScratch {
	F := len(c.firms)
	return &chainScratch{called: make([]int64, F), capT: make([]int64, F), down: make([]bool, F), used: make([]int64, len(c.inFrom)),
		contLoss: make([]int64, H), contDef: make([]int32, H), cascades: make([]Cascade, 0, MaxCascades)}
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
	return cmp.Compare(a.Root, b.Root)
}

// keep adds cs to the worker's largest cascades if it is among them; one
// cascade per root borrower (its largest), so the list shows different
// chains.
func (s *chainScratch) keep(cs Cascade) {
	for j := range s.cascades {
		if s.cascades[j].Root == cs.Root {
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
// MaxCascades largest, one per root borrower.
func largestCascades(lists [][]Cascade) []Cascade {
	var all []Cascade
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortFunc(all, byLargest)
	var out []Cascade
	for _, cs := range all {
		if len(out) < MaxCascades && !slices.ContainsFunc(out, func(o Cascade) bool { return o.Root == cs.Root }) {
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
	for k := before; k < len(w.events); k++ {
		if f := c.firmOf[w.events[k].Loan]; f >= 0 && c.inLo[f+1] > c.inLo[f] {
			s.roots = append(s.roots, int32(k))
		}
	}
	if len(s.roots) == 0 {
		return 0
	}
	direct := len(w.events)
	ev := w.events
	slices.SortFunc(s.roots, func(a, b int32) int {
		if x := cmp.Compare(ev[a].Time, ev[b].Time); x != 0 {
			return x
		}
		return cmp.Compare(ev[a].Loan, ev[b].Loan)
	})
	n, start := m.n, float64(t)
	for _, k := range s.roots {
		root := w.events[k]
		u := root.Time
		if f := c.firmOf[root.Loan]; !s.down[f] {
			s.down[f] = true // in default: calls on it topple nothing more this year
			s.firmsHit = append(s.firmsHit, f)
		}
		s.queue = append(s.queue[:0], call{firm: c.firmOf[root.Loan], debt: m.claim[t*n+int(root.Loan)]})
		cs := Cascade{Path: s.path, Year: t, Time: u, Root: c.firms[c.firmOf[root.Loan]]}
		for q := 0; q < len(s.queue); q++ {
			d := s.queue[q]
			for l := c.inLo[d.firm]; l < c.inLo[d.firm+1]; l++ {
				h := c.inFrom[l]
				if s.down[h] {
					continue
				}
				amt := min(c.inAmount[l]-s.used[l], d.debt)
				if amt <= 0 {
					continue
				}
				if s.used[l] == 0 {
					s.linksHit = append(s.linksHit, l)
				}
				if s.called[h] == 0 {
					s.firmsHit = append(s.firmsHit, h)
					s.capT[h] = m.capacityIn(w, t, h)
				}
				s.used[l] += amt
				s.called[h] += amt
				if s.called[h] <= s.capT[h] {
					continue
				}
				// h topples at u: its loans alive then default.
				s.down[h] = true
				cs.Firms++
				var debt int64
				for _, i := range c.firmLoans[c.loansLo[h]:c.loansLo[h+1]] {
					if w.dead[i] || int(m.start[i]) > t || m.from[i] > start+u || m.maturity[i] < start+u {
						continue
					}
					w.dead[i] = true
					w.events = append(w.events, Event{Loan: i, Year: int32(t), Time: u})
					debt += m.claim[t*n+int(i)]
					loss += m.loss[t*n+int(i)]
					cs.Loss += m.loss[t*n+int(i)]
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
		s.called[h], s.down[h] = 0, false
	}
	for _, l := range s.linksHit {
		s.used[l] = 0
	}
	s.firmsHit, s.linksHit = s.firmsHit[:0], s.linksHit[:0]
	return loss
}
