package snapshot

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/wenzhou/danbao/models"
)

// table is an Arrow table being decoded: each field's column as chunks.
// Every column's chunks add up to nrows.
type table struct {
	schema *arrow.Schema
	nrows  int
	cols   [][]arrow.Array
}

// prefaultMinBytes is the smallest row slice decodeTable prefaults
// (prefault): 16 MiB, about 70,000 loans.
const prefaultMinBytes = 16 << 20

// decodeTable fills one row of T per table row from the columns it knows.
// A row is numbered index+2 in problems, as if the table had a header. With
// warnings nil, unknown columns are ignored silently (a snapshot written by a
// later version may carry more columns); otherwise each is a warning.
func decodeTable[T any](d *decoder, cols []column[T], t *table, newRow func() T, warnings *[]string) []T {
	var sink []string
	if warnings == nil {
		warnings = &sink
	}
	names := make([]string, len(t.schema.Fields()))
	for j, f := range t.schema.Fields() {
		names[j] = f.Name
	}
	m := mapColumns(d, cols, names, 0, warnings)

	// The columns to decode, each checked once as a whole.
	var srcs []source[T]
	// Each dictionary of strings, decoded once before the parallel part
	// (which only reads this map): Dictionary() initializes lazily.
	dicts := make(map[arrow.ArrayData]*dictStrings)
	for j, k := range m {
		if k < 0 {
			continue
		}
		c := &cols[k]
		src := source[T]{c: c, chunks: t.cols[j]}
		n, ok := 0, true
		for _, chunk := range src.chunks {
			if err := array.Validate(chunk); err != nil {
				d.add(0, c.name, "", "is corrupt: "+err.Error(), models.ErrInvalid)
				ok = false
				break
			}
			if !fastPath(c.kind, chunk.DataType()) && !textual(chunk.DataType()) {
				d.add(0, c.name, "", fmt.Sprintf("has type %s, which cannot hold %s", chunk.DataType(), kindName[c.kind]), models.ErrInvalid)
				ok = false
				break
			}
			if a, isDict := chunk.(*array.Dictionary); isDict {
				dict := a.Dictionary()
				if fastPath(c.kind, chunk.DataType()) && dicts[dict.Data()] == nil {
					dicts[dict.Data()] = newDictStrings(dict)
				}
			}
			src.starts = append(src.starts, n)
			n += chunk.Len()
		}
		if ok && n != t.nrows {
			d.add(0, c.name, "", fmt.Sprintf("has %d values for %d rows", n, t.nrows), models.ErrInvalid)
			ok = false
		}
		if ok {
			srcs = append(srcs, src)
		} else {
			d.missing[c.name] = true // reported once: Validate need not complain about each row
		}
	}

	// Rows are decoded in blocks small enough to stay in cache while every
	// column fills its field, two or more blocks at once. Each block has
	// its own decoder; their problems are merged in block order, so the
	// result does not depend on scheduling.
	def := newRow()
	defaults := unwrittenDefaults(cols, srcs, &def)
	if err := d.budget.charge(int64(t.nrows) * int64(unsafe.Sizeof(def))); err != nil {
		d.add(0, "", "", err.Error()+"; raise --max-memory if the file is genuine", models.ErrInvalid)
		return nil
	}
	rows := make([]T, t.nrows)
	if size := len(rows) * int(unsafe.Sizeof(def)); size >= prefaultMinBytes {
		prefault(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(rows))), size))
	}
	nblocks := (len(rows) + blockRows - 1) / blockRows
	decs := make([]*decoder, nblocks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), nblocks) {
		wg.Go(func() {
			for {
				b := int(next.Add(1) - 1)
				if b >= nblocks {
					return
				}
				lo, hi := b*blockRows, min((b+1)*blockRows, len(rows))
				bd := d.sub()
				decs[b] = bd
				block := rows[lo:hi]
				for _, c := range defaults {
					for i := range block {
						c.copyField(&block[i], &def)
					}
				}
				for _, src := range srcs {
					decodeRange(bd, dicts, src.c, block, lo, src.chunks, src.starts)
				}
			}
		})
	}
	wg.Wait()
	for _, bd := range decs {
		d.merge(bd)
	}
	return rows
}

// source is a column of the table being decoded: its chunks.
type source[T any] struct {
	c      *column[T]
	chunks []arrow.Array
	starts []int // row of each chunk's first value
}

// writesEveryRow reports whether decoding the column writes its field in
// every row the file is not refused for: every chunk is read without going
// through text and has no nulls (a dictionary none in its values either).
// A float column never does: NaN means "not given" (decodeChunk).
func (src *source[T]) writesEveryRow() bool {
	if src.c.kind == kFloat {
		return false
	}
	for _, ch := range src.chunks {
		if ch.NullN() > 0 || !fastPath(src.c.kind, ch.DataType()) {
			return false
		}
		if a, ok := ch.(*array.Dictionary); ok && a.Dictionary().NullN() > 0 {
			return false
		}
	}
	return true
}

// unwrittenDefaults returns the columns whose field a row must get from
// the default row def before decoding: those whose default is not the zero
// value and which the file may leave unwritten in a row (the column is
// missing, has nulls, or is read as text, where an empty value keeps the
// default). A value the decoder refuses also keeps it, but the file is
// then refused. The other fields start at zero and every row's is written.
// Copying def whole into every row wrote each of its string fields, with
// the garbage collector's write barrier, and took a third of the time of
// opening a 1M-loan snapshot.
func unwrittenDefaults[T any](cols []column[T], srcs []source[T], def *T) []*column[T] {
	var zero T
	var out []*column[T]
	for k := range cols {
		c := &cols[k]
		if c.fieldEqual(def, &zero) {
			continue
		}
		written := false
		for _, src := range srcs {
			if src.c == c {
				written = src.writesEveryRow()
			}
		}
		if !written {
			out = append(out, c)
		}
	}
	return out
}

// blockRows is the number of rows decodeTable decodes at a time.
const blockRows = 2048

// decodeRange decodes column c for rows[lo:lo+len(block)] of the table
// into block. It turns a panic of arrow-go on a corrupt array into a
// problem: it runs on a goroutine of its own.
func decodeRange[T any](d *decoder, dicts map[arrow.ArrayData]*dictStrings, c *column[T], block []T, lo int, chunks []arrow.Array, starts []int) {
	defer func() {
		if p := recover(); p != nil {
			recovered(p)
			d.add(0, c.name, "", fmt.Sprintf("is corrupt (%v)", p), models.ErrInvalid)
		}
	}()
	hi := lo + len(block)
	ci := sort.SearchInts(starts, lo+1) - 1 // the chunk holding row lo
	for r := lo; r < hi; ci++ {
		chunk := chunks[ci]
		off := r - starts[ci]
		n := min(hi, starts[ci]+chunk.Len()) - r
		decodeChunk(d, dicts, c, block[r-lo:r-lo+n], r+2, chunk, off)
		r += n
	}
}

// fastPath reports whether decodeChunk reads arrays of type dt into a
// column of kind k without going through text.
func fastPath(k kind, dt arrow.DataType) bool {
	switch dt := dt.(type) {
	case *arrow.DictionaryType:
		return k == kString && (dt.ValueType.ID() == arrow.STRING || dt.ValueType.ID() == arrow.LARGE_STRING)
	case *arrow.StringType:
		return k == kString
	case *arrow.Decimal128Type:
		return k == kMoney && dt.Scale == 2
	case *arrow.Float64Type:
		return k == kFloat
	case *arrow.Date32Type:
		return k == kDate
	case *arrow.BooleanType:
		return k == kBool
	}
	return false
}

// decodeChunk decodes values off, off+1, … of one chunk of column c into
// rows; firstRow is the row number of rows[0] in problems. Arrays of the
// snapshot's own types take a fast path without per-row allocation; any
// other type is decoded through its text, exactly as the same value in a
// CSV file. The chunk has passed array.Validate and fastPath or textual.
func decodeChunk[T any](d *decoder, dicts map[arrow.ArrayData]*dictStrings, c *column[T], rows []T, firstRow int, arr arrow.Array, off int) {
	nulls := arr.NullN() > 0
	missing := func(i int) {
		if c.required && c.kind != kString {
			d.add(firstRow+i, c.name, "", "is empty", models.ErrMissing)
		}
	}
	if fastPath(c.kind, arr.DataType()) {
		switch a := arr.(type) {
		case *array.Dictionary:
			decodeDictStrings(d, dicts, c, rows, firstRow, a, off)
			return
		case *array.String:
			decodePlainStrings(d, c, rows, firstRow, a, off)
			return
		case *array.Decimal128:
			vals := a.Values()[off : off+len(rows)]
			for i, v := range vals {
				if nulls && a.IsNull(off+i) {
					missing(i)
					continue
				}
				lo, hi := v.LowBits(), v.HighBits()
				cents := models.Cents(lo)
				if hi != int64(lo)>>63 || cents > models.MaxCents || cents < -models.MaxCents {
					d.add(firstRow+i, c.name, v.ToString(2), "does not fit decimal128(18,2)", models.ErrInvalid)
					continue
				}
				*c.money(&rows[i]) = cents
			}
			return
		case *array.Float64:
			vals := a.Float64Values()[off : off+len(rows)]
			for i, v := range vals {
				if (nulls && a.IsNull(off+i)) || math.IsNaN(v) { // NaN is how pandas writes "missing"
					missing(i)
					continue
				}
				if math.IsInf(v, 0) {
					d.add(firstRow+i, c.name, ftoa(v), "must be a finite number", models.ErrInvalid)
					continue
				}
				*c.num(&rows[i]) = v
			}
			return
		case *array.Date32:
			vals := a.Date32Values()[off : off+len(rows)]
			for i, v := range vals {
				if !nulls || a.IsValid(off+i) {
					*c.date(&rows[i]) = models.Date(v)
				}
			}
			return
		case *array.Boolean:
			for i := range rows {
				if !nulls || a.IsValid(off+i) {
					*c.flag(&rows[i]) = a.Value(off + i)
				}
			}
			return
		}
	}
	for i := range rows {
		s, ok := cellText(arr, off+i)
		if !ok {
			missing(i)
			continue
		}
		setCell(d, c, &rows[i], firstRow+i, strings.TrimSpace(s))
	}
}

var kindName = [...]string{kString: "text", kMoney: "money", kFloat: "a number", kDate: "a date", kBool: "a boolean"}

// dictStrings is a dictionary of strings decoded once: one Go string per
// value, shared by every row that refers to it.
type dictStrings struct {
	vals  []string
	valid []bool // value k is non-null UTF-8
}

func newDictStrings(dict arrow.Array) *dictStrings {
	ds := &dictStrings{vals: make([]string, dict.Len()), valid: make([]bool, dict.Len())}
	for k := range ds.vals {
		switch a := dict.(type) {
		case *array.String:
			ds.vals[k] = strings.Clone(a.Value(k))
		case *array.LargeString:
			ds.vals[k] = strings.Clone(a.Value(k))
		}
		ds.valid[k] = dict.IsValid(k) && utf8.ValidString(ds.vals[k])
	}
	return ds
}

// decodeDictStrings decodes values off, off+1, … of a dictionary of
// strings whose dictionary is decoded in dicts.
func decodeDictStrings[T any](d *decoder, dicts map[arrow.ArrayData]*dictStrings, c *column[T], rows []T, firstRow int, a *array.Dictionary, off int) {
	ds := dicts[a.Dictionary().Data()]
	set := func(i, k int) {
		switch {
		case k < 0 || k >= len(ds.vals):
			d.add(firstRow+i, c.name, strconv.Itoa(k), "dictionary index out of range (corrupt file)", models.ErrInvalid)
		case ds.valid[k]:
			*c.str(&rows[i]) = ds.vals[k]
		case a.Dictionary().IsNull(k): // a null value: not given
		default:
			d.add(firstRow+i, c.name, strings.ToValidUTF8(ds.vals[k], "\uFFFD"), "is not UTF-8 text", models.ErrInvalid)
		}
	}
	if idx, ok := a.Indices().(*array.Int32); ok && a.NullN() == 0 {
		for i, k := range idx.Int32Values()[off : off+len(rows)] {
			set(i, int(k))
		}
		return
	}
	for i := range rows {
		if a.IsValid(off + i) {
			set(i, a.GetValueIndex(off+i))
		}
	}
}

// decodePlainStrings decodes values off, off+1, … of a utf8 column with
// one allocation: the rows' strings are slices of one copy of the bytes.
func decodePlainStrings[T any](d *decoder, c *column[T], rows []T, firstRow int, a *array.String, off int) {
	offs := a.ValueOffsets()[off : off+len(rows)+1]
	data := a.ValueBytes()
	base := a.ValueOffsets()[0]
	lo, hi := offs[0]-base, offs[len(rows)]-base
	if lo < 0 || hi < lo || int(hi) > len(data) {
		d.add(0, c.name, "", "is corrupt: bad string offsets", models.ErrInvalid)
		return
	}
	all := string(data[lo:hi])
	first := offs[0]
	nulls := a.NullN() > 0
	for i := range rows {
		if nulls && a.IsNull(off+i) {
			continue
		}
		l, h := offs[i]-first, offs[i+1]-first
		if l < 0 || h < l || int(h) > len(all) {
			d.add(firstRow+i, c.name, "", "is corrupt: bad string offsets", models.ErrInvalid)
			continue
		}
		s := all[l:h]
		if !utf8.ValidString(s) {
			d.add(firstRow+i, c.name, strings.ToValidUTF8(s, "\uFFFD"), "is not UTF-8 text", models.ErrInvalid)
			continue
		}
		*c.str(&rows[i]) = s
	}
}

// textual reports whether cellText can render values of type dt.
func textual(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.NULL, arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BINARY, arrow.LARGE_BINARY,
		arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256, arrow.BOOL,
		arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP:
		return true
	case arrow.DICTIONARY:
		return textual(dt.(*arrow.DictionaryType).ValueType)
	}
	return false
}

// cellText renders value i of arr as it would appear in a CSV file; ok is
// false for null (and NaN, which pandas writes for a missing value).
func cellText(arr arrow.Array, i int) (s string, ok bool) {
	if arr.IsNull(i) {
		return "", false
	}
	switch a := arr.(type) {
	case *array.Null:
		return "", false
	case *array.Dictionary:
		k := a.GetValueIndex(i)
		if k < 0 || k >= a.Dictionary().Len() {
			return "", false
		}
		return cellText(a.Dictionary(), k)
	case *array.String:
		return a.Value(i), true
	case *array.LargeString:
		return a.Value(i), true
	case *array.StringView:
		return a.Value(i), true
	case *array.Binary:
		return string(a.Value(i)), true
	case *array.LargeBinary:
		return string(a.Value(i)), true
	case *array.Int8:
		return strconv.FormatInt(int64(a.Value(i)), 10), true
	case *array.Int16:
		return strconv.FormatInt(int64(a.Value(i)), 10), true
	case *array.Int32:
		return strconv.FormatInt(int64(a.Value(i)), 10), true
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10), true
	case *array.Uint8:
		return strconv.FormatUint(uint64(a.Value(i)), 10), true
	case *array.Uint16:
		return strconv.FormatUint(uint64(a.Value(i)), 10), true
	case *array.Uint32:
		return strconv.FormatUint(uint64(a.Value(i)), 10), true
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10), true
	case *array.Float16:
		return floatText(float64(a.Value(i).Float32()), 32)
	case *array.Float32:
		return floatText(float64(a.Value(i)), 32)
	case *array.Float64:
		return floatText(a.Value(i), 64)
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale), true
	case *array.Decimal256:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal256Type).Scale), true
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i)), true
	case *array.Date32:
		return models.Date(a.Value(i)).Time().Format(time.DateOnly), true
	case *array.Date64:
		return a.Value(i).ToTime().UTC().Format(time.DateOnly), true
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		t := a.Value(i).ToTime(unit).UTC()
		if t.Equal(t.Truncate(24 * time.Hour)) {
			return t.Format(time.DateOnly), true
		}
		return t.Format(time.RFC3339Nano), true
	}
	return arr.ValueStr(i), true
}

// floatText renders x with the fewest digits that read back as the same
// float of the given bit size, without an exponent, so that 1234.56 stored
// as a float becomes the money text "1234.56".
func floatText(x float64, bits int) (string, bool) {
	if math.IsNaN(x) {
		return "", false
	}
	if math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'g', -1, 64), true
	}
	return strconv.FormatFloat(x, 'f', -1, bits), true
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
