package api

import (
	"bytes"
	"encoding/csv"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/api/web"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
	"github.com/wenzhou/danbao/models/synth"
	"github.com/wenzhou/danbao/sim"
)

// TestUploadLinks: a links table uploaded with the portfolio is validated
// and stored with the snapshot; bad links are a 422 naming their rows, and
// nothing is stored.
func TestUploadLinks(t *testing.T) {
	e := newEnv(t, nil)
	pf, err := synth.Generate(synth.Options{Loans: 400, Seed: 7, Chains: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.Links) == 0 {
		t.Fatal("gen --chains on 400 loans wrote no links")
	}
	dir := t.TempDir()
	if err := snapshot.WriteCSV(dir+"/csv", pf); err != nil {
		t.Fatal(err)
	}
	files := readFiles(t, dir+"/csv")
	up := []file{{"loans", "loans.csv", files["loans.csv"]}, {"guarantors", "guarantors.csv", files["guarantors.csv"]},
		{"links", "links.csv", files["links.csv"]}}
	ct, body := multipartBody(t, map[string]string{"id": "chained", "as_of": "2022-12-31"}, up...)
	r := e.do(req{method: "POST", path: "/v1/portfolios", role: RoleAnalyst, ctype: ct, body: body})
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	got, err := snapshot.Read(e.srv.store.portfolioDir("chained"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Links, pf.Links) {
		t.Errorf("stored %d links, want the %d uploaded", len(got.Links), len(pf.Links))
	}

	bad := strings.Replace(string(files["links.csv"]), "\n", "\nNOBODY,"+pf.Loans[0].BorrowerID+",100.00,\n", 1)
	up[2].data = []byte(bad)
	ct, body = multipartBody(t, map[string]string{"id": "badlinks"}, up...)
	r = e.do(req{method: "POST", path: "/v1/portfolios", role: RoleAnalyst, ctype: ct, body: body})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "NOBODY") || !strings.Contains(string(r.body), "links.csv") {
		t.Errorf("bad links: %d %s", r.status, clip(r.body))
	}
	if r := e.do(req{method: "GET", path: "/v1/portfolios/badlinks", role: RoleViewer}); r.status != http.StatusNotFound {
		t.Errorf("rejected upload stored: GET %d", r.status)
	}
}

// TestRunChainsTables: a run of a portfolio with links has the ES split by
// chain in its contributions table (dimension chain, largest first, then
// not_in_chain), and the rows add up to the contributions' ES.
func TestRunChainsTables(t *testing.T) {
	e := newEnv(t, nil)
	uploadChained(t, e, "chained")
	st := e.startRun(map[string]any{"portfolio": "chained", "paths": 300})
	st = waitRun(t, e.base, st.ID, 60*time.Second)
	if st.State != dto.StateSucceeded {
		t.Fatalf("run: %+v", st)
	}
	var doc sim.Document
	e.do(req{method: "GET", path: st.Links["result"], role: RoleViewer}).json(t, &doc)
	if doc.Contributions == nil || doc.Contributions.Chains == nil {
		t.Fatal("no chain contributions in the result")
	}
	r := e.do(req{method: "GET", path: st.Links["table_contributions"], role: RoleViewer, header: map[string]string{"Accept": "text/csv"}})
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if r.status != 200 || err != nil {
		t.Fatalf("contributions table: %d %v", r.status, err)
	}
	var sum float64
	var chains []string
	for _, row := range rows[1:] {
		if row[1] != "chain" {
			continue
		}
		v, err := strconv.ParseFloat(row[3], 64)
		if err != nil {
			t.Fatalf("row %v: %v", row, err)
		}
		sum += v
		chains = append(chains, row[2])
	}
	cc := doc.Contributions.Chains
	if len(chains) != len(cc.Chains)+1 || chains[len(chains)-1] != "not_in_chain" || chains[0] != cc.Chains[0].Chain {
		t.Errorf("chain rows %v, want the %d chains largest first (%s …) then not_in_chain", chains, len(cc.Chains), cc.Chains[0].Chain)
	}
	if es := float64(doc.Contributions.ES); math.Abs(sum-es) > 0.01*float64(len(chains)) {
		t.Errorf("chain rows sum to %.2f, ES %.2f", sum, es)
	}

	// The workbook's contributions sheet has the same rows.
	r = e.do(req{method: "GET", path: st.Links["result"], role: RoleViewer, header: map[string]string{"Accept": web.XLSXType}})
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := f.GetRows("风险贡献 Contributions")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range sheet {
		if len(row) > 2 && row[0] == "担保链 Chain" {
			got = append(got, row[2])
		}
	}
	if !reflect.DeepEqual(got, chains) {
		t.Errorf("workbook chain rows %v, want %v", got, chains)
	}
}

// uploadChained uploads a 400-loan `gen --chains` book as portfolio id.
func uploadChained(t *testing.T, e *env, id string) *models.Portfolio {
	t.Helper()
	pf, err := synth.Generate(synth.Options{Loans: 400, Seed: 7, Chains: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := snapshot.WriteCSV(dir, pf); err != nil {
		t.Fatal(err)
	}
	files := readFiles(t, dir)
	up := []file{{"loans", "loans.csv", files["loans.csv"]}, {"guarantors", "guarantors.csv", files["guarantors.csv"]},
		{"links", "links.csv", files["links.csv"]}}
	ct, body := multipartBody(t, map[string]string{"id": id, "as_of": "2022-12-31"}, up...)
	if r := e.do(req{method: "POST", path: "/v1/portfolios", role: RoleAnalyst, ctype: ct, body: body}); r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	return pf
}

// TestStoreCountsLinks: a stored portfolio keeps the number of its links,
// which admission control adds to a run's memory estimate; a database
// from before the count was kept (no links column) gets the column on
// opening, with each portfolio's links counted from its snapshot.
func TestStoreCountsLinks(t *testing.T) {
	pf, err := synth.Generate(synth.Options{Loans: 400, Seed: 7, Chains: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	stage, err := st.stage("test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := snapshot.Write(stage+"/snapshot", pf); err != nil {
		t.Fatal(err)
	}
	rec := &portfolioRecord{ID: "chained", Name: "chained", Source: "example", CreatedAt: time.Now().UTC(), Owner: "test"}
	fillStats(rec, pf)
	if err := st.insertPortfolio(ctx, rec, stage+"/snapshot"); err != nil {
		t.Fatal(err)
	}
	rec, err = st.portfolio(ctx, "chained")
	if err != nil || rec.Links != len(pf.Links) || rec.Links == 0 {
		t.Fatalf("stored links count %d (err %v), want %d", rec.Links, err, len(pf.Links))
	}
	sc := models.DefaultScenario()
	plain, _ := runEstimate(&portfolioRecord{Loans: rec.Loans, Guarantors: rec.Guarantors}, 1000, &sc)
	if chained, _ := runEstimate(rec, 1000, &sc); chained <= plain {
		t.Errorf("the run's estimate with %d links is %d bytes, not above the %d without them", rec.Links, chained, plain)
	}
	if _, err := st.db.Exec(`ALTER TABLE portfolios DROP COLUMN links`); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if rec, err = st.portfolio(ctx, "chained"); err != nil || rec.Links != len(pf.Links) {
		t.Errorf("after the upgrade: links count %d (err %v), want %d", rec.Links, err, len(pf.Links))
	}
}
