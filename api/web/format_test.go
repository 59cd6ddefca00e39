package web

import (
	"bytes"
	"math"
	"net/http"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wenzhou/danbao/sim"
)

func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		got, want string
	}{
		{GroupDigits("1234567.89"), "1,234,567.89"},
		{GroupDigits("-1234"), "-1,234"},
		{GroupDigits("999"), "999"},
		{fmtMoney(2.5e9), "25.00亿"},
		{fmtMoney(123456), "12.35万"},
		{fmtMoney(math.NaN()), "–"},
		{fmtMoney(math.Inf(1)), "–"},
		{fmtWan(-5e4), "-5.00"},
		{fmtYi(257.24e8), "257.24"},
		{fmtPct(0.0123, 2), "1.23 %"},
		{levelPct("0.999"), "99.9 %"},
		{levelPct("0.95"), "95 %"},
		{shortName("温州市乐清市融资担保有限公司"), "乐清市"},
		{shortName("温州市融资担保有限公司"), "温州市"},
		{shortName("G-1"), "G-1"},
		{countyLabel("330382"), "330382 乐清市"},
		{countyLabel("999999"), "999999"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestHeatOf(t *testing.T) {
	for _, tt := range []struct {
		p           float64
		text, class string
	}{
		{0, "0 %", "h0"},
		{0.05, "5 %", "h0"},
		{0.5, "50 %", "h5"},
		{0.899, "90 %", "h8"},
		{0.996, "99.6 %", "h9"},  // a rare miss is not shown as 100 %
		{0.9999, "99.9 %", "h9"}, // nor this one
		{0.002, "0.2 %", "h0"},   // a rare hold is not shown as 0 %
		{1, "100 %", "h10"},
		{math.NaN(), "–", "hn"},
	} {
		c := heatOf(sim.TargetResult{ID: "leverage_min", Scope: "city", Year: 1, PHold: sim.Number(tt.p), SE: 0.01, Threshold: 5})
		if c.Text != tt.text || c.Class != tt.class {
			t.Errorf("heatOf(%v) = %q %q, want %q %q", tt.p, c.Text, c.Class, tt.text, tt.class)
		}
	}
}

// TestStoredPathLosses: the loss columns of an Arrow stream in the API's
// per-path schema come back in yuan (fen/100), in path order across record
// batches; a table without loss_total, with a loss column of another type,
// or that is not an Arrow stream is an error.
func TestStoredPathLosses(t *testing.T) {
	money := &arrow.Decimal128Type{Precision: 18, Scale: 2}
	stream := func(fields []arrow.Field, batches ...[][]int64) []byte {
		t.Helper()
		schema := arrow.NewSchema(fields, nil)
		var buf bytes.Buffer
		w := ipc.NewWriter(&buf, ipc.WithSchema(schema))
		for _, cols := range batches {
			b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
			for c, vals := range cols {
				for _, v := range vals {
					switch fb := b.Field(c).(type) {
					case *array.Int64Builder:
						fb.Append(v)
					case *array.Decimal128Builder:
						fb.Append(decimal128.FromI64(v))
					case *array.Float64Builder:
						fb.Append(float64(v))
					}
				}
			}
			rec := b.NewRecordBatch()
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			rec.Release()
			b.Release()
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	fields := []arrow.Field{{Name: "path", Type: arrow.PrimitiveTypes.Int64}, {Name: "loss_total", Type: money},
		{Name: "defaults_total", Type: arrow.PrimitiveTypes.Int64}, {Name: "loss_bank", Type: money}}
	raw := stream(fields, [][]int64{{0, 1}, {150, 225}, {3, 4}, {15, -1}}, [][]int64{{2}, {0}, {0}, {7}})
	got, err := storedPathLosses(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float64{sim.PartyTotal: {1.5, 2.25, 0}, "bank": {0.15, -0.01, 0.07}}
	if len(got) != len(want) {
		t.Errorf("parties %v, want %v", got, want)
	}
	for party, w := range want {
		if !slices.Equal(got[party], w) {
			t.Errorf("%s: %v, want %v", party, got[party], w)
		}
	}
	for _, tt := range []struct {
		name string
		raw  []byte
	}{
		{"no loss_total", stream([]arrow.Field{{Name: "path", Type: arrow.PrimitiveTypes.Int64}}, [][]int64{{0}})},
		{"float loss", stream([]arrow.Field{{Name: "loss_total", Type: arrow.PrimitiveTypes.Float64}}, [][]int64{{1}})},
		{"not arrow", []byte("path,loss_total\n0,1.50\n")},
		{"empty", nil},
	} {
		if _, err := storedPathLosses(bytes.NewReader(tt.raw)); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestWantsHTML(t *testing.T) {
	for accept, want := range map[string]bool{
		"": false, "*/*": false, "application/json": false,
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": true,
		"application/json, text/html":                                     false,
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept", accept)
		if got := wantsHTML(r); got != want {
			t.Errorf("wantsHTML(%q) = %v", accept, got)
		}
	}
	for next, want := range map[string]string{"/ui/runs": "/ui/runs", "//evil.example": "/", "https://evil.example": "/", "/\\evil": "/", "": "/",
		"/\t/evil.example": "/", "/%09/evil.example": "/", "/%2F/evil.example": "/", "/ui/runs?x=1": "/ui/runs?x=1", "/ui\\/x": "/"} {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}
