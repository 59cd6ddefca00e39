package shard

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// TestPathsRoundTrip: a shard's per-path file gives back every figure bit
// for bit (NaN and −0 included), the contagion split included, across
// several record batches, and releases all its Arrow memory.
func TestPathsRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	const first, n, H, G, C = 40, batchRows + 7, 2, 3, 4
	r := &sim.Result{FirstPath: first, Paths: n, Horizon: H, Loss: make([]int64, n*H), Defaults: make([]int32, n*H), Weight: make([]float64, n),
		ContagionLoss: make([]int64, n*H), ContagionDefaults: make([]int32, n*H)}
	b := &sim.LedgerResult{Paths: n, G: G, H: H, C: C, PartyLoss: make([]int64, n*sim.NParties),
		Metrics: make([]float64, n*(G+1)*H*sim.NMetrics), Outlays: make([]int64, n*C*H), CountyComp: make([]int64, n*C*H), NeedX: make([]float64, n*G)}
	for i := range r.Loss {
		r.Loss[i], r.Defaults[i] = rng.Int64(), rng.Int32()
		r.ContagionLoss[i], r.ContagionDefaults[i] = rng.Int64(), rng.Int32()
	}
	for i := range r.Weight {
		r.Weight[i] = rng.ExpFloat64()
	}
	for i := range b.PartyLoss {
		b.PartyLoss[i] = rng.Int64()
	}
	for i := range b.Metrics {
		b.Metrics[i] = rng.NormFloat64()
	}
	b.Metrics[5], b.Metrics[6], b.NeedX[1] = math.NaN(), math.Copysign(0, -1), math.Inf(-1)
	for i := range b.Outlays {
		b.Outlays[i], b.CountyComp[i] = rng.Int64(), rng.Int64()
	}
	r.PartyLoss = b.PartyLoss
	var buf bytes.Buffer
	if err := writePaths(&buf, r, b, mem); err != nil {
		t.Fatal(err)
	}
	d := dims{H: H, G: G, C: C, ledger: true, weight: true, chains: true}
	r2, b2, err := readPaths(bytes.NewReader(buf.Bytes()), "paths.arrow", d, first, n, mem)
	if err != nil {
		t.Fatal(err)
	}
	bits := func(x []float64) []uint64 {
		out := make([]uint64, len(x))
		for i, v := range x {
			out[i] = math.Float64bits(v)
		}
		return out
	}
	if !slices.Equal(r.Loss, r2.Loss) || !slices.Equal(r.Defaults, r2.Defaults) || !slices.Equal(bits(r.Weight), bits(r2.Weight)) ||
		!slices.Equal(r.ContagionLoss, r2.ContagionLoss) || !slices.Equal(r.ContagionDefaults, r2.ContagionDefaults) ||
		!slices.Equal(b.PartyLoss, b2.PartyLoss) || !slices.Equal(bits(b.Metrics), bits(b2.Metrics)) ||
		!slices.Equal(b.Outlays, b2.Outlays) || !slices.Equal(b.CountyComp, b2.CountyComp) || !slices.Equal(bits(b.NeedX), bits(b2.NeedX)) {
		t.Error("per-path figures changed on the way through the file")
	}
	// The same file read as another shard's paths, or with other dimensions, is refused.
	if _, _, err := readPaths(bytes.NewReader(buf.Bytes()), "paths.arrow", d, first+1, n, mem); err == nil {
		t.Error("read as paths from 41")
	}
	d.G = 4
	if _, _, err := readPaths(bytes.NewReader(buf.Bytes()), "paths.arrow", d, first, n, mem); err == nil {
		t.Error("read with 4 guarantors")
	}
	d.G, d.chains = G, false
	if _, _, err := readPaths(bytes.NewReader(buf.Bytes()), "paths.arrow", d, first, n, mem); err == nil {
		t.Error("read without the contagion split")
	}
}

// TestCascadesRoundTrip: a shard's cascades file gives back every field of
// its cascades (the root's firm number and a time bit for bit); cascades
// not on the shard's paths are refused.
func TestCascadesRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cs := []sim.Cascade{{Path: 41, Year: 1, Time: math.Nextafter(0.5, 1), Root: "B1", Firms: 3, Defaults: 4, Loss: 1 << 40},
		{Path: 44, Year: 0, Time: 0, Root: "B2", Firms: 1, Defaults: 1, Loss: 7}}
	cs[0].SetRootFirm(17)
	cs[1].SetRootFirm(2)
	var buf bytes.Buffer
	if err := writeCascades(&buf, cs, mem); err != nil {
		t.Fatal(err)
	}
	got, err := readCascades(bytes.NewReader(buf.Bytes()), "paths.cascades.arrow", 40, 5, mem)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(cs, got, func(a, b sim.Cascade) bool {
		return a == b && a.RootFirm() == b.RootFirm() && math.Float64bits(a.Time) == math.Float64bits(b.Time)
	}) {
		t.Errorf("cascades changed on the way through the file:\n%+v\n%+v", cs, got)
	}
	if _, err := readCascades(bytes.NewReader(buf.Bytes()), "paths.cascades.arrow", 42, 5, mem); err == nil || !strings.Contains(err.Error(), "path 41") {
		t.Errorf("a cascade outside the shard's paths: %v", err)
	}
	var empty bytes.Buffer
	if err := writeCascades(&empty, nil, mem); err != nil {
		t.Fatal(err)
	}
	if got, err := readCascades(bytes.NewReader(empty.Bytes()), "paths.cascades.arrow", 0, 1, mem); err != nil || len(got) != 0 {
		t.Errorf("no cascades: %v, %v", got, err)
	}
}

func TestParseIndex(t *testing.T) {
	env := func(v string) func(string) string { return func(string) string { return v } }
	for _, tt := range []struct {
		in, env string
		i, k    int
		ok      bool
	}{
		{"0/1", "", 0, 1, true},
		{"3/7", "", 3, 7, true},
		{"env/4", "2", 2, 4, true},
		{"env/4", "4", 0, 0, false}, // index beyond K
		{"env/4", "", 0, 0, false},  // not set
		{"7/7", "", 0, 0, false},
		{"-1/3", "", 0, 0, false},
		{"1/0", "", 0, 0, false},
		{"1", "", 0, 0, false},
		{"a/b", "", 0, 0, false},
	} {
		i, k, err := ParseIndex(tt.in, "JOB_COMPLETION_INDEX", env(tt.env))
		if (err == nil) != tt.ok || i != tt.i || k != tt.k {
			t.Errorf("ParseIndex(%q) with env %q = %d, %d, %v", tt.in, tt.env, i, k, err)
		}
	}
}

// TestPortfolioFingerprint: any field of any loan or guarantor, or a link,
// changes the fingerprint, a NaN "unset" included; an equal copy does not.
func TestPortfolioFingerprint(t *testing.T) {
	mk := func() *models.Portfolio {
		l := models.NewLoan()
		l.LoanID, l.GuarantorID, l.County, l.Industry, l.Balance, l.PD, l.LGD = "L1", "G", "330302", "shoes", 100, 0.01, 0.5
		g := models.NewGuarantor()
		g.GuarantorID, g.Level, g.County, g.NetAssets = "G", models.LevelCity, "330300", 1000
		return &models.Portfolio{Loans: []models.Loan{l}, Guarantors: []models.Guarantor{g}}
	}
	base := PortfolioFingerprint(mk())
	if base != PortfolioFingerprint(mk()) {
		t.Fatal("equal portfolios, different fingerprints")
	}
	for name, edit := range map[string]func(p *models.Portfolio){
		"pd":              func(p *models.Portfolio) { p.Loans[0].PD = math.Nextafter(0.01, 1) },
		"guarantee_ratio": func(p *models.Portfolio) { p.Loans[0].GuaranteeRatio = 0.8 },
		"strings":         func(p *models.Portfolio) { p.Loans[0].LoanID, p.Loans[0].GuarantorID = "L1G", "" },
		"net_assets":      func(p *models.Portfolio) { p.Guarantors[0].NetAssets++ },
		"as_of":           func(p *models.Portfolio) { p.AsOf = 1 },
		"one more loan":   func(p *models.Portfolio) { p.Loans = append(p.Loans, p.Loans[0]) },
		"a link":          func(p *models.Portfolio) { p.Links = []models.Link{{From: "L1", To: "L2", Amount: 1, Capacity: -1}} },
	} {
		p := mk()
		edit(p)
		if PortfolioFingerprint(p) == base {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}
}
