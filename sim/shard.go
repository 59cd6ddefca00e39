package sim

import (
	"context"
	"fmt"

	"github.com/wenzhou/danbao/models"
)

// Shards (docs/shards.md). Path p's random numbers come from the stream
// keyed by (Seed, p) alone, so a run of paths [lo, hi) (Params.FirstPath =
// lo, Paths = hi − lo) gives exactly the per-path figures of those paths in
// a run of all P paths. K processes can therefore each run one range
// (ExecutePaths), and their per-path figures, joined in path order
// (ConcatResults, ConcatLedgers), summarized by Assemble, give the very
// document one process gives: every statistic is computed from the same
// per-path values in the same order, and the ES contributions replay their
// tail paths from the streams.

// ShardRange returns the paths [lo, hi) of shard i of k over P paths:
// lo = ⌊i·P/k⌋, hi = ⌊(i+1)·P/k⌋. The k ranges tile [0, P) in order.
func ShardRange(i, k, P int) (lo, hi int) {
	return int(int64(i) * int64(P) / int64(k)), int(int64(i+1) * int64(P) / int64(k))
}

// ConcatResults joins the per-path results of consecutive path ranges, in
// order, into one Result over all their paths. The parts must share seed,
// horizon, sampler and importance sampling, and each must start where the
// one before ends.
func ConcatResults(parts []*Result) (*Result, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no per-path results to join", models.ErrInvalid)
	}
	a := parts[0]
	out := &Result{Seed: a.Seed, FirstPath: a.FirstPath, Horizon: a.Horizon, Sampler: a.Sampler, Levels: a.Levels,
		ISLevel: a.ISLevel, ISShift: a.ISShift, isMix: a.isMix, isNames: a.isNames}
	next := a.FirstPath
	for k, r := range parts {
		switch {
		case r.Seed != a.Seed || r.Horizon != a.Horizon || r.Sampler != a.Sampler || r.ISLevel != a.ISLevel:
			return nil, fmt.Errorf("%w: part %d (paths from %d) is from another run: seed %d, horizon %d, sampler %s, is %v; part 1: %d, %d, %s, %v",
				models.ErrConflict, k+1, r.FirstPath, r.Seed, r.Horizon, r.Sampler, r.ISLevel, a.Seed, a.Horizon, a.Sampler, a.ISLevel)
		case r.FirstPath != next:
			return nil, fmt.Errorf("%w: part %d starts at path %d, want %d", models.ErrConflict, k+1, r.FirstPath, next)
		case len(r.Loss) != r.Paths*r.Horizon || len(r.Defaults) != r.Paths*r.Horizon:
			return nil, fmt.Errorf("%w: part %d has %d losses and %d default counts for %d paths × %d years",
				models.ErrInvalid, k+1, len(r.Loss), len(r.Defaults), r.Paths, r.Horizon)
		case (r.Weight == nil) != (a.Weight == nil) || (r.Weight != nil && len(r.Weight) != r.Paths):
			return nil, fmt.Errorf("%w: part %d has %d weights for %d paths", models.ErrInvalid, k+1, len(r.Weight), r.Paths)
		case (r.PartyLoss == nil) != (a.PartyLoss == nil) || (r.PartyLoss != nil && len(r.PartyLoss) != r.Paths*NParties):
			return nil, fmt.Errorf("%w: part %d has %d party losses for %d paths", models.ErrInvalid, k+1, len(r.PartyLoss), r.Paths)
		case (r.ContagionLoss == nil) != (a.ContagionLoss == nil) ||
			(r.ContagionLoss != nil && (len(r.ContagionLoss) != r.Paths*r.Horizon || len(r.ContagionDefaults) != r.Paths*r.Horizon)):
			return nil, fmt.Errorf("%w: part %d has %d contagion losses and %d contagion default counts for %d paths (part 1 %d)",
				models.ErrInvalid, k+1, len(r.ContagionLoss), len(r.ContagionDefaults), r.Paths, len(a.ContagionLoss))
		}
		next += r.Paths
		out.Paths += r.Paths
		out.Loss = append(out.Loss, r.Loss...)
		out.Defaults = append(out.Defaults, r.Defaults...)
		if r.Weight != nil {
			out.Weight = append(out.Weight, r.Weight...)
		}
		if r.PartyLoss != nil {
			out.PartyLoss = append(out.PartyLoss, r.PartyLoss...)
		}
		// Guarantee chains (contagion.go): the split per path-year, and the
		// largest cascades of all parts.
		if r.ContagionLoss != nil {
			out.ContagionLoss = append(out.ContagionLoss, r.ContagionLoss...)
			out.ContagionDefaults = append(out.ContagionDefaults, r.ContagionDefaults...)
			out.Cascades = append(out.Cascades, r.Cascades...)
		}
	}
	if out.Cascades != nil {
		out.Cascades = topCascades(out.Cascades)
	}
	return out, nil
}

// ConcatLedgers joins the ledger figures of consecutive path ranges, in
// order, as ConcatResults joins their losses. The parts must have the same
// guarantors, counties and horizon.
func ConcatLedgers(parts []*LedgerResult) (*LedgerResult, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no ledger figures to join", models.ErrInvalid)
	}
	a := parts[0]
	out := &LedgerResult{G: a.G, H: a.H, C: a.C}
	for k, b := range parts {
		P := b.Paths
		if b.G != a.G || b.H != a.H || b.C != a.C {
			return nil, fmt.Errorf("%w: part %d has %d guarantors, %d years, %d counties; part 1 %d, %d, %d",
				models.ErrConflict, k+1, b.G, b.H, b.C, a.G, a.H, a.C)
		}
		if len(b.PartyLoss) != P*NParties || len(b.Metrics) != P*(b.G+1)*b.H*NMetrics || len(b.Outlays) != P*b.C*b.H ||
			len(b.CountyComp) != P*b.C*b.H || len(b.NeedX) != P*b.G || (b.Weight != nil && len(b.Weight) != P) {
			return nil, fmt.Errorf("%w: part %d's ledger arrays do not fit its %d paths", models.ErrInvalid, k+1, P)
		}
		out.Paths += P
		out.PartyLoss = append(out.PartyLoss, b.PartyLoss...)
		out.Metrics = append(out.Metrics, b.Metrics...)
		out.Outlays = append(out.Outlays, b.Outlays...)
		out.CountyComp = append(out.CountyComp, b.CountyComp...)
		out.NeedX = append(out.NeedX, b.NeedX...)
		if b.Weight != nil {
			out.Weight = append(out.Weight, b.Weight...)
		}
	}
	return out, nil
}

// Assemble is the second half of Execute for paths computed elsewhere: it
// compiles pf under sc with its policy ledger and summarizes r and b (all
// p.Paths paths of a run with p's seed, sampler, levels and importance
// sampling, as ConcatResults and ConcatLedgers give them) into the
// Outcome Execute would return, document included.
func Assemble(ctx context.Context, pf *models.Portfolio, sc *models.Scenario, r *Result, b *LedgerResult, p Params) (*Outcome, error) {
	m, L, err := compileWithLedger(pf, sc, false)
	if err != nil {
		return nil, err
	}
	if err := fitResult(m, r, p); err != nil {
		return nil, err
	}
	if b.Paths != r.Paths || b.G != len(L.Guarantors) || b.H != L.H || b.C != len(L.Counties) {
		return nil, fmt.Errorf("%w: ledger figures of %d paths, %d guarantors, %d years, %d counties; the run has %d, %d, %d, %d",
			models.ErrConflict, b.Paths, b.G, b.H, b.C, r.Paths, len(L.Guarantors), L.H, len(L.Counties))
	}
	if p.Workers <= 0 {
		p.Workers = 1
	}
	r.PartyLoss = b.PartyLoss
	b.Weight = r.Weight
	o := &Outcome{Model: m, Ledger: L, Paths: r, Book: b}
	if err := o.summarize(ctx, pf, sc, p); err != nil {
		return nil, err
	}
	return o, nil
}

// AssembleLosses is Assemble for SimulateLosses: the document of the
// total loss and the defaults of r.
func AssembleLosses(pf *models.Portfolio, sc *models.Scenario, r *Result, p Params) (*Document, error) {
	m, err := Compile(pf, sc)
	if err != nil {
		return nil, fmt.Errorf("compile scenario %q: %w", sc.Name, err)
	}
	if err := fitResult(m, r, p); err != nil {
		return nil, err
	}
	if p.Workers <= 0 {
		p.Workers = 1
	}
	return newDocument(pf, sc, r, p.Workers), nil
}

// fitResult checks that r is all of p's paths of m, and gives it what Run
// derives from m and p rather than from the paths: the levels and the
// importance sampling's shift.
func fitResult(m *Model, r *Result, p Params) error {
	if r.Seed != p.Seed || r.FirstPath != p.FirstPath || r.Paths != p.Paths || r.Horizon != m.Horizon || r.Sampler != p.Sampler {
		return fmt.Errorf("%w: per-path figures of seed %d, paths %d from %d, horizon %d, sampler %s; the run asks for %d, %d from %d, %d, %s",
			models.ErrConflict, r.Seed, r.Paths, r.FirstPath, r.Horizon, r.Sampler, p.Seed, p.Paths, p.FirstPath, m.Horizon, p.Sampler)
	}
	levels, err := withDefaultLevels(p.Levels)
	if err != nil {
		return err
	}
	r.Levels = levels
	if err := checkContagion(m, r); err != nil {
		return err
	}
	r.ISLevel, r.ISShift, r.isMix, r.isNames = 0, nil, nil, nil
	if p.ISLevel != 0 {
		if len(r.Weight) != r.Paths {
			return fmt.Errorf("%w: importance sampling at %v, but %d weights for %d paths", models.ErrInvalid, p.ISLevel, len(r.Weight), r.Paths)
		}
		r.ISLevel = p.ISLevel
		if r.isMix, err = m.isMixtureAt(p.ISLevel); err != nil {
			return err
		}
		r.ISShift = r.isMix.sum()
		r.isNames = m.shiftNames()
	} else if r.Weight != nil {
		return fmt.Errorf("%w: per-path weights, but no importance sampling", models.ErrInvalid)
	}
	return nil
}
