package snapshot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// memFile is an input whose bytes are all in memory: a mapped snapshot
// file (Read) or one read whole (ReadFS). decodeIPC reads its record
// batches in place: the arrays' buffers are slices of data, not copies (an
// uncompressed 1M-loan loans.arrow is 117 MB the reader need not allocate,
// fault in and copy). data must stay valid until decodeIPC returns; no
// value decoded from it refers to it afterwards (decodeTable copies the
// strings, and decoder.add the values it quotes).
type memFile struct {
	*bytes.Reader
	data []byte
}

func newMemFile(data []byte) memFile { return memFile{Reader: bytes.NewReader(data), data: data} }

// batchesInPlace reads the dictionaries and record batches of the Arrow
// IPC file data, whose footer's blocks (dictionaries first, each inside
// the file) are blocks, without copying their bodies (compressed bodies
// are decompressed into mem). schema is the footer's schema (as read by
// ipc.FileReader): the file's own schema message, which the stream reader
// reads, must be the same.
//
// arrow-go's ipc.NewMappedFileReader would do this, but in v18.8.0 it
// fails on any file with a dictionary (its dictionary memo is never made);
// so the file's messages are handed to ipc's stream reader in stream
// order: the schema message that follows the file's magic, then the
// dictionary batches, then the record batches.
func batchesInPlace(data []byte, blocks []ipcBlock, schema *arrow.Schema, mem memory.Allocator) ([]arrow.RecordBatch, error) {
	msgs := &fileMessages{data: data, blocks: blocks, next: -1}
	r, err := ipc.NewReaderFromMessageReader(msgs, ipc.WithAllocator(mem), ipc.WithSchema(schema))
	if err != nil {
		return nil, err
	}
	defer r.Release()
	var batches []arrow.RecordBatch
	for r.Next() {
		b := r.RecordBatch()
		b.Retain()
		batches = append(batches, b)
	}
	if err := r.Err(); err != nil {
		for _, b := range batches {
			b.Release()
		}
		return nil, err
	}
	return batches, nil
}

// fileMessages is an ipc.MessageReader over the messages of an Arrow IPC
// file in memory: its schema message (next = −1), then its blocks.
type fileMessages struct {
	data   []byte
	blocks []ipcBlock
	next   int
}

func (m *fileMessages) Retain()  {}
func (m *fileMessages) Release() {}

// Message returns the next message, its buffers slices of m.data.
//
// Layout (Arrow columnar format, "IPC File Format"): the file starts with
// "ARROW1" and two bytes of padding, then the stream: the schema message,
// dictionary batches, record batches. A message is 0xFFFFFFFF, an int32
// length n (or, in old files, only the length), n bytes of Message
// flatbuffer, then the body of Message.bodyLength bytes.
func (m *fileMessages) Message() (*ipc.Message, error) {
	if m.next < 0 {
		m.next = 0
		const start = 8 // "ARROW1\0\0"
		if len(m.data) < start+8 {
			return nil, fmt.Errorf("no schema message")
		}
		meta, err := messageMeta(m.data[start:])
		if err != nil {
			return nil, fmt.Errorf("schema message: %w", err)
		}
		if err := checkSchemaMessage(meta); err != nil {
			return nil, fmt.Errorf("schema message: %w", err)
		}
		return ipc.NewMessage(memory.NewBufferBytes(meta), memory.NewBufferBytes(nil)), nil
	}
	if m.next == len(m.blocks) {
		return nil, io.EOF
	}
	b := m.blocks[m.next]
	m.next++
	if b.off%8 != 0 || b.meta%8 != 0 || b.body%8 != 0 {
		return nil, fmt.Errorf("block at offset %d (metadata %d, body %d bytes) is not 8-byte aligned", b.off, b.meta, b.body)
	}
	meta, err := messageMeta(m.data[b.off : b.off+b.meta])
	if err != nil {
		return nil, fmt.Errorf("block at offset %d: %w", b.off, err)
	}
	body := m.data[b.off+b.meta : b.off+b.meta+b.body]
	msg := ipc.NewMessage(memory.NewBufferBytes(meta), memory.NewBufferBytes(body))
	want := ipc.MessageRecordBatch
	if b.dict {
		want = ipc.MessageDictionaryBatch
	}
	switch {
	case msg.Type() != want:
		msg.Release()
		return nil, fmt.Errorf("block at offset %d holds a %v message where the footer lists a %v", b.off, msg.Type(), want)
	case msg.BodyLen() != b.body:
		msg.Release()
		return nil, fmt.Errorf("block at offset %d: message body of %d bytes, footer says %d", b.off, msg.BodyLen(), b.body)
	}
	return msg, nil
}

// messageMeta returns the Message flatbuffer at the start of b, a message
// with its length prefix.
func messageMeta(b []byte) ([]byte, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("message of %d bytes", len(b))
	}
	prefix, n := 4, int64(int32(binary.LittleEndian.Uint32(b)))
	if uint32(n) == 0xFFFFFFFF {
		prefix, n = 8, int64(int32(binary.LittleEndian.Uint32(b[4:])))
	}
	if n < 8 || n > int64(len(b)-prefix) {
		return nil, fmt.Errorf("metadata of %d bytes in %d", n, len(b)-prefix)
	}
	return b[prefix : prefix+int(n)], nil
}

// checkSchemaMessage checks a schema message's flatbuffer as arrowBlocks
// checks the footer's schema, before arrow-go allocates from it: Message
// {version, header_type, header: Schema, bodyLength}.
func checkSchemaMessage(meta []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt message (%v)", p)
		}
	}()
	c := &fbCheck{buf: meta, budget: len(meta)}
	msg := c.root()
	const headerSchema = 1 // flatbuf.MessageHeaderSchema
	if typ := msg.GetByteSlot(4+2*1, 0); typ != headerSchema {
		return fmt.Errorf("message of type %d, not a schema", typ)
	}
	schema, ok := c.table(msg, 2)
	if !ok {
		return fmt.Errorf("message without a header")
	}
	if err := c.keyValues(schema, 2); err != nil {
		return err
	}
	if _, _, err := c.vector(schema, 3, 8); err != nil { // features
		return fmt.Errorf("schema features: %w", err)
	}
	return c.fields(schema, 1, 0)
}
