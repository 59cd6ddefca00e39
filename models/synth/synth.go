// Package synth generates a synthetic but realistic portfolio of Wenzhou's
// government financing-guarantee system: small/micro and agri loans across
// the city's 12 county-level units and its industry clusters, guaranteed by
// the city institution and nine county ones, with balance sheets that put
// today's leverage at about 3.5.
//
// Generate is deterministic: equal Options give identical portfolios on one
// GOARCH. Every assumption lives in tables.go, each marked as an estimate
// or with its source.
package synth

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/wenzhou/danbao/models"
)

// DefaultLoans is the number of loans when Options.Loans is 0.
const DefaultLoans = 20000

// DefaultAsOf is the snapshot date when Options.AsOf is zero: 2022-12-31.
// The seed's targets are for the end of 2023 (到2023年底…担保余额超200亿元,
// 放大倍数达5倍以上); a snapshot at the end of 2022 makes simulation year 1
// end exactly on the target date, so the year-1 probabilities answer the
// seed's question directly.
var DefaultAsOf = models.DateOf(time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC))

// Options fixes a generated portfolio.
type Options struct {
	// Loans is the number of loans; 0 means DefaultLoans, negative is an error.
	Loans int
	// Seed determines every random draw.
	Seed uint64
	// AsOf is the snapshot date; zero means DefaultAsOf.
	AsOf models.Date
	// Chains adds guarantee chains between the borrowers (Portfolio.Links;
	// chains.go). The loans and guarantors are those without chains.
	Chains bool
}

// Business-mix shares (estimates) not tied to a segment table.
const (
	sameBorrowerProb  = 0.08 // a loan is another loan of the previous borrower (at most 3 each)
	maxLoansPerBorr   = 3
	amortizingProb    = 0.12 // loans of 24+ months amortizing quarterly (the rest are bullet, 先息后本)
	ratioUnsetProb    = 0.60 // guarantee_ratio not given (policy: 1 − bank share = 0.8)
	ratio80Prob       = 0.35 // 0.8 given explicitly; the rest (5 %) 0.7: the bank keeps 30 %
	feeUnsetProb      = 0.20 // fee_rate not given (policy schedule: 1 %, 1.5 % above 500万)
	ineligibleProb    = 0.04 // not re-guarantee eligible (other segment: otherIneligible)
	otherIneligible   = 0.25
	groupStartPer1000 = 4     // of 1,000 borrowers, about 4 start a related-party group (estimate)
	groupSize         = 4     // borrowers per group, at one guarantor (estimate)
	reservesRate      = 0.015 // guarantee reserves / guaranteed balance (estimate; national rules add 1 % a year up to 10 %)
)

// Generate returns a synthetic Wenzhou portfolio. The loans are drawn one
// after another from a single ChaCha8 stream keyed by the seed, so the
// first n loans of a larger portfolio with the same seed and date are the
// n loans of a smaller one; the guarantors' balance sheets are then sized
// on the loans drawn (see guarantorSpec), so leverage is the same for any
// number of loans while capital scales with it.
func Generate(opts Options) (*models.Portfolio, error) {
	n := opts.Loans
	if n == 0 {
		n = DefaultLoans
	}
	if n < 0 {
		return nil, fmt.Errorf("%w: synth: %d loans", models.ErrInvalid, n)
	}
	asOf := opts.AsOf
	if asOf.IsZero() {
		asOf = DefaultAsOf
	}
	g := newGen(opts.Seed, asOf)
	pf := &models.Portfolio{AsOf: asOf, Loans: make([]models.Loan, 0, n)}
	for i := range n {
		pf.Loans = append(pf.Loans, g.loan(i))
	}
	relatedParties(pf.Loans)
	pf.Guarantors = balanceSheets(pf.Loans)
	if err := pf.Validate(models.DefaultFiles); err != nil {
		return nil, fmt.Errorf("synth: generated portfolio is invalid (a bug): %w", err)
	}
	if opts.Chains {
		if err := withChains(pf, opts.Seed); err != nil {
			return nil, err
		}
	}
	return pf, nil
}

// newStream returns ChaCha8 keyed by seed: the key is four SplitMix64
// outputs of the seed, so nearby seeds give unrelated streams.
func newStream(seed uint64) *rand.Rand {
	var key [32]byte
	s := seed
	for i := range 4 {
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		binary.LittleEndian.PutUint64(key[8*i:], z^(z>>31))
	}
	return rand.New(rand.NewChaCha8(key))
}

type gen struct {
	r    *rand.Rand
	asOf time.Time
	// countyW are the cumulative county weights.
	countyW []float64
	feeAdd  map[string]float64
	// the previous loan, for borrowers with several loans
	prev      models.Loan
	prevCount int
	borrowers int
}

func newGen(seed uint64, asOf models.Date) *gen {
	g := &gen{r: newStream(seed), asOf: asOf.Time(), feeAdd: map[string]float64{}}
	for _, c := range counties {
		g.countyW = append(g.countyW, c.weight)
	}
	for _, s := range guarantors {
		g.feeAdd[s.id] = s.feeAdd
	}
	return g
}

// pick returns an index drawn with probabilities proportional to w.
func (g *gen) pick(w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := g.r.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

func (g *gen) bernoulli(p float64) bool { return g.r.Float64() < p }

func (g *gen) uniform(lo, hi float64) float64 { return lo + (hi-lo)*g.r.Float64() }

// lognormal draws from a lognormal with the given mean and log-sd,
// redrawing until the value is in [lo, hi].
func (g *gen) lognormal(mean, sigma, lo, hi float64) float64 {
	mu := math.Log(mean) - sigma*sigma/2
	for {
		x := math.Exp(mu + sigma*g.r.NormFloat64())
		if x >= lo && x <= hi {
			return x
		}
	}
}

func roundTo(x, step float64) float64 { return math.Round(x/step) * step }

func (g *gen) loan(i int) models.Loan {
	l := models.NewLoan()
	l.LoanID = fmt.Sprintf("L%07d", i+1)
	same := i > 0 && g.prevCount < maxLoansPerBorr && g.bernoulli(sameBorrowerProb)
	if same {
		// Another loan of the same firm: same county, guarantor, industry,
		// segment and PD (one obligor, one rating).
		l.BorrowerID, l.County, l.GuarantorID = g.prev.BorrowerID, g.prev.County, g.prev.GuarantorID
		l.Industry, l.Segment = g.prev.Industry, g.prev.Segment
		g.prevCount++
	} else {
		g.borrowers++
		l.BorrowerID = fmt.Sprintf("B%07d", g.borrowers)
		c := counties[g.pick(g.countyW)]
		l.County = c.code
		l.GuarantorID = "G-" + c.code
		if g.bernoulli(c.cityShare) {
			l.GuarantorID = CityGuarantorID
		}
		l.Industry = industryOrder[g.pick(c.mix[:])]
		mix := segmentMix(l.Industry)
		l.Segment = segmentOrder[g.pick(mix[:])]
		g.prevCount = 1
	}

	// Product: agri loans are mostly 农贷保; the others are mostly
	// general, with the seed's 首贷保, 科创保 (more in the technology-heavy
	// clusters) and 创业保 (more among micro firms).
	switch {
	case l.Segment == SegmentAgri:
		l.Product = []string{ProductAgri, ProductGeneral, ProductFirstLoan}[g.pick([]float64{70, 25, 5})]
	default:
		tech := 8.0
		if l.Industry == Electrical || l.Industry == AutoParts || l.Industry == PumpsValves {
			tech = 14
		}
		startup := 4.0
		if l.Segment == SegmentMicro {
			startup = 7
		}
		l.Product = []string{ProductFirstLoan, ProductTech, ProductStartup, ProductGeneral}[g.pick([]float64{10, tech, startup, 100 - 10 - tech - startup})]
	}

	// Size: the original amount in whole 万 (whole 千 below 10万).
	sz := sizes[l.Segment]
	amount := g.lognormal(sz.mean, sz.sigma, sz.lo, sz.hi)
	if amount >= 10e4 {
		amount = roundTo(amount, 1e4)
	} else {
		amount = roundTo(amount, 1e3)
	}
	principal := models.Cents(amount) * models.Yuan

	// Dates: terms of 12, 24 or 36 months; the loan started within the
	// last two years and matures 6–36 months after the snapshot.
	term := []int{12, 24, 36}[g.pick([]float64{55, 25, 20})]
	maxElapsed := min(730, term*365/12-183)
	elapsed := g.r.IntN(maxElapsed + 1)
	start := g.asOf.AddDate(0, 0, -elapsed)
	l.StartDate = models.DateOf(start)
	l.MaturityDate = models.DateOf(start.AddDate(0, term, 0))
	l.Balance = principal
	if term >= 24 && g.bernoulli(amortizingProb) {
		// Equal principal repayments each quarter.
		paidMonths := int64(elapsed*12/365) / 3 * 3
		l.Balance = principal * models.Cents(int64(term)-paidMonths) / models.Cents(term)
	}

	// PD: one per obligor.
	if same {
		l.PD = g.prev.PD
	} else {
		pd := pdCalibration * pdBase[l.Segment] * pdInd[l.Industry] * pdProduct[l.Product] *
			math.Exp(pdSigma*g.r.NormFloat64()-pdSigma*pdSigma/2)
		l.PD = math.Round(math.Min(math.Max(pd, pdMin), pdMax)*1e5) / 1e5
	}

	// Counter-guarantee: a minority, more for larger firms; the seed asks
	// guarantors to reduce it (逐步减少、取消反担保要求) for policy products.
	cg := map[string]float64{SegmentMicro: 0.12, SegmentSmall: 0.30, SegmentAgri: 0.10, SegmentOther: 0.55}[l.Segment]
	if l.Product == ProductFirstLoan || l.Product == ProductStartup {
		cg /= 2
	}
	l.CounterGuarantee = g.bernoulli(cg)
	lgd := lgdMean[l.Segment == SegmentAgri][l.CounterGuarantee] + lgdSD*g.r.NormFloat64()
	l.LGD = math.Round(math.Min(math.Max(lgd, lgdMin), lgdMax)*1e3) / 1e3

	// Guarantee ratio: mostly the policy's 80 %.
	switch u := g.r.Float64(); {
	case u < ratioUnsetProb:
		// NaN: not given
	case u < ratioUnsetProb+ratio80Prob:
		l.GuaranteeRatio = 0.8
	default:
		l.GuaranteeRatio = 0.7
	}

	// Interest: 2022 inclusive small-business loan rates, 4–6 % (estimate;
	// the one-year LPR was 3.65 %): agri and larger loans cheaper.
	base := map[string]float64{SegmentMicro: 0.050, SegmentSmall: 0.047, SegmentAgri: 0.045, SegmentOther: 0.043}[l.Segment]
	l.InterestRate = math.Round(math.Min(math.Max(base+0.004*g.r.NormFloat64(), 0.04), 0.06)*1e4) / 1e4

	// Fee: policy products 0.5–0.8 %, tech 0.6–1.0 %, general 0.7–1.2 %
	// (0.9–1.2 % above 500万), in steps of 0.05 %; the seed wants the
	// average below 1 %. A fifth of the loans carry no fee_rate and
	// follow the policy's schedule.
	if !g.bernoulli(feeUnsetProb) {
		var f float64
		switch {
		case l.Product == ProductAgri || l.Product == ProductFirstLoan || l.Product == ProductStartup:
			f = g.uniform(0.005, 0.008)
		case l.Product == ProductTech:
			f = g.uniform(0.006, 0.010)
		case principal > 500*models.Wan:
			f = g.uniform(0.009, 0.012)
		default:
			f = g.uniform(0.007, 0.012)
		}
		l.FeeRate = math.Round(math.Min(f+g.feeAdd[l.GuarantorID], 0.015)/0.0005) * 0.0005
		l.FeeRate = math.Round(l.FeeRate*1e4) / 1e4
	}

	ineligible := ineligibleProb
	if l.Segment == SegmentOther {
		ineligible = otherIneligible
	}
	l.ReguaranteeEligible = !g.bernoulli(ineligible)

	banks := banksSME
	if l.Segment == SegmentAgri {
		banks = banksAgri
	}
	w := make([]float64, len(banks))
	for j, b := range banks {
		w[j] = b.w
	}
	l.BankID = banks[g.pick(w)].id
	if l.BankID == bankRCB {
		l.BankID = bankRCB + "-" + l.County
	}

	g.prev = l
	return l
}

// balanceSheets sizes each guarantor on the business it holds:
//
//	own net assets  = guaranteed balance / leverage        (to the fen; at least 100万)
//	net assets      = own + Σ stake × child's net assets   (the city institution only)
//	registered cap. = net assets / naOverRC                (to 100万)
//	gov. capital    = registered capital × govShare        (to 100万)
//	reserves        = 1.5 % × guaranteed balance           (to the fen)
//
// with the guaranteed balance Σ balance × ratio (ratio not given: 1 − the
// national floor bank share, 0.8, the policy default).
func balanceSheets(loans []models.Loan) []models.Guarantor {
	guaranteed := map[string]models.Cents{}
	for i := range loans {
		l := &loans[i]
		r := l.GuaranteeRatio
		if math.IsNaN(r) {
			r = 1 - models.BankShareFloor
		}
		guaranteed[l.GuarantorID] += l.Balance.MulRate(r)
	}
	const floor = 100 * models.Wan
	roundTo := func(c, step models.Cents) models.Cents { return max((c+step/2)/step*step, step) }
	out := make([]models.Guarantor, len(guarantors))
	for i, s := range guarantors {
		g := models.NewGuarantor()
		g.GuarantorID, g.Name, g.Level, g.County = s.id, s.name, s.level, s.county
		g.NetAssets = max(models.Cents(math.Round(float64(guaranteed[s.id])/s.leverage)), floor)
		g.Focused = s.focused
		g.InReguarantee = s.inReguarantee
		g.Reserves = guaranteed[s.id].MulRate(reservesRate)
		if s.parentStake > 0 {
			g.ParentID, g.ParentStake = CityGuarantorID, s.parentStake
		}
		out[i] = g
	}
	// The city institution's equity in county ones is part of its net assets.
	for i := 1; i < len(out); i++ {
		out[0].NetAssets += out[i].NetAssets.MulRate(out[i].ParentStake)
	}
	for i, s := range guarantors {
		g := &out[i]
		g.RegisteredCapital = roundTo(models.Cents(math.Round(float64(g.NetAssets)/s.naOverRC)), 100*models.Wan)
		g.GovernmentCapital = roundTo(g.RegisteredCapital.MulRate(s.govShare), 100*models.Wan)
	}
	return out
}

// relatedParties puts a few borrowers into related-party groups (关联方,
// group_id), without drawing from the stream (so the loans are those of a
// portfolio without groups): a borrower whose number hashes into the
// bottom groupStartPer1000/1000 starts group "R<number>", and the next
// groupSize−1 new borrowers of the same guarantor join it. Every loan of a
// borrower carries its group.
func relatedParties(loans []models.Loan) {
	type open struct {
		id   string
		left int
	}
	pending := map[string]*open{} // guarantor → group still taking members
	group := map[string]string{}  // borrower → group
	for i := range loans {
		l := &loans[i]
		if gid, ok := group[l.BorrowerID]; ok {
			l.GroupID = gid
			continue
		}
		if o := pending[l.GuarantorID]; o != nil && o.left > 0 {
			o.left--
			group[l.BorrowerID], l.GroupID = o.id, o.id
			continue
		}
		h := fnv.New64a()
		h.Write([]byte(l.BorrowerID))
		if h.Sum64()%1000 < groupStartPer1000 {
			id := "R" + strings.TrimPrefix(l.BorrowerID, "B")
			pending[l.GuarantorID] = &open{id: id, left: groupSize - 1}
			group[l.BorrowerID], l.GroupID = id, id
		}
	}
}
