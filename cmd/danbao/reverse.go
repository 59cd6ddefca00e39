package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/wenzhou/danbao/api/web"
	"github.com/wenzhou/danbao/internal/format"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// reverseOptions are the flags of danbao reverse.
type reverseOptions struct {
	simOptions
	target, scope, writeScenario string
	year                         int
	maxSigma, tol, scale         float64
}

func init() {
	o := reverseOptions{}
	cmd := &cobra.Command{
		Use:   "reverse --target ID --scope S [--year Y] [--write-scenario FILE] [--report FILE.html] [--json]",
		Short: "Reverse stress test: the most likely factor scenario under which a target fails",
		Long: `reverse answers "what is the mildest scenario that breaks this target?": the
values of the systematic factors (macro, industries, counties, every year)
of least Mahalanobis norm |z| — the most likely point — at which the target
--target of scope --scope (a guarantor id or city) in year --year (default:
the last year) fails in the conditional mean: with the factors fixed there,
the loans' PDs are the conditional PDs Φ((Φ⁻¹(pd) − sys)/σ) and --paths
paths of idiosyncratic defaults through the whole policy ledger give the
target's mean margin, which is 0 on the boundary.

It prints |z| (the joint probability in σ), the factor values by year,
and the worst-hit segments' PDs before and given the point;
--write-scenario FILE writes the scenario with these factor values added as
shocks, for "danbao run --scenario FILE"; --report FILE.html writes all of
it as one self-contained HTML report. --json prints the reverse
document (schema "` + sim.ReverseSchema + `"). docs/decisions.md has the method.`,
		Example: `  danbao reverse --target capital_min --scope G-330382 --year 3
  danbao reverse --target compensation_rate_max --scope city --year 1 --write-scenario rev.yaml`,
	}
	f := simCommand(cmd, &o.simOptions, sim.DefaultReversePaths, func(ctx context.Context, stdout, stderr io.Writer) error { return runReverse(ctx, o, stdout, stderr) })
	f.StringVar(&o.target, "target", "", "target id (capital_min, compensation_rate_max, leverage_max, …)")
	f.StringVar(&o.scope, "scope", sim.CityScope, "scope of the target: a guarantor id or city")
	f.IntVar(&o.year, "year", 0, "year of the target (1-based; default the last year)")
	f.StringVar(&o.writeScenario, "write-scenario", "", "write the scenario with the reverse point's factor values as shocks to `FILE`")
	f.Float64Var(&o.scale, "scale", 1, "multiply the factor values written by --write-scenario by S (e.g. 0.8: a milder scenario on the same ray)")
	f.Float64Var(&o.maxSigma, "max-sigma", sim.DefaultReverseMax, "largest |z| searched, in σ (≤ 10)")
	f.Float64Var(&o.tol, "tol", 1e-3, "width of the final bracket of |z|, in σ")
	rootCmd.AddCommand(cmd)
}

// runReverse is danbao reverse without cobra.
func runReverse(ctx context.Context, o reverseOptions, stdout, stderr io.Writer) error {
	if err := o.htmlReportOnly("reverse"); err != nil {
		return err
	}
	switch {
	case o.target == "":
		return fmt.Errorf("--target is required (e.g. %s, %s, %s)", models.TargetCapitalMin, models.TargetCompRateMax, models.TargetLeverageMax)
	case o.is != 0:
		return fmt.Errorf("--is: reverse fixes the factors at each point; importance sampling does not apply")
	case !(o.scale > 0 && o.scale <= 1.5):
		return fmt.Errorf("--scale %v: must be in (0, 1.5]", o.scale)
	}
	p, pf, sc, err := o.setup(ctx)
	if err != nil {
		return err
	}
	year := o.year
	if year == 0 {
		year = sc.HorizonYears
	}
	opt := sim.ReverseOptions{Target: o.target, Scope: o.scope, Year: year, MaxSigma: o.maxSigma, Tol: o.tol}
	start := time.Now()
	res, err := sim.Reverse(ctx, pf, &sc, opt, p)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted(err)
		}
		return err
	}
	res.RunInfo = sim.RunInfo{Workers: p.Workers, ElapsedSeconds: time.Since(start).Seconds()}
	if o.writeScenario != "" {
		if err := writeReverseScenario(ctx, o.writeScenario, sc, res, o.scale); err != nil {
			return fmt.Errorf("--write-scenario: %w", err)
		}
		fmt.Fprintf(stderr, "Scenario: %s\n", o.writeScenario)
	}
	return o.deliver(ctx, stdout, stderr, res, func(w io.Writer) error { return web.RenderReverse(w, res) }, nil,
		func() { printReverse(stdout, res) })
}

// writeReverseScenario writes sc, fully resolved, with the reverse point's
// factor values × scale added as shocks, to path (all or nothing).
func writeReverseScenario(ctx context.Context, path string, sc models.Scenario, r *sim.ReverseResult, scale float64) error {
	sc.Shocks = append(slices.Clone(sc.Shocks), r.Shocks(scale)...)
	sc.Extends = "" // every field is written out
	if err := sc.Validate(); err != nil {
		return err
	}
	out, err := scenarios.Marshal(sc)
	if err != nil {
		return err
	}
	header := fmt.Sprintf("# scenario %s with the reverse stress point of %s (%s, year %d) × %v as factor shocks (danbao reverse): |z| = %.4f σ\n",
		sc.Name, r.Target, r.Scope, r.Year, scale, float64(r.Sigma))
	return writeFileAtomic(ctx, path, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s%s", header, out)
		return err
	})
}

// printReverse prints the reverse point for people: σ, the factors that
// moved, the worst-hit segments.
func printReverse(w io.Writer, r *sim.ReverseResult) {
	fmt.Fprintf(w, "Reverse stress: %s (%s, year %d, %s, threshold %v), scenario %s\n",
		r.Target, r.Scope, r.Year, r.Definition, r.Threshold, r.Scenario)
	fmt.Fprintf(w, "%d idiosyncratic paths per point (seed %d), %d points, %.1f s\n", r.Paths, r.Seed, len(r.Evaluations), r.RunInfo.ElapsedSeconds)
	fmt.Fprintf(w, "  |z| = %s σ (Φ(−|z|) = %s); margin given the factors %s ± %s (0 at the origin: %s), P(fail | factors) %s\n",
		num(r.Sigma, 3), num(r.TailProbability, 5), num(r.Margin, 4), num(r.MarginStdErr, 4), num(r.OriginMargin, 4), num(r.PFail, 3))
	fmt.Fprintf(w, "\nFactor values at the reverse point (σ; |F| ≥ 0.05 shown, --json lists all):\n")
	t := newTextTable("  year", "因子 factor", "F", "z")
	for _, f := range r.Factors {
		if math.Abs(float64(f.Value)) < 0.05 {
			continue
		}
		t.add(fmt.Sprintf("  %d", f.Year), web.FactorName(f).String(), num(f.Value, 3), num(f.Z, 3))
	}
	t.print(w, 1)
	fmt.Fprintf(w, "\nWorst-hit segments of %s (claim-weighted PD, before and given the factors):\n", r.Scope)
	s := newTextTable("  year", "行业 industry", "县 county", "loans", "claim 万", "PD", "PD | F")
	for _, g := range r.Segments {
		s.add(fmt.Sprintf("  %d", g.Year), format.Lookup(format.Industries, g.Industry).String(),
			models.CountyName(g.County), fmt.Sprint(g.Loans), wan(g.Claim),
			format.Pct(float64(g.PD), 2), format.Pct(float64(g.ConditionalPD), 2))
	}
	s.print(w, 1)
}
