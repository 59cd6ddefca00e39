package snapshot

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/wenzhou/danbao/models"
)

// foreignLoans is a loans table as pandas or another tool might write it:
// county as integers, money as float64 and as decimal(20,4), missing values
// as NaN, a timestamp date, a date as text, 0/1 booleans and an extra
// column. Row 2 (the second, numbered 3) has problems.
func foreignLoans(t testing.TB, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "loan_id", Type: arrow.BinaryTypes.LargeString},
		{Name: "guarantor_id", Type: arrow.BinaryTypes.String},
		{Name: "county", Type: arrow.PrimitiveTypes.Int64},
		{Name: "industry", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}},
		{Name: "balance", Type: arrow.PrimitiveTypes.Float64},
		{Name: "pd", Type: arrow.PrimitiveTypes.Float64},
		{Name: "lgd", Type: arrow.PrimitiveTypes.Float32},
		{Name: "fee_rate", Type: arrow.PrimitiveTypes.Float64},
		{Name: "start_date", Type: &arrow.TimestampType{Unit: arrow.Millisecond}},
		{Name: "maturity_date", Type: arrow.BinaryTypes.String},
		{Name: "reguarantee_eligible", Type: arrow.PrimitiveTypes.Int8},
		{Name: "interest_rate", Type: &arrow.Decimal128Type{Precision: 20, Scale: 4}},
		{Name: "note", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.LargeStringBuilder).AppendValues([]string{"L1", "L2"}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"G-1", "G-1"}, nil)
	b.Field(2).(*array.Int64Builder).AppendValues([]int64{330382, 330383}, nil)
	ib := b.Field(3).(*array.BinaryDictionaryBuilder)
	ib.AppendString("footwear")
	ib.AppendString("eyewear")
	b.Field(4).(*array.Float64Builder).AppendValues([]float64{1234567.89, 0.125}, nil)
	b.Field(5).(*array.Float64Builder).AppendValues([]float64{0.02, math.NaN()}, nil)
	b.Field(6).(*array.Float32Builder).AppendValues([]float32{0.45, 0.5}, nil)
	b.Field(7).(*array.Float64Builder).AppendValues([]float64{math.NaN(), 0.01}, []bool{true, true})
	ts := time.Date(2023, 5, 6, 0, 0, 0, 0, time.UTC).UnixMilli()
	b.Field(8).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{arrow.Timestamp(ts), arrow.Timestamp(ts + 3600_000)}, nil)
	b.Field(9).(*array.StringBuilder).AppendValues([]string{"2025-05-05", ""}, []bool{true, false})
	b.Field(10).(*array.Int8Builder).AppendValues([]int8{0, 2}, nil)
	b.Field(11).(*array.Decimal128Builder).AppendValues([]decimal128.Num{decimal128.FromI64(450), decimal128.FromI64(-1)}, nil)
	b.Field(12).(*array.StringBuilder).AppendValues([]string{"a", "b"}, nil)
	return b.NewRecordBatch()
}

const foreignGuarantors = "guarantor_id,level,county,registered_capital,net_assets\nG-1,county,330382,100000000,100000000\n"

func TestImportForeignTypes(t *testing.T) {
	for _, format := range []string{"parquet", "arrow"} {
		t.Run(format, func(t *testing.T) {
			mem := checkedMem(t)
			rec := foreignLoans(t, mem)
			defer rec.Release()
			var buf bytes.Buffer
			switch format {
			case "parquet":
				fw, err := pqarrow.NewFileWriter(rec.Schema(), &buf, nil, pqarrow.DefaultWriterProps())
				if err != nil {
					t.Fatal(err)
				}
				if err := fw.Write(rec); err != nil {
					t.Fatal(err)
				}
				if err := fw.Close(); err != nil {
					t.Fatal(err)
				}
			case "arrow":
				fw, err := ipc.NewFileWriter(&buf, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(mem))
				if err != nil {
					t.Fatal(err)
				}
				if err := fw.Write(rec); err != nil {
					t.Fatal(err)
				}
				if err := fw.Close(); err != nil {
					t.Fatal(err)
				}
			}
			loans := Input{"pandas." + format, bytes.NewReader(buf.Bytes())}
			guarantors := Input{"g.csv", strings.NewReader(foreignGuarantors)}
			_, warnings, err := ImportFrom(loans, guarantors, ImportOptions{Mem: mem})
			if len(warnings) != 1 || !strings.Contains(warnings[0], `unknown column "note"`) {
				t.Errorf("warnings = %q", warnings)
			}
			var pe *models.ProblemsError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v", err)
			}
			want := []string{
				`pandas.` + format + `: row 3, column "pd" = "": is empty`,
				`row 3, column "start_date" = "2023-05-06T01:00:00Z": is not a date`,
				`row 3, column "reguarantee_eligible" = "2": is not a boolean`,
				`row 3, column "balance" = "0.125": has more than two decimals (fen)`,
				`row 3, column "interest_rate" = "-0.0001": must be in [0, 1)`,
			}
			got := make([]string, len(pe.Problems))
			for i, p := range pe.Problems {
				got[i] = p.Error()
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("problems lack %q", w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
			}
		})
	}
	// Without row 3 the same table imports, with each value converted exactly.
	mem := checkedMem(t)
	rec := foreignLoans(t, mem)
	defer rec.Release()
	first := rec.NewSlice(0, 1)
	defer first.Release()
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(first.Schema(), &buf, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(first); err != nil {
		t.Fatal(err)
	}
	fw.Close()
	pf, _, err := ImportFrom(Input{"p.parquet", bytes.NewReader(buf.Bytes())}, Input{"g.csv", strings.NewReader(foreignGuarantors)}, ImportOptions{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	l := pf.Loans[0]
	if l.LoanID != "L1" || l.County != "330382" || l.Industry != "footwear" || l.Balance != 123456789 || l.PD != 0.02 ||
		l.LGD != 0.45 || !math.IsNaN(l.FeeRate) || l.StartDate.String() != "2023-05-06" || l.MaturityDate.String() != "2025-05-05" ||
		l.ReguaranteeEligible || l.InterestRate != 0.045 {
		t.Errorf("loan = %+v", l)
	}
}

func TestReadProblems(t *testing.T) {
	mem := checkedMem(t)
	o := Options{Mem: mem}
	pf := testPortfolio(10, 3)
	pf.Loans[4].PD = 2
	pf.Loans[6].GuarantorID = "nobody"
	dir := filepath.Join(t.TempDir(), "s")
	if err := o.Write(dir, pf); err != nil {
		t.Fatal(err)
	}
	_, err := o.Read(dir)
	for _, want := range []string{
		`loans.arrow: row 6, column "pd" = "2": must be in (0, 1)`,
		`loans.arrow: row 8, column "guarantor_id" = "nobody": is not in the guarantors table`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Read error %v\nlacks %q", err, want)
		}
	}

	// A loans.arrow without its lgd column, and a guarantors.arrow that is
	// not an Arrow file at all.
	rec, err := buildRecord(mem, loanColumns, pf.Loans, pf.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	var fields []arrow.Field
	var cols []arrow.Array
	for j, f := range rec.Schema().Fields() {
		if f.Name != "lgd" {
			fields, cols = append(fields, f), append(cols, rec.Column(j))
		}
	}
	cut := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	defer cut.Release()
	bad := filepath.Join(t.TempDir(), "bad")
	os.Mkdir(bad, 0o755)
	f, _ := os.Create(filepath.Join(bad, LoansFile))
	fw, err := ipc.NewFileWriter(f, ipc.WithSchema(cut.Schema()), ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(cut)
	fw.Close()
	f.Close()
	os.WriteFile(filepath.Join(bad, GuarantorsFile), []byte("guarantor_id\nG-1\n"), 0o644)
	_, err = o.Read(bad)
	for _, want := range []string{
		`loans.arrow: column "lgd": required column is missing`,
		`guarantors.arrow: is not a valid Arrow IPC file`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Read error %v\nlacks %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "must be in [0, 1]") {
		t.Errorf("the missing lgd column is reported per row too: %v", err)
	}
}

// TestWriteRefuses checks that Write never clobbers a non-empty folder
// without Overwrite, replaces it with Overwrite, and leaves no temporary
// folder behind either way.
func TestWriteRefuses(t *testing.T) {
	mem := checkedMem(t)
	o := Options{Mem: mem}
	parent := t.TempDir()
	dir := filepath.Join(parent, "snap")
	pf := testPortfolio(20, 1)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := o.Write(dir, pf); err != nil { // empty folder: fine
		t.Fatalf("Write into empty folder: %v", err)
	}
	err := o.Write(dir, pf)
	if !errors.Is(err, models.ErrConflict) {
		t.Fatalf("second Write: err = %v, want ErrConflict", err)
	}
	pf2 := testPortfolio(30, 2)
	if err := (Options{Mem: mem, Overwrite: true}).Write(dir, pf2); err != nil {
		t.Fatalf("Write with Overwrite: %v", err)
	}
	got, err := o.Read(dir)
	if err != nil || len(got.Loans) != 30 {
		t.Fatalf("after overwrite: %v, %d loans", err, len(got.Loans))
	}
	file := filepath.Join(parent, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	if err := o.WriteCSV(file, pf); !errors.Is(err, models.ErrConflict) {
		t.Errorf("WriteCSV onto a file: err = %v", err)
	}
	// Money that does not fit decimal128(18,2) fails the write, and nothing appears.
	pf.Loans[3].Balance = models.MaxCents + 1
	if err := o.Write(filepath.Join(parent, "big"), pf); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("Write of too much money: err = %v", err)
	}
	ents, _ := os.ReadDir(parent)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "file snap" {
		t.Errorf("folder holds %q, want only file and snap", names)
	}
}

// TestImportWrongColumnType: a required column of a type that cannot hold
// its values is reported once, not once per row.
func TestImportWrongColumnType(t *testing.T) {
	mem := checkedMem(t)
	pf := testPortfolio(50, 2)
	rec, err := buildRecord(mem, loanColumns, pf.Loans, pf.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Float64)
	defer lb.Release()
	for range rec.NumRows() {
		lb.Append(true)
		lb.ValueBuilder().(*array.Float64Builder).Append(0.02)
	}
	pdList := lb.NewArray()
	defer pdList.Release()
	fields := rec.Schema().Fields()
	cols := rec.Columns()
	pd := rec.Schema().FieldIndices("pd")[0]
	fields[pd] = arrow.Field{Name: "pd", Type: pdList.DataType()}
	cols = append(append([]arrow.Array(nil), cols[:pd]...), append([]arrow.Array{pdList}, cols[pd+1:]...)...)
	bad := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	defer bad.Release()
	var buf bytes.Buffer
	fw, err := ipc.NewFileWriter(&buf, ipc.WithSchema(bad.Schema()), ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(bad); err != nil {
		t.Fatal(err)
	}
	fw.Close()
	var gb bytes.Buffer
	writeCSV(&gb, guarantorColumns, pf.Guarantors)
	_, _, err = ImportFrom(Input{"l.arrow", bytes.NewReader(buf.Bytes())}, Input{"g.csv", bytes.NewReader(gb.Bytes())}, ImportOptions{Mem: mem})
	var pe *models.ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || !strings.Contains(err.Error(), `l.arrow: column "pd": has type list<item: float64, nullable>, which cannot hold a number`) {
		t.Errorf("err = %v", err)
	}
}
