package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"

	"github.com/wenzhou/danbao/models"
)

// Schema names the result document's format. Field names are the contract:
// later versions add fields and never rename one.
const Schema = "danbao.result/v1"

// Document is the result document of a run: what `danbao run --json`
// prints and what the API returns as a run's result (docs/model.md
// "Metrics"; api/openapi.yaml). Money is in yuan as decimal strings rounded to the fen
// (Money), counts and probabilities are JSON numbers (Number); a statistic
// that cannot be estimated (a standard error from too few paths) is null.
//
// A Document is plain data: Simulate fills everything but the elapsed
// time of RunInfo, which the caller measures (sim reads no clock) and sets
// with SetRunInfo.
type Document struct {
	Schema       string `json:"schema"`   // Schema
	Scenario     string `json:"scenario"` // the scenario's name
	Paths        int    `json:"paths"`
	FirstPath    int    `json:"first_path,omitempty"` // shards only
	Seed         uint64 `json:"seed"`
	HorizonYears int    `json:"horizon_years"`
	Workers      int    `json:"workers"` // Deprecated: run_info.workers; goes in the next release
	Sampler      string `json:"sampler"` // "fast" or "dense"
	// Levels are the confidence levels of every var and es map: 0.95,
	// 0.99, 0.999 and those asked for (--levels), ascending.
	Levels         []float64 `json:"levels"`
	ElapsedSeconds float64   `json:"elapsed_seconds"` // Deprecated: run_info.elapsed_seconds; goes in the next release

	Portfolio PortfolioInfo `json:"portfolio"`

	// ImportanceSampling describes the change of measure of an --is run;
	// absent for plain Monte Carlo.
	ImportanceSampling *ISInfo `json:"importance_sampling,omitempty"`

	// Loss maps a party to the distribution of its loss over the whole
	// horizon. "total" is the ultimate credit loss Σ EAD × lgd over the
	// defaults; the policy ledger adds "bank", "guarantor", "reguarantor",
	// "national_fund" and "county_fund" in the same shape.
	Loss map[string]LossStats `json:"loss"`
	// Defaults is the distribution of the number of defaults over the horizon.
	Defaults CountStats `json:"defaults"`
	// Years holds the same figures year by year, Years[t-1] for year t.
	Years []YearStats `json:"years"`

	// Targets, Contributions and Outlays come with the policy ledger
	// (docs/model.md "Targets"); they are left out until then.
	Targets []TargetResult `json:"targets,omitempty"`
	// Contributions are the Euler ES contributions at ContributionLevel.
	Contributions *Contributions `json:"contributions,omitempty"`
	// Outlays maps a county code to its outlays, year by year (Outlays[c][t-1]
	// for year t).
	Outlays map[string][]Outlay `json:"outlays,omitempty"`
	// Analytic holds the closed-form approximations of the year-1 loss
	// (`danbao run --analytic`; schema danbao.analytic/v1, docs/analytic.md).
	// It stays raw JSON: it is a separate document (cmd/danbao's analyticDoc,
	// built from package analytic), embedded as it is.
	Analytic json.RawMessage `json:"analytic,omitempty"`
	// Joint holds the probabilities that targets hold together for every
	// guarantor (docs/decisions.md); with the policy ledger.
	Joint *JointResult `json:"joint,omitempty"`
	// Contagion splits losses and defaults into direct and contagion and
	// lists the largest cascades; only when the portfolio has links
	// (docs/chains.md).
	Contagion *ContagionResult `json:"contagion,omitempty"`

	// RunInfo is how the run was done (workers, wall time, shards): the only
	// part of the document that differs between runs of the same inputs.
	RunInfo RunInfo `json:"run_info"`
}

// ISInfo describes an importance-sampling run (docs/tails.md): every
// path's factor innovations were drawn from the defensive mixture
// β·N(0, I) + Σ_t ((1 − β)/H)·N(μ_t, I), μ_t year t's shift (zero outside
// year t), and every statistic is weighted by the likelihood ratio
// w = 1/(β + ((1 − β)/H)·Σ_t exp(μ_t·z − |μ_t|²/2)).
type ISInfo struct {
	Level     Number `json:"level"`      // the shifts' level α: each |μ_t| = c·Φ⁻¹(α)
	ShiftNorm Number `json:"shift_norm"` // |Σ_t μ_t| = √H·c·Φ⁻¹(α)
	// Shift is Σ_t μ_t by year (1-based) and factor ("macro",
	// "industry/<name>", "county/<name>"; "mixing" for the t copula's χ²
	// variable), the components larger than 0.01 in absolute value.
	Shift map[string]Number `json:"shift"`
	// ESS is the effective sample size (Σw)²/Σw²; MeanWeight is (1/N)Σw,
	// whose expectation is 1.
	ESS        Number `json:"ess"`
	MeanWeight Number `json:"mean_weight"`
}

// PortfolioInfo describes the portfolio a run simulated.
type PortfolioInfo struct {
	Loans      int          `json:"loans"`
	Guarantors int          `json:"guarantors"`
	Balance    models.Cents `json:"balance"` // Σ loan balances, exact
}

// YearStats is one year's distribution of losses and defaults.
type YearStats struct {
	Year     int                  `json:"year"` // 1-based
	Loss     map[string]LossStats `json:"loss"` // keyed by party, as Document.Loss
	Defaults CountStats           `json:"defaults"`
	// Metrics maps a scope (a guarantor id, or "city") to each projected
	// metric's distribution at the end of the year (see MetricNames).
	Metrics map[string]map[string]Quantiles `json:"metrics,omitempty"`
}

// TargetResult is the probability that one target holds in one scope and
// year, with its Monte Carlo standard error (docs/model.md
// "Targets"). Filled by the policy ledger.
type TargetResult struct {
	ID         string `json:"id"`
	Scope      string `json:"scope"`
	Year       int    `json:"year"`
	Threshold  Number `json:"threshold"`
	Definition string `json:"definition,omitempty"`
	PHold      Number `json:"p_hold"`
	SE         Number `json:"se"`
	// Shortfall is by how much the target is missed on the paths where it
	// fails (in the target's unit: leverage, rate, or yuan), if it ever fails.
	Shortfall *Quantiles `json:"shortfall,omitempty"`
}

// Stats is a distribution summary in the document's shape:
//
//	{"mean": …, "sd": …, "var": {"0.95": …, "0.99": …, "0.999": …},
//	 "es": {…}, "se": {"mean": …, "var": {…}, "es": {…}}}
//
// V is Money for amounts and Number for counts. VaR and ES follow
// SummarizeAt (weighted under importance sampling), with its standard errors.
type Stats[V Money | Number] struct {
	Mean V            `json:"mean"`
	SD   V            `json:"sd"`
	VaR  map[string]V `json:"var"`
	ES   map[string]V `json:"es"`
	SE   SE[V]        `json:"se"`
}

// SE holds the standard errors of a Stats.
type SE[V Money | Number] struct {
	Mean V            `json:"mean"`
	VaR  map[string]V `json:"var"`
	ES   map[string]V `json:"es"`
}

// LossStats summarizes amounts in yuan; CountStats summarizes counts.
type (
	LossStats  = Stats[Money]
	CountStats = Stats[Number]
)

// LevelKey returns the document's key for the default confidence level
// Levels[k]: "0.95", "0.99", "0.999".
func LevelKey(k int) string { return LevelString(Levels[k]) }

// statsOf converts s into the document's shape.
func statsOf[V Money | Number](s Summary) Stats[V] {
	levels := func(x []float64) map[string]V {
		m := make(map[string]V, len(x))
		for k, v := range x {
			m[LevelString(s.Levels[k])] = V(v)
		}
		return m
	}
	return Stats[V]{
		Mean: V(s.Mean), SD: V(s.SD),
		VaR: levels(s.VaR), ES: levels(s.ES),
		SE: SE[V]{Mean: V(s.SEMean), VaR: levels(s.SEVaR), ES: levels(s.SEES)},
	}
}

// Money is an amount in yuan computed in float64 (a mean, a quantile, a
// standard error). In JSON it is a decimal string rounded to the fen,
// "1234567.89", never a float; NaN and ±Inf are null. Exact amounts use
// models.Cents.
type Money float64

// MarshalJSON writes m as a string with two decimals, or null.
func (m Money) MarshalJSON() ([]byte, error) {
	v := float64(m)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if s == "-0.00" {
		s = "0.00"
	}
	return []byte(`"` + s + `"`), nil
}

// UnmarshalJSON reads a decimal string (or a number); null is NaN.
func (m *Money) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = Money(math.NaN())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		s = string(b) // a bare number
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%w: money %q", models.ErrInvalid, s)
	}
	*m = Money(v)
	return nil
}

// Number is a count, rate or probability. In JSON it is a number, or null
// when NaN or ±Inf (which JSON cannot carry).
type Number float64

// MarshalJSON writes n as encoding/json writes a float64, or null.
func (n Number) MarshalJSON() ([]byte, error) {
	v := float64(n)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads a number, or a decimal string (as Money writes);
// null is NaN.
func (n *Number) UnmarshalJSON(b []byte) error {
	var m Money
	if err := m.UnmarshalJSON(b); err != nil {
		return err
	}
	*n = Number(m)
	return nil
}

// summarize is SummarizeAt of x, one value per path of r, with r's
// weights and levels.
func (r *Result) summarize(x []float64) Summary {
	levels := r.Levels
	if levels == nil { // a Result made by hand
		levels = Levels
	}
	return summarizeAt(x, r.Weight, levels)
}

// PartyTotal is the key of the total loss in Document.Loss.
const PartyTotal = "total"

// newDocument summarizes r, a run of pf under sc with the given number of
// workers, into a result document. ElapsedSeconds is left 0.
func newDocument(pf *models.Portfolio, sc *models.Scenario, r *Result, workers int) *Document {
	d := &Document{
		Schema: Schema, Scenario: sc.Name,
		Paths: r.Paths, FirstPath: r.FirstPath, Seed: r.Seed, HorizonYears: r.Horizon,
		Workers: workers, Sampler: r.Sampler.String(), Levels: r.Levels, RunInfo: RunInfo{Workers: workers},
		Portfolio: PortfolioInfo{Loans: len(pf.Loans), Guarantors: len(pf.Guarantors)},
	}
	if d.Levels == nil {
		d.Levels = Levels
	}
	if r.Weight != nil {
		var sw, sw2, norm float64
		for _, w := range r.Weight {
			sw += w
			sw2 += w * w
		}
		is := &ISInfo{Level: Number(r.ISLevel), ESS: Number(sw * sw / sw2), MeanWeight: Number(sw / float64(len(r.Weight))),
			Shift: map[string]Number{}}
		for k, mu := range r.ISShift {
			norm += mu * mu
			if math.Abs(mu) > 0.01 && k < len(r.isNames) {
				is.Shift[r.isNames[k]] = Number(math.Round(mu*1e4) / 1e4)
			}
		}
		is.ShiftNorm = Number(math.Sqrt(norm))
		d.ImportanceSampling = is
	}
	for i := range pf.Loans {
		d.Portfolio.Balance += pf.Loans[i].Balance
	}
	H := r.Horizon
	loss := make([]float64, r.Paths) // yuan
	defs := make([]float64, r.Paths)
	summarize := func(t int) (LossStats, CountStats) { // t < 0: whole horizon
		for p := range r.Paths {
			if t < 0 {
				loss[p] = float64(r.TotalLoss(p)) / 100
				defs[p] = float64(r.TotalDefaults(p))
			} else {
				loss[p] = float64(r.Loss[p*H+t]) / 100
				defs[p] = float64(r.Defaults[p*H+t])
			}
		}
		return statsOf[Money](r.summarize(loss)), statsOf[Number](r.summarize(defs))
	}
	total, defaults := summarize(-1)
	d.Loss = map[string]LossStats{PartyTotal: total}
	d.Defaults = defaults
	d.Years = make([]YearStats, H)
	for t := range H {
		l, c := total, defaults // one year: the year is the horizon
		if H > 1 {
			l, c = summarize(t)
		}
		d.Years[t] = YearStats{Year: t + 1, Loss: map[string]LossStats{PartyTotal: l}, Defaults: c}
	}
	d.Contagion = contagionDoc(pf, r)
	return d
}

// Simulate compiles pf under sc, runs p and summarizes the paths: the one
// call behind `danbao run` and the API's runs. It returns the document
// (ElapsedSeconds left for the caller to set) and the per-path result.
// p.Workers 0 means GOMAXPROCS, and the document says how many were used.
//
// Only the document and the losses are kept, so on a large run (per-path
// metrics and county outlays above SpillMinBytes) the ledger's per-path
// metrics and outlays go to a file from p.Spill, when set, rather than
// memory (ledger_spill.go); the document is the same bit for bit.
func Simulate(ctx context.Context, pf *models.Portfolio, sc *models.Scenario, p Params) (*Document, *Result, error) {
	if p.Workers <= 0 {
		p.Workers = runtime.GOMAXPROCS(0)
	}
	// Under importance sampling ESContributions sums the recorded segment
	// and chain losses instead of replaying the tail paths (most paths);
	// SimulateMemoryEstimate counts the segments.
	p.recordSegments = true
	o, err := executePaths(ctx, pf, sc, p, true)
	if err != nil {
		return nil, nil, err
	}
	defer o.Book.Close()
	if err := o.summarize(ctx, pf, sc, p); err != nil {
		return nil, nil, err
	}
	return o.Doc, o.Paths, nil
}

// SimulateLosses is Simulate without the policy ledger: the document has
// the total loss and the defaults (overall and by year) and nothing that
// needs the loss sharing or the balance sheets (party losses, metrics,
// targets, outlays, contributions). It is the engine alone, for when only
// the credit-loss distribution is wanted (and for comparing the engine with
// programs that compute only that).
//
// Like Simulate it releases the model's loans once compiled (compile with
// releaseLoans): nothing after the compile reads them.
func SimulateLosses(ctx context.Context, pf *models.Portfolio, sc *models.Scenario, p Params) (*Document, *Result, error) {
	m, err := compile(pf, sc, true)
	if err != nil {
		return nil, nil, fmt.Errorf("compile scenario %q: %w", sc.Name, err)
	}
	if p.Workers <= 0 {
		p.Workers = runtime.GOMAXPROCS(0)
	}
	r, err := Run(ctx, m, p)
	if err != nil {
		return nil, nil, err
	}
	return newDocument(pf, sc, r, p.Workers), r, nil
}

// Outcome is everything a run produced: the compiled model and ledger, the
// per-path losses and ledger figures, and the document summarizing them.
type Outcome struct {
	Model  *Model
	Ledger *Ledger
	Paths  *Result
	Book   *LedgerResult
	Doc    *Document
}

// Execute compiles pf under sc with its policy ledger, runs p, and builds
// the full document (losses per party, projected metrics, targets, county
// outlays, ES contributions). Sweeps and top-ups use the Outcome directly.
func Execute(ctx context.Context, pf *models.Portfolio, sc *models.Scenario, p Params) (*Outcome, error) {
	if p.Workers <= 0 {
		p.Workers = runtime.GOMAXPROCS(0)
	}
	p.recordSegments = true // ESContributions sums them instead of replaying the tail paths
	o, err := ExecutePaths(ctx, pf, sc, p)
	if err != nil {
		return nil, err
	}
	if err := o.summarize(ctx, pf, sc, p); err != nil {
		return nil, err
	}
	return o, nil
}

// compileWithLedger compiles pf under sc and its policy ledger, the two
// steps every run, shard merge and reverse stress starts with. With
// releaseLoans (a caller that needs only the document: Simulate) the
// model's loans are released (Model.Loans nil) as soon as the model has
// read them (compile); the ledger does not read them.
func compileWithLedger(pf *models.Portfolio, sc *models.Scenario, releaseLoans bool) (*Model, *Ledger, error) {
	m, err := compile(pf, sc, releaseLoans)
	if err != nil {
		return nil, nil, fmt.Errorf("compile scenario %q: %w", sc.Name, err)
	}
	L, err := newLedger(m, pf, sc)
	if err != nil {
		return nil, nil, fmt.Errorf("compile policy of scenario %q: %w", sc.Name, err)
	}
	return m, L, nil
}

// ExecutePaths is Execute without the document: it compiles pf under sc
// with its policy ledger and runs p, and returns the per-path figures
// (Outcome.Doc nil). A shard (docs/shards.md) runs this on its paths.
func ExecutePaths(ctx context.Context, pf *models.Portfolio, sc *models.Scenario, p Params) (*Outcome, error) {
	return executePaths(ctx, pf, sc, p, false)
}

// gcAfterCompileLoans is the compiled book (loans with new business,
// about 230 bytes each in Model.Loans) from which Simulate collects
// garbage once after compiling: 100,000 loans are about 23 MB.
const gcAfterCompileLoans = 100_000

// executePaths is ExecutePaths; docOnly is for a caller that needs only
// the document (Simulate): the model's loans are released as soon as the
// model has read them (Model.Loans nil; compile), and a book whose metrics and county
// outlays would take SpillMinBytes or more keeps them in a file from
// p.Spill, if set (LedgerResult.spill), which the caller must Close.
func executePaths(ctx context.Context, pf *models.Portfolio, sc *models.Scenario, p Params, docOnly bool) (*Outcome, error) {
	m, L, err := compileWithLedger(pf, sc, docOnly)
	if err != nil {
		return nil, err
	}
	if p.Workers <= 0 {
		p.Workers = runtime.GOMAXPROCS(0)
	}
	if p.BlockSize <= 0 {
		p.BlockSize = defaultBlockSize
	}
	L.SetRandomLag(sc.Recovery, p.Seed, p.FirstPath)
	if p.recordSegments && p.ISLevel != 0 {
		if cs := newContribSegments(m, L.guarantorID); cs.S <= maxRecordedSegments {
			p.segments = cs
		}
	}
	G, C := len(L.Guarantors), len(L.Counties)
	var lr *ledgerRun
	var book *LedgerResult
	if docOnly && p.Spill != nil && int64(p.Paths)*int64(((G+1)*NMetrics+2*C)*L.H)*8 >= SpillMinBytes {
		if lr, book, err = L.newSpilledObserver(p.Paths, p.Workers, p.BlockSize, p.Spill); err != nil {
			return nil, err
		}
	} else {
		obs, b := L.NewObserver(p.Paths, p.Workers)
		lr, book = obs.(*ledgerRun), b
	}
	p.Observer = lr
	r, err := Run(ctx, m, p)
	if err == nil {
		err = lr.flush()
	}
	if err != nil {
		book.Close()
		return nil, err
	}
	r.PartyLoss = book.PartyLoss
	book.Weight = r.Weight
	return &Outcome{Model: m, Ledger: L, Paths: r, Book: book}, nil
}

// summarize builds o.Doc from o's per-path figures, a run of pf under sc
// with p (p.Workers > 0).
func (o *Outcome) summarize(ctx context.Context, pf *models.Portfolio, sc *models.Scenario, p Params) error {
	d := newDocument(pf, sc, o.Paths, p.Workers)
	if err := d.addLedger(ctx, o.Ledger, o.Paths, o.Book, p); err != nil {
		return err
	}
	o.Doc = d
	return nil
}
