package sim_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/synth"
	"github.com/wenzhou/danbao/sim"
)

// In the one-factor Gaussian (Vasicek) model a loan with a 2 % one-year PD
// and asset correlation ρ = 0.12 defaults with probability
//
//	Φ((Φ⁻¹(0.02) + √0.12·Φ⁻¹(q)) / √0.88)
//
// when the systematic factor is at its q-quantile (large q = bad years):
// 1.43 % in the median year (below the 2 % mean: most years are quiet),
// 9.17 % in the 1-in-100 year and 14.73 % in the 1-in-1000 year. The
// figures agree with Python's statistics.NormalDist to the digits shown.
func ExampleConditionalPD() {
	for _, q := range []float64{0.5, 0.99, 0.999} {
		fmt.Printf("q = %-5v  PD(q) = %.4f\n", q, sim.ConditionalPD(0.02, 0.12, q))
	}
	fmt.Printf("Φ⁻¹(0.975) = %.6f\n", sim.PhiInv(0.975))
	// Output:
	// q = 0.5    PD(q) = 0.0143
	// q = 0.99   PD(q) = 0.0917
	// q = 0.999  PD(q) = 0.1473
	// Φ⁻¹(0.975) = 1.959964
}

// VaR and expected shortfall of ten path losses at α = 0.75:
// VaR = L(⌈0.75·10⌉) = L(8) = 8, and ES is the mean of the worst
// (1 − α)·10 = 2.5 losses, (10 + 9 + ½·8) / 2.5 = 9.2 — the
// Acerbi–Tasche formula counts the VaR atom by the part of it beyond α.
func ExampleTailStats() {
	losses := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10} // sorted ascending
	v, es := sim.TailStats(losses, 0.75)
	fmt.Printf("VaR %v, ES %.6g\n", v, es)
	// Output:
	// VaR 8, ES 9.2
}

// A small run: 300 synthetic loans, one year, 2,000 paths. Path p draws
// its random numbers from a stream keyed by (seed, p) only, so the
// per-path losses are bit-identical whatever the number of workers and
// the size of the blocks they take.
func ExampleRun() {
	pf, err := synth.Generate(synth.Options{Loans: 300, Seed: 7})
	if err != nil {
		panic(err)
	}
	sc := models.DefaultScenario()
	m, err := sim.Compile(pf, &sc)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	one, err := sim.Run(ctx, m, sim.Params{Seed: 1, Paths: 2000, Workers: 1})
	if err != nil {
		panic(err)
	}
	many, err := sim.Run(ctx, m, sim.Params{Seed: 1, Paths: 2000, Workers: 3, BlockSize: 17})
	if err != nil {
		panic(err)
	}
	var defaults int64
	for p := range one.Paths {
		defaults += one.TotalDefaults(p)
	}
	fmt.Println("paths", one.Paths, "years", one.Horizon, "defaults > 0:", defaults > 0)
	fmt.Println("identical for 1 and 3 workers:", slices.Equal(one.Loss, many.Loss) && slices.Equal(one.Defaults, many.Defaults))
	// Output:
	// paths 2000 years 1 defaults > 0: true
	// identical for 1 and 3 workers: true
}
