package danbao_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/wenzhou/danbao"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
	"github.com/wenzhou/danbao/models/synth"
	"github.com/wenzhou/danbao/sim"
	"gonum.org/v1/gonum/stat"
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

// TestExampleHeadline pins the example's headline figures that README
// quotes (danbao describe on the embedded example). They change only when
// the generator does, together with testdata/example.
func TestExampleHeadline(t *testing.T) {
	pf, err := danbao.Example()
	if err != nil {
		t.Fatal(err)
	}
	p := models.Describe(pf, models.Policy4321(), models.DefaultTargets())
	yi := func(c models.Cents) string { return fmt.Sprintf("%.2f亿", c.Yuan()/1e8) }
	for _, c := range []struct{ name, got, want string }{
		{"balance", yi(p.Balance), "257.24亿"},
		{"guaranteed", yi(p.Guaranteed), "204.56亿"},
		{"small/micro + agri guaranteed", yi(p.SmallMicroAgriGuaranteed), "180.82亿"},
		{"consolidated net assets", yi(p.City.NetAssets), "56.29亿"},
		{"city leverage (regulatory, performance, fiscal)", fmt.Sprintf("%.2f %.2f %.2f",
			p.City.Leverage.Regulatory, p.City.Leverage.Performance, p.City.Leverage.Fiscal), "2.95 3.63 4.54"},
		{"average fee", fmt.Sprintf("%.4f", p.AverageFee), "0.0095"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	var failed []string
	for _, c := range p.Targets {
		if !c.Holds && !(c.ID == "leverage_min" && c.Scope != "G-330382") {
			failed = append(failed, strings.TrimSpace(c.ID+" "+c.Scope+" "+c.Definition))
		}
		if c.ID == "leverage_min" && c.Holds != (c.Scope == "G-330382") {
			t.Errorf("leverage_min %s holds = %v; only 乐清 (G-330382) should be at 5 or above", c.Scope, c.Holds)
		}
	}
	want := []string{
		"balance_min city", // 180.82亿, not above 200亿
		"fee_max G-330326", "fee_max G-330329",
		"capital_min G-330303 registered_capital", "capital_min G-330326 registered_capital",
		"capital_min G-330329 registered_capital", "capital_min G-330329 net_assets",
		"concentration_max G-330329",
	}
	if !slices.Equal(failed, want) {
		t.Errorf("failing checks besides leverage_min:\n%s\nwant:\n%s", strings.Join(failed, "\n"), strings.Join(want, "\n"))
	}
}

// TestExampleYearOneDefaults: with the default growth (rate 0), a maturing
// loan is replaced at its maturity by its renewal, so the book alive in
// year 1 is today's book, no more and no less, and the mean number of
// year-1 defaults is Σ pd over today's live loans (each loan and its
// renewal together carry pd over the year). Tolerance 3 SE of the mean
// (paths are independent).
func TestExampleYearOneDefaults(t *testing.T) {
	pf, err := danbao.Example()
	if err != nil {
		t.Fatal(err)
	}
	sc := models.DefaultScenario()
	sc.HorizonYears = 1
	m, err := sim.Compile(pf, &sc)
	if err != nil {
		t.Fatal(err)
	}
	const paths = 4000
	r, err := sim.Run(context.Background(), m, sim.Params{Seed: 11, Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	var sumPD float64
	for i := range pf.Loans {
		if pf.Loans[i].MaturityDate.IsZero() || pf.Loans[i].MaturityDate > pf.AsOf {
			sumPD += pf.Loans[i].PD
		}
	}
	x := make([]float64, paths)
	for p := range paths {
		x[p] = float64(r.Defaults[p])
	}
	mean, sd := stat.MeanStdDev(x, nil)
	se := sd / math.Sqrt(paths)
	t.Logf("year-1 defaults: mean %.2f ± %.2f (SE), Σ pd = %.2f", mean, se, sumPD)
	if math.Abs(mean-sumPD) > 3*se {
		t.Errorf("mean year-1 defaults %.2f differs from Σ pd %.2f by more than 3 SE (%.2f)", mean, sumPD, 3*se)
	}
}
