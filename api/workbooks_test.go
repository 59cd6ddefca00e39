package api

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/api/web"
)

// TestResultWorkbook: GET …/result with the spreadsheet Accept type
// serves the run as a workbook; JSON stays the default; a type the
// service cannot give is 406.
func TestResultWorkbook(t *testing.T) {
	e := newEnv(t, nil)
	st := e.startRun(map[string]any{"portfolio": "small", "paths": 300, "horizon_years": 1})
	st = waitRun(t, e.base, st.ID, 30*time.Second)
	if st.State != dto.StateSucceeded {
		t.Fatalf("run %s", st.State)
	}
	r := e.do(req{method: "GET", path: "/v1/runs/" + st.ID + "/result", role: RoleViewer, header: map[string]string{"Accept": web.XLSXType}})
	if r.status != http.StatusOK || r.header.Get("Content-Type") != web.XLSXType {
		t.Fatalf("workbook: %d %s", r.status, r.header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) < 2 || got[0] != "损失 Losses" {
		t.Errorf("sheets %q", got)
	}
	if typ, _ := f.GetCellType("损失 Losses", "C3"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("expected loss cell is of type %v", typ)
	}
	if r := e.do(req{method: "GET", path: "/v1/runs/" + st.ID + "/result", role: RoleViewer}); r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("default: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r := e.do(req{method: "GET", path: "/v1/runs/" + st.ID + "/result", role: RoleViewer, header: map[string]string{"Accept": "image/png"}}); r.status != http.StatusNotAcceptable {
		t.Errorf("image/png: %d", r.status)
	}
}
