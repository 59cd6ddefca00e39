package api

import (
	"bytes"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
)

// portfolioFiles writes pf in every upload format and returns the files.
func portfolioFiles(t *testing.T, pf *models.Portfolio) (csvs, parquets, arrows map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	if err := snapshot.WriteCSV(filepath.Join(dir, "csv"), pf); err != nil {
		t.Fatal(err)
	}
	if err := snapshot.WriteParquet(filepath.Join(dir, "pq"), pf); err != nil {
		t.Fatal(err)
	}
	if err := snapshot.Write(filepath.Join(dir, "arrow"), pf); err != nil {
		t.Fatal(err)
	}
	return readFiles(t, filepath.Join(dir, "csv")), readFiles(t, filepath.Join(dir, "pq")), readFiles(t, filepath.Join(dir, "arrow"))
}

// workbook turns the two CSV tables into one XLSX with sheets loans and guarantors.
func workbook(t *testing.T, csvs map[string][]byte) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, sheet := range []string{"loans", "guarantors"} {
		if i == 0 {
			f.SetSheetName("Sheet1", sheet)
		} else if _, err := f.NewSheet(sheet); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(csvs[sheet+".csv"])), "\n")
		for r, line := range lines {
			for c, cell := range strings.Split(line, ",") {
				name, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellStr(sheet, name, cell); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPortfolioLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	pf := smallPortfolio(t)
	csvs, pqs, arrows := portfolioFiles(t, pf)
	var want models.Cents
	for _, l := range pf.Loans {
		want += l.Balance
	}

	uploads := []struct {
		id    string
		files []file
	}{
		{"from-csv", []file{{"loans", "loans.csv", csvs["loans.csv"]}, {"guarantors", "guarantors.csv", csvs["guarantors.csv"]}}},
		{"from-parquet", []file{{"loans", "loans.parquet", pqs["loans.parquet"]}, {"guarantors", "guarantors.parquet", pqs["guarantors.parquet"]}}},
		{"from-arrow", []file{{"loans", "loans.arrow", arrows["loans.arrow"]}, {"guarantors", "guarantors.arrow", arrows["guarantors.arrow"]}}},
		{"from-xlsx", []file{{"workbook", "book.xlsx", workbook(t, csvs)}}},
		{"mixed", []file{{"loans", "loans.parquet", pqs["loans.parquet"]}, {"guarantors", "guarantors.csv", csvs["guarantors.csv"]}}},
	}
	for _, u := range uploads {
		t.Run(u.id, func(t *testing.T) {
			ct, body := multipartBody(t, map[string]string{"id": u.id, "name": "test " + u.id, "as_of": "2022-12-31"}, u.files...)
			r := e.do(req{method: "POST", path: "/v1/portfolios", role: RoleAnalyst, ctype: ct, body: body})
			if r.status != http.StatusCreated {
				t.Fatalf("upload: %d %s", r.status, r.body)
			}
			var d portfolioDoc
			r.json(t, &d)
			if d.ID != u.id || d.Loans != len(pf.Loans) || d.Guarantors != len(pf.Guarantors) || d.Balance != want || d.AsOf != "2022-12-31" || d.Owner != "analyst" {
				t.Errorf("uploaded %+v; want %d loans, %d guarantors, balance %s", d, len(pf.Loans), len(pf.Guarantors), want)
			}
			if r.header.Get("Location") != "/v1/portfolios/"+u.id {
				t.Errorf("Location %q", r.header.Get("Location"))
			}
			// The stored snapshot reads back to the same portfolio.
			got, err := snapshot.Read(e.srv.store.portfolioDir(u.id))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Loans) != len(pf.Loans) || got.Loans[17] != pf.Loans[17] && !sameLoan(got.Loans[17], pf.Loans[17]) {
				t.Errorf("stored loan 17 = %+v, want %+v", got.Loans[17], pf.Loans[17])
			}
		})
	}

	r := e.do(req{method: "GET", path: "/v1/portfolios", role: RoleViewer})
	var list struct{ Portfolios []portfolioDoc }
	r.json(t, &list)
	if len(list.Portfolios) != 2+len(uploads) {
		t.Errorf("listed %d portfolios, want %d", len(list.Portfolios), 2+len(uploads))
	}

	r = e.do(req{method: "GET", path: "/v1/portfolios/from-csv/describe", role: RoleViewer})
	var desc struct {
		Scenario string
		Position models.Position
	}
	r.json(t, &desc)
	if r.status != 200 || desc.Position.Loans != len(pf.Loans) || desc.Position.Balance != want || desc.Scenario != "baseline" {
		t.Errorf("describe: %d %+v", r.status, desc.Position)
	}
	if r := e.do(req{method: "GET", path: "/v1/portfolios/from-csv/describe?scenario=template-4222", role: RoleViewer}); r.status != 200 {
		t.Errorf("describe under template-4222: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/v1/portfolios/from-csv/describe?scenario=nope", role: RoleViewer}); r.status != 422 {
		t.Errorf("describe under an unknown scenario: %d, want 422", r.status)
	}

	// Only admins delete.
	if r := e.do(req{method: "DELETE", path: "/v1/portfolios/from-csv", role: RoleAnalyst}); r.status != http.StatusForbidden {
		t.Errorf("analyst delete: %d, want 403", r.status)
	}
	if r := e.do(req{method: "DELETE", path: "/v1/portfolios/from-csv", role: RoleAdmin}); r.status != http.StatusNoContent {
		t.Errorf("admin delete: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/v1/portfolios/from-csv", "/v1/portfolios/from-csv/describe"} {
		if r := e.do(req{method: "GET", path: p, role: RoleViewer}); r.status != http.StatusNotFound {
			t.Errorf("GET %s after delete: %d, want 404", p, r.status)
		}
	}
	if r := e.do(req{method: "DELETE", path: "/v1/portfolios/from-csv", role: RoleAdmin}); r.status != http.StatusNotFound {
		t.Errorf("second delete: %d, want 404", r.status)
	}
}

// sameLoan compares loans, NaN equal to NaN.
func sameLoan(a, b models.Loan) bool {
	nan := func(x, y float64) bool { return x == y || (x != x && y != y) }
	ga, gb, fa, fb := a.GuaranteeRatio, b.GuaranteeRatio, a.FeeRate, b.FeeRate
	a.GuaranteeRatio, b.GuaranteeRatio, a.FeeRate, b.FeeRate = 0, 0, 0, 0
	return a == b && nan(ga, gb) && nan(fa, fb)
}

// TestBadUploads sends broken uploads: each gets its 4xx problem document
// and nothing is stored; the server keeps serving.
func TestBadUploads(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxUploadBytes = 256 << 10 })
	pf := smallPortfolio(t)
	csvs, _, _ := portfolioFiles(t, pf)
	loans, guar := csvs["loans.csv"], csvs["guarantors.csv"]

	// Break two cells of the loans table: row 3's pd and row 5's guarantor.
	lines := strings.Split(string(loans), "\n")
	header := strings.Split(lines[0], ",")
	col := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	set := func(row int, name, v string) {
		cells := strings.Split(lines[row-1], ",")
		cells[col(name)] = v
		lines[row-1] = strings.Join(cells, ",")
	}
	set(3, "pd", "1.5")
	set(5, "guarantor_id", "G-NOWHERE")
	badLoans := []byte(strings.Join(lines, "\n"))

	good := []file{{"loans", "loans.csv", loans}, {"guarantors", "guarantors.csv", guar}}
	mp := func(fields map[string]string, files ...file) (string, []byte) {
		return multipartBody(t, fields, files...)
	}
	big := bytes.Repeat([]byte("x"), 300<<10)

	tests := []struct {
		name     string
		ctype    string
		body     []byte
		want     int
		wantRows []Problem // must appear in errors
	}{
		{name: "bad rows", want: 422, wantRows: []Problem{{File: "loans.csv", Row: 3, Column: "pd"}, {File: "loans.csv", Row: 5, Column: "guarantor_id"}}},
		{name: "no guarantors", want: 422},
		{name: "json body", ctype: "application/json", body: []byte(`{"loans":"x"}`), want: 415},
		{name: "no content type", ctype: "", body: []byte("loans"), want: 415},
		{name: "garbled multipart", ctype: "multipart/form-data; boundary=zzz", body: []byte("--zzz\r\nnonsense"), want: 400},
		{name: "no boundary", ctype: "multipart/form-data", body: []byte("x"), want: 400},
		{name: "unsupported file type", want: 415},
		{name: "unknown field", want: 400},
		{name: "bad id", want: 422},
		{name: "duplicate id", want: 409},
		{name: "bad date", want: 422},
		{name: "oversized", want: 413},
		{name: "not a csv", want: 422},
	}
	for i := range tests {
		tt := &tests[i]
		switch tt.name {
		case "bad rows":
			tt.ctype, tt.body = mp(nil, file{"loans", "loans.csv", badLoans}, file{"guarantors", "guarantors.csv", guar})
		case "no guarantors":
			tt.ctype, tt.body = mp(nil, file{"loans", "loans.csv", loans})
		case "unsupported file type":
			tt.ctype, tt.body = mp(nil, file{"loans", "loans.json", []byte("{}")}, file{"guarantors", "guarantors.csv", guar})
		case "unknown field":
			tt.ctype, tt.body = mp(map[string]string{"colour": "red"}, good...)
		case "bad id":
			tt.ctype, tt.body = mp(map[string]string{"id": "../etc"}, good...)
		case "duplicate id":
			tt.ctype, tt.body = mp(map[string]string{"id": "small"}, good...)
		case "bad date":
			tt.ctype, tt.body = mp(map[string]string{"as_of": "31/12/2022"}, good...)
		case "oversized":
			tt.ctype, tt.body = mp(nil, file{"loans", "loans.csv", big}, file{"guarantors", "guarantors.csv", guar})
		case "not a csv":
			tt.ctype, tt.body = mp(nil, file{"loans", "loans.csv", []byte("\x00\x01garbage\"\n\"")}, file{"guarantors", "guarantors.xlsx", []byte("PK not a zip")})
		}
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/v1/portfolios", role: RoleAnalyst, ctype: tt.ctype, body: tt.body, invalid: true})
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			p := r.problem(t)
			for _, w := range tt.wantRows {
				found := false
				for _, g := range p.Errors {
					if g.File == w.File && g.Row == w.Row && g.Column == w.Column && g.Reason != "" {
						found = true
					}
				}
				if !found {
					t.Errorf("errors %+v lack %+v", p.Errors, w)
				}
			}
		})
	}
	r := e.do(req{method: "GET", path: "/v1/portfolios", role: RoleViewer})
	var list struct{ Portfolios []portfolioDoc }
	r.json(t, &list)
	if len(list.Portfolios) != 2 {
		t.Errorf("after bad uploads: %d portfolios stored, want the 2 of newEnv", len(list.Portfolios))
	}
	if r := e.do(req{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Errorf("healthz after bad uploads: %d", r.status)
	}
	if n := len(readFiles(t, filepath.Join(e.dir, "tmp"))); n != 0 {
		t.Errorf("%d staging leftovers", n)
	}
}
