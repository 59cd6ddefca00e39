package snapshot

import (
	"path/filepath"
	"testing"

	"github.com/wenzhou/danbao/models"
)

func TestParquetRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 5000} {
		mem := checkedMem(t)
		pf := testPortfolio(n, 7)
		want := validated(t, pf)
		dir := filepath.Join(t.TempDir(), "pq")
		if err := (Options{Mem: mem}).WriteParquet(dir, pf); err != nil {
			t.Fatalf("n=%d: WriteParquet: %v", n, err)
		}
		got, warnings, err := Import(filepath.Join(dir, LoansParquet), filepath.Join(dir, GuarantorsParquet), ImportOptions{Mem: mem})
		if err != nil {
			t.Fatalf("n=%d: Import: %v", n, err)
		}
		if len(warnings) > 0 {
			t.Errorf("n=%d: warnings: %q", n, warnings)
		}
		for _, d := range diffPortfolios(want, got) {
			t.Errorf("n=%d: %s", n, d)
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 5000} {
		pf := testPortfolio(n, 8)
		want := validated(t, pf)
		dir := filepath.Join(t.TempDir(), "csv")
		if err := WriteCSV(dir, pf); err != nil {
			t.Fatalf("n=%d: WriteCSV: %v", n, err)
		}
		got, warnings, err := Import(filepath.Join(dir, LoansCSV), filepath.Join(dir, GuarantorsCSV), ImportOptions{AsOf: pf.AsOf})
		if err != nil {
			t.Fatalf("n=%d: Import: %v", n, err)
		}
		if len(warnings) > 0 {
			t.Errorf("n=%d: warnings: %q", n, warnings)
		}
		for _, d := range diffPortfolios(want, got) {
			t.Errorf("n=%d: %s", n, d)
		}
	}
}

// TestImportArrowParquetCSV chains the formats: Arrow snapshot → Import of
// the .arrow files → Parquet → Import → CSV → Import, and checks nothing
// changed on the way.
func TestImportChain(t *testing.T) {
	mem := checkedMem(t)
	o := Options{Mem: mem}
	pf := testPortfolio(3000, 9)
	want := validated(t, pf)
	tmp := t.TempDir()
	snap := filepath.Join(tmp, "snap")
	if err := o.Write(snap, pf); err != nil {
		t.Fatal(err)
	}
	a, _, err := Import(filepath.Join(snap, LoansFile), filepath.Join(snap, GuarantorsFile), ImportOptions{Mem: mem})
	if err != nil {
		t.Fatalf("Import arrow: %v", err)
	}
	if err := o.WriteParquet(filepath.Join(tmp, "pq"), a); err != nil {
		t.Fatal(err)
	}
	b, _, err := Import(filepath.Join(tmp, "pq", LoansParquet), filepath.Join(tmp, "pq", GuarantorsParquet), ImportOptions{Mem: mem})
	if err != nil {
		t.Fatalf("Import parquet: %v", err)
	}
	if err := o.WriteCSV(filepath.Join(tmp, "csv"), b); err != nil {
		t.Fatal(err)
	}
	c, _, err := Import(filepath.Join(tmp, "csv", LoansCSV), filepath.Join(tmp, "csv", GuarantorsCSV), ImportOptions{AsOf: b.AsOf})
	if err != nil {
		t.Fatalf("Import csv: %v", err)
	}
	for name, got := range map[string]*models.Portfolio{"arrow": a, "parquet": b, "csv": c} {
		for _, d := range diffPortfolios(want, got) {
			t.Errorf("%s: %s", name, d)
		}
	}
}
