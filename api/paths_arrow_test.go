package api

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// fakeResult returns a result with paths paths over horizon years whose
// values are easy to recompute: loss[p, t] = p·1000 + t fen (plus the
// largest decimal128(18,2)-sized value on the last path), defaults[p, t] = p % 7 + t.
func fakeResult(paths, horizon int) *sim.Result {
	r := &sim.Result{Seed: 42, FirstPath: 1000, Paths: paths, Horizon: horizon,
		Loss: make([]int64, paths*horizon), Defaults: make([]int32, paths*horizon)}
	for p := range paths {
		for t := range horizon {
			r.Loss[p*horizon+t] = int64(p)*1000 + int64(t)
			r.Defaults[p*horizon+t] = int32(p%7 + t)
		}
	}
	if paths > 0 {
		r.Loss[(paths-1)*horizon] = int64(models.MaxCents) / 2 // a loss near the top of the range
	}
	return r
}

// checkBatch checks a record batch's rows against r.
func checkBatch(t *testing.T, r *sim.Result, rec arrow.RecordBatch, lo int) int {
	t.Helper()
	H := r.Horizon
	if int(rec.NumCols()) != 3+2*H {
		t.Fatalf("%d columns, want %d", rec.NumCols(), 3+2*H)
	}
	path := rec.Column(0).(*array.Int64)
	lossTot := rec.Column(1).(*array.Decimal128)
	defTot := rec.Column(2).(*array.Int64)
	for i := range int(rec.NumRows()) {
		p := lo + i
		if path.Value(i) != int64(r.FirstPath+p) {
			t.Fatalf("row %d: path %d", p, path.Value(i))
		}
		if got := lossTot.Value(i); got != decimal128.FromI64(r.TotalLoss(p)) {
			t.Fatalf("row %d: loss_total %s, want %d fen", p, got.ToString(2), r.TotalLoss(p))
		}
		if defTot.Value(i) != r.TotalDefaults(p) {
			t.Fatalf("row %d: defaults_total %d", p, defTot.Value(i))
		}
		for y := range H {
			if got := rec.Column(3 + y).(*array.Decimal128).Value(i); got != decimal128.FromI64(r.Loss[p*H+y]) {
				t.Fatalf("row %d: loss_y%d %v", p, y+1, got.ToString(2))
			}
			if got := rec.Column(3 + H + y).(*array.Int64).Value(i); got != int64(r.Defaults[p*H+y]) {
				t.Fatalf("row %d: defaults_y%d %d", p, y+1, got)
			}
		}
	}
	return int(rec.NumRows())
}

func TestWritePathsArrow(t *testing.T) {
	for _, tt := range []struct {
		name           string
		paths, horizon int
	}{
		{"empty", 0, 1},
		{"one", 1, 1},
		{"h3", 1000, 3},
		{"batches", pathsBatchRows + 17, 2}, // more than one record batch
	} {
		r := fakeResult(tt.paths, tt.horizon)
		for _, f := range []PathsFormat{PathsArrowFile, PathsArrowStream} {
			t.Run(tt.name+"/"+f.String(), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				var buf bytes.Buffer
				if err := writePaths(&buf, r, f, mem); err != nil {
					t.Fatal(err)
				}
				n := 0
				var schema *arrow.Schema
				if f == PathsArrowFile {
					fr, err := ipc.NewFileReader(bytes.NewReader(buf.Bytes()), ipc.WithAllocator(mem))
					if err != nil {
						t.Fatal(err)
					}
					defer fr.Close()
					schema = fr.Schema()
					for i := range fr.NumRecords() {
						rec, err := fr.RecordBatch(i)
						if err != nil {
							t.Fatal(err)
						}
						n += checkBatch(t, r, rec, n)
						rec.Release()
					}
				} else {
					sr, err := ipc.NewReader(&buf, ipc.WithAllocator(mem))
					if err != nil {
						t.Fatal(err)
					}
					defer sr.Release()
					schema = sr.Schema()
					for sr.Next() {
						n += checkBatch(t, r, sr.RecordBatch(), n)
					}
					if err := sr.Err(); err != nil {
						t.Fatal(err)
					}
				}
				if n != r.Paths {
					t.Errorf("read %d rows, want %d", n, r.Paths)
				}
				if !schema.Equal(PathsSchema(r)) {
					t.Errorf("schema %v, want %v", schema, PathsSchema(r))
				}
				if v, _ := schema.Metadata().GetValue("schema"); v != PathsSchemaName {
					t.Errorf("schema metadata %q", v)
				}
			})
		}
	}
}

func TestWritePathsCSV(t *testing.T) {
	r := fakeResult(50, 2)
	var buf bytes.Buffer
	if err := WritePathsArrow(&buf, r, PathsCSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"path", "loss_total", "defaults_total", "loss_y1", "loss_y2", "defaults_y1", "defaults_y2"}
	if len(rows) != 51 || len(rows[0]) != len(want) {
		t.Fatalf("%d rows × %d columns", len(rows), len(rows[0]))
	}
	for i, h := range want {
		if rows[0][i] != h {
			t.Errorf("header %v, want %v", rows[0], want)
		}
	}
	for p, row := range rows[1:] {
		tot, err := models.ParseCents(row[1])
		if err != nil || int64(tot) != r.TotalLoss(p) {
			t.Errorf("row %d: loss_total %q (%v), want %d fen", p, row[1], err, r.TotalLoss(p))
		}
		if row[0] != strconv.Itoa(r.FirstPath+p) || row[6] != strconv.Itoa(int(r.Defaults[p*2+1])) {
			t.Errorf("row %d: %v", p, row)
		}
	}
	if rows[2][3] != "10.00" { // path 1, year 1: 1000 fen
		t.Errorf("loss_y1 of path 1 = %q, want 10.00", rows[2][3])
	}
}

func TestParsePathsFormat(t *testing.T) {
	for _, f := range []PathsFormat{PathsArrowFile, PathsArrowStream, PathsCSV} {
		if g, err := ParsePathsFormat(f.String()); err != nil || g != f {
			t.Errorf("ParsePathsFormat(%q) = %v, %v", f, g, err)
		}
	}
	if _, err := ParsePathsFormat("parquet"); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("parquet: err = %v", err)
	}
	if err := WritePathsArrow(&bytes.Buffer{}, fakeResult(1, 1), PathsFormat(9)); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("format 9: err = %v", err)
	}
}
