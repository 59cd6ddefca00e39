package snapshot

import (
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/wenzhou/danbao/models"
)

// Limits bound what reading one table may cost, so that a small hostile
// file (an Arrow file of 266 bytes declaring 10⁹ rows, a Parquet footer
// claiming 10⁹ rows, a workbook with a 1 GiB part, a CSV of millions of
// empty rows) is refused with a problem before it allocates, instead of
// taking the process down. The zero value means the defaults.
//
// What is checked, per table (docs/limits.md has the details):
//
//	rows      ≤ MaxRows, for the rows an Arrow or Parquet file declares
//	          and the rows a CSV or XLSX file holds
//	rows      ≤ the file's size in bytes, for Arrow and Parquet: every
//	          row of a valid table needs at least one byte (its id)
//	memory    ≤ MaxBytes: Arrow buffers (record batches, decompressed
//	          bodies, Parquet pages and columns) plus the decoded rows
//	          (rows × the size of a models.Loan or models.Guarantor, plus
//	          the text of CSV and XLSX cells)
//	XLSX      the parts of the workbook unzip to at most
//	          max(xlsxMinUnzip, xlsxUnzipRatio × the file's size) bytes in
//	          all; parts above xlsxMemPart go to a temporary file in TempDir
//	problems  the first models.MaxProblems are kept, the rest counted; a
//	          CSV or XLSX reader keeps no more rows once the list is full
type Limits struct {
	// MaxRows is the most rows one table may have. 0 means DefaultMaxRows.
	MaxRows int
	// MaxBytes bounds the memory reading one table may take, in bytes.
	// 0 means DefaultMaxBytes.
	MaxBytes int64
	// TempDir is where excelize keeps worksheet parts too large to hold in
	// memory while a workbook is open (deleted when it is closed). ""
	// means os.TempDir(). The server uses a folder under its data folder
	// and empties it at start.
	TempDir string
}

// Default limits.
const (
	// DefaultMaxRows is enough for a portfolio of 10 million loans.
	DefaultMaxRows = 10_000_000
	// DefaultMaxBytes is enough to import 10 million loans from any format.
	DefaultMaxBytes int64 = 8 << 30
)

// XLSX limits, fixed: see Limits.
const (
	xlsxUnzipRatio       = 100      // a worksheet's XML is rarely more than 20× its zipped size
	xlsxMinUnzip   int64 = 64 << 20 // small workbooks may be unzipped to 64 MiB in all
	xlsxMemPart    int64 = 16 << 20 // parts above 16 MiB are unzipped to TempDir, not memory
)

func (l Limits) maxRows() int {
	if l.MaxRows <= 0 {
		return DefaultMaxRows
	}
	return l.MaxRows
}

func (l Limits) maxBytes() int64 {
	if l.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return l.MaxBytes
}

// xlsxUnzipLimit is the most bytes the parts of a workbook of size bytes
// may unzip to.
func (l Limits) xlsxUnzipLimit(size int64) int64 {
	n := max(xlsxMinUnzip, xlsxUnzipRatio*size)
	return min(n, l.maxBytes())
}

// budget counts the memory reading one table takes against Limits.MaxBytes.
// It is safe for concurrent use.
type budget struct {
	limit   int64
	used    atomic.Int64
	refused atomic.Pointer[overBudget] // the first refusal, if any
}

func newBudget(l Limits) *budget { return &budget{limit: l.maxBytes()} }

// overBudget is the panic value of a budgetAllocator over its budget.
type overBudget struct{ want, limit int64 }

func (o overBudget) Error() string {
	return fmt.Sprintf("reading it needs more than %s of memory (the limit is %s)", mib(o.want), mib(o.limit))
}

// charge takes n bytes from the budget (gives them back if n < 0), or
// reports why it cannot.
func (b *budget) charge(n int64) error {
	if used := b.used.Add(n); n > 0 && used > b.limit {
		b.used.Add(-n)
		o := overBudget{want: used, limit: b.limit}
		b.refused.CompareAndSwap(nil, &o)
		return o
	}
	return nil
}

func (b *budget) release(n int64) { b.used.Add(-n) }

// budgetAllocator is an Arrow allocator that charges a budget before each
// allocation. arrow-go cannot be told "no" (Allocate returns no error),
// so over the budget it panics with an overBudget, which the readers
// recover and report as a problem with the file: the allocation itself
// never happens.
type budgetAllocator struct {
	mem memory.Allocator
	b   *budget
}

func (a budgetAllocator) Allocate(size int) []byte {
	if err := a.b.charge(int64(size)); err != nil {
		panic(err)
	}
	return a.mem.Allocate(size)
}

func (a budgetAllocator) Reallocate(size int, buf []byte) []byte {
	if err := a.b.charge(int64(size - len(buf))); err != nil {
		panic(err)
	}
	return a.mem.Reallocate(size, buf)
}

func (a budgetAllocator) Free(buf []byte) {
	a.b.release(int64(len(buf)))
	a.mem.Free(buf)
}

// budgetProblem reports, as a problem with the file, that d's budget
// refused an allocation, if it did, and says whether it did. Readers call
// it on a panic (p, recovered) or an error from arrow-go, which turns
// panics into errors of its own.
func budgetProblem(d *decoder, p any) bool {
	o := d.budget.refused.Load()
	if o == nil {
		if ob, ok := p.(overBudget); ok {
			o = &ob
		} else {
			return false
		}
	}
	d.add(0, "", "", o.Error()+"; raise --max-memory if the file is genuine", models.ErrInvalid)
	return true
}

// checkDeclaredRows refuses a table whose file declares more rows than
// the limits allow, before anything is allocated for them.
func checkDeclaredRows(d *decoder, lim Limits, rows, size int64) bool {
	switch {
	case rows < 0:
		d.add(0, "", "", fmt.Sprintf("declares %d rows (corrupt file)", rows), models.ErrInvalid)
	case rows > int64(lim.maxRows()):
		d.add(0, "", "", fmt.Sprintf("declares %d rows, more than the limit of %d; raise --max-rows if the file is genuine", rows, lim.maxRows()), models.ErrInvalid)
	case rows > size:
		d.add(0, "", "", fmt.Sprintf("declares %d rows in %d bytes; every row needs at least one byte (corrupt file)", rows, size), models.ErrInvalid)
	default:
		return true
	}
	return false
}

// mib formats a byte count in MiB.
func mib(n int64) string { return fmt.Sprintf("%d MiB", (n+(1<<20)-1)>>20) }
