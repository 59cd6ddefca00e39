package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wenzhou/danbao/models"
)

// fuzzGuarantors is a valid guarantors table for fuzzing the loans side.
const fuzzGuarantors = "guarantor_id,level,county,registered_capital,net_assets\n" +
	"G-1,city,3303,200000000,210000000\nG-2,county,330382,100000000,90000000.5\n"

// checkImported holds for every portfolio Import accepts: it survives an
// Arrow snapshot and a CSV export unchanged (floats bitwise), and the
// Arrow memory is released. It works in memory, so fuzzing is not slowed
// down by the file system's syncs.
func checkImported(t *testing.T, pf *models.Portfolio) {
	t.Helper()
	mem := checkedMem(t)
	got, err := arrowRoundTrip(mem, pf)
	if err != nil {
		t.Fatalf("arrow round trip of an imported portfolio: %v", err)
	}
	for _, d := range diffPortfolios(pf, got) {
		t.Errorf("arrow round trip: %s", d)
	}
	var lb, gb bytes.Buffer
	if err := writeCSV(&lb, loanColumns, pf.Loans); err != nil {
		t.Fatal(err)
	}
	if err := writeCSV(&gb, guarantorColumns, pf.Guarantors); err != nil {
		t.Fatal(err)
	}
	got, _, err = ImportFrom(Input{"l.csv", bytes.NewReader(lb.Bytes())}, Input{"g.csv", bytes.NewReader(gb.Bytes())}, ImportOptions{AsOf: pf.AsOf})
	if err != nil {
		t.Fatalf("Import of exported CSV: %v\n%s", err, lb.String())
	}
	for _, d := range diffPortfolios(pf, got) {
		t.Errorf("csv round trip: %s", d)
	}
}

// arrowRoundTrip writes pf as the two Arrow IPC files of a snapshot, in
// memory, and reads them back as Read does.
func arrowRoundTrip(mem memory.Allocator, pf *models.Portfolio) (*models.Portfolio, error) {
	var lb, gb bytes.Buffer
	if err := writeIPC(&lb, mem, loanColumns, pf.Loans, pf.AsOf); err != nil {
		return nil, err
	}
	if err := writeIPC(&gb, mem, guarantorColumns, pf.Guarantors, pf.AsOf); err != nil {
		return nil, err
	}
	return Options{Mem: mem}.readSnapshot(newMemFile(lb.Bytes()), newMemFile(gb.Bytes()), nil)
}

// catchOwnPanics fails t when a panic recovered during the test started in
// this package's own code, not in a library (arrow-go, pqarrow, excelize)
// it guards against: Import's recover must never hide our bugs.
func catchOwnPanics(t *testing.T) {
	panicHook = func(p any, stack []byte) {
		if frame := panicFrame(string(stack)); strings.Contains(frame, "danbao/models/snapshot.") {
			t.Errorf("panic in our code at %s: %v\n%s", frame, p, stack)
		}
	}
	t.Cleanup(func() { panicHook = nil })
}

// panicFrame returns the function that called panic (or faulted) in a
// goroutine stack from runtime/debug.Stack.
func panicFrame(stack string) string {
	lines := strings.Split(stack, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") || strings.HasPrefix(l, "runtime.panic") || strings.HasPrefix(l, "runtime.goPanic") {
			for _, next := range lines[i+1:] {
				if !strings.HasPrefix(next, "\t") && !strings.HasPrefix(next, "runtime.") && !strings.HasPrefix(next, "panic(") {
					return next
				}
			}
		}
	}
	return ""
}

// checkRejected holds for every input Import rejects: a ProblemsError
// whose problems all name a file.
func checkRejected(t *testing.T, err error) {
	t.Helper()
	var pe *models.ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("Import error is not a *models.ProblemsError: %v", err)
	}
	if len(pe.Problems) == 0 {
		t.Fatal("ProblemsError without problems")
	}
	for _, p := range pe.Problems {
		if p.File == "" || p.Reason == "" {
			t.Errorf("problem without file or reason: %#v", p)
		}
	}
	_ = pe.Error()
}

func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("loan_id,guarantor_id,county,industry,balance,pd,lgd\nL1,G-1,330382,footwear,1234.5,0.02,0.45\n"), false)
	f.Add([]byte("loan_id,guarantor_id,county,industry,balance,pd,lgd,start_date,maturity_date,fee_rate,guarantee_ratio,reguarantee_eligible\n"+
		"L1,G-2,330382,鞋业,\"1,234.50\",1e-3,0,2024-01-31,2025-01-31,,0.7,NO\n L2 ,G-1,3303,x,12.5万,0.999,1,,,-0,,1\n"), true)
	f.Add([]byte("\uFEFFLoan_ID;pd\n\"a\"\"b\",x\n,,\n\n"), false)
	f.Add([]byte("loan_id,guarantor_id,county,industry,balance,pd,lgd\nL1,G-9,c,i,-1,1.5,NaN,extra\nL1,,,,,,\n"), false)
	f.Fuzz(func(t *testing.T, loans []byte, lenient bool) {
		catchOwnPanics(t)
		pf, _, err := ImportFrom(Input{"loans.csv", bytes.NewReader(loans)}, Input{"guarantors.csv", strings.NewReader(fuzzGuarantors)},
			ImportOptions{LenientMoney: lenient})
		if err != nil {
			checkRejected(t, err)
			return
		}
		checkImported(t, pf)
	})
}

func FuzzImportXLSX(f *testing.F) {
	book := makeXLSX(f, []string{"loans", "guarantors"}, [][][]any{
		{
			{"loan_id", "guarantor_id", "county", "industry", "balance", "pd", "lgd", "start_date"},
			{"L1", "G-1", "330382", "footwear", 1234.5, 0.02, 0.45, nil},
			{"L2", "G-1", 330383, "eyewear", "100.25", 0.1, 1, "2024-02-29"},
		},
		{
			{"guarantor_id", "level", "county", "registered_capital", "net_assets", "focused"},
			{"G-1", "city", "3303", 2e8, 2.1e8, true},
		},
	})
	f.Add(book)
	f.Add(book[:len(book)/2])
	f.Fuzz(func(t *testing.T, book []byte) {
		catchOwnPanics(t)
		in := Input{"book.xlsx", bytes.NewReader(book)}
		pf, _, err := ImportFrom(in, Input{"book.xlsx", bytes.NewReader(book)}, ImportOptions{})
		if err != nil {
			checkRejected(t, err)
			return
		}
		checkImported(t, pf)
	})
}

func FuzzReadParquet(f *testing.F) {
	mem := checkedMem(f)
	for _, n := range []int{1, 3} {
		var buf bytes.Buffer
		pf := testPortfolio(n, uint64(n))
		if err := writeParquet(&buf, mem, loanColumns, pf.Loans, pf.AsOf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		catchOwnPanics(t)
		mem := checkedMem(t)
		g := Input{"guarantors.csv", strings.NewReader(xlsxGuarantorsCSV)}
		pf, _, err := ImportFrom(Input{"loans.parquet", bytes.NewReader(data)}, g, ImportOptions{Mem: mem})
		if err != nil {
			checkRejected(t, err)
			return
		}
		checkImported(t, pf)
	})
}

// xlsxGuarantorsCSV are the guarantors of testPortfolio, for the Parquet
// loans of FuzzReadParquet.
var xlsxGuarantorsCSV = func() string {
	var b bytes.Buffer
	if err := writeCSV(&b, guarantorColumns, testPortfolio(0, 0).Guarantors); err != nil {
		panic(err)
	}
	return b.String()
}()

// FuzzReadArrow feeds arbitrary bytes to the snapshot reader as loans.arrow:
// it must report problems, never panic, and release its memory.
func FuzzReadArrow(f *testing.F) {
	mem := checkedMem(f)
	pf := testPortfolio(3, 5)
	var lb, gb bytes.Buffer
	if err := writeIPC(&lb, mem, loanColumns, pf.Loans, pf.AsOf); err != nil {
		f.Fatal(err)
	}
	if err := writeIPC(&gb, mem, guarantorColumns, pf.Guarantors, pf.AsOf); err != nil {
		f.Fatal(err)
	}
	f.Add(lb.Bytes())
	f.Add(lb.Bytes()[:len(lb.Bytes())-9])
	f.Fuzz(func(t *testing.T, data []byte) {
		catchOwnPanics(t)
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		got, err := Options{Mem: mem}.readSnapshot(newMemFile(data), newMemFile(gb.Bytes()), nil)
		// arrow-go v18.8.0 does not always release what it allocated before
		// failing on a corrupt file: it recovers a panic while loading a
		// record batch into "arrow/ipc: error reading record batch" without
		// releasing the column it was building (newRecordBatch), returns
		// "arrow/ipc: field metadata out of bound" after allocating, and
		// when it panics and the reader turns the panic into a problem
		// ("runtime error: …") what it had allocated is lost too. With a Go
		// allocator the GC reclaims all of it. So a failure arrow-go reports
		// ("arrow/ipc: …") or a panic inside it may leak arrow-go's own
		// memory; everything else, our own errors included, must be released.
		libraryLeak := err != nil && (strings.Contains(err.Error(), "arrow/ipc:") ||
			strings.Contains(err.Error(), "runtime error"))
		if n := mem.CurrentAlloc(); n != 0 && !libraryLeak {
			t.Errorf("%d bytes of Arrow memory not released; err = %v", n, err)
		}
		if err != nil {
			checkRejected(t, err)
			return
		}
		checkImported(t, got)
	})
}

// FuzzArrowRoundTrip writes portfolios with fuzzed values and reads them
// back: a valid one exactly (floats bitwise), an invalid one rejected with
// the same problems Validate reports.
func FuzzArrowRoundTrip(f *testing.F) {
	f.Add("L1", "B1", "G-1", "330382", "鞋", int64(123456), 0.02, 0.5, math.NaN(), int32(19000), true, "")
	f.Add("", "", "G-x", "", "\xff", int64(-1), 1.5, math.Inf(1), math.Copysign(0, -1), int32(0), false, "2024-01-01")
	f.Fuzz(func(t *testing.T, id, borrower, gid, county, industry string, balance int64, pd, lgd, ratio float64, start int32, flag bool, name string) {
		mem := checkedMem(t)
		pf := &models.Portfolio{AsOf: models.Date(start / 2)}
		g := models.NewGuarantor()
		g.GuarantorID, g.Name, g.Level, g.County = "G-1", name, models.LevelCity, county
		g.RegisteredCapital, g.NetAssets, g.Focused = models.Cents(balance), models.Cents(balance)+1, flag
		pf.Guarantors = append(pf.Guarantors, g)
		for i := range 3 {
			l := models.NewLoan()
			l.LoanID, l.BorrowerID, l.GuarantorID, l.County, l.Industry = id+strings.Repeat("'", i), borrower, gid, county, industry
			l.Balance, l.PD, l.LGD, l.GuaranteeRatio = models.Cents(balance)%models.MaxCents, pd, lgd, ratio
			l.StartDate, l.MaturityDate, l.CounterGuarantee = models.Date(start), models.Date(start)+models.Date(i), flag
			pf.Loans = append(pf.Loans, l)
		}
		want := &models.Portfolio{AsOf: pf.AsOf, Loans: append([]models.Loan(nil), pf.Loans...), Guarantors: append([]models.Guarantor(nil), pf.Guarantors...)}
		verr := want.Validate(models.DefaultFiles)
		got, err := arrowRoundTrip(mem, pf)
		if err != nil && invalidUTF8(pf) && errors.Is(err, models.ErrInvalid) && !strings.Contains(err.Error(), "problem(s)") {
			return // Write refused it
		}
		if verr != nil {
			if err == nil {
				t.Fatalf("Read accepted a portfolio Validate rejects: %v", verr)
			}
			// Read names the same cells, though its reason may be more
			// specific ("+Inf": must be a finite number).
			var rp, vp *models.ProblemsError
			if !errors.As(err, &rp) || !errors.As(verr, &vp) {
				t.Fatalf("not ProblemsErrors: %v; %v", err, verr)
			}
			cells := map[string]bool{}
			for _, p := range rp.Problems {
				cells[fmt.Sprint(p.File, p.Row, p.Field)] = true
			}
			for _, p := range vp.Problems {
				if !cells[fmt.Sprint(p.File, p.Row, p.Field)] {
					t.Errorf("Read does not report %v\nRead: %v", p, err)
				}
			}
			return
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		for _, d := range diffPortfolios(want, got) {
			t.Error(d)
		}
	})
}

// invalidUTF8 reports whether any string of pf is not UTF-8, which Write
// refuses.
func invalidUTF8(pf *models.Portfolio) bool {
	for _, l := range pf.Loans {
		for _, s := range []string{l.LoanID, l.BorrowerID, l.GuarantorID, l.County, l.Industry} {
			if !utf8.ValidString(s) {
				return true
			}
		}
	}
	for _, g := range pf.Guarantors {
		if !utf8.ValidString(g.Name) || !utf8.ValidString(g.County) {
			return true
		}
	}
	return false
}
