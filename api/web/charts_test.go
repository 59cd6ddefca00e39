package web

import (
	"strings"
	"testing"
)

func TestGroupTicker(t *testing.T) {
	labels := func(lo, hi float64) string {
		var out []string
		for _, tk := range (groupTicker{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return strings.Join(out, " ")
	}
	for _, tt := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 250, "0 50 100 150 200 250"},
		{0, 325, "0 100 200 300"},
		{4.2, 36, "10 20 30"},
		{0, 12000, "0 2,000 4,000 6,000 8,000 10,000 12,000"},
		{0, 1.2, "0.0 0.2 0.4 0.6 0.8 1.0 1.2"},
		{0, 0.06, "0.00 0.01 0.02 0.03 0.04 0.05 0.06"},
		{-3, 3, "-3 -2 -1 0 1 2 3"},
		{0, 2.7, "0.0 0.5 1.0 1.5 2.0 2.5"},
	} {
		if got := labels(tt.lo, tt.hi); got != tt.want {
			t.Errorf("ticks(%g, %g) = %q, want %q", tt.lo, tt.hi, got, tt.want)
		}
	}
}
