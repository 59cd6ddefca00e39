package snapshot

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/wenzhou/danbao/models"
)

// WriteParquet writes pf as loans.parquet and guarantors.parquet in the
// folder dir. See Options.WriteParquet.
func WriteParquet(dir string, pf *models.Portfolio) error { return Options{}.WriteParquet(dir, pf) }

// WriteParquet writes pf as loans.parquet and guarantors.parquet in dir,
// with the snapshot's Arrow schema and metadata (stored, so pqarrow reads
// back the same types): money as decimal(18,2) in int64, strings
// dictionary-encoded, Snappy compression. The folder appears complete or
// not at all, as with Write. Import reads the files back exactly.
func (o Options) WriteParquet(dir string, pf *models.Portfolio) error {
	mem := o.mem()
	return o.writeTables(dir, pf, [3]string{LoansParquet, GuarantorsParquet, LinksParquet}, [3]func(io.Writer) error{
		func(w io.Writer) error { return writeParquet(w, mem, loanColumns, pf.Loans, pf.AsOf) },
		func(w io.Writer) error { return writeParquet(w, mem, guarantorColumns, pf.Guarantors, pf.AsOf) },
		func(w io.Writer) error { return writeParquet(w, mem, linkColumns, pf.Links, pf.AsOf) },
	})
}

func writeParquet[T any](w io.Writer, mem memory.Allocator, cols []column[T], rows []T, asOf models.Date) error {
	rec, err := buildRecord(mem, cols, rows, asOf)
	if err != nil {
		return err
	}
	defer rec.Release()
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithStoreDecimalAsInteger(true),
		parquet.WithMaxRowGroupLength(1<<20),
	)
	fw, err := pqarrow.NewFileWriter(rec.Schema(), w, props,
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
	if err != nil {
		return err
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}

// readParquet reads a whole Parquet file as a table, or reports why it
// cannot. The table's schema carries the file's key-value metadata (where
// WriteParquet puts danbao.as_of). The caller releases the table's memory
// with release.
//
// Before reading any column it checks the rows the footer declares, in
// all and in each row group, against d's limits; every Arrow buffer it
// then allocates is charged to d's budget.
func readParquet(d *decoder, r ReadAtSeeker, mem memory.Allocator) (t *table, release func()) {
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		d.add(0, "", "", "could not be read: "+err.Error(), models.ErrInvalid)
		return nil, nil
	}
	mem = d.alloc(mem)
	pr, err := file.NewParquetReader(r, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		if !budgetProblem(d, err) {
			d.add(0, "", "", "is not a readable Parquet file: "+err.Error(), models.ErrInvalid)
		}
		return nil, nil
	}
	if !checkParquetRows(d, pr.MetaData(), size) {
		return nil, nil
	}
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, mem)
	if err != nil {
		if !budgetProblem(d, err) {
			d.add(0, "", "", "is not a readable Parquet file: "+err.Error(), models.ErrInvalid)
		}
		return nil, nil
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		if !budgetProblem(d, err) {
			d.add(0, "", "", "is not a readable Parquet file: "+err.Error(), models.ErrInvalid)
		}
		return nil, nil
	}
	var keys, vals []string
	for _, kv := range pr.MetaData().KeyValueMetadata() {
		if kv.Key != "ARROW:schema" && kv.Value != nil {
			keys, vals = append(keys, kv.Key), append(vals, *kv.Value)
		}
	}
	md := arrow.NewMetadata(keys, vals)
	t = &table{schema: arrow.NewSchema(tbl.Schema().Fields(), &md), nrows: int(tbl.NumRows()), cols: make([][]arrow.Array, tbl.NumCols())}
	for j := range t.cols {
		t.cols[j] = tbl.Column(j).Data().Chunks()
	}
	return t, tbl.Release
}

// checkParquetRows checks the row counts of a Parquet footer: the file's
// num_rows and each row group's, which must be non-negative and add up,
// against d's limits and the file's size.
func checkParquetRows(d *decoder, md *metadata.FileMetaData, size int64) bool {
	var sum int64
	for i := range md.NumRowGroups() {
		n := md.RowGroup(i).NumRows()
		if n < 0 || n > int64(d.lim.maxRows()) {
			return checkDeclaredRows(d, d.lim, n, size)
		}
		sum += n
	}
	if sum != md.NumRows {
		d.add(0, "", "", fmt.Sprintf("declares %d rows, but its row groups hold %d (corrupt file)", md.NumRows, sum), models.ErrInvalid)
		return false
	}
	return checkDeclaredRows(d, d.lim, sum, size)
}
