package models

import (
	"math"
	"strings"
	"testing"
)

func TestAllocate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		amount  Cents
		weights []float64
		want    []Cents
	}{
		{"4321 on 100.00", 10000, []float64{0.2, 0.4, 0.15, 0.15, 0.1}, []Cents{2000, 4000, 1500, 1500, 1000}},
		// 1 fen: 0.4 has the largest remainder.
		{"one fen", 1, []float64{0.2, 0.4, 0.15, 0.15, 0.1}, []Cents{0, 1, 0, 0, 0}},
		// 10 fen by thirds: 3.33 each, the leftover fen to the first (ties to the lower index).
		{"thirds", 10, []float64{1, 1, 1}, []Cents{4, 3, 3}},
		{"zero weights", 7, []float64{0, 0}, []Cents{0, 7}},
		{"negative", -10, []float64{1, 1, 1}, []Cents{-4, -3, -3}},
		{"zero amount", 0, []float64{0.5, 0.5}, []Cents{0, 0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Allocate(make([]Cents, len(tt.weights)), tt.amount, tt.weights)
			for k := range got {
				if got[k] != tt.want[k] {
					t.Fatalf("Allocate(%v, %v) = %v, want %v", tt.amount, tt.weights, got, tt.want)
				}
			}
		})
	}
}

// TestAllocateFractions: fractions computed once split several amounts as
// the ledger does, with the same hand-worked parts as TestAllocate.
func TestAllocateFractions(t *testing.T) {
	w := []float64{0.2, 0.4, 0.15, 0.15, 0.1}
	frac := Fractions(nil, w)
	if len(frac) != 5 {
		t.Fatalf("Fractions(%v) = %v", w, frac)
	}
	for _, tt := range []struct {
		amount Cents
		want   []Cents
	}{
		{10000, []Cents{2000, 4000, 1500, 1500, 1000}},
		{1, []Cents{0, 1, 0, 0, 0}},
		{-10000, []Cents{-2000, -4000, -1500, -1500, -1000}},
	} {
		got := AllocateFractions(make([]Cents, 5), tt.amount, w, frac)
		for k := range got {
			if got[k] != tt.want[k] {
				t.Fatalf("AllocateFractions(%v) = %v, want %v", tt.amount, got, tt.want)
			}
		}
	}
	if frac := Fractions(nil, []float64{0, 0}); frac != nil {
		t.Fatalf("Fractions of zero weights = %v, want nil", frac)
	}
	if got := AllocateFractions(make([]Cents, 2), 7, []float64{0, 0}, nil); got[0] != 0 || got[1] != 7 {
		t.Fatalf("zero weights: %v, want [0 7]", got)
	}
}

// FuzzAllocate: the parts always add up to the amount exactly, none is
// negative for a non-negative amount, and a zero weight gets nothing
// (unless all are zero).
func FuzzAllocate(f *testing.F) {
	f.Add(int64(123456789), 0.2, 0.4, 0.15, 0.15, 0.1)
	f.Add(int64(1), 0.0, 0.0, 0.0, 0.0, 1.0)
	f.Add(int64(999_999_999_999_999_999), 1e-300, 0.3, 0.3, 0.3, 1e300)
	f.Fuzz(func(t *testing.T, amount int64, a, b, c, d, e float64) {
		w := []float64{a, b, c, d, e}
		for _, x := range w {
			if !(x >= 0) || math.IsInf(x, 0) {
				return
			}
		}
		if amount < 0 || Cents(amount) > MaxCents {
			return
		}
		var sum float64
		for _, x := range w {
			sum += x
		}
		if math.IsInf(sum, 0) {
			return
		}
		got := Allocate(make([]Cents, 5), Cents(amount), w)
		var total Cents
		for k, p := range got {
			if p < 0 {
				t.Fatalf("part %d negative: %v", k, got)
			}
			if w[k] == 0 && sum > 0 && p != 0 {
				t.Fatalf("zero weight %d got %v: %v", k, p, got)
			}
			total += p
		}
		if total != Cents(amount) {
			t.Fatalf("parts %v sum to %v, want %v", got, total, amount)
		}
	})
}

func TestParseCents(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    Cents
		wantErr string
	}{
		{"1234567.89", 123456789, ""},
		{"12", 1200, ""},
		{"-3.5", -350, ""},
		{"0.01", 1, ""},
		{"12.5万", 0, "万/亿"},
		{"1,234.00", 0, "thousands separator"},
		{"12,3a", 0, "thousands separator"},
		{"1.234", 0, "more than two decimals"},
		{"1e5", 0, "not a decimal number"},
		{"", 0, "empty"},
		{"12345678901234567", 0, "too large"},
	} {
		got, err := ParseCents(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseCents(%q) error %v, want it to mention %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseCents(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for in, want := range map[string]Cents{"12.5万": 12_500_000, "1,234.56": 123456, "3亿": 3 * Yi} {
		if got, err := ParseCentsLenient(in); err != nil || got != want {
			t.Errorf("ParseCentsLenient(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}
