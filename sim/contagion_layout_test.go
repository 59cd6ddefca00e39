package sim

import (
	"reflect"
	"slices"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// TestFirmNumbering: with the links table's rows interleaving the chains
// (ring 1's first link, ring 2's first link, …, then every ring's second
// link, …), the firms' public numbers (first appearance) alternate between
// chains while the contagion step's numbers keep each chain together; the
// run equals, path by path, the run on the same links in chain order (where
// both numberings are the same), apart from the cascades' public root
// numbers. So the numbering changes no result.
func TestFirmNumbering(t *testing.T) {
	sc := oneFactor(0.2)
	sc.HorizonYears = 2
	const k = 5
	inOrder := ringed(2000, k, 0.03)
	interleaved := ringed(2000, k, 0.03)
	interleaved.Links = nil
	for j := range k {
		for r := j; r < len(inOrder.Links); r += k {
			interleaved.Links = append(interleaved.Links, inOrder.Links[r])
		}
	}
	for _, pf := range []*models.Portfolio{inOrder, interleaved} {
		if err := pf.Validate(models.DefaultFiles); err != nil {
			t.Fatal(err)
		}
	}
	ma, mb := mustCompile(t, inOrder, sc), mustCompile(t, interleaved, sc)
	for f, p := range ma.chains.public {
		if int(p) != f {
			t.Fatalf("links in chain order: firm %d has public number %d", f, p)
		}
	}
	c := mb.chains
	if slices.IsSorted(c.public) {
		t.Fatal("interleaved links: the firm numbers are the public ones; the test does not exercise the renumbering")
	}
	of, _, _ := c.chainOf()
	seen := map[int32]bool{}
	for f := range of {
		if f > 0 && of[f] != of[f-1] && seen[of[f]] {
			t.Fatalf("firm %d (%s): its chain %d is not contiguous in the firm numbering", f, c.firms[f], of[f])
		}
		seen[of[f]] = true
		if c.byPublic[c.public[f]] != int32(f) || interleaved.Links[0].From != c.firms[c.byPublic[0]] {
			t.Fatalf("firm %d: public %d, byPublic %d", f, c.public[f], c.byPublic[c.public[f]])
		}
	}
	p := Params{Seed: 11, Paths: 400, Workers: 2, BlockSize: 16}
	ra, rb := mustRun(t, ma, p), mustRun(t, mb, p)
	if len(ra.Cascades) == 0 {
		t.Fatal("no cascades")
	}
	for k := range rb.Cascades {
		pa, pb := ra.Cascades[k].root, rb.Cascades[k].root
		if ma.chains.firms[ma.chains.byPublic[pa]] != mb.chains.firms[mb.chains.byPublic[pb]] {
			t.Fatalf("cascade %d: roots %d and %d are different borrowers", k, pa, pb)
		}
		ra.Cascades[k].root, rb.Cascades[k].root = 0, 0
	}
	if !reflect.DeepEqual(ra, rb) {
		t.Error("the run on interleaved links differs from the run on links in chain order")
	}
}
