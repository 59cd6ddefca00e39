package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	flatbuffers "github.com/google/flatbuffers/go"
)

// checkArrowFooter checks the metadata of an Arrow IPC file before arrow-go
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
func checkArrowFooter(r ReadAtSeeker) (err error) {
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	const tail = 10 // int32 footer length + "ARROW1"
	if size < tail+8 {
		return nil
	}
	var end [tail]byte
	if _, err := r.ReadAt(end[:], size-tail); err != nil {
		return nil
	}
	if string(end[4:]) != "ARROW1" {
		return nil
	}
	n := int64(int32(binary.LittleEndian.Uint32(end[:4])))
	if n < 8 || n > size-tail-8 {
		return fmt.Errorf("footer length %d does not fit a file of %d bytes", n, size)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-tail-n); err != nil {
		return fmt.Errorf("read footer: %w", err)
	}
	defer func() {
		// flatbuffers' accessors index buf without checks; an offset that
		// points outside it is a corrupt footer.
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt footer (%v)", p)
		}
	}()
	c := &fbCheck{buf: buf, budget: len(buf)}
	footer := c.root()
	for _, slot := range []int{2, 3} { // dictionaries, recordBatches
		start, count, err := c.vector(footer, slot, 24)
		if err != nil {
			return fmt.Errorf("footer blocks: %w", err)
		}
		for i := range count {
			b := buf[int(start)+24*i:]
			off := int64(binary.LittleEndian.Uint64(b[0:]))
			meta := int64(int32(binary.LittleEndian.Uint32(b[8:])))
			body := int64(binary.LittleEndian.Uint64(b[16:]))
			if off < 0 || meta < 0 || body < 0 || off > size || meta > size-off || body > size-off-meta {
				return fmt.Errorf("block %d (offset %d, metadata %d, body %d bytes) lies outside the file of %d bytes", i, off, meta, body, size)
			}
		}
	}
	if err := c.keyValues(footer, 4); err != nil {
		return err
	}
	schema, ok := c.table(footer, 1)
	if !ok {
		return nil // arrow-go says the schema is missing
	}
	if err := c.keyValues(schema, 2); err != nil {
		return err
	}
	if _, _, err := c.vector(schema, 3, 8); err != nil { // features
		return fmt.Errorf("schema features: %w", err)
	}
	return c.fields(schema, 1, 0)
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
