package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wenzhou/danbao/models"
)

// The golden files in testdata/golden hold the full result document of
// small runs. Do NOT make changes to the golden outputs unless a change of
// the engine's draws or of the document is intended and reviewed; then
// regenerate them with
//
//	go test ./sim -run TestGolden -update
//
// and commit them with the change that explains the difference.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenPortfolio is a small deterministic portfolio of its own (the golden
// files must not move when other tests' helpers change): 240 loans over 3
// industries × 2 counties × 2 segments, PDs 0.5–12 %, balances 1–50万,
// LGDs 0.3–0.9, interest 0–6 %, a third maturing within the horizon, two
// guarantors.
func goldenPortfolio() *models.Portfolio {
	asOf := models.Date(19_357) // 2022-12-31
	pf := &models.Portfolio{AsOf: asOf}
	for _, id := range []string{"G-330382", "G-330381"} {
		g := models.NewGuarantor()
		g.GuarantorID, g.Level, g.County = id, models.LevelCounty, id[2:]
		g.RegisteredCapital, g.NetAssets = 2*models.Yi, 2*models.Yi
		pf.Guarantors = append(pf.Guarantors, g)
	}
	inds := []string{"electrical", "footwear", "agriculture"}
	for i := range 240 {
		l := models.NewLoan()
		l.LoanID = fmt.Sprintf("L%04d", i)
		g := pf.Guarantors[i%2]
		l.GuarantorID, l.County = g.GuarantorID, g.County
		l.Industry = inds[i%3]
		if i%5 == 0 {
			l.Segment = "agri"
		}
		l.PD = []float64{0.005, 0.01, 0.02, 0.03, 0.05, 0.12}[i%6]
		l.LGD = 0.3 + 0.1*float64(i%7)
		l.Balance = models.Cents(10_000+(i*7919)%490_000) * models.Yuan
		l.InterestRate = 0.01 * float64(i%7)
		if i%3 == 1 {
			l.MaturityDate = asOf + models.Date(100+(i*37)%900)
		}
		pf.Loans = append(pf.Loans, l)
	}
	if err := pf.Validate(models.DefaultFiles); err != nil {
		panic(err)
	}
	return pf
}

func TestGolden(t *testing.T) {
	for _, tt := range []struct {
		file    string
		horizon int
		sampler Sampler
		paths   int
	}{
		{"fast_h2.json", 2, Fast, 2000},
		{"dense_h1.json", 1, Dense, 1000},
	} {
		t.Run(tt.file, func(t *testing.T) {
			sc := models.DefaultScenario()
			sc.HorizonYears = tt.horizon
			doc, _, err := Simulate(context.Background(), goldenPortfolio(), &sc,
				Params{Seed: 1, Paths: tt.paths, Workers: 2, Sampler: tt.sampler})
			if err != nil {
				t.Fatal(err)
			}
			doc.ElapsedSeconds = 0
			got, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", tt.file)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("result document differs from %s (-want +got):\n%s", path,
					cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")))
			}
		})
	}
}

// TestDocumentConsistent checks the document against the per-path result it
// summarizes: the totals are Summarize of the path totals, yearly means add
// up to the total mean (means are linear), and for a one-year horizon the
// year equals the total.
func TestDocumentConsistent(t *testing.T) {
	pf := goldenPortfolio()
	for _, h := range []int{1, 3} {
		sc := models.DefaultScenario()
		sc.HorizonYears = h
		doc, r, err := Simulate(context.Background(), pf, &sc, Params{Seed: 7, Paths: 3000})
		if err != nil {
			t.Fatal(err)
		}
		s := summarize(totalsYuan(r))
		tot := doc.Loss[PartyTotal]
		if float64(tot.Mean) != s.Mean || float64(tot.VaR["0.99"]) != s.VaR[1] || float64(tot.SE.ES["0.99"]) != s.SEES[1] || !math.IsNaN(float64(tot.SE.ES["0.999"])) || !math.IsNaN(s.SEES[2]) {
			t.Errorf("h=%d: loss.total %+v does not match Summarize %+v", h, tot, s)
		}
		if len(doc.Years) != h {
			t.Fatalf("h=%d: %d years", h, len(doc.Years))
		}
		var sumMean, sumDef float64
		for i, y := range doc.Years {
			if y.Year != i+1 {
				t.Errorf("years[%d].year = %d", i, y.Year)
			}
			sumMean += float64(y.Loss[PartyTotal].Mean)
			sumDef += float64(y.Defaults.Mean)
		}
		// Sums of path-order float64 means; equal up to rounding.
		if math.Abs(sumMean-float64(tot.Mean)) > 1e-9*float64(tot.Mean) || math.Abs(sumDef-float64(doc.Defaults.Mean)) > 1e-9*float64(doc.Defaults.Mean) {
			t.Errorf("h=%d: yearly means add up to %v loss, %v defaults; totals %v, %v", h, sumMean, sumDef, tot.Mean, doc.Defaults.Mean)
		}
		// SE(ES 0.999) is NaN (3 paths beyond VaR): NaN equals NaN here.
		nanEq := cmp.Comparer(func(a, b Money) bool { return a == b || math.IsNaN(float64(a)) && math.IsNaN(float64(b)) })
		if h == 1 && !cmp.Equal(doc.Years[0].Loss[PartyTotal], tot, nanEq) {
			t.Errorf("one-year horizon: year 1 differs from the total: %s", cmp.Diff(tot, doc.Years[0].Loss[PartyTotal]))
		}
		var bal models.Cents
		for _, l := range pf.Loans {
			bal += l.Balance
		}
		if doc.Portfolio != (PortfolioInfo{Loans: 240, Guarantors: 2, Balance: bal}) {
			t.Errorf("portfolio = %+v", doc.Portfolio)
		}
	}
}

func TestSimulateErrors(t *testing.T) {
	pf := goldenPortfolio()
	sc := models.DefaultScenario()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Simulate(ctx, pf, &sc, Params{Seed: 1, Paths: 1000}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
	bad := sc
	bad.HorizonYears = 9
	if _, _, err := Simulate(context.Background(), pf, &bad, Params{Seed: 1, Paths: 10}); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("horizon 9: err = %v, want ErrInvalid", err)
	}
	if _, _, err := Simulate(context.Background(), pf, &sc, Params{Seed: 1}); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("0 paths: err = %v, want ErrInvalid", err)
	}
}

func TestMoneyJSON(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want string
	}{
		{0, `"0.00"`},
		{math.Copysign(0, -1), `"0.00"`},
		{-0.001, `"0.00"`}, // rounds to zero: no "-0.00"
		{1234567.891, `"1234567.89"`},
		{0.125, `"0.12"`}, // 0.125 is exact in binary: round half to even
		{0.135, `"0.14"`}, // 0.135 is 0.13500000000000000888 in binary
		{-2.5, `"-2.50"`},
		{319953185.86, `"319953185.86"`},
		{9_999_999_999_999_999.99, `"10000000000000000.00"`}, // float64 has ~16 digits
		{math.NaN(), `null`},
		{math.Inf(1), `null`},
		{math.Inf(-1), `null`},
	} {
		b, err := json.Marshal(Money(tt.in))
		if err != nil || string(b) != tt.want {
			t.Errorf("Money(%v) = %s, %v; want %s", tt.in, b, err, tt.want)
		}
	}
	for _, tt := range []struct {
		in   float64
		want string
	}{
		{0, `0`}, {12.5, `12.5`}, {1e21, `1e+21`}, {math.NaN(), `null`}, {math.Inf(-1), `null`},
	} {
		b, err := json.Marshal(Number(tt.in))
		if err != nil || string(b) != tt.want {
			t.Errorf("Number(%v) = %s, %v; want %s", tt.in, b, err, tt.want)
		}
	}
}

func TestDocumentRoundTrip(t *testing.T) {
	sc := models.DefaultScenario()
	doc, _, err := Simulate(context.Background(), goldenPortfolio(), &sc, Params{Seed: 1, Paths: 15})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	// 15 paths make a single batch: every standard error is null.
	if !strings.Contains(string(b), `"se":{"mean":null,"var":{"0.95":null,"0.99":null,"0.999":null}`) {
		t.Errorf("standard errors of 15 paths are not null: %s", b)
	}
	var back Document
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("round trip changed the document:\n%s", cmp.Diff(string(b), string(b2)))
	}
}
