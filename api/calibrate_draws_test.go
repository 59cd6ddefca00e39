package api

import (
	"net/http"
	"strings"
	"testing"
)

// TestCalibrateScoreDrawsRange: score_draws outside 19..999 is refused with
// 422 naming the value, before the history is read.
func TestCalibrateScoreDrawsRange(t *testing.T) {
	e := newEnv(t, nil)
	hist := []byte("year,county,industry,loans,defaults\n2012,A,x,10,1\n")
	for _, v := range []string{"18", "1000"} {
		r := e.do(req{method: http.MethodPost, path: "/v1/calibrate?score_draws=" + v, role: RoleAnalyst, ctype: "application/octet-stream", body: hist, invalid: true})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "score_draws "+v+" is not in 19..999") {
			t.Errorf("score_draws=%s: status %d, %s", v, r.status, clip(r.body))
		}
	}
}
