package snapshot

import (
	"testing"
	"unsafe"
)

// prefault only backs pages with memory: what a slice holds stays, and a
// fresh slice reads zero, as Go requires of new memory. (An advice that
// discards pages, MADV_DONTNEED, would zero the written bytes and fail.)
func TestPrefaultKeepsContents(t *testing.T) {
	const size = 20 << 20
	b := make([]byte, size)
	for k := 0; k < size; k += 4093 {
		b[k] = byte(k%251) + 1
	}
	prefault(b[1:]) // an address not on a page boundary
	for k := 0; k < size; k += 4093 {
		if want := byte(k%251) + 1; b[k] != want {
			t.Fatalf("byte %d is %d after prefault, want %d", k, b[k], want)
		}
	}
	type row struct{ a [30]int64 }
	rows := make([]row, size/int(unsafe.Sizeof(row{})))
	prefault(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(rows))), len(rows)*int(unsafe.Sizeof(row{}))))
	for i := range rows {
		if rows[i] != (row{}) {
			t.Fatalf("row %d of a fresh slice is not zero after prefault", i)
		}
	}
	prefault(nil) // nothing to do
}
