package calibrate

import (
	"strings"
	"testing"
)

// TestCountOption: 0 takes the default; a value outside the range is an
// error naming the option, the value and the range; the bounds are in.
func TestCountOption(t *testing.T) {
	for _, c := range []struct {
		in, want int
		err      string
	}{
		{0, 99, ""}, {19, 19, ""}, {999, 999, ""},
		{18, 0, "score draws 18 must be in 19..999"}, {1000, 0, "score draws 1000 must be in 19..999"}, {-1, 0, "score draws -1 must be in 19..999"},
	} {
		v := c.in
		err := countOption(&v, 99, 19, 999, "score draws")
		switch {
		case c.err == "" && (err != nil || v != c.want):
			t.Errorf("%d: got %d, %v; want %d", c.in, v, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%d: err %v; want %q", c.in, err, c.err)
		}
	}
	if _, err := Backtest(nil, nil, nil, BacktestOptions{Draws: 50}); err == nil || !strings.Contains(err.Error(), "backtest: draws 50 must be in 100..10000000") {
		t.Errorf("Backtest with 50 draws: %v", err)
	}
}
