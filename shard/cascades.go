package shard

import (
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// CascadesSchema is the "schema" metadata of a shard's cascades file.
const CascadesSchema = "danbao.shard.cascades/v1"

// cascadesSchema is the table of a shard's largest cascades (a run with
// guarantee links only; sim.Result.Cascades: at most sim.MaxCascades
// rows, one per root, largest first), exact like the per-path file:
//
//	path           int64    the path's number in the whole run
//	year           int32    0-based
//	time           float64  the root's default time within the year
//	root_firm      int32    the root's number among the links table's firms (sim.Cascade.RootFirm)
//	root_borrower  utf8     the root's borrower
//	firms          int32    firms toppled
//	defaults       int32    their loans' defaults
//	loss           int64    their loans' ultimate loss, fen
//
// The merge keeps the largest of all shards' (sim.ConcatResults): a
// cascade among the run's largest, one per root, is among its own
// shard's, so the shards' lists hold every one of them.
func cascadesSchema() *arrow.Schema {
	i32, i64 := arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64
	md := arrow.NewMetadata([]string{"schema"}, []string{CascadesSchema})
	return arrow.NewSchema([]arrow.Field{
		{Name: "path", Type: i64}, {Name: "year", Type: i32}, {Name: "time", Type: arrow.PrimitiveTypes.Float64},
		{Name: "root_firm", Type: i32}, {Name: "root_borrower", Type: arrow.BinaryTypes.String},
		{Name: "firms", Type: i32}, {Name: "defaults", Type: i32}, {Name: "loss", Type: i64},
	}, &md)
}

// cascadesFile is the name of the cascades file that goes with the
// per-path file name: paths.arrow → paths.cascades.arrow.
func cascadesFile(name string) string { return strings.TrimSuffix(name, ".arrow") + ".cascades.arrow" }

// writeCascades writes cs as an Arrow IPC file of one record batch.
func writeCascades(w io.Writer, cs []sim.Cascade, mem memory.Allocator) error {
	schema := cascadesSchema()
	fw, err := ipc.NewFileWriter(w, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	if err != nil {
		return err
	}
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for _, c := range cs {
		rb.Field(0).(*array.Int64Builder).Append(int64(c.Path))
		rb.Field(1).(*array.Int32Builder).Append(int32(c.Year))
		rb.Field(2).(*array.Float64Builder).Append(c.Time)
		rb.Field(3).(*array.Int32Builder).Append(c.RootFirm())
		rb.Field(4).(*array.StringBuilder).Append(c.Root)
		rb.Field(5).(*array.Int32Builder).Append(int32(c.Firms))
		rb.Field(6).(*array.Int32Builder).Append(int32(c.Defaults))
		rb.Field(7).(*array.Int64Builder).Append(c.Loss)
	}
	rec := rb.NewRecordBatch()
	err = fw.Write(rec)
	rec.Release()
	if err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}

// readCascades reads a file writeCascades wrote for paths [first,
// first+n), checking its schema, that it holds at most sim.MaxCascades
// cascades and that each is on one of those paths, with at least one firm
// toppled and no negative count or loss. name names the file in
// errors. sim.Assemble then holds each root to the links table.
func readCascades(rd ipc.ReadAtSeeker, name string, first, n int, mem memory.Allocator) ([]sim.Cascade, error) {
	fr, err := ipc.NewFileReader(rd, ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer fr.Close()
	want := cascadesSchema()
	if !fr.Schema().Equal(want) || !fr.Schema().Metadata().Equal(want.Metadata()) {
		return nil, fmt.Errorf("%w: %s: columns %v, want %v (not a shard's cascades file)", models.ErrInvalid, name, fr.Schema(), want)
	}
	out := []sim.Cascade{}
	for k := range fr.NumRecords() {
		rec, err := fr.RecordBatch(k)
		if err != nil {
			return nil, fmt.Errorf("%s: batch %d: %w", name, k, err)
		}
		col := func(j int) arrow.Array { return rec.Column(j) }
		for j := range int(rec.NumRows()) {
			c := sim.Cascade{
				Path:     uint64(col(0).(*array.Int64).Value(j)),
				Year:     int(col(1).(*array.Int32).Value(j)),
				Time:     col(2).(*array.Float64).Value(j),
				Root:     col(4).(*array.String).Value(j),
				Firms:    int(col(5).(*array.Int32).Value(j)),
				Defaults: int(col(6).(*array.Int32).Value(j)),
				Loss:     col(7).(*array.Int64).Value(j),
			}
			c.SetRootFirm(col(3).(*array.Int32).Value(j))
			row := len(out) + 1
			switch {
			case row > sim.MaxCascades:
				return nil, fmt.Errorf("%w: %s: more than %d cascades", models.ErrInvalid, name, sim.MaxCascades)
			case c.Path < uint64(first) || c.Path >= uint64(first+n):
				return nil, fmt.Errorf("%w: %s: row %d: path %d is not one of the shard's paths [%d, %d)", models.ErrInvalid, name, row, c.Path, first, first+n)
			case c.Firms < 1 || c.Defaults < 0 || c.Loss < 0:
				return nil, fmt.Errorf("%w: %s: row %d: %d firms, %d defaults, loss %d fen", models.ErrInvalid, name, row, c.Firms, c.Defaults, c.Loss)
			}
			out = append(out, c)
		}
	}
	return out, nil
}
