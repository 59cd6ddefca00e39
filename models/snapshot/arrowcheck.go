package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	flatbuffers "github.com/google/flatbuffers/go"
)

// ipcBlock is one block of an Arrow IPC file's footer: a message of meta
// bytes (with its length prefix) at off, followed by its body.
type ipcBlock struct {
	off, meta, body int64
	dict            bool // a dictionary batch, else a record batch
}

// arrowBlocks checks the metadata of an Arrow IPC file before arrow-go
// reads it. arrow-go trusts the lengths of the flatbuffer vectors in the
// footer and allocates from them: a file of a few hundred bytes can claim
// 10¹⁰ child fields, and the process then dies with "out of memory", which
// no recover can catch (the fuzzer found one). So this walks what the
// reader will allocate from (the footer's record-batch and dictionary
// blocks, the schema's fields and their children, the custom metadata, the
// union type ids) and requires every vector to lie inside the footer and
// every block inside the file. It answers nil for a file that does not end
// like an Arrow file, leaving that error to arrow-go.
//
// The layout (Arrow columnar format, "IPC File Format"): the file ends with
// the footer flatbuffer, its length as a little-endian int32, and "ARROW1".
// Footer: version, schema, dictionaries [Block], recordBatches [Block],
// custom_metadata. Block: offset int64, metaDataLength int32, bodyLength
// int64 (24 bytes). Schema: endianness, fields [Field], custom_metadata
// [KeyValue], features [int64]. Field: name, nullable, type_type, type,
// dictionary, children [Field], custom_metadata [KeyValue].
//
// It returns the footer's blocks, each inside the file.
func arrowBlocks(r ReadAtSeeker) (blocks []ipcBlock, err error) {
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	const tail = 10 // int32 footer length + "ARROW1"
	if size < tail+8 {
		return nil, nil
	}
	var end [tail]byte
	if _, err := r.ReadAt(end[:], size-tail); err != nil {
		return nil, nil
	}
	if string(end[4:]) != "ARROW1" {
		return nil, nil
	}
	n := int64(int32(binary.LittleEndian.Uint32(end[:4])))
	if n < 8 || n > size-tail-8 {
		return nil, fmt.Errorf("footer length %d does not fit a file of %d bytes", n, size)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-tail-n); err != nil {
		return nil, fmt.Errorf("read footer: %w", err)
	}
	defer func() {
		// flatbuffers' accessors index buf without checks; an offset that
		// points outside it is a corrupt footer.
		if p := recover(); p != nil {
			blocks, err = nil, fmt.Errorf("corrupt footer (%v)", p)
		}
	}()
	c := &fbCheck{buf: buf, budget: len(buf)}
	footer := c.root()
	for _, slot := range []int{2, 3} { // dictionaries, recordBatches
		start, count, err := c.vector(footer, slot, 24)
		if err != nil {
			return nil, fmt.Errorf("footer blocks: %w", err)
		}
		for i := range count {
			b := buf[int(start)+24*i:]
			off := int64(binary.LittleEndian.Uint64(b[0:]))
			meta := int64(int32(binary.LittleEndian.Uint32(b[8:])))
			body := int64(binary.LittleEndian.Uint64(b[16:]))
			if off < 0 || meta < 0 || body < 0 || off > size || meta > size-off || body > size-off-meta {
				return nil, fmt.Errorf("block %d (offset %d, metadata %d, body %d bytes) lies outside the file of %d bytes", i, off, meta, body, size)
			}
			blocks = append(blocks, ipcBlock{off: off, meta: meta, body: body, dict: slot == 2})
		}
	}
	if err := c.keyValues(footer, 4); err != nil {
		return nil, err
	}
	schema, ok := c.table(footer, 1)
	if !ok {
		return nil, nil // arrow-go says the schema is missing
	}
	if err := c.keyValues(schema, 2); err != nil {
		return nil, err
	}
	if _, _, err := c.vector(schema, 3, 8); err != nil { // features
		return nil, fmt.Errorf("schema features: %w", err)
	}
	return blocks, c.fields(schema, 1, 0)
}

// batchSizes are what the record-batch messages of an Arrow IPC file
// declare: rows in all (record batches only), the largest dictionary, and
// for compressed bodies the bytes their buffers decompress to, against the
// compressed bytes of those bodies.
type batchSizes struct {
	rows, dictRows       int64
	unzipped, compressed int64
}

// maxUnzipRatio is the most a compressed Arrow body may grow. LZ4 cannot
// compress more than 255 to 1; ZSTD can, but not a table whose ids are
// unique. Bodies that decompress to less than minUnzipped need not pass.
const (
	maxUnzipRatio       = 255
	minUnzipped   int64 = 1 << 20
)

// readBatchSizes reads the message of each block (not its body, except the
// 8-byte uncompressed length in front of each compressed buffer) and adds
// up what they declare, so that decodeIPC can refuse a file before arrow-go
// allocates for it.
//
// Layout (Arrow columnar format, "Encapsulated message format"): at the
// block's offset, 0xFFFFFFFF and an int32 length (or, in old files, only
// the length), then the Message flatbuffer: version, header_type,
// header, bodyLength. header is a RecordBatch (type 3: length int64,
// nodes [FieldNode], buffers [Buffer{offset, length int64}], compression)
// or a DictionaryBatch (type 2: id, data RecordBatch, isDelta).
func readBatchSizes(r io.ReaderAt, blocks []ipcBlock) (s batchSizes, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt record batch message (%v)", p)
		}
	}()
	for i, b := range blocks {
		if b.meta < 8 || b.meta > 64<<20 {
			return s, fmt.Errorf("block %d: message of %d bytes", i, b.meta)
		}
		buf := make([]byte, b.meta)
		if _, err := r.ReadAt(buf, b.off); err != nil {
			return s, fmt.Errorf("block %d: %w", i, err)
		}
		if binary.LittleEndian.Uint32(buf) == 0xFFFFFFFF {
			buf = buf[8:]
		} else {
			buf = buf[4:]
		}
		c := &fbCheck{buf: buf, budget: len(buf)}
		msg := c.root()
		rb, ok := c.table(msg, 2)
		if !ok {
			return s, fmt.Errorf("block %d: message without a header", i)
		}
		switch typ := msg.GetByteSlot(4+2*1, 0); typ {
		case 3: // RecordBatch
		case 2: // DictionaryBatch: its data is a RecordBatch
			if rb, ok = c.table(rb, 1); !ok {
				return s, fmt.Errorf("block %d: dictionary batch without data", i)
			}
		default:
			return s, fmt.Errorf("block %d: message of type %d where a batch belongs", i, typ)
		}
		rows := rb.GetInt64Slot(4+2*0, 0)
		if rows < 0 {
			return s, fmt.Errorf("block %d: %d rows", i, rows)
		}
		if b.dict {
			s.dictRows = max(s.dictRows, rows)
		} else if s.rows += rows; s.rows < 0 {
			return s, fmt.Errorf("block %d: row count overflows", i)
		}
		if _, ok := c.table(rb, 3); !ok {
			continue // not compressed: arrow-go slices the body, which lies inside the file
		}
		start, n, err := c.vector(rb, 2, 16)
		if err != nil {
			return s, fmt.Errorf("block %d buffers: %w", i, err)
		}
		s.compressed += b.body
		var prefix [8]byte
		for k := range n {
			e := buf[int(start)+16*k:]
			off, length := int64(binary.LittleEndian.Uint64(e)), int64(binary.LittleEndian.Uint64(e[8:]))
			if off < 0 || length < 0 || off > b.body || length > b.body-off {
				return s, fmt.Errorf("block %d: buffer %d (offset %d, %d bytes) lies outside the body of %d bytes", i, k, off, length, b.body)
			}
			if length < 8 {
				continue // empty
			}
			if _, err := r.ReadAt(prefix[:], b.off+b.meta+off); err != nil {
				return s, fmt.Errorf("block %d: %w", i, err)
			}
			if u := int64(binary.LittleEndian.Uint64(prefix[:])); u != -1 { // -1: stored uncompressed
				if u < 0 || s.unzipped+u < 0 {
					return s, fmt.Errorf("block %d: buffer %d decompresses to %d bytes", i, k, u)
				}
				s.unzipped += u
			}
		}
	}
	return s, nil
}

// fbCheck walks a flatbuffer, counting the tables it visits against a
// budget (the buffer's length) so that offsets that loop end the walk.
type fbCheck struct {
	buf    []byte
	budget int
}

var errFooterLoops = errors.New("the footer's tables refer to each other in a loop")

func (c *fbCheck) root() flatbuffers.Table {
	return flatbuffers.Table{Bytes: c.buf, Pos: flatbuffers.GetUOffsetT(c.buf)}
}

// table returns the table in field slot of t, if present.
func (c *fbCheck) table(t flatbuffers.Table, slot int) (flatbuffers.Table, bool) {
	o := flatbuffers.UOffsetT(t.Offset(flatbuffers.VOffsetT(4 + 2*slot)))
	if o == 0 {
		return flatbuffers.Table{}, false
	}
	return flatbuffers.Table{Bytes: c.buf, Pos: t.Indirect(o + t.Pos)}, true
}

// vector returns the start and length of the vector in field slot of t
// (elements of elem bytes; 0, 0 if absent), checking that it lies inside
// the buffer.
func (c *fbCheck) vector(t flatbuffers.Table, slot, elem int) (flatbuffers.UOffsetT, int, error) {
	o := flatbuffers.UOffsetT(t.Offset(flatbuffers.VOffsetT(4 + 2*slot)))
	if o == 0 {
		return 0, 0, nil
	}
	start, n := t.Vector(o), t.VectorLen(o)
	if n < 0 || int(start) > len(c.buf) || n > (len(c.buf)-int(start))/elem {
		return 0, 0, fmt.Errorf("a vector of %d elements does not fit the %d-byte footer", n, len(c.buf))
	}
	return start, n, nil
}

// tables visits the tables of the vector in field slot of t.
func (c *fbCheck) tables(t flatbuffers.Table, slot int, visit func(flatbuffers.Table) error) error {
	start, n, err := c.vector(t, slot, 4)
	if err != nil {
		return err
	}
	for i := range n {
		if c.budget--; c.budget < 0 {
			return errFooterLoops
		}
		pos := start + flatbuffers.UOffsetT(4*i)
		if err := visit(flatbuffers.Table{Bytes: c.buf, Pos: pos + flatbuffers.GetUOffsetT(c.buf[pos:])}); err != nil {
			return err
		}
	}
	return nil
}

// keyValues checks the custom metadata in field slot of t: KeyValue tables
// of two strings.
func (c *fbCheck) keyValues(t flatbuffers.Table, slot int) error {
	return c.tables(t, slot, func(kv flatbuffers.Table) error {
		for s := range 2 {
			if _, _, err := c.vector(kv, s, 1); err != nil {
				return fmt.Errorf("custom metadata: %w", err)
			}
		}
		return nil
	})
}

// fields checks the Field tables in field slot of t, and their children.
func (c *fbCheck) fields(t flatbuffers.Table, slot, depth int) error {
	if depth > 64 {
		return errors.New("fields nested more than 64 deep")
	}
	return c.tables(t, slot, func(f flatbuffers.Table) error {
		if _, _, err := c.vector(f, 0, 1); err != nil { // name
			return fmt.Errorf("field name: %w", err)
		}
		if err := c.keyValues(f, 6); err != nil {
			return err
		}
		const typeUnion = 14 // flatbuf.TypeUnion
		if typ := f.GetByteSlot(flatbuffers.VOffsetT(4+2*2), 0); typ == typeUnion {
			if u, ok := c.table(f, 3); ok {
				if _, _, err := c.vector(u, 1, 4); err != nil { // typeIds
					return fmt.Errorf("union type ids: %w", err)
				}
			}
		}
		return c.fields(f, 5, depth+1)
	})
}
