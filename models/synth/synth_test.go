package synth

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/wenzhou/danbao/models"
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

func TestDeterministic(t *testing.T) {
	a, err := Generate(Options{Loans: 3000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(Options{Loans: 3000, Seed: 7})
	if !slices.Equal(dump(a), dump(b)) {
		t.Fatal("same seed gave different portfolios")
	}
	c, _ := Generate(Options{Loans: 3000, Seed: 8})
	da, dc := dump(a), dump(c)
	differ := 0
	for i := range da {
		if da[i] != dc[i] {
			differ++
		}
	}
	if differ < len(da)*9/10 {
		t.Errorf("seeds 7 and 8 share %d of %d rows; want nearly none", len(da)-differ, len(da))
	}
	// Prefix property (documented on Generate): loans come from one stream in order.
	small, _ := Generate(Options{Loans: 100, Seed: 7})
	if !slices.Equal(dump(small)[1+len(small.Guarantors):], da[1+len(a.Guarantors):1+len(a.Guarantors)+100]) {
		t.Error("the first 100 loans of a 3000-loan portfolio differ from a 100-loan one with the same seed")
	}
}

func TestOptions(t *testing.T) {
	if _, err := Generate(Options{Loans: -1}); err == nil {
		t.Error("negative Loans accepted")
	}
	for _, n := range []int{1, 2, 17} {
		pf, err := Generate(Options{Loans: n, Seed: 1})
		if err != nil {
			t.Fatalf("%d loans: %v", n, err)
		}
		if len(pf.Loans) != n || pf.AsOf != DefaultAsOf {
			t.Errorf("%d loans: got %d loans as of %v", n, len(pf.Loans), pf.AsOf)
		}
	}
	asOf, _ := models.ParseDate("2023-06-30")
	pf, _ := Generate(Options{Loans: 500, Seed: 1, AsOf: asOf})
	for _, l := range pf.Loans {
		if l.StartDate > asOf || l.StartDate < asOf-731 {
			t.Fatalf("%s starts %v, not within two years before %v", l.LoanID, l.StartDate, asOf)
		}
		// 6–36 months after the snapshot (allowing for month lengths).
		if d := l.MaturityDate - asOf; d < 181 || d > 1097 {
			t.Fatalf("%s matures %v, %d days after %v", l.LoanID, l.MaturityDate, d, asOf)
		}
	}
}

// stats are the figures the package doc and tables.go promise.
type stats struct {
	smAvg, agriAvg    float64 // average loan balance in yuan, small+micro and agri
	smAgriShare       float64 // share of balance that is small/micro + agri
	le500Share        float64 // share of loans (by count) ≤ 500万
	above1000, max    int     // loans above 1000万; loans above 2000万
	pdBal, lgd        float64 // balance-weighted PD; mean LGD
	smAgriGuaranteed  models.Cents
	leverage          float64 // consolidated performance leverage
	capitalShortfalls []string
}

func measure(pf *models.Portfolio) stats {
	var s stats
	var smN, agN int
	var smB, agB, all, smag models.Cents
	var pdB float64
	for _, l := range pf.Loans {
		all += l.Balance
		switch l.Segment {
		case SegmentMicro, SegmentSmall:
			smN++
			smB += l.Balance
		case SegmentAgri:
			agN++
			agB += l.Balance
		}
		r := l.GuaranteeRatio
		if math.IsNaN(r) {
			r = 0.8
		}
		if l.Segment != SegmentOther {
			smag += l.Balance.MulRate(r)
		}
		if l.Balance <= 500*models.Wan {
			s.le500Share++
		}
		if l.Balance > 1000*models.Wan {
			s.above1000++
		}
		if l.Balance > 2000*models.Wan {
			s.max++
		}
		pdB += l.PD * l.Balance.Yuan()
		s.lgd += l.LGD
	}
	n := float64(len(pf.Loans))
	s.smAvg = smB.Yuan() / float64(smN)
	s.agriAvg = agB.Yuan() / float64(agN)
	s.smAgriShare = float64(smB+agB) / float64(all)
	s.le500Share /= n
	s.pdBal = pdB / all.Yuan()
	s.lgd /= n
	s.smAgriGuaranteed = smag
	// Consolidated: Σ guaranteed / (Σ net assets − the city's equity in county ones).
	var total, na models.Cents
	for _, l := range pf.Loans {
		r := l.GuaranteeRatio
		if math.IsNaN(r) {
			r = 0.8
		}
		total += l.Balance.MulRate(r)
	}
	for _, g := range pf.Guarantors {
		na += g.NetAssets - g.NetAssets.MulRate(g.ParentStake)
		if m := models.DefaultTargets().CapitalMin.MinimumFor(g.County); g.Level == models.LevelCounty && (g.RegisteredCapital < m || g.NetAssets < m) {
			s.capitalShortfalls = append(s.capitalShortfalls, g.GuarantorID)
		}
	}
	s.leverage = float64(total) / float64(na)
	return s
}

// TestStatistics holds the generator to docs/data.md's figures and the issue's
// brief, for the default 20,000 loans and several seeds. The bands are the
// documented targets widened by sampling noise: with 20,000 loans the
// averages move by about 1 % between seeds (seen over seeds 1–4 and
// 20231231: small/micro 127.8–129.3万, agri 31.7–33.8万, leverage 3.62–3.65).
func TestStatistics(t *testing.T) {
	for _, seed := range []uint64{20231231, 1, 2} {
		pf, err := Generate(Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		s := measure(pf)
		check := func(name string, v, lo, hi float64) {
			if !(v >= lo && v <= hi) {
				t.Errorf("seed %d: %s = %v, want in [%v, %v]", seed, name, v, lo, hi)
			}
		}
		check("small/micro average balance (yuan)", s.smAvg, 120e4, 132e4) // docs/data.md: about 120–130万
		check("agri average balance (yuan)", s.agriAvg, 29e4, 36e4)        // docs/data.md: about 32万
		check("small/micro + agri share of balance", s.smAgriShare, 0.80, 0.95)
		check("share of loans ≤ 500万", s.le500Share, 0.5, 1)
		check("loans above the 1000万 re-guarantee cap", float64(s.above1000), 20, 400)
		check("loans above 2000万", float64(s.max), 0, 0)
		// pdCalibration puts the baseline year-1 compensation rate (compensation
		// / guarantees released) at about 1.8 % (TestExampleCalibration); the
		// balance-weighted PD that gives is about 1.26 %.
		check("balance-weighted PD", s.pdBal, 0.011, 0.014)
		check("mean LGD", s.lgd, 0.6, 0.75)
		check("consolidated leverage", s.leverage, 3, 4)
		// Just short of the seed's 200亿 (the target is interesting, not met).
		check("small/micro + agri guaranteed balance (亿)", float64(s.smAgriGuaranteed/models.Yi), 170, 199)
		if len(s.capitalShortfalls) < 2 {
			t.Errorf("seed %d: county guarantors below the capital minimum: %v, want at least two", seed, s.capitalShortfalls)
		}
	}
}

// TestLeverageScale: capital scales with the number of loans, so leverage
// stays in the band for a small portfolio too.
func TestLeverageScale(t *testing.T) {
	pf, err := Generate(Options{Loans: 4000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if lev := measure(pf).leverage; !(lev >= 3 && lev <= 4) {
		t.Errorf("4000 loans: consolidated leverage %v, want in [3, 4]", lev)
	}
}

func TestStructure(t *testing.T) {
	pf, err := Generate(Options{Seed: 20231231})
	if err != nil {
		t.Fatal(err)
	}
	gidx := pf.GuarantorIndex()
	city := pf.Guarantors[gidx[CityGuarantorID]]
	if city.Level != models.LevelCity || city.County != models.WenzhouCityCode {
		t.Errorf("city guarantor: %+v", city)
	}
	for _, c := range models.WenzhouCounties {
		_, has := gidx["G-"+c.Code]
		if has != c.HasGuarantor {
			t.Errorf("county %s %s: guarantor present %v, want %v", c.Code, c.Name, has, c.HasGuarantor)
		}
	}
	children := 0
	for _, g := range pf.Guarantors {
		if g.ParentID != "" {
			children++
			if g.ParentID != CityGuarantorID || !(g.ParentStake > 0 && g.ParentStake < 1) {
				t.Errorf("%s: parent %q stake %v", g.GuarantorID, g.ParentID, g.ParentStake)
			}
		}
	}
	if children == 0 {
		t.Error("the city guarantor holds no stakes")
	}
	counties := map[string]int{}
	industries := map[string]bool{}
	products := map[string]bool{}
	segments := map[string]bool{}
	perBorrower := map[string]int{}
	for _, l := range pf.Loans {
		counties[l.County]++
		industries[l.Industry] = true
		products[l.Product] = true
		segments[l.Segment] = true
		perBorrower[l.BorrowerID]++
		var hasG bool
		for _, c := range models.WenzhouCounties {
			if c.Code == l.County {
				hasG = c.HasGuarantor
			}
		}
		if !hasG && l.GuarantorID != CityGuarantorID {
			t.Fatalf("%s in %s (no county guarantor) is guaranteed by %s", l.LoanID, models.CountyName(l.County), l.GuarantorID)
		}
		if hasG && l.GuarantorID != CityGuarantorID && l.GuarantorID != "G-"+l.County {
			t.Fatalf("%s in %s is guaranteed by %s", l.LoanID, l.County, l.GuarantorID)
		}
	}
	if len(counties) != 12 {
		t.Errorf("%d counties used, want 12", len(counties))
	}
	// Economic size: 乐清, 瑞安, 鹿城 have the most loans; 洞头, 文成, 泰顺 the fewest.
	for _, big := range []string{"330382", "330381", "330302"} {
		for _, small := range []string{"330305", "330328", "330329"} {
			if counties[big] < 3*counties[small] {
				t.Errorf("%s has %d loans, %s %d", models.CountyName(big), counties[big], models.CountyName(small), counties[small])
			}
		}
	}
	wantInd := []string{"agriculture", "apparel", "auto_parts", "electrical", "eyewear", "footwear", "other", "printing_packaging", "pumps_valves", "trade_services"}
	if got := sortedKeys(industries); !slices.Equal(got, wantInd) {
		t.Errorf("industries %v, want %v", got, wantInd)
	}
	if got := sortedKeys(products); !slices.Equal(got, []string{"agri", "first_loan", "general", "startup", "tech"}) {
		t.Errorf("products %v", got)
	}
	if got := sortedKeys(segments); !slices.Equal(got, []string{"agri", "micro", "other", "small"}) {
		t.Errorf("segments %v", got)
	}
	multi, most := 0, 0
	for _, k := range perBorrower {
		if k > 1 {
			multi++
		}
		most = max(most, k)
	}
	if multi == 0 || most > maxLoansPerBorr || multi > len(perBorrower)/5 {
		t.Errorf("%d of %d borrowers have several loans, at most %d", multi, len(perBorrower), most)
	}
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
