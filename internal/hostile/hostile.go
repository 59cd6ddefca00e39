// Package hostile builds the hostile-input corpus of issue 18: small
// inputs that declare, unzip or parse to far more than their size. The
// tests of models/snapshot, scenarios, cmd/danbao and api feed them to every
// reader and check that each is refused with a clear problem while the
// process stays under 512 MB (docs/limits.md). The files are generated, not
// committed: the XLSX alone declares a 1 GiB part.
//
// Each builder is deterministic and takes well under a second.
package hostile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// A File is one input of the corpus.
type File struct {
	Name string // file name; its extension picks the reader
	Data []byte
	What string // what makes it hostile
}

// Rows is the row count the Arrow and Parquet files declare.
const Rows = 1_000_000_000

// Tables returns the portfolio tables of the corpus (for import and
// upload, as the loans table).
func Tables() ([]File, error) {
	pq, err := Parquet(Rows)
	if err != nil {
		return nil, err
	}
	xl, err := XLSX(1 << 30)
	if err != nil {
		return nil, err
	}
	return []File{
		{Name: "loans.arrow", Data: Arrow(Rows), What: fmt.Sprintf("an Arrow IPC file declaring %d rows", Rows)},
		{Name: "loans.parquet", Data: pq, What: fmt.Sprintf("a Parquet file whose footer says num_rows %d", Rows)},
		{Name: "loans.xlsx", Data: xl, What: "an XLSX workbook whose worksheet unzips to 1 GiB"},
		{Name: "loans.csv", Data: OneLetterCSV(2 << 20), What: "2 MB of one-letter rows"},
	}, nil
}

// Arrow returns an Arrow IPC file (a few hundred bytes) whose one record
// batch declares rows rows: its only column, loan_id, has the null type,
// which needs no buffers.
func Arrow(rows int64) []byte {
	schema := arrow.NewSchema([]arrow.Field{{Name: "loan_id", Type: arrow.Null, Nullable: true}}, nil)
	col := array.NewNull(int(rows))
	defer col.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, rows)
	defer rec.Release()
	return arrowFile(schema, rec)
}

// Parquet returns a Parquet file of three rows whose footer is rewritten
// to say rows rows, in the file and in its row group.
func Parquet(rows int64) ([]byte, error) {
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{{Name: "loan_id", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewStringBuilder(mem)
	b.AppendValues([]string{"L1", "L2", "L3"}, nil)
	col := b.NewArray()
	defer col.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, 3)
	defer rec.Release()
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(schema, &buf, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, err
	}
	if err := fw.Write(rec); err != nil {
		return nil, err
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	pr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	md := pr.MetaData()
	footer := int64(len(data)) - 8 - int64(md.Size()) // where the footer's thrift starts
	md.NumRows = rows
	for _, rg := range md.RowGroups {
		rg.NumRows = rows
	}
	var out bytes.Buffer
	out.Write(data[:footer])
	n, err := md.WriteTo(&out, nil)
	if err != nil {
		return nil, err
	}
	binary.Write(&out, binary.LittleEndian, uint32(n))
	out.WriteString("PAR1")
	return out.Bytes(), nil
}

// DeepYAML returns a scenario whose model key holds flow sequences nested
// depth deep: "model: [[[…]]]", 2·depth bytes and more.
func DeepYAML(depth int) []byte {
	return []byte("name: deep\nmodel: " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "\n")
}

// OneLetterCSV returns about size bytes of rows holding one letter each
// (the first is the header "a").
func OneLetterCSV(size int) []byte { return bytes.Repeat([]byte("a\n"), size/2) }

// XLSX returns a workbook of about part/1000 bytes whose one worksheet
// unzips to part bytes: the sheet's XML with part bytes of spaces inside
// sheetData. The deflate stream is built by repeating one compressed
// block of spaces, so building it does not compress part bytes.
func XLSX(part int64) ([]byte, error) {
	const chunk = 1 << 20
	head := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	tail := `</sheetData></worksheet>`
	nchunks := (part - int64(len(head)) - int64(len(tail))) / chunk
	spaces := bytes.Repeat([]byte(" "), chunk)

	// head + one chunk, flushed; a second chunk, flushed (its blocks refer
	// only to spaces within 32 KiB, so they can be repeated); tail, closed.
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestCompression)
	fw.Write([]byte(head))
	fw.Write(spaces)
	fw.Flush()
	first := z.Len()
	fw.Write(spaces)
	fw.Flush()
	block := bytes.Clone(z.Bytes()[first:])
	z.Truncate(first)
	var end bytes.Buffer
	fw.Reset(&end)
	fw.Write([]byte(tail))
	fw.Close()
	// Reset forgot the window, but tail's bytes are all literals in a
	// stream of their own; a fresh stream's blocks decode the same
	// anywhere, and its final block ends the part.
	var body bytes.Buffer
	body.Write(z.Bytes())
	for range nchunks - 1 {
		body.Write(block)
	}
	body.Write(end.Bytes())

	crc := crc32.NewIEEE()
	crc.Write([]byte(head))
	for range nchunks {
		crc.Write(spaces)
	}
	crc.Write([]byte(tail))
	size := int64(len(head)) + nchunks*chunk + int64(len(tail))

	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="loans" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
	} {
		w, err := zw.Create(f[0])
		if err != nil {
			return nil, err
		}
		io.WriteString(w, f[1])
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CRC32: crc.Sum32(), CompressedSize64: uint64(body.Len()), UncompressedSize64: uint64(size)})
	if err != nil {
		return nil, err
	}
	w.Write(body.Bytes())
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// PeakRSS runs f and returns the peak resident set of the process while
// it ran (VmHWM of /proc/self/status, reset before f through
// /proc/self/clear_refs), in bytes. ok is false where that is not
// available (not Linux, or clear_refs not writable); then peak is 0.
func PeakRSS(f func()) (peak int64, ok bool) {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		f()
		return 0, false
	}
	f()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(status)) {
		if v, found := strings.CutPrefix(line, "VmHWM:"); found {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}

// PeakRSSGrowth runs f and returns how far the process's resident set
// rose above its size when f started (VmHWM after f − VmRSS before it,
// VmHWM reset through /proc/self/clear_refs), and the size it started
// at, in bytes. A server test measures this rather than PeakRSS: the
// process has already served other tests, whose memory the Go runtime
// may keep, and the question is what the hostile input costs on top.
func PeakRSSGrowth(f func()) (growth, base int64, ok bool) {
	var peak int64
	peak, ok = PeakRSS(func() {
		base, ok = statusKB("VmRSS:")
		f()
	})
	if !ok || base == 0 {
		return 0, 0, false
	}
	return peak - base, base, true
}

// statusKB reads one "Name: N kB" line of /proc/self/status, in bytes.
func statusKB(name string) (int64, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(status)) {
		if v, found := strings.CutPrefix(line, name); found {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}

// MaxPeakRSS is the most memory the process may hold while refusing any
// file of the corpus (issue 18: "peak RSS stays under 512 MB").
const MaxPeakRSS = 512 << 20

// CompressedArrow returns an Arrow IPC file with rows rows whose one
// column, loan_id, holds values of width bytes of "a", ZSTD-compressed:
// rows·width bytes once decompressed, a few KB as stored.
func CompressedArrow(rows, width int) []byte {
	schema := arrow.NewSchema([]arrow.Field{{Name: "loan_id", Type: arrow.BinaryTypes.Binary}}, nil)
	b := array.NewBinaryBuilder(memory.DefaultAllocator, arrow.BinaryTypes.Binary)
	v := bytes.Repeat([]byte("a"), width)
	for range rows {
		b.Append(v)
	}
	col := b.NewArray()
	defer col.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(rows))
	defer rec.Release()
	return arrowFile(schema, rec, ipc.WithZstd())
}

// arrowFile writes rec as an Arrow IPC file with the writer options opts.
func arrowFile(schema *arrow.Schema, rec arrow.RecordBatch, opts ...ipc.Option) []byte {
	var buf bytes.Buffer
	w, err := ipc.NewFileWriter(&buf, append([]ipc.Option{ipc.WithSchema(schema)}, opts...)...)
	if err != nil {
		panic("hostile: " + err.Error())
	}
	if err := w.Write(rec); err != nil {
		panic("hostile: " + err.Error())
	}
	if err := w.Close(); err != nil {
		panic("hostile: " + err.Error())
	}
	return buf.Bytes()
}
