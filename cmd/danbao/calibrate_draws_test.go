package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCalibrateScoreDrawsRange: --score-draws outside 19..10000 is refused
// with the flag and value named, before the history is read.
func TestCalibrateScoreDrawsRange(t *testing.T) {
	for _, n := range []int{5, 10001} {
		var stdout, stderr bytes.Buffer
		err := runCalibrate(context.Background(), calibrateOptions{history: "../../testdata/history/wenzhou.csv", scoreDraws: n}, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "--score-draws") || !strings.Contains(err.Error(), "19..10000") {
			t.Errorf("--score-draws %d: error %v", n, err)
		}
	}
}
