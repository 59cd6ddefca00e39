package format

import (
	"math"
	"testing"
)

func TestColumn(t *testing.T) {
	// The examples: a column with 8,600万 and 1.62亿 is one 亿
	// column; a top-up column 1.00亿 then 9,911.34万 likewise.
	for _, tt := range []struct {
		vals []float64
		want Unit
	}{
		{[]float64{86e6, 1.62e8}, Yi},
		{[]float64{1e8, 99113400}, Yi},
		{[]float64{99113400, 5e4}, Wan},
		{[]float64{-3e8, 0}, Yi},
		{[]float64{math.NaN(), math.Inf(1), 5}, Wan},
		{nil, Wan},
	} {
		if got := Column(tt.vals...); got != tt.want {
			t.Errorf("Column(%v) = %s, want %s", tt.vals, got.ZH, tt.want.ZH)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{GroupDigits("1234567.89"), "1,234,567.89"},
		{GroupDigits("-1234"), "-1,234"},
		{GroupDigits("999"), "999"},
		{In(86e6, Yi), "0.86"},
		{In(1.62e8, Yi), "1.62"},
		{In(99113400, Wan), "9,911.34"},
		{In(-1, Wan), "0.00"}, // not "-0.00"
		{In(math.NaN(), Yi), "–"},
		{Money(2.5e9), "25.00亿"},
		{Money(123456), "12.35万"},
		{Money(math.Inf(-1)), "–"},
		{Num(-0.001, 2), "0.00"},
		{Num(1234.5, 1), "1,234.5"},
		{Pct(0.0123, 2), "1.23 %"},
		{Count(1, "worker", "workers"), "1 worker"},
		{Count(2, "worker", "workers"), "2 workers"},
		{Count(1, "year", "years"), "1 year"},
		{Range("5.12", "3.56", "–"), "5.12"},
		{Range("5.12", "3.56", "7.01"), "5.12 (3.56 – 7.01)"},
		{Range("0.00", "0.00", "0.00"), "0.00"},
		{Range("0.00", "0.00", "1.00"), "0.00 (0.00 – 1.00)"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestVersus: a value on one side of a threshold is never shown on the
// threshold or across it. The fee target is "< 1 %"; a fee of 0.98 %
// with one decimal would read 1.0 %.
func TestVersus(t *testing.T) {
	for _, tt := range []struct {
		x, thr float64
		d      int
		want   string
	}{
		{0.0098, 0.01, 1, "0.98 %"},
		{0.0097, 0.01, 1, "0.97 %"},
		{0.00995, 0.01, 1, "0.995 %"},
		{0.0095, 0.01, 1, "0.95 %"}, // 1 decimal rounds 0.95 to 1.0 (half away from zero is 1.0)
		{0.0090, 0.01, 1, "0.9 %"},
		{0.0100, 0.01, 1, "1.0 %"},
		{0.0102, 0.01, 1, "1.02 %"},
		{0.0523, 0.05, 1, "5.2 %"},
		{0.05004, 0.05, 1, "5.004 %"},
	} {
		if got := PctVersus(tt.x, tt.thr, tt.d); got != tt.want {
			t.Errorf("PctVersus(%v, %v, %d) = %q, want %q", tt.x, tt.thr, tt.d, got, tt.want)
		}
	}
	if got := NumVersus(4.996, 5, 2); got != "4.996" {
		t.Errorf("NumVersus(4.996, 5, 2) = %q", got)
	}
	if got := NumVersus(15.2, 15, 0); got != "15.2" {
		t.Errorf("NumVersus(15.2, 15, 0) = %q", got)
	}
}

func TestLookup(t *testing.T) {
	if n := Lookup(Industries, "trade_services"); n.ZH != "商贸服务" {
		t.Errorf("trade_services: %+v", n)
	}
	if n := Lookup(Products, "first_loan"); n.String() != "首贷保 First loan" {
		t.Errorf("first_loan: %q", n.String())
	}
	if n := Lookup(Industries, "zz"); n.String() != "zz" {
		t.Errorf("unknown: %q", n.String())
	}
}

// A Wenzhou county shows its code then its name, in the CLI and the web
// alike; an unknown code is shown as it is.
func TestCounty(t *testing.T) {
	for code, want := range map[string]string{"330382": "330382 乐清市", "330305": "330305 洞头区", "999999": "999999", "": ""} {
		if got := County(code); got != want {
			t.Errorf("County(%q) = %q, want %q", code, got, want)
		}
	}
}
