package snapshot

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/synth"
)

// TestInPlaceMatchesCopy reads a generated book with chains (every loan,
// guarantor and link column) through arrow-go's copying file reader and in
// place, as Read does, and requires the same portfolio, row by row.
func TestInPlaceMatchesCopy(t *testing.T) {
	pf, err := synth.Generate(synth.Options{Loans: 5000, Seed: 7, Chains: true})
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	var files [3]bytes.Buffer
	if err := writeIPC(&files[0], mem, loanColumns, pf.Loans, pf.AsOf); err != nil {
		t.Fatal(err)
	}
	if err := writeIPC(&files[1], mem, guarantorColumns, pf.Guarantors, pf.AsOf); err != nil {
		t.Fatal(err)
	}
	if err := writeIPC(&files[2], mem, linkColumns, pf.Links, pf.AsOf); err != nil {
		t.Fatal(err)
	}
	copied, err := Options{Mem: mem}.readSnapshot(bytes.NewReader(files[0].Bytes()), bytes.NewReader(files[1].Bytes()), bytes.NewReader(files[2].Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	inPlace, err := Options{Mem: mem}.readSnapshot(newMemFile(files[0].Bytes()), newMemFile(files[1].Bytes()), newMemFile(files[2].Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	mem.AssertSize(t, 0)
	samePortfolio(t, inPlace, copied)
	if len(inPlace.Links) == 0 {
		t.Fatal("no links: the book should have chains")
	}
}

// TestReadDoesNotKeepTheMapping reads a snapshot with bad cells, then
// overwrites and removes its files (the mapping is gone), and requires
// every string of the portfolio and of the problems to be intact: none of
// them may point into the mapped file.
func TestReadDoesNotKeepTheMapping(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snap")
	pf := testPortfolio(3000, 4)
	pf.Loans[7].PD = 1.5
	pf.Loans[9].LoanID = pf.Loans[3].LoanID
	if err := Write(dir, pf); err != nil {
		t.Fatal(err)
	}
	_, badErr := Read(dir)
	pf.Loans[7].PD, pf.Loans[9].LoanID = 0.01, "L9-fixed"
	if err := (Options{Overwrite: true}).Write(dir, pf); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint(got.Loans, got.Guarantors)
	wantErr := fmt.Sprint(badErr)
	for _, name := range []string{LoansFile, GuarantorsFile} {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, bytes.Repeat([]byte{'#'}, 1<<16), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(f)
	}
	if fmt.Sprint(got.Loans, got.Guarantors) != want || fmt.Sprint(badErr) != wantErr {
		t.Error("the portfolio or the problems changed with the files")
	}
	if badErr == nil || !bytes.Contains([]byte(wantErr), []byte("duplicates row 5")) {
		t.Errorf("problems: %v", badErr)
	}
}

// samePortfolio requires a and b to be equal row by row (fmt renders NaN
// alike, where == and reflect.DeepEqual do not).
func samePortfolio(t *testing.T, a, b *models.Portfolio) {
	t.Helper()
	if a.AsOf != b.AsOf || len(a.Loans) != len(b.Loans) || len(a.Guarantors) != len(b.Guarantors) || len(a.Links) != len(b.Links) {
		t.Fatalf("sizes differ: %v %d %d %d against %v %d %d %d", a.AsOf, len(a.Loans), len(a.Guarantors), len(a.Links), b.AsOf, len(b.Loans), len(b.Guarantors), len(b.Links))
	}
	for i := range a.Loans {
		if x, y := fmt.Sprintf("%#v", a.Loans[i]), fmt.Sprintf("%#v", b.Loans[i]); x != y {
			t.Fatalf("loan %d:\n%s\n%s", i, x, y)
		}
	}
	for i := range a.Guarantors {
		if x, y := fmt.Sprintf("%#v", a.Guarantors[i]), fmt.Sprintf("%#v", b.Guarantors[i]); x != y {
			t.Fatalf("guarantor %d:\n%s\n%s", i, x, y)
		}
	}
	for i := range a.Links {
		if a.Links[i] != b.Links[i] {
			t.Fatalf("link %d: %v against %v", i, a.Links[i], b.Links[i])
		}
	}
}
