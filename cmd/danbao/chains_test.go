package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models/snapshot"
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
