package sim

import (
	"unsafe"

	"github.com/wenzhou/danbao/models"
)

// numberFirms numbers the firms of links for the contagion step and
// returns each borrower's number. Two numberings exist:
//
//   - the public one, the order of first appearance in links (From, then
//     To, row by row): Cascade.RootFirm, the number a shard's file stores;
//   - the firm number every slice of chains is indexed by (c.firms): chain
//     by chain (the connected groups of the links graph, in the order of
//     their first public number), and within a chain in public order.
//
// The firms a cascade can reach are one chain's, so with this numbering
// their state, links and loans lie next to each other in memory and a
// cascade reads a few cache lines instead of a few per firm. The numbering
// changes no result: calls follow the links' order (file order for each
// firm guaranteed), roots their time and loan, and a cascade is keyed by
// its root's public number.
func (c *chains) numberFirms(links []models.Link) map[string]int32 {
	pub := map[string]int32{}
	var names []string
	add := func(b string) {
		if _, ok := pub[b]; !ok {
			pub[b] = int32(len(names))
			names = append(names, b)
		}
	}
	for i := range links {
		add(links[i].From)
		add(links[i].To)
	}
	F := len(names)
	sets := newDisjointSets(F)
	find := sets.find
	for i := range links {
		sets.union(pub[links[i].From], pub[links[i].To])
	}
	// Chains by their first public number; within one, public order.
	rank := make([]int32, F) // [find(p)] the chain's rank
	count := make([]int32, F+1)
	chains := int32(0)
	for p := range int32(F) {
		if r := find(p); r == p {
			rank[p] = chains
			chains++
		}
		count[rank[find(p)]+1]++
	}
	next := prefix(count[:chains+1])
	c.firms = make([]string, F)
	c.public = make([]int32, F)
	c.byPublic = make([]int32, F)
	idx := make(map[string]int32, F)
	for p := range int32(F) {
		f := next[rank[find(p)]]
		next[rank[find(p)]]++
		c.firms[f], c.public[f], c.byPublic[p] = names[p], p, f
		idx[names[p]] = f
	}
	return idx
}

// warm asks the processor for what the year's roots' cascades read first
// (sorted roots): each root's links in (their range comes with the root),
// then their guarantors' states and the first of their loans this year.
// A year's contagion starts with little of its data in cache (the
// sampler's have replaced them), and the cascade loop's reads each depend
// on the one before, so each would wait for memory in turn; prefetches of
// different roots' lines do not wait for each other, so their waits
// overlap, and the loop then finds the lines in cache. It changes nothing
// but what is in cache.
func (s *chainScratch) warm(c *chains, yearLo []int32) {
	addrs := s.addrs[:0]
	for k := range s.roots {
		if r := &s.roots[k]; r.in1 > r.in0 {
			addrs = append(addrs, uintptr(unsafe.Pointer(&s.links[r.in0])), uintptr(unsafe.Pointer(&s.links[r.in1-1])))
		}
	}
	prefetchAddrs(addrs)
	addrs = addrs[:0]
	for k := range s.roots {
		for l := s.roots[k].in0; l < s.roots[k].in1; l++ {
			h := s.links[l].from
			addrs = append(addrs, uintptr(unsafe.Pointer(&s.firm[h])))
			if j := yearLo[h]; j < yearLo[h+1] {
				addrs = append(addrs, uintptr(unsafe.Pointer(&c.yearLoans[j])))
			}
		}
	}
	prefetchAddrs(addrs)
	s.addrs = addrs
}

// fillRoots completes the roots the fast sampler collected (rootsPlan)
// from the year plan's: their claim, firm and links in. The sampler only
// notes a root's number in plan, so that it does not wait for the record's
// line as it draws; here the lines are asked for all at once, and their
// waits overlap.
func (s *chainScratch) fillRoots(plan []rootYear) {
	roots := s.roots[:s.rootsPlan]
	addrs := s.addrs[:0]
	for k := range roots {
		addrs = append(addrs, uintptr(unsafe.Pointer(&plan[roots[k].firm])))
	}
	prefetchAddrs(addrs)
	s.addrs = addrs
	for k := range roots {
		r := &roots[k]
		ry := &plan[r.firm]
		r.claim, r.firm, r.in0, r.in1 = ry.claim, ry.firm, ry.in0, ry.in1
	}
}
