package snapshot

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	rows := make([]T, t.nrows)
	def := newRow()
	parallel(len(rows), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			rows[i] = def
		}
	})
	// Columns are decoded in parallel, each into its own field of every row
	// and with its own decoder; their problems are merged in column order,
	// so the result does not depend on scheduling.
	type task struct {
		j, k int
		d    *decoder
	}
	var tasks []task
	for j, k := range m {
		if k >= 0 {
			tasks = append(tasks, task{j, k, d.sub()})
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(tasks)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(tasks) {
					return
				}
				tk := tasks[i]
				decodeColumn(tk.d, &cols[tk.k], rows, t.cols[tk.j])
			}
		})
	}
	wg.Wait()
	for _, tk := range tasks {
		d.merge(tk.d)
	}
	return rows
}

// decodeColumn decodes the chunks of column c into rows. It runs on a
// goroutine of its own, so it turns a panic of arrow-go on a corrupt array
// into a problem.
func decodeColumn[T any](d *decoder, c *column[T], rows []T, chunks []arrow.Array) {
	defer func() {
		if p := recover(); p != nil {
			recovered(p)
			d.add(0, c.name, "", fmt.Sprintf("is corrupt (%v)", p), models.ErrInvalid)
		}
	}()
	base := 0
	for _, chunk := range chunks {
		n := chunk.Len()
		if base+n > len(rows) {
			d.add(0, c.name, "", "is longer than the table", models.ErrInvalid)
			return
		}
		decodeChunk(d, c, rows[base:base+n], base+2, chunk)
		base += n
	}
	if base != len(rows) {
		d.add(0, c.name, "", "is shorter than the table", models.ErrInvalid)
	}
}

// parallel calls f on GOMAXPROCS contiguous parts of [0, n) at once.
func parallel(n int, f func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if n < 1<<14 || p == 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range p {
		wg.Go(func() { f(w*n/p, (w+1)*n/p) })
	}
	wg.Wait()
}

// decodeChunk decodes one chunk of column c into rows; firstRow is the row
// number of rows[0] in problems. Arrays of the snapshot's own types take a
// fast path without per-row allocation; any other type is decoded through
// its text, exactly as the same value in a CSV file.
func decodeChunk[T any](d *decoder, c *column[T], rows []T, firstRow int, arr arrow.Array) {
	if err := array.Validate(arr); err != nil {
		d.add(0, c.name, "", "is corrupt: "+err.Error(), models.ErrInvalid)
		return
	}
	nulls := arr.NullN() > 0
	missing := func(i int) {
		if c.required && c.kind != kString {
			d.add(firstRow+i, c.name, "", "is empty", models.ErrMissing)
		}
	}
	switch a := arr.(type) {
	case *array.Dictionary:
		if c.kind == kString {
			if decodeDictStrings(d, c, rows, firstRow, a) {
				return
			}
		}
	case *array.String:
		if c.kind == kString {
			decodePlainStrings(d, c, rows, firstRow, a)
			return
		}
	case *array.Decimal128:
		if c.kind == kMoney && a.DataType().(*arrow.Decimal128Type).Scale == 2 {
			vals := a.Values()
			for i := range rows {
				if nulls && a.IsNull(i) {
					missing(i)
					continue
				}
				v := vals[i]
				lo, hi := v.LowBits(), v.HighBits()
				cents := models.Cents(lo)
				if hi != int64(lo)>>63 || cents > models.MaxCents || cents < -models.MaxCents {
					d.add(firstRow+i, c.name, v.ToString(2), "does not fit decimal128(18,2)", models.ErrInvalid)
					continue
				}
				*c.money(&rows[i]) = cents
			}
			return
		}
	case *array.Float64:
		if c.kind == kFloat {
			vals := a.Float64Values()
			for i := range rows {
				v := vals[i]
				if (nulls && a.IsNull(i)) || math.IsNaN(v) { // NaN is how pandas writes "missing"
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
		}
	case *array.Date32:
		if c.kind == kDate {
			vals := a.Date32Values()
			for i := range rows {
				if nulls && a.IsNull(i) {
					continue
				}
				*c.date(&rows[i]) = models.Date(vals[i])
			}
			return
		}
	case *array.Boolean:
		if c.kind == kBool {
			for i := range rows {
				if nulls && a.IsNull(i) {
					continue
				}
				*c.flag(&rows[i]) = a.Value(i)
			}
			return
		}
	}
	if !textual(arr.DataType()) {
		d.add(0, c.name, "", fmt.Sprintf("has type %s, which cannot hold %s", arr.DataType(), kindName[c.kind]), models.ErrInvalid)
		return
	}
	for i := range rows {
		s, ok := cellText(arr, i)
		if !ok {
			missing(i)
			continue
		}
		setCell(d, c, &rows[i], firstRow+i, strings.TrimSpace(s))
	}
}

var kindName = [...]string{kString: "text", kMoney: "money", kFloat: "a number", kDate: "a date", kBool: "a boolean"}

// decodeDictStrings decodes a dictionary of strings, sharing one Go string
// per dictionary value among all rows. It returns false, having done
// nothing, when the dictionary does not hold strings.
func decodeDictStrings[T any](d *decoder, c *column[T], rows []T, firstRow int, a *array.Dictionary) bool {
	var vals []string
	switch dict := a.Dictionary().(type) {
	case *array.String:
		vals = make([]string, dict.Len())
		for k := range vals {
			vals[k] = d.internString(dict.Value(k))
		}
	case *array.LargeString:
		vals = make([]string, dict.Len())
		for k := range vals {
			vals[k] = d.internString(dict.Value(k))
		}
	default:
		return false
	}
	valid := make([]bool, len(vals))
	for k, v := range vals {
		valid[k] = utf8.ValidString(v)
	}
	nulls := a.NullN() > 0 || a.Dictionary().NullN() > 0
	set := func(i, k int) {
		if k < 0 || k >= len(vals) {
			d.add(firstRow+i, c.name, strconv.Itoa(k), "dictionary index out of range (corrupt file)", models.ErrInvalid)
			return
		}
		if !valid[k] {
			d.add(firstRow+i, c.name, strings.ToValidUTF8(vals[k], "\uFFFD"), "is not UTF-8 text", models.ErrInvalid)
			return
		}
		*c.str(&rows[i]) = vals[k]
	}
	if idx, ok := a.Indices().(*array.Int32); ok && !nulls {
		for i, k := range idx.Int32Values() {
			set(i, int(k))
		}
		return true
	}
	for i := range rows {
		if a.IsNull(i) {
			continue
		}
		k := a.GetValueIndex(i)
		if k >= 0 && k < len(vals) && a.Dictionary().IsNull(k) {
			continue
		}
		set(i, k)
	}
	return true
}

// decodePlainStrings decodes a utf8 column with one allocation: all rows'
// strings are slices of one copy of the value bytes.
func decodePlainStrings[T any](d *decoder, c *column[T], rows []T, firstRow int, a *array.String) {
	offs := a.ValueOffsets()
	data := a.ValueBytes()
	if len(offs) != len(rows)+1 {
		d.add(0, c.name, "", "is corrupt: offsets do not match the length", models.ErrInvalid)
		return
	}
	all := string(data)
	base := offs[0]
	nulls := a.NullN() > 0
	for i := range rows {
		if nulls && a.IsNull(i) {
			continue
		}
		lo, hi := offs[i]-base, offs[i+1]-base
		if lo < 0 || hi < lo || int(hi) > len(all) {
			d.add(firstRow+i, c.name, "", "is corrupt: bad string offsets", models.ErrInvalid)
			continue
		}
		s := all[lo:hi]
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
