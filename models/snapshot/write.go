package snapshot

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/wenzhou/danbao/models"
)

// Options are the I/O knobs of this package's readers and writers. The zero
// value is ready to use.
type Options struct {
	// Mem allocates Arrow buffers; nil means memory.DefaultAllocator.
	Mem memory.Allocator
	// Overwrite lets Write, WriteParquet and WriteCSV replace an existing,
	// non-empty folder. Without it they refuse, and leave it untouched.
	Overwrite bool
	// Limits bound what Read and ReadFS may allocate for each file.
	Limits
}

func (o Options) mem() memory.Allocator {
	if o.Mem == nil {
		return memory.DefaultAllocator
	}
	return o.Mem
}

// batchRows is the number of rows per Arrow record batch written. All
// batches of a column share one dictionary.
const batchRows = 1 << 17

// Write writes pf as an Arrow snapshot: the folder dir with loans.arrow and
// guarantors.arrow (Arrow IPC file format, schema "danbao.snapshot/v1").
// See Options.Write.
func Write(dir string, pf *models.Portfolio) error { return Options{}.Write(dir, pf) }

// Write writes pf as an Arrow snapshot into dir. It writes into a temporary
// folder next to dir and renames it into place, so dir either appears
// complete or not at all. An existing empty dir is replaced; an existing
// non-empty one only with o.Overwrite. Write does not validate pf (Import
// and Read do), but it rejects money outside decimal128(18,2).
func (o Options) Write(dir string, pf *models.Portfolio) error {
	mem := o.mem()
	return o.writeTables(dir, pf, [3]string{LoansFile, GuarantorsFile, LinksFile}, [3]func(io.Writer) error{
		func(w io.Writer) error { return writeIPC(w, mem, loanColumns, pf.Loans, pf.AsOf) },
		func(w io.Writer) error { return writeIPC(w, mem, guarantorColumns, pf.Guarantors, pf.AsOf) },
		func(w io.Writer) error { return writeIPC(w, mem, linkColumns, pf.Links, pf.AsOf) },
	})
}

// writeTables writes pf's tables, each by its function in write, into
// the folder dir (see writeDir): the loans as names[0], the guarantors as
// names[1] and the links as names[2], unless pf has none (a snapshot
// without links has no links file). Write, WriteParquet and WriteCSV
// differ only in the names and the writing functions.
func (o Options) writeTables(dir string, pf *models.Portfolio, names [3]string, write [3]func(io.Writer) error) error {
	return o.writeDir(dir, func(tmp string) error {
		for i, name := range names {
			if i == 2 && len(pf.Links) == 0 {
				break
			}
			if err := writeFile(filepath.Join(tmp, name), write[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeIPC writes rows as one Arrow IPC file.
func writeIPC[T any](w io.Writer, mem memory.Allocator, cols []column[T], rows []T, asOf models.Date) error {
	rec, err := buildRecord(mem, cols, rows, asOf)
	if err != nil {
		return err
	}
	defer rec.Release()
	fw, err := ipc.NewFileWriter(w, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(mem))
	if err != nil {
		return err
	}
	n := int(rec.NumRows())
	for lo := 0; lo < n || lo == 0; lo += batchRows {
		s := rec.NewSlice(int64(lo), int64(min(lo+batchRows, n)))
		err := fw.Write(s)
		s.Release()
		if err != nil {
			fw.Close()
			return err
		}
	}
	return fw.Close()
}

// buildRecord converts rows into one record batch of the snapshot schema.
func buildRecord[T any](mem memory.Allocator, cols []column[T], rows []T, asOf models.Date) (arrow.RecordBatch, error) {
	arrs := make([]arrow.Array, 0, len(cols))
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	for i := range cols {
		a, err := buildColumn(mem, &cols[i], rows)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, a)
	}
	return array.NewRecordBatch(arrowSchema(cols, asOf), arrs, int64(len(rows))), nil
}

// buildColumn converts one field of rows into an Arrow array of c's type.
func buildColumn[T any](mem memory.Allocator, c *column[T], rows []T) (arrow.Array, error) {
	n := len(rows)
	var valid []bool // nil: every value is valid
	if c.unset != nil {
		valid = make([]bool, n)
		for i := range rows {
			valid[i] = !c.unset(&rows[i])
		}
	}
	switch c.kind {
	case kString:
		if c.plain {
			b := array.NewStringBuilder(mem)
			defer b.Release()
			size := 0
			for i := range rows {
				size += len(*c.str(&rows[i]))
			}
			b.Reserve(n)
			b.ReserveData(size)
			for i := range rows {
				if valid != nil && !valid[i] {
					b.AppendNull()
					continue
				}
				s := *c.str(&rows[i])
				if !utf8.ValidString(s) {
					return nil, notUTF8(c.name, i, s)
				}
				b.Append(s)
			}
			return b.NewArray(), nil
		}
		return buildDict(mem, c, rows, valid)
	case kMoney:
		for i := range rows {
			if v := *c.money(&rows[i]); (valid == nil || valid[i]) && (v > models.MaxCents || v < -models.MaxCents) {
				return nil, fmt.Errorf("%w: row %d, column %q = %d fen does not fit decimal128(18,2)", models.ErrInvalid, i+2, c.name, v)
			}
		}
		return buildValues(array.NewDecimal128Builder(mem, moneyType), rows, valid, func(p *T) decimal128.Num {
			return decimal128.FromI64(int64(*c.money(p)))
		}), nil
	case kFloat:
		return buildValues(array.NewFloat64Builder(mem), rows, valid, func(p *T) float64 { return *c.num(p) }), nil
	case kDate:
		return buildValues(array.NewDate32Builder(mem), rows, valid, func(p *T) arrow.Date32 { return arrow.Date32(*c.date(p)) }), nil
	default:
		return buildValues(array.NewBooleanBuilder(mem), rows, valid, func(p *T) bool { return *c.flag(p) }), nil
	}
}

// valuesBuilder is an Arrow builder of values of type V.
type valuesBuilder[V any] interface {
	AppendValues(v []V, valid []bool)
	NewArray() arrow.Array
	Release()
}

// buildValues appends get of every row to b, with the validity valid (nil:
// all valid; an invalid row's value is V's zero and is not read), releases
// b and returns the array.
func buildValues[T, V any](b valuesBuilder[V], rows []T, valid []bool, get func(*T) V) arrow.Array {
	defer b.Release()
	vals := make([]V, len(rows))
	for i := range rows {
		if valid == nil || valid[i] {
			vals[i] = get(&rows[i])
		}
	}
	b.AppendValues(vals, valid)
	return b.NewArray()
}

// buildDict dictionary-encodes a string column. The dictionary holds each
// distinct value once, in order of first appearance.
func buildDict[T any](mem memory.Allocator, c *column[T], rows []T, valid []bool) (arrow.Array, error) {
	idx := make([]int32, len(rows))
	seen := make(map[string]int32)
	db := array.NewStringBuilder(mem)
	defer db.Release()
	last, lastIdx := "", int32(-1)
	for i := range rows {
		if valid != nil && !valid[i] {
			continue
		}
		s := *c.str(&rows[i])
		if lastIdx >= 0 && s == last {
			idx[i] = lastIdx
			continue
		}
		k, ok := seen[s]
		if !ok {
			if !utf8.ValidString(s) {
				return nil, notUTF8(c.name, i, s)
			}
			k = int32(len(seen))
			seen[s] = k
			db.Append(s)
		}
		idx[i], last, lastIdx = k, s, k
	}
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	ib.AppendValues(idx, valid)
	indices, dict := ib.NewArray(), db.NewArray()
	defer indices.Release()
	defer dict.Release()
	return array.NewDictionaryArray(dictType, indices, dict), nil
}

// notUTF8 is the error for a string Arrow's utf8 type cannot hold.
func notUTF8(column string, i int, s string) error {
	return fmt.Errorf("%w: row %d, column %q = %q is not UTF-8 text", models.ErrInvalid, i+2, column, s)
}

// writeFile creates path, lets fill write it through a buffer, and syncs it.
func writeFile(path string, fill func(io.Writer) error) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := fill(bw); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Sync()
}

// writeDir makes dir appear with the files fill writes into a temporary
// folder, or not at all.
func (o Options) writeDir(dir string, fill func(tmp string) error) (err error) {
	dir = filepath.Clean(dir)
	if err := o.checkTarget(dir); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		return err
	}
	if err := o.checkTarget(dir); err != nil {
		return err
	}
	if o.Overwrite {
		if _, statErr := os.Lstat(dir); statErr == nil {
			old := tmp + ".old"
			if err := os.Rename(dir, old); err != nil {
				return err
			}
			if err := os.Rename(tmp, dir); err != nil {
				os.Rename(old, dir)
				return err
			}
			syncDir(parent)
			return os.RemoveAll(old)
		}
	}
	// An empty dir is removed first (os.Rename does not replace folders);
	// rmdir fails if it filled up since checkTarget, so nothing is clobbered.
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: write %s: %v", models.ErrConflict, dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("%w: write %s: %v", models.ErrConflict, dir, err)
	}
	syncDir(parent)
	return nil
}

// checkTarget fails if dir exists and is a file, or a non-empty folder
// while o.Overwrite is false.
func (o Options) checkTarget(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s exists and is not a folder", models.ErrConflict, dir)
	}
	if o.Overwrite {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("%w: %s exists and is not empty (pass overwrite to replace it)", models.ErrConflict, dir)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
