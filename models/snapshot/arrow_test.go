package snapshot

import (
	"path/filepath"
	"testing"
)

func TestArrowRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 1000, batchRows + 7} {
		mem := checkedMem(t)
		pf := testPortfolio(n, uint64(n))
		want := validated(t, pf)
		dir := filepath.Join(t.TempDir(), "snap")
		o := Options{Mem: mem}
		if err := o.Write(dir, pf); err != nil {
			t.Fatalf("n=%d: Write: %v", n, err)
		}
		got, err := o.Read(dir)
		if err != nil {
			t.Fatalf("n=%d: Read: %v", n, err)
		}
		for _, d := range diffPortfolios(want, got) {
			t.Errorf("n=%d: %s", n, d)
		}
	}
}
