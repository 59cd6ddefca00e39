package api

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models/snapshot"
	"github.com/wenzhou/danbao/models/synth"
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
