package sim

// disjointSets is a union–find forest over 0 … n−1: s[p] is p's parent, a
// root its own. The guarantee chains are its sets (the firms joined by
// links, in either direction).
type disjointSets []int32

func newDisjointSets(n int) disjointSets {
	s := make(disjointSets, n)
	for p := range s {
		s[p] = int32(p)
	}
	return s
}

// find returns p's root, halving the path on the way.
func (s disjointSets) find(p int32) int32 {
	for s[p] != p {
		s[p] = s[s[p]]
		p = s[p]
	}
	return p
}

// union joins the sets of p and q under the smaller of their roots, so a
// set's root is its smallest member.
func (s disjointSets) union(p, q int32) {
	a, b := s.find(p), s.find(q)
	if a != b {
		s[max(a, b)] = min(a, b)
	}
}
