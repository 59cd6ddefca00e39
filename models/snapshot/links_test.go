package snapshot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// linkedPortfolio is testPortfolio(n) with a chain of links between its
// first four borrowers, capacity given on one firm.
func linkedPortfolio(t *testing.T, n int) *models.Portfolio {
	t.Helper()
	pf := testPortfolio(n, 7)
	if err := pf.Validate(models.DefaultFiles); err != nil {
		t.Fatal(err)
	}
	var ids []string // the first four distinct borrowers
	for _, l := range pf.Loans {
		if !slices.Contains(ids, l.BorrowerID) {
			ids = append(ids, l.BorrowerID)
		}
	}
	if len(ids) < 4 {
		t.Fatalf("%d borrowers, want 4", len(ids))
	}
	b := func(i int) string { return ids[i] }
	pf.Links = []models.Link{
		{From: b(1), To: b(0), Amount: 500_000_00, Capacity: -1},
		{From: b(2), To: b(1), Amount: 123_456_78, Capacity: 9_000_00},
		{From: b(2), To: b(3), Amount: 0, Capacity: 9_000_00},
		{From: b(0), To: b(2), Amount: 1, Capacity: -1},
	}
	return pf
}

func TestLinksRoundTrip(t *testing.T) {
	pf := linkedPortfolio(t, 12)
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		write func(string, *models.Portfolio) error
		files [3]string
	}{
		{"arrow", Write, [3]string{LoansFile, GuarantorsFile, LinksFile}},
		{"csv", WriteCSV, [3]string{LoansCSV, GuarantorsCSV, LinksCSV}},
		{"parquet", WriteParquet, [3]string{LoansParquet, GuarantorsParquet, LinksParquet}},
	} {
		out := filepath.Join(dir, c.name)
		if err := c.write(out, pf); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got *models.Portfolio
		var err error
		if c.name == "arrow" {
			got, err = Read(out)
		} else {
			got, _, err = ImportLinksFile(filepath.Join(out, c.files[0]), filepath.Join(out, c.files[1]), filepath.Join(out, c.files[2]), ImportOptions{AsOf: pf.AsOf})
		}
		if err != nil {
			t.Fatalf("%s: read back: %v", c.name, err)
		}
		if !reflect.DeepEqual(got.Links, pf.Links) {
			t.Errorf("%s: links read back\n%v\nwant\n%v", c.name, got.Links, pf.Links)
		}
	}
	// No links: no links file, and Read gives none.
	pf.Links = nil
	out := filepath.Join(dir, "none")
	if err := Write(out, pf); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, LinksFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a snapshot without links has %s (stat: %v)", LinksFile, err)
	}
	got, err := Read(out)
	if err != nil || len(got.Links) != 0 {
		t.Errorf("Read of a snapshot without links: %d links, %v", len(got.Links), err)
	}
}

// TestImportLinksProblems: every bad row is named by file, row, field and
// value, and nothing is returned.
func TestImportLinksProblems(t *testing.T) {
	loans := "loan_id,borrower_id,guarantor_id,county,industry,balance,pd,lgd\n" +
		"L1,A,G-1,330382,footwear,100,0.02,0.45\nL2,B,G-1,330382,footwear,100,0.02,0.45\nL3,,G-1,330382,footwear,100,0.02,0.45\n"
	links := "from_borrower,to_borrower,amount,capacity\n" +
		"A,B,50,\n" + // fine
		"A,Z,50,\n" + // row 3: unknown to_borrower
		"B,B,50,\n" + // row 4: self-link
		"B,L3,-5,\n" + // row 5: negative amount (L3 is its own borrower)
		"A,B,10,\n" + // row 6: repeats row 2
		"L3,A,1,20\n" + "L3,B,1,30\n" // row 8: capacity differs from row 7
	pf, _, err := ImportWithLinks(Input{"loans.csv", strings.NewReader(loans)}, Input{"guarantors.csv", strings.NewReader(fuzzGuarantors)},
		Input{"links.csv", strings.NewReader(links)}, ImportOptions{})
	if pf != nil {
		t.Error("a portfolio was returned with problems")
	}
	var pe *models.ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("want a *models.ProblemsError, got %v", err)
	}
	type want struct {
		row          int
		field, value string
		cat          error
	}
	wants := []want{
		{3, "to_borrower", "Z", models.ErrNotFound},
		{4, "to_borrower", "B", models.ErrInvalid},
		{5, "amount", "-5.00", models.ErrInvalid},
		{6, "to_borrower", "B", models.ErrConflict},
		{8, "capacity", "30.00", models.ErrConflict},
	}
	if len(pe.Problems) != len(wants) {
		t.Errorf("%d problems, want %d: %v", len(pe.Problems), len(wants), err)
	}
	for _, w := range wants {
		found := false
		for _, p := range pe.Problems {
			if p.File == "links.csv" && p.Row == w.row && p.Field == w.field && p.Value == w.value && errors.Is(p.Err, w.cat) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem at links.csv row %d %s=%q (%v) in\n%v", w.row, w.field, w.value, w.cat, err)
		}
	}
	// A missing required column is one problem on the header row.
	_, _, err = ImportWithLinks(Input{"loans.csv", strings.NewReader(loans)}, Input{"guarantors.csv", strings.NewReader(fuzzGuarantors)},
		Input{"links.csv", strings.NewReader("from_borrower,to_borrower\nA,B\n")}, ImportOptions{})
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems[0].Field != "amount" || pe.Problems[0].Row != 1 {
		t.Errorf("links without amount: %v", err)
	}
}

// TestImportLinksLimits: a links table longer than Limits.MaxRows is
// refused with a problem on the links file, as the other tables are.
func TestImportLinksLimits(t *testing.T) {
	loans := "loan_id,guarantor_id,county,industry,balance,pd,lgd\nA,G-1,330382,footwear,100,0.02,0.45\nB,G-1,330382,footwear,100,0.02,0.45\n"
	var links strings.Builder
	links.WriteString("from_borrower,to_borrower,amount\n")
	for range 50 {
		links.WriteString("A,B,1\n")
	}
	_, _, err := ImportWithLinks(Input{"loans.csv", strings.NewReader(loans)}, Input{"guarantors.csv", strings.NewReader(fuzzGuarantors)},
		Input{"links.csv", strings.NewReader(links.String())}, ImportOptions{Limits: Limits{MaxRows: 10}})
	var pe *models.ProblemsError
	if !errors.As(err, &pe) || pe.Problems[0].File != "links.csv" || !strings.Contains(pe.Problems[0].Reason, "10") {
		t.Errorf("50 links under a limit of 10 rows: %v", err)
	}
}

func FuzzImportLinksCSV(f *testing.F) {
	f.Add([]byte("from_borrower,to_borrower,amount,capacity\nA,B,50,\nB,A,1.5,300\n"))
	f.Add([]byte("from_borrower,to_borrower,amount\nA,A,-1\nA,Z,x\n,,\n"))
	loans := "loan_id,borrower_id,guarantor_id,county,industry,balance,pd,lgd\n" +
		"L1,A,G-1,330382,footwear,100,0.02,0.45\nL2,B,G-1,330382,footwear,100,0.02,0.45\n"
	f.Fuzz(func(t *testing.T, links []byte) {
		catchOwnPanics(t)
		pf, _, err := ImportWithLinks(Input{"loans.csv", strings.NewReader(loans)}, Input{"guarantors.csv", strings.NewReader(fuzzGuarantors)},
			Input{"links.csv", bytes.NewReader(links)}, ImportOptions{})
		if err != nil {
			checkRejected(t, err)
			return
		}
		checkImported(t, pf)
		mem := checkedMem(t)
		var kb bytes.Buffer
		if err := writeIPC(&kb, mem, linkColumns, pf.Links, pf.AsOf); err != nil {
			t.Fatal(err)
		}
		d := newDecoder(LinksFile)
		back := &models.Portfolio{AsOf: pf.AsOf}
		readLinks(d, bytes.NewReader(kb.Bytes()), mem, back)
		if d.probs.Len() != 0 || !reflect.DeepEqual(back.Links, pf.Links) && len(pf.Links) != 0 {
			t.Errorf("links arrow round trip: %v\n%v\nwant %v", d.probs.Problems, back.Links, pf.Links)
		}
	})
}
