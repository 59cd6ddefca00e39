package sim

import (
	"slices"
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/synth"
)

// TestGroupIsPathByPath: drawing paths year by year in groups
// (simulateGroup) gives each path exactly what simulatePath gives it:
// its defaults in order, yearly losses and defaults, contagion figures
// and importance-sampling weight terms, with the Gaussian and the t
// copula, both samplers and importance sampling, for a group that is
// full, one that is not, and groups drawn one after another by one
// worker.
func TestGroupIsPathByPath(t *testing.T) {
	pf, err := synth.Generate(synth.Options{Loans: 3000, Seed: 3, Chains: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		copula  string
		sampler Sampler
		is      float64
	}{
		{"gaussian/fast", models.CopulaGaussian, Fast, 0},
		{"gaussian/dense", models.CopulaGaussian, Dense, 0},
		{"t/fast/is", models.CopulaT, Fast, 0.999},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := models.DefaultScenario()
			sc.HorizonYears = 3
			sc.Model.Copula = tc.copula
			sc.Model.Persistence = 0.6 // the factors carry their state from year to year
			m := mustCompile(t, pf, &sc)
			if !m.groupable() {
				t.Fatal("the book has links and no uplift or stochastic LGD: it should draw in groups")
			}
			one, grouped := m.newWorker(), m.newWorker()
			if tc.is != 0 {
				mix, err := m.isMixtureAt(tc.is)
				if err != nil {
					t.Fatal(err)
				}
				one.f.is, grouped.f.is = mix, mix
			}
			contagion := 0
			full := make([]uint64, groupPaths)
			for i := range full {
				full[i] = uint64(i)
			}
			// Whole groups, then a group that is not full, of paths 40–43;
			// and the same with a cap that makes the groups finish path by
			// path in their first, second or last year.
			limits := []int{0, 1} // the group as it is; finishing after its first path-year
			// Caps that the first group passes in its year 1, 2 and 3 (from the
			// defaults per year that the uncapped group draws).
			probe := &pathGroup{}
			m.simulateGroup(grouped, probe, tc.sampler, 5, 0, len(full), 0, func(int) {})
			held := 0
			for yr := range m.Horizon {
				year := 0
				for i := range full {
					year += int(probe.def[i*m.Horizon+yr])
				}
				limits = append(limits, held+year/2)
				held += year
			}
			for _, limit := range limits {
				g := &pathGroup{limit: limit}
				for _, paths := range [][]uint64{full, {40, 41, 42, 43}} {
					var got []uint64
					m.simulateGroup(grouped, g, tc.sampler, 5, paths[0], len(paths), 1000, func(k int) {
						i := k - 1000
						p := paths[i]
						got = append(got, p)
						m.simulatePath(one, tc.sampler, 5, p)
						if !slices.Equal(grouped.events, one.events) {
							t.Fatalf("cap %d, path %d: %d defaults in the group, %d path by path", limit, p, len(grouped.events), len(one.events))
						}
						if !slices.Equal(grouped.pathLoss, one.pathLoss) || !slices.Equal(grouped.pathDef, one.pathDef) {
							t.Fatalf("cap %d, path %d: yearly losses %v and defaults %v in the group, %v and %v path by path",
								limit, p, grouped.pathLoss, grouped.pathDef, one.pathLoss, one.pathDef)
						}
						if !slices.Equal(grouped.chain.contLoss, one.chain.contLoss) || !slices.Equal(grouped.chain.contDef, one.chain.contDef) {
							t.Fatalf("cap %d, path %d: contagion figures differ", limit, p)
						}
						if grouped.f.logW != one.f.logW || grouped.f.isComp != one.f.isComp {
							t.Fatalf("cap %d, path %d: importance-sampling terms differ", limit, p)
						}
						for _, d := range one.chain.contDef {
							contagion += int(d)
						}
					})
					if !slices.Equal(got, paths) {
						t.Fatalf("cap %d: paths handed over %v, want %v once each in order", limit, got, paths)
					}
					for l, d := range grouped.dead {
						if d {
							t.Fatalf("cap %d: loan %d is left marked defaulted after the group", limit, l)
						}
					}
				}
			}
			if contagion == 0 {
				t.Fatal("no contagion default on any path: the comparison shows nothing of the chains")
			}
		})
	}
}
