package web

import (
	"math"
	"net/http"
	"slices"
	"testing"

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

func TestCSVColumn(t *testing.T) {
	const csv = "path,loss_total,defaults_total\r\n0,1.50,3\r\n1,2.25,4\n2,0.00,0"
	for _, chunk := range []int{1, 2, 7, 100} {
		c := &csvColumn{name: "loss_total", idx: -1}
		for i := 0; i < len(csv); i += chunk {
			if _, err := c.Write([]byte(csv[i:min(i+chunk, len(csv))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if want := []float64{1.5, 2.25, 0}; !slices.Equal(c.values, want) {
			t.Errorf("chunks of %d: %v, want %v", chunk, c.values, want)
		}
	}
	for _, tt := range []struct{ name, csv string }{
		{"no column", "path,loss\n0,1\n"},
		{"short row", "path,loss_total\n0\n"},
		{"not a number", "path,loss_total\n0,abc\n"},
		{"empty", ""},
	} {
		c := &csvColumn{name: "loss_total", idx: -1}
		_, err := c.Write([]byte(tt.csv))
		if err == nil {
			err = c.Close()
		}
		if err == nil {
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
