package snapshot

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/wenzhou/danbao/models"
)

// ReadAtSeeker is what the Arrow, Parquet and XLSX readers need of an
// input: *os.File, *bytes.Reader, *strings.Reader and the files of an
// embed.FS all are one.
type ReadAtSeeker interface {
	io.ReaderAt
	io.ReadSeeker
}

// Read opens the Arrow snapshot in dir and validates it. See Options.Read.
func Read(dir string) (*models.Portfolio, error) { return Options{}.Read(dir) }

// Read opens the Arrow snapshot in dir: it memory-maps loans.arrow and
// guarantors.arrow, decodes them into a Portfolio and validates it. Every
// problem found (file, row, column, value, reason) is returned at once as a
// *models.ProblemsError, rows numbered from 2 as if the files had a header.
// Columns the snapshot schema does not know are ignored. The record
// batches are read in place from the mapping (memFile); the Portfolio
// shares one Go string per distinct value of each dictionary column and
// holds no reference to the files or to Arrow memory, so the files are
// unmapped before Read returns.
func (o Options) Read(dir string) (*models.Portfolio, error) {
	lb, lunmap, err := mapFile(filepath.Join(dir, LoansFile))
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", dir, err)
	}
	defer lunmap()
	gb, gunmap, err := mapFile(filepath.Join(dir, GuarantorsFile))
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", dir, err)
	}
	defer gunmap()
	var kr ReadAtSeeker
	kb, kunmap, err := mapFile(filepath.Join(dir, LinksFile))
	switch {
	case err == nil:
		defer kunmap()
		kr = newMemFile(kb)
	case !notExist(err):
		return nil, fmt.Errorf("read snapshot %s: %w", dir, err)
	}
	return o.readSnapshot(newMemFile(lb), newMemFile(gb), kr)
}

// ReadFS reads the Arrow snapshot in folder dir of fsys, e.g. an embed.FS.
// See Options.Read.
func ReadFS(fsys fs.FS, dir string) (*models.Portfolio, error) { return Options{}.ReadFS(fsys, dir) }

// ReadFS reads the Arrow snapshot in folder dir of fsys (slash-separated,
// as fs.FS paths are). See Options.Read.
func (o Options) ReadFS(fsys fs.FS, dir string) (*models.Portfolio, error) {
	// Each file is read whole: decodeIPC then reads its batches in place.
	read := func(name string) (ReadAtSeeker, error) {
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read snapshot %s: %w", dir, err)
		}
		return newMemFile(data), nil
	}
	lr, err := read(LoansFile)
	if err != nil {
		return nil, err
	}
	gr, err := read(GuarantorsFile)
	if err != nil {
		return nil, err
	}
	kr, err := read(LinksFile)
	if notExist(err) {
		kr, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	return o.readSnapshot(lr, gr, kr)
}

// readSnapshot decodes and validates the Arrow IPC files of a snapshot;
// kr, the links file, is nil when the snapshot has none.
func (o Options) readSnapshot(lr, gr, kr ReadAtSeeker) (*models.Portfolio, error) {
	ld, gd := newLimitedDecoder(LoansFile, o.Limits), newLimitedDecoder(GuarantorsFile, o.Limits)
	pf := &models.Portfolio{}
	mem := o.mem()
	decodeIPC(ld, lr, mem, func(t *table) {
		pf.Loans = decodeTable(ld, loanColumns, t, models.NewLoan, nil)
		pf.AsOf = asOfMeta(ld, t.schema)
	})
	decodeIPC(gd, gr, mem, func(t *table) {
		pf.Guarantors = decodeTable(gd, guarantorColumns, t, models.NewGuarantor, nil)
		if g := asOfMeta(gd, t.schema); g != pf.AsOf && ld.probs.Len() == 0 {
			gd.add(0, "", g.String(), fmt.Sprintf("schema metadata %s differs from %s's %q", MetaAsOf, LoansFile, pf.AsOf.String()), models.ErrConflict)
		}
	})
	var kd *decoder
	if kr != nil {
		kd = newLimitedDecoder(LinksFile, o.Limits)
		readLinks(kd, kr, mem, pf)
	}
	if err := finish(pf, ld, gd, kd); err != nil {
		return nil, err
	}
	return pf, nil
}

// decodeIPC reads an Arrow IPC file and passes its table to use; problems
// with the file go to d. Arrow memory is released when use returns. A
// memFile's record batches are read in place (see memFile). A
// panic inside arrow-go on a corrupt file is reported as a problem. The
// Arrow memory is charged to d's budget, and the rows the file declares
// are checked against d's limits before use sees them.
func decodeIPC(d *decoder, r ReadAtSeeker, mem memory.Allocator, use func(*table)) {
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
		if p := recover(); p != nil && !budgetProblem(d, p) {
			recovered(p)
			d.add(0, "", "", fmt.Sprintf("is not a valid Arrow IPC file: %v", p), models.ErrInvalid)
		}
	}()
	blocks, err := arrowBlocks(r)
	if err != nil {
		d.add(0, "", "", "is not a valid Arrow IPC file: "+err.Error(), models.ErrInvalid)
		return
	}
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		d.add(0, "", "", "could not be read: "+err.Error(), models.ErrInvalid)
		return
	}
	// What the messages declare, before arrow-go allocates for it.
	sizes, err := readBatchSizes(r, blocks)
	if err != nil {
		d.add(0, "", "", "is not a valid Arrow IPC file: "+err.Error(), models.ErrInvalid)
		return
	}
	if !checkDeclaredRows(d, d.lim, sizes.rows, size) {
		return
	}
	if sizes.dictRows > int64(d.lim.maxRows()) {
		d.add(0, "", "", fmt.Sprintf("declares a dictionary of %d values, more than the limit of %d rows (corrupt file)", sizes.dictRows, d.lim.maxRows()), models.ErrInvalid)
		return
	}
	if sizes.unzipped > max(minUnzipped, maxUnzipRatio*sizes.compressed) {
		d.add(0, "", "", fmt.Sprintf("its compressed record batches declare %d bytes once decompressed, more than %d× their %d bytes", sizes.unzipped, maxUnzipRatio, sizes.compressed), models.ErrInvalid)
		return
	}
	fr, err := ipc.NewFileReader(r, ipc.WithAllocator(d.alloc(mem)))
	if err != nil {
		if !budgetProblem(d, err) {
			d.add(0, "", "", "is not a valid Arrow IPC file: "+err.Error(), models.ErrInvalid)
		}
		return
	}
	defer fr.Close()
	if m, ok := r.(memFile); ok && recordBlocks(blocks) == fr.NumRecords() {
		batches, err = batchesInPlace(m.data, blocks, fr.Schema(), d.alloc(mem))
		if err != nil {
			if !budgetProblem(d, err) {
				d.add(0, "", "", "is not a valid Arrow IPC file: "+err.Error(), models.ErrInvalid)
			}
			return
		}
	} else {
		for i := range fr.NumRecords() {
			b, err := fr.RecordBatchAt(i)
			if err != nil {
				if !budgetProblem(d, err) {
					d.add(0, "", "", fmt.Sprintf("record batch %d: %v", i, err), models.ErrInvalid)
				}
				return
			}
			batches = append(batches, b)
		}
	}
	t := &table{schema: fr.Schema(), cols: make([][]arrow.Array, fr.Schema().NumFields())}
	for _, b := range batches {
		if int(b.NumCols()) != len(t.cols) {
			d.add(0, "", "", "record batch does not match the schema", models.ErrInvalid)
			return
		}
		if b.NumRows() < 0 || b.NumRows() > int64(d.lim.maxRows())-int64(t.nrows) {
			checkDeclaredRows(d, d.lim, int64(t.nrows)+b.NumRows(), size)
			return
		}
		t.nrows += int(b.NumRows())
		for j := range t.cols {
			t.cols[j] = append(t.cols[j], b.Column(j))
		}
	}
	if !checkDeclaredRows(d, d.lim, int64(t.nrows), size) {
		return
	}
	use(t)
}

// asOfMeta reads the snapshot date from schema metadata, and checks the
// schema version when the file names one.
func asOfMeta(d *decoder, s *arrow.Schema) models.Date {
	md := s.Metadata()
	if i := md.FindKey(MetaSchema); i >= 0 && md.Values()[i] != SchemaV1 {
		d.add(0, "", md.Values()[i], fmt.Sprintf("schema metadata %s is not %q", MetaSchema, SchemaV1), models.ErrInvalid)
	}
	i := md.FindKey(MetaAsOf)
	if i < 0 || md.Values()[i] == "" {
		return 0
	}
	v, err := models.ParseDate(md.Values()[i])
	if err != nil {
		d.add(0, "", md.Values()[i], fmt.Sprintf("schema metadata %s is not a date (want YYYY-MM-DD)", MetaAsOf), models.ErrInvalid)
		return 0
	}
	return v
}

// recordBlocks counts the record batches among blocks.
func recordBlocks(blocks []ipcBlock) int {
	n := 0
	for _, b := range blocks {
		if !b.dict {
			n++
		}
	}
	return n
}
