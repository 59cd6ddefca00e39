package sim

import (
	"context"
	"encoding/csv"
	"os"
	"strconv"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// Kernel benchmarks on the peers' 20,000-loan heterogeneous portfolio
// (testdata/peers/hetero_n20000.csv: 8 industries × 12 counties, PDs
// 0.5–5 %, lgd 0.6, lognormal EADs) under the peers' model
// (model.r2.industry 0.15, model.r2.county 0.10, macro 0), one year. Each
// iteration simulates one path; loan-path-years/s counts every loan of
// every path-year, whatever the sampler does with it, so the two samplers
// and the peers (whose "obligor-paths/s" is the same count) compare
// directly.
//
// Compare two versions with
//
//	go test ./sim -run '^$' -bench 'Kernel|RunPeers' -count 10 > new.txt
//	benchstat old.txt new.txt
//
// (benchstat: go run golang.org/x/perf/cmd/benchstat@latest).

// peerIndustries maps the peers' sector 0..7 to danbao industry clusters.
var peerIndustries = []string{"electrical", "footwear", "apparel", "auto_parts", "pumps_valves", "eyewear", "printing_packaging", "agriculture"}

// peerPortfolio reads a peers CSV (id,ead,pd,lgd,sector,region): region r
// is models.WenzhouCounties[r], one city guarantor, no maturities, interest
// 0 so that EAD = ead.
func peerPortfolio(tb testing.TB, path string) *models.Portfolio {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	g := models.NewGuarantor()
	g.GuarantorID, g.Level, g.County = "G-CITY", models.LevelCity, models.WenzhouCityCode
	g.RegisteredCapital, g.NetAssets = 100*models.Yi, 100*models.Yi
	pf := &models.Portfolio{Guarantors: []models.Guarantor{g}}
	for i, row := range rows[1:] {
		l := models.NewLoan()
		l.LoanID, l.GuarantorID = row[0], g.GuarantorID
		bal, err1 := models.ParseCents(row[1])
		pd, err2 := strconv.ParseFloat(row[2], 64)
		lgd, err3 := strconv.ParseFloat(row[3], 64)
		sec, err4 := strconv.Atoi(row[4])
		reg, err5 := strconv.Atoi(row[5])
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				tb.Fatalf("%s row %d: %v", path, i+2, err)
			}
		}
		l.Balance, l.PD, l.LGD = bal, pd, lgd
		l.Industry, l.County = peerIndustries[sec], models.WenzhouCounties[reg].Code
		pf.Loans = append(pf.Loans, l)
	}
	if err := pf.Validate(models.DefaultFiles); err != nil {
		tb.Fatal(err)
	}
	return pf
}

// peerModel compiles the peers' portfolio under the peers' model.
func peerModel(tb testing.TB) *Model {
	sc := models.DefaultScenario()
	sc.Model.R2 = models.R2{Industry: 0.15, County: 0.10}
	return mustCompile(tb, peerPortfolio(tb, "../testdata/peers/hetero_n20000.csv"), &sc)
}

func benchKernel(b *testing.B, s Sampler) {
	m := peerModel(b)
	w := m.newWorker()
	b.ReportAllocs()
	var path uint64
	for b.Loop() {
		m.simulatePath(w, s, 1, path)
		path++
	}
	b.ReportMetric(float64(path)*float64(m.N()*m.Horizon)/b.Elapsed().Seconds(), "loan-path-years/s")
	b.ReportMetric(float64(path)/b.Elapsed().Seconds(), "paths/s")
}

func BenchmarkFastKernel(b *testing.B)  { benchKernel(b, Fast) }
func BenchmarkDenseKernel(b *testing.B) { benchKernel(b, Dense) }

// BenchmarkRunPeers is the peers' comparison inside one process: 20,000
// paths of the 20,000-loan portfolio on one worker with the fast sampler,
// Run and the document's statistics, without loading.
func BenchmarkRunPeers(b *testing.B) {
	pf := peerPortfolio(b, "../testdata/peers/hetero_n20000.csv")
	sc := models.DefaultScenario()
	sc.Model.R2 = models.R2{Industry: 0.15, County: 0.10}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Simulate(context.Background(), pf, &sc, Params{Seed: 1, Paths: 20_000, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKernel100k is the engine alone on `danbao gen --loans 100000
// --seed 1` over 3 years (about 355,000 loans with new business): one path
// per iteration, the fast sampler, no ledger. Its loans' per-year records
// are far larger than the caches, so it measures what the peers' 20,000
// loans do not: the cost of reaching a candidate's record.
//
//	go test ./sim -run '^$' -bench Kernel100k -benchtime 2000x -count 5
func BenchmarkKernel100k(b *testing.B) {
	_, _, m := compiled100k(b)
	w := m.newWorker()
	b.ReportAllocs()
	var path uint64
	defaults := 0
	for b.Loop() {
		m.simulatePath(w, Fast, 1, path)
		defaults += len(w.events)
		path++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(path), "ns/path")
	b.ReportMetric(float64(defaults)/float64(path), "defaults/path")
}
