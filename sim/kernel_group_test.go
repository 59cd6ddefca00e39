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
			g := &pathGroup{}
			contagion := 0
			for _, paths := range [][]uint64{
				{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31},
				{40, 41, 99, 7}, // a group that is not full, then paths drawn before
			} {
				m.simulateGroup(grouped, g, tc.sampler, 5, paths)
				for i, p := range paths {
					m.simulatePath(one, tc.sampler, 5, p)
					g.load(grouped, i)
					if !slices.Equal(grouped.events, one.events) {
						t.Fatalf("path %d: %d defaults in the group, %d path by path", p, len(grouped.events), len(one.events))
					}
					if !slices.Equal(grouped.pathLoss, one.pathLoss) || !slices.Equal(grouped.pathDef, one.pathDef) {
						t.Fatalf("path %d: yearly losses %v and defaults %v in the group, %v and %v path by path",
							p, grouped.pathLoss, grouped.pathDef, one.pathLoss, one.pathDef)
					}
					if !slices.Equal(grouped.chain.contLoss, one.chain.contLoss) || !slices.Equal(grouped.chain.contDef, one.chain.contDef) {
						t.Fatalf("path %d: contagion figures differ", p)
					}
					if grouped.f.logW != one.f.logW || grouped.f.isComp != one.f.isComp {
						t.Fatalf("path %d: importance-sampling terms differ", p)
					}
					for _, d := range one.chain.contDef {
						contagion += int(d)
					}
				}
				for l, d := range grouped.dead {
					if d {
						t.Fatalf("loan %d is left marked defaulted after the group", l)
					}
				}
			}
			if contagion == 0 {
				t.Fatal("no contagion default on any path: the comparison shows nothing of the chains")
			}
		})
	}
}
