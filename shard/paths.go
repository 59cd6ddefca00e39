package shard

import (
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// PathsSchema is the "schema" metadata of a shard's per-path file.
const PathsSchema = "danbao.shard.paths/v1"

// batchRows is the number of paths per record batch.
const batchRows = 4096

// dims are the shapes of one run's per-path figures.
type dims struct {
	H, G, C int  // years, guarantors, county funds
	ledger  bool // the policy ledger ran (not --losses-only)
	weight  bool // importance sampling: one weight per path
	chains  bool // the portfolio has guarantee links: the contagion split
}

func (d dims) metrics() int { return (d.G + 1) * d.H * sim.NMetrics }

// schema is the per-path table of a shard (one row per path, exact: money
// in fen as int64, floats bit for bit):
//
//	path         int64                      the path's number in the whole run
//	loss         fixed_size_list<int64>[H]  credit loss by year, fen (sim.Result.Loss)
//	defaults     fixed_size_list<int32>[H]  defaults by year
//	contagion_loss      fixed_size_list<int64>[H]  the part of loss from contagion, fen (with links only)
//	contagion_defaults  fixed_size_list<int32>[H]  the part of defaults from contagion (with links only)
//	weight       float64                    likelihood ratio (importance sampling only)
//	party_loss   fixed_size_list<int64>[6]  loss by party, fen (with the ledger)
//	metrics      fixed_size_list<float64>   (G+1)·H·NMetrics projected metrics (sim.LedgerResult.Metrics)
//	outlays      fixed_size_list<int64>     C·H county outlays, fen
//	county_comp  fixed_size_list<int64>     C·H county risk compensation, fen
//	need_x       fixed_size_list<float64>   G smallest injections (sim.LedgerResult.NeedX)
func (d dims) schema() *arrow.Schema {
	list := func(name string, n int, t arrow.DataType) arrow.Field {
		return arrow.Field{Name: name, Type: arrow.FixedSizeListOfNonNullable(int32(n), t)}
	}
	fs := []arrow.Field{{Name: "path", Type: arrow.PrimitiveTypes.Int64},
		list("loss", d.H, arrow.PrimitiveTypes.Int64), list("defaults", d.H, arrow.PrimitiveTypes.Int32)}
	if d.chains {
		fs = append(fs, list("contagion_loss", d.H, arrow.PrimitiveTypes.Int64), list("contagion_defaults", d.H, arrow.PrimitiveTypes.Int32))
	}
	if d.weight {
		fs = append(fs, arrow.Field{Name: "weight", Type: arrow.PrimitiveTypes.Float64})
	}
	if d.ledger {
		fs = append(fs, list("party_loss", sim.NParties, arrow.PrimitiveTypes.Int64),
			list("metrics", d.metrics(), arrow.PrimitiveTypes.Float64),
			list("outlays", d.C*d.H, arrow.PrimitiveTypes.Int64),
			list("county_comp", d.C*d.H, arrow.PrimitiveTypes.Int64),
			list("need_x", d.G, arrow.PrimitiveTypes.Float64))
	}
	md := arrow.NewMetadata([]string{"schema", "horizon", "guarantors", "counties", "metrics"},
		[]string{PathsSchema, strconv.Itoa(d.H), strconv.Itoa(d.G), strconv.Itoa(d.C), strconv.Itoa(sim.NMetrics)})
	return arrow.NewSchema(fs, &md)
}

// writePaths writes the per-path figures of r (and b, nil without the
// ledger) as an Arrow IPC file.
func writePaths(w io.Writer, r *sim.Result, b *sim.LedgerResult, mem memory.Allocator) error {
	d := dims{H: r.Horizon, ledger: b != nil, weight: r.Weight != nil, chains: r.ContagionLoss != nil}
	if b != nil {
		d.G, d.C = b.G, b.C
	}
	schema := d.schema()
	fw, err := ipc.NewFileWriter(w, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	if err != nil {
		return err
	}
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for lo := 0; lo < r.Paths; lo += batchRows {
		hi := min(lo+batchRows, r.Paths)
		col := 0
		next := func() array.Builder { col++; return rb.Field(col - 1) }
		path := next().(*array.Int64Builder)
		for p := lo; p < hi; p++ {
			path.Append(int64(r.FirstPath + p))
		}
		appendList(next(), r.Loss[lo*d.H:hi*d.H], hi-lo)
		appendList(next(), r.Defaults[lo*d.H:hi*d.H], hi-lo)
		if d.chains {
			appendList(next(), r.ContagionLoss[lo*d.H:hi*d.H], hi-lo)
			appendList(next(), r.ContagionDefaults[lo*d.H:hi*d.H], hi-lo)
		}
		if d.weight {
			next().(*array.Float64Builder).AppendValues(r.Weight[lo:hi], nil)
		}
		if d.ledger {
			appendList(next(), b.PartyLoss[lo*sim.NParties:hi*sim.NParties], hi-lo)
			appendList(next(), b.Metrics[lo*d.metrics():hi*d.metrics()], hi-lo)
			appendList(next(), b.Outlays[lo*d.C*d.H:hi*d.C*d.H], hi-lo)
			appendList(next(), b.CountyComp[lo*d.C*d.H:hi*d.C*d.H], hi-lo)
			appendList(next(), b.NeedX[lo*d.G:hi*d.G], hi-lo)
		}
		rec := rb.NewRecordBatch()
		err := fw.Write(rec)
		rec.Release()
		if err != nil {
			fw.Close()
			return err
		}
	}
	return fw.Close()
}

// appendList appends rows fixed-size lists whose values are vals, in order.
func appendList[T int64 | int32 | float64](b array.Builder, vals []T, rows int) {
	lb := b.(*array.FixedSizeListBuilder)
	for range rows {
		lb.Append(true)
	}
	switch vb := lb.ValueBuilder().(type) {
	case *array.Int64Builder:
		vb.AppendValues(any(vals).([]int64), nil)
	case *array.Int32Builder:
		vb.AppendValues(any(vals).([]int32), nil)
	case *array.Float64Builder:
		vb.AppendValues(any(vals).([]float64), nil)
	}
}

// readPaths reads a file writePaths wrote for paths [first, first+n) of a
// run with dimensions d, checking its schema, its row count and every
// path number. name names the file in errors.
func readPaths(rd ipc.ReadAtSeeker, name string, d dims, first, n int, mem memory.Allocator) (*sim.Result, *sim.LedgerResult, error) {
	fr, err := ipc.NewFileReader(rd, ipc.WithAllocator(mem))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	defer fr.Close()
	want := d.schema()
	if !fr.Schema().Equal(want) {
		return nil, nil, fmt.Errorf("%w: %s: columns %v, want %v (other dimensions or not a shard file)",
			models.ErrInvalid, name, fr.Schema(), want)
	}
	if md := fr.Schema().Metadata(); !md.Equal(want.Metadata()) {
		return nil, nil, fmt.Errorf("%w: %s: metadata %v, want %v", models.ErrInvalid, name, md, want.Metadata())
	}
	r := &sim.Result{FirstPath: first, Paths: n, Horizon: d.H,
		Loss: make([]int64, 0, n*d.H), Defaults: make([]int32, 0, n*d.H)}
	var b *sim.LedgerResult
	if d.chains {
		r.ContagionLoss, r.ContagionDefaults = make([]int64, 0, n*d.H), make([]int32, 0, n*d.H)
	}
	if d.weight {
		r.Weight = make([]float64, 0, n)
	}
	if d.ledger {
		b = &sim.LedgerResult{Paths: n, G: d.G, H: d.H, C: d.C,
			PartyLoss: make([]int64, 0, n*sim.NParties), Metrics: make([]float64, 0, n*d.metrics()),
			Outlays: make([]int64, 0, n*d.C*d.H), CountyComp: make([]int64, 0, n*d.C*d.H), NeedX: make([]float64, 0, n*d.G)}
	}
	rows := 0
	for k := range fr.NumRecords() {
		rec, err := fr.RecordBatch(k)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: batch %d: %w", name, k, err)
		}
		m := int(rec.NumRows())
		if rows+m > n {
			return nil, nil, fmt.Errorf("%w: %s: more than the %d paths of its manifest", models.ErrInvalid, name, n)
		}
		col := 0
		next := func() arrow.Array { col++; return rec.Column(col - 1) }
		for j, p := range next().(*array.Int64).Int64Values() {
			if p != int64(first+rows+j) {
				return nil, nil, fmt.Errorf("%w: %s: row %d is path %d, want %d", models.ErrInvalid, name, rows+j+1, p, first+rows+j)
			}
		}
		r.Loss = append(r.Loss, listValues[int64](next())...)
		r.Defaults = append(r.Defaults, listValues[int32](next())...)
		if d.chains {
			r.ContagionLoss = append(r.ContagionLoss, listValues[int64](next())...)
			r.ContagionDefaults = append(r.ContagionDefaults, listValues[int32](next())...)
		}
		if d.weight {
			r.Weight = append(r.Weight, next().(*array.Float64).Float64Values()...)
		}
		if d.ledger {
			b.PartyLoss = append(b.PartyLoss, listValues[int64](next())...)
			b.Metrics = append(b.Metrics, listValues[float64](next())...)
			b.Outlays = append(b.Outlays, listValues[int64](next())...)
			b.CountyComp = append(b.CountyComp, listValues[int64](next())...)
			b.NeedX = append(b.NeedX, listValues[float64](next())...)
		}
		rows += m
	}
	if rows != n {
		return nil, nil, fmt.Errorf("%w: %s: %d paths, its manifest says %d", models.ErrInvalid, name, rows, n)
	}
	if b != nil {
		r.PartyLoss = b.PartyLoss
	}
	return r, b, nil
}

// listValues returns the values of a fixed-size-list column (of T), row
// by row.
func listValues[T int64 | int32 | float64](a arrow.Array) []T {
	l := a.(*array.FixedSizeList)
	n := int(l.DataType().(*arrow.FixedSizeListType).Len())
	lo, hi := l.Offset()*n, (l.Offset()+l.Len())*n
	switch v := l.ListValues().(type) {
	case *array.Int64:
		return any(v.Int64Values()[lo:hi]).([]T)
	case *array.Int32:
		return any(v.Int32Values()[lo:hi]).([]T)
	case *array.Float64:
		return any(v.Float64Values()[lo:hi]).([]T)
	}
	panic("shard: list of " + l.ListValues().DataType().String())
}
