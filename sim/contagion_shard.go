package sim

import (
	"fmt"

	"github.com/wenzhou/danbao/models"
)

// Shards of a run with guarantee chains (docs/shards.md): a shard's files
// carry its paths' contagion split (Result.ContagionLoss,
// ContagionDefaults) and its largest cascades; the merge joins them
// (ConcatResults keeps the largest of all, one per root, as a single run
// does) and Assemble holds them to the compiled links table.

// RootFirm is the number of the cascade's root among the firms of the
// links table (in order of first appearance in it, as from or to): the
// last key of the cascades' order, so a shard's file stores it.
func (c *Cascade) RootFirm() int32 { return c.root }

// SetRootFirm sets RootFirm, for a cascade read back from a shard's file.
func (c *Cascade) SetRootFirm(f int32) { c.root = f }

// checkContagion holds r's contagion figures to m: present, of r's shape,
// exactly when m has links, and every cascade's root the firm of that
// number in m's links table, on one of r's paths and years.
func checkContagion(m *Model, r *Result) error {
	if m.chains == nil {
		if r.ContagionLoss != nil || r.ContagionDefaults != nil || len(r.Cascades) > 0 {
			return fmt.Errorf("%w: per-path figures with a contagion split, but the portfolio has no guarantee links", models.ErrConflict)
		}
		return nil
	}
	n := r.Paths * r.Horizon
	if len(r.ContagionLoss) != n || len(r.ContagionDefaults) != n {
		return fmt.Errorf("%w: the portfolio has guarantee links, but the per-path figures have %d contagion losses and %d contagion default counts for %d paths × %d years",
			models.ErrConflict, len(r.ContagionLoss), len(r.ContagionDefaults), r.Paths, r.Horizon)
	}
	c := m.chains
	for k, cs := range r.Cascades {
		switch {
		case cs.root < 0 || int(cs.root) >= len(c.firms) || c.firms[c.byPublic[cs.root]] != cs.Root:
			return fmt.Errorf("%w: cascade %d: root %q as firm %d is not in the links table", models.ErrConflict, k+1, cs.Root, cs.root)
		case cs.Path < uint64(r.FirstPath) || cs.Path >= uint64(r.FirstPath+r.Paths) || cs.Year < 0 || cs.Year >= r.Horizon:
			return fmt.Errorf("%w: cascade %d: path %d, year %d outside the run's paths [%d, %d) and %d years",
				models.ErrInvalid, k+1, cs.Path, cs.Year, r.FirstPath, r.FirstPath+r.Paths, r.Horizon)
		}
	}
	return nil
}
