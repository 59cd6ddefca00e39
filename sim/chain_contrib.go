package sim

import (
	"cmp"
	"slices"
)

// ChainContributions split the expected shortfall of the total loss by
// guarantee chain (docs/chains.md "Contributions by chain"): a chain is a
// connected component of the links graph (links taken both ways), and a
// loan belongs to its borrower's chain. With the loans in no chain the
// parts add up to Contributions.ES:
//
//	ES_α = NotInChain + Σ_chains ES contribution of the chain,
//
// each part the Euler contribution of ESContributions (its loans' loss on
// the tail paths, replayed), up to float rounding.
type ChainContributions struct {
	// NotInChain is the contribution of the loans whose borrower is in no
	// link, yuan.
	NotInChain Money `json:"not_in_chain"`
	// Chains is every chain, the largest contribution first (ties by name).
	Chains []ChainContribution `json:"by_chain"`
}

// ChainContribution is one chain's Euler contribution to the ES.
type ChainContribution struct {
	// Chain names the chain by its smallest borrower id (in byte order).
	Chain string `json:"chain"`
	Firms int    `json:"firms"` // borrowers in the chain
	// ES is the chain's loans' contribution to ES_α: their loss (direct,
	// contagion and uplift defaults alike) on the tail paths, yuan.
	ES Money `json:"es"`
}

// chainDimension names the chain dimension inside ESContributions.
const chainDimension = "chain"

// chainOf returns the chain of each firm of c (an index into names), each
// chain's name (its smallest borrower id) and its number of firms; chains
// are numbered in the order of their names.
func (c *chains) chainOf() (of []int32, names []string, firms []int) {
	F := len(c.firms)
	sets := newDisjointSets(F)
	find := sets.find
	for to := range F {
		for l := c.inLo[to]; l < c.inLo[to+1]; l++ {
			sets.union(int32(to), c.in[l].from)
		}
	}
	// Each root's smallest member name, then the chains sorted by it.
	best := make([]int32, F)
	for f := range F {
		best[f] = -1
	}
	for f := range int32(F) {
		r := find(f)
		if best[r] < 0 || c.firms[f] < c.firms[best[r]] {
			best[r] = f
		}
	}
	var roots []int32
	for f := range int32(F) {
		if find(f) == f {
			roots = append(roots, f)
		}
	}
	slices.SortFunc(roots, func(a, b int32) int { return cmp.Compare(c.firms[best[a]], c.firms[best[b]]) })
	id := make([]int32, F)
	names, firms = make([]string, len(roots)), make([]int, len(roots))
	for k, r := range roots {
		id[r] = int32(k)
		names[k] = c.firms[best[r]]
	}
	of = make([]int32, F)
	for f := range int32(F) {
		of[f] = id[find(f)]
		firms[of[f]]++
	}
	return of, names, firms
}

// chainSegments assigns every loan its chain for ESContributions' replay
// of the tail paths (computed at Compile, while Model.Loans is there): one dimension, "chain", whose segments are the
// chains' names and "" for the loans whose borrower is in no link.
func (m *Model) chainSegments() *contribSegments {
	c := m.chains
	of, chainNames, _ := c.chainOf()
	chainOfBorrower := make(map[string]string, len(c.firms))
	for f, b := range c.firms {
		chainOfBorrower[b] = chainNames[of[f]]
	}
	ids, names := segmentIDs(m.n, func(i int) string { return chainOfBorrower[borrowerOf(&m.Loans[i])] })
	return &contribSegments{dims: []string{chainDimension}, names: [][]string{names}, ids: [][]int32{ids}, off: []int{0}, S: len(names)}
}

// chainContributions turns the chain dimension's sums (segment names as
// chainSegments gives them; "" the loans in no chain) into ChainContributions,
// scaling each sum by scale.
func (m *Model) chainContributions(segs []string, sums []float64, scale float64) *ChainContributions {
	_, names, firms := m.chains.chainOf()
	size := make(map[string]int, len(names))
	for k, n := range names {
		size[n] = firms[k]
	}
	cc := &ChainContributions{Chains: make([]ChainContribution, 0, len(names))}
	seen := map[string]bool{}
	for j, s := range segs {
		v := Money(sums[j] * scale)
		if s == "" {
			cc.NotInChain = v
			continue
		}
		seen[s] = true
		cc.Chains = append(cc.Chains, ChainContribution{Chain: s, Firms: size[s], ES: v})
	}
	for _, n := range names { // chains none of whose loans is in the model (none alive) contribute 0
		if !seen[n] {
			cc.Chains = append(cc.Chains, ChainContribution{Chain: n, Firms: size[n]})
		}
	}
	slices.SortFunc(cc.Chains, func(a, b ChainContribution) int {
		if x := cmp.Compare(b.ES, a.ES); x != 0 {
			return x
		}
		return cmp.Compare(a.Chain, b.Chain)
	})
	return cc
}
