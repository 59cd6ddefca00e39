package snapshot

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/wenzhou/danbao/models"
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

// onlyReader hides every method of a file but Read, as some fs.FS do.
type onlyReader struct{ fs.File }

type readOnlyFS struct{ fs.FS }

func (r readOnlyFS) Open(name string) (fs.File, error) {
	f, err := r.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return onlyReader{f}, nil
}

func TestReadFS(t *testing.T) {
	mem := checkedMem(t)
	o := Options{Mem: mem}
	pf := testPortfolio(300, 4)
	want := validated(t, pf)
	dir := filepath.Join(t.TempDir(), "snap")
	if err := o.Write(dir, pf); err != nil {
		t.Fatal(err)
	}
	lb, _ := os.ReadFile(filepath.Join(dir, LoansFile))
	gb, _ := os.ReadFile(filepath.Join(dir, GuarantorsFile))
	mapFS := fstest.MapFS{"a/b/loans.arrow": {Data: lb}, "a/b/guarantors.arrow": {Data: gb}}
	for name, fsys := range map[string]fs.FS{"DirFS": os.DirFS(filepath.Dir(dir)), "MapFS": mapFS, "read-only": readOnlyFS{mapFS}} {
		sub := "snap"
		if name != "DirFS" {
			sub = "a/b"
		}
		got, err := o.ReadFS(fsys, sub)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, d := range diffPortfolios(want, got) {
			t.Errorf("%s: %s", name, d)
		}
	}
	if _, err := o.ReadFS(mapFS, "nowhere"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFS of a missing folder: %v", err)
	}
}

// TestDecodeUnalignedChunks decodes a table whose columns are chunked
// differently from each other and from decodeTable's blocks, as Parquet
// row groups and Arrow batches from other writers may be.
func TestDecodeUnalignedChunks(t *testing.T) {
	mem := checkedMem(t)
	pf := testPortfolio(3*blockRows+123, 6)
	want := validated(t, pf)
	rec, err := buildRecord(mem, loanColumns, pf.Loans, pf.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	n := int(rec.NumRows())
	tbl := &table{schema: rec.Schema(), nrows: n, cols: make([][]arrow.Array, rec.NumCols())}
	for j := range tbl.cols {
		step := 1 + j*977 // column 0: one row per chunk; later ones: longer, unaligned chunks
		for lo := 0; lo < n; lo += step {
			s := array.NewSlice(rec.Column(j), int64(lo), int64(min(lo+step, n)))
			defer s.Release()
			tbl.cols[j] = append(tbl.cols[j], s)
		}
	}
	d := newDecoder(LoansFile)
	got := &models.Portfolio{AsOf: pf.AsOf, Guarantors: want.Guarantors}
	got.Loans = decodeTable(d, loanColumns, tbl, models.NewLoan, nil)
	if err := finish(got, d, newDecoder(GuarantorsFile), nil); err != nil {
		t.Fatal(err)
	}
	for _, diff := range diffPortfolios(want, got) {
		t.Error(diff)
	}
}
