package api

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// PathsFormat is an encoding of a run's per-path results.
type PathsFormat int

const (
	// PathsArrowFile is the Arrow IPC file format (Feather v2, ".arrow"),
	// what `danbao run --out FILE` writes.
	PathsArrowFile PathsFormat = iota
	// PathsArrowStream is the Arrow IPC stream format, served as
	// MediaTypeArrowStream.
	PathsArrowStream
	// PathsCSV is comma-separated text with a header row; money is in yuan
	// with two decimals.
	PathsCSV
)

// MediaTypeArrowStream is the media type of the Arrow IPC stream format.
const MediaTypeArrowStream = "application/vnd.apache.arrow.stream"

// PathsSchemaName is the "schema" metadata of the per-path table.
const PathsSchemaName = "danbao.paths/v1"

func (f PathsFormat) String() string {
	switch f {
	case PathsArrowFile:
		return "arrow"
	case PathsArrowStream:
		return "arrows"
	case PathsCSV:
		return "csv"
	}
	return "PathsFormat(" + strconv.Itoa(int(f)) + ")"
}

// ParsePathsFormat reads a format name: "arrow" (or "file"), "arrows" (or
// "stream"), "csv".
func ParsePathsFormat(s string) (PathsFormat, error) {
	switch s {
	case "arrow", "file":
		return PathsArrowFile, nil
	case "arrows", "stream":
		return PathsArrowStream, nil
	case "csv":
		return PathsCSV, nil
	}
	return 0, fmt.Errorf("%w: paths format %q (want arrow, arrows or csv)", models.ErrInvalid, s)
}

// pathsBatchRows is the number of paths per Arrow record batch.
const pathsBatchRows = 1 << 16

// PathsSchema returns the per-path table of a run with the given horizon:
//
//	path            int64              path number (FirstPath-based)
//	loss_total      decimal128(18,2)   ultimate loss over the horizon, yuan
//	defaults_total  int64              defaults over the horizon
//	loss_y1 … loss_yH        decimal128(18,2)  loss in year t, yuan
//	defaults_y1 … defaults_yH int64             defaults in year t
//
// The schema's metadata carries "schema" = PathsSchemaName, "seed",
// "horizon_years" and "sampler".
func PathsSchema(r *sim.Result) *arrow.Schema {
	return arrow.NewSchema(pathsFields(r), pathsMetadata(r))
}

var moneyType = &arrow.Decimal128Type{Precision: 18, Scale: 2}

// pathsFields are the columns: path, loss_total, defaults_total,
// loss_y1..H, defaults_y1..H and, when the run had the policy ledger,
// loss_bank, loss_guarantor, loss_reguarantor, loss_national_fund,
// loss_county_fund (each party's ultimate loss over the horizon) and,
// under importance sampling, weight (float64: the path's likelihood ratio
// w_p; every statistic over the paths is an average of w_p·value,
// docs/tails.md).
func pathsFields(r *sim.Result) []arrow.Field {
	H := r.Horizon
	fs := []arrow.Field{
		{Name: "path", Type: arrow.PrimitiveTypes.Int64},
		{Name: "loss_total", Type: moneyType},
		{Name: "defaults_total", Type: arrow.PrimitiveTypes.Int64},
	}
	for t := 1; t <= H; t++ {
		fs = append(fs, arrow.Field{Name: "loss_y" + strconv.Itoa(t), Type: moneyType})
	}
	for t := 1; t <= H; t++ {
		fs = append(fs, arrow.Field{Name: "defaults_y" + strconv.Itoa(t), Type: arrow.PrimitiveTypes.Int64})
	}
	if r.PartyLoss != nil {
		for _, party := range sim.PartyNames {
			fs = append(fs, arrow.Field{Name: "loss_" + party, Type: moneyType})
		}
	}
	if r.Weight != nil {
		fs = append(fs, arrow.Field{Name: "weight", Type: arrow.PrimitiveTypes.Float64})
	}
	return fs
}

func pathsMetadata(r *sim.Result) *arrow.Metadata {
	md := arrow.NewMetadata(
		[]string{"schema", "seed", "horizon_years", "sampler"},
		[]string{PathsSchemaName, strconv.FormatUint(r.Seed, 10), strconv.Itoa(r.Horizon), r.Sampler.String()})
	return &md
}

// WritePathsArrow writes r's per-path results (see PathsSchema) to w in
// format f. It writes one pass, in path order, and does not close w.
func WritePathsArrow(w io.Writer, r *sim.Result, f PathsFormat) error {
	return writePaths(w, r, f, memory.DefaultAllocator)
}

func writePaths(w io.Writer, r *sim.Result, f PathsFormat, mem memory.Allocator) error {
	if f == PathsCSV {
		return writePathsCSV(w, r)
	}
	schema := PathsSchema(r)
	opts := []ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(mem)}
	var iw interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	switch f {
	case PathsArrowFile:
		fw, err := ipc.NewFileWriter(w, opts...)
		if err != nil {
			return fmt.Errorf("write paths: %w", err)
		}
		iw = fw
	case PathsArrowStream:
		iw = ipc.NewWriter(w, opts...)
	default:
		return fmt.Errorf("%w: paths format %v", models.ErrInvalid, f)
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for lo := 0; lo < r.Paths; lo += pathsBatchRows {
		hi := min(lo+pathsBatchRows, r.Paths)
		rec := pathsBatch(b, r, lo, hi)
		err := iw.Write(rec)
		rec.Release()
		if err != nil {
			iw.Close()
			return fmt.Errorf("write paths %d..%d: %w", lo, hi, err)
		}
	}
	if err := iw.Close(); err != nil {
		return fmt.Errorf("write paths: %w", err)
	}
	return nil
}

// pathsBatch builds the record batch of paths [lo, hi).
func pathsBatch(b *array.RecordBuilder, r *sim.Result, lo, hi int) arrow.RecordBatch {
	H := r.Horizon
	b.Reserve(hi - lo)
	path := b.Field(0).(*array.Int64Builder)
	lossTot := b.Field(1).(*array.Decimal128Builder)
	defTot := b.Field(2).(*array.Int64Builder)
	for p := lo; p < hi; p++ {
		path.UnsafeAppend(int64(r.FirstPath + p))
		lossTot.UnsafeAppend(decimal128.FromI64(r.TotalLoss(p)))
		defTot.UnsafeAppend(r.TotalDefaults(p))
	}
	for t := range H {
		loss := b.Field(3 + t).(*array.Decimal128Builder)
		defs := b.Field(3 + H + t).(*array.Int64Builder)
		for p := lo; p < hi; p++ {
			loss.UnsafeAppend(decimal128.FromI64(r.Loss[p*H+t]))
			defs.UnsafeAppend(int64(r.Defaults[p*H+t]))
		}
	}
	if r.PartyLoss != nil {
		for k := range sim.NParties {
			party := b.Field(3 + 2*H + k).(*array.Decimal128Builder)
			for p := lo; p < hi; p++ {
				party.UnsafeAppend(decimal128.FromI64(r.PartyLoss[p*sim.NParties+k]))
			}
		}
	}
	if r.Weight != nil {
		wb := b.Field(b.Schema().NumFields() - 1).(*array.Float64Builder)
		wb.AppendValues(r.Weight[lo:hi], nil)
	}
	return b.NewRecordBatch()
}

func writePathsCSV(w io.Writer, r *sim.Result) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fs := pathsFields(r)
	for i, f := range fs {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(f.Name)
	}
	bw.WriteByte('\n')
	H := r.Horizon
	var buf []byte
	for p := range r.Paths {
		buf = strconv.AppendInt(buf[:0], int64(r.FirstPath+p), 10)
		buf = append(buf, ',')
		buf = append(buf, models.Cents(r.TotalLoss(p)).String()...)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, r.TotalDefaults(p), 10)
		for t := range H {
			buf = append(buf, ',')
			buf = append(buf, models.Cents(r.Loss[p*H+t]).String()...)
		}
		for t := range H {
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(r.Defaults[p*H+t]), 10)
		}
		if r.PartyLoss != nil {
			for _, v := range r.PartyLoss[p*sim.NParties : (p+1)*sim.NParties] {
				buf = append(buf, ',')
				buf = append(buf, models.Cents(v).String()...)
			}
		}
		if r.Weight != nil {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, r.Weight[p], 'g', -1, 64)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("write paths: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write paths: %w", err)
	}
	return nil
}
