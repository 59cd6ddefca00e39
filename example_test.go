package danbao_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/wenzhou/danbao"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
	"github.com/wenzhou/danbao/models/synth"
)

// dump renders a portfolio exactly: %+v prints every float64 in its
// shortest round-trip form (NaN as NaN), so equal dumps mean equal values.
func dump(pf *models.Portfolio) []string {
	out := []string{pf.AsOf.String()}
	for _, g := range pf.Guarantors {
		out = append(out, fmt.Sprintf("%+v", g))
	}
	for _, l := range pf.Loans {
		out = append(out, fmt.Sprintf("%+v", l))
	}
	return out
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("row %d:\n  committed %s\n  generated %s", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(a), len(b))
}

// TestExampleMatchesGenerator holds the committed example to the generator,
// so neither can drift silently. If the generator changed on purpose,
// regenerate: go run ./cmd/danbao gen --seed 20231231 --loans 20000 --out testdata/example --force
func TestExampleMatchesGenerator(t *testing.T) {
	if danbao.ExampleLoans != synth.DefaultLoans {
		t.Errorf("ExampleLoans %d != synth.DefaultLoans %d", danbao.ExampleLoans, synth.DefaultLoans)
	}
	got, err := danbao.Example()
	if err != nil {
		t.Fatal(err)
	}
	want, err := synth.Generate(synth.Options{Loans: danbao.ExampleLoans, Seed: danbao.ExampleSeed})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := dump(got), dump(want); !slices.Equal(g, w) {
		t.Fatalf("testdata/example differs from synth.Generate(seed %d): %s", danbao.ExampleSeed, firstDiff(g, w))
	}
}

func TestLoadPortfolio(t *testing.T) {
	def, err := danbao.LoadPortfolio("")
	if err != nil {
		t.Fatal(err)
	}
	if len(def.Loans) != danbao.ExampleLoans || def.AsOf != synth.DefaultAsOf {
		t.Errorf("default portfolio: %d loans as of %v", len(def.Loans), def.AsOf)
	}
	dir := t.TempDir() + "/small"
	pf, err := synth.Generate(synth.Options{Loans: 50, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if err := snapshot.Write(dir, pf); err != nil {
		t.Fatal(err)
	}
	got, err := danbao.LoadPortfolio(dir)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := dump(got), dump(pf); !slices.Equal(g, w) {
		t.Errorf("LoadPortfolio(%s) differs from what was written: %s", dir, firstDiff(g, w))
	}
	if _, err := danbao.LoadPortfolio(t.TempDir() + "/missing"); err == nil {
		t.Error("a missing folder loaded without error")
	}
}
