package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models/snapshot"
	"github.com/wenzhou/danbao/sim"
)

func TestImportLinks(t *testing.T) {
	out := filepath.Join(t.TempDir(), "snap")
	stdout, err := run(t, importArgs(filepath.Join(portfolios, "loans.csv"), filepath.Join(portfolios, "guarantors.csv"), out,
		"--links", filepath.Join(portfolios, "links.csv"))...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "imported 3 links between borrowers") {
		t.Errorf("stdout = %q", stdout)
	}
	pf, err := snapshot.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.Links) != 3 || pf.Links[2].From != "B03" || pf.Links[2].Capacity != 400000_00 || pf.Links[0].Capacity != -1 {
		t.Errorf("links read back: %+v", pf.Links)
	}

	// Bad links: every problem named, nothing written.
	bad := filepath.Join(t.TempDir(), "bad")
	_, err = run(t, importArgs(filepath.Join(portfolios, "loans.csv"), filepath.Join(portfolios, "guarantors.csv"), bad,
		"--links", filepath.Join(portfolios, "links.bad.csv"))...)
	if err == nil {
		t.Fatal("bad links imported")
	}
	for _, want := range []string{
		`links.bad.csv: row 2, column "to_borrower" = "B99"`,
		`links.bad.csv: row 3, column "to_borrower" = "B03"`,
		`links.bad.csv: row 4, column "amount" = "-1.00"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("something was written at %s (stat: %v)", bad, err)
	}
}

// TestRunChainContributions: on a `gen --chains` book, `danbao run` prints
// the largest chains' ES contributions, and in --json the chains and the
// loans in no chain add up to the contributions' ES.
func TestRunChainContributions(t *testing.T) {
	resetAfter(t, "gen", "loans", "chains", "out")
	resetAfter(t, "run", "portfolio", "paths", "json")
	dir := filepath.Join(t.TempDir(), "book")
	if _, err := run(t, "gen", "--loans", "1500", "--chains", "--out", dir); err != nil {
		t.Fatal(err)
	}
	stdout, err := run(t, "run", "--portfolio", dir, "--paths", "400", "--json=false")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"by chain (Euler contributions", "other chains", "not in a chain"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	stdout, err = run(t, "run", "--portfolio", dir, "--paths", "400", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var doc sim.Document
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Contributions
	if c == nil || c.Chains == nil || len(c.Chains.Chains) == 0 {
		t.Fatalf("no chain contributions in --json: %+v", c)
	}
	sum := float64(c.Chains.NotInChain)
	for _, ch := range c.Chains.Chains {
		sum += float64(ch.ES)
	}
	if math.Abs(sum-float64(c.ES)) > 1e-6*float64(c.ES) {
		t.Errorf("chains + not in chain = %.2f, ES %.2f", sum, c.ES)
	}
}
