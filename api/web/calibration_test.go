package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
)

// postFile posts one file field (and other fields) as a browser's
// multipart form does.
func postFile(t *testing.T, c *http.Client, u, field, name string, content []byte, fields map[string]string) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, u, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	return do(t, c, req)
}

func TestCalibrationPage(t *testing.T) {
	ts := newTestServer(t, smallPortfolio(t))
	c := ts.client(t, analystKey)
	resp, html := get(t, c, ts.URL+"/ui/calibration")
	if resp.StatusCode != http.StatusOK || !strings.Contains(html, `id="calibrate-form"`) || !strings.Contains(html, `id="backtest-form"`) {
		t.Fatalf("GET: status %d\n%.500s", resp.StatusCode, html)
	}
	all, err := os.ReadFile("../../testdata/history/wenzhou.csv")
	if err != nil {
		t.Fatal(err)
	}
	// Four of the twelve counties: the composite likelihood's cost grows
	// with the square of the groups, and the race pass runs this test
	// (the whole history took over 5 minutes under -race).
	var hist []byte
	for i, line := range strings.SplitAfter(string(all), "\n") {
		if f := strings.Split(line, ","); i == 0 || len(f) > 1 && f[1] >= "330302" && f[1] <= "330305" {
			hist = append(hist, line...)
		}
	}
	resp, html = postFile(t, c, ts.URL+"/ui/calibration", "history", "wenzhou.csv", hist, map[string]string{"bootstrap": "19"})
	if resp.StatusCode != http.StatusOK || !strings.Contains(html, `id="calibration"`) || !strings.Contains(html, "r2.macro") || strings.Contains(html, "not identified") {
		t.Fatalf("calibrate: status %d\n%.2000s", resp.StatusCode, html)
	}
	resp, html = postFile(t, c, ts.URL+"/ui/calibration", "history", "bad.csv", []byte("year,county,industry,loans,defaults\n2012,A,x,10,11\n"), nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html, "more than loans") {
		t.Errorf("bad history: status %d\n%.2000s", resp.StatusCode, html)
	}
	county := smallPortfolio(t).Loans[0].County
	out := "year,county,loans,defaults\n2023," + county + ",50,1\n"
	resp, html = postFile(t, c, ts.URL+"/ui/calibration", "outcomes", "out.csv", []byte(out), map[string]string{"draws": "2000"})
	if resp.StatusCode != http.StatusOK || !strings.Contains(html, `id="verdict"`) || !strings.Contains(html, "<svg") {
		t.Fatalf("backtest: status %d\n%.2000s", resp.StatusCode, html)
	}
	if marks(html, "calibration-plot") != 1 {
		t.Errorf("calibration plot has %d marks, want 1 (one outcome)", marks(html, "calibration-plot"))
	}
}
