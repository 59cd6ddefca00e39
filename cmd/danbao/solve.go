package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wenzhou/danbao/api/web"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// solveOptions are the flags of danbao solve.
type solveOptions struct {
	simOptions
	param, target, scope, rng string
	year                      int
	p, tol                    float64
}

func init() {
	o := solveOptions{}
	cmd := &cobra.Command{
		Use:   "solve --param PATH --target ID --scope S [--year Y] --p P [--range lo,hi] [--json]",
		Short: "The value of a scenario parameter at which a target holds with probability p (bisection on common random numbers)",
		Long: `solve answers "what value of this parameter makes the target hold with
probability p?": the least value of --param (or the greatest, when P(hold)
falls as the parameter rises) at which the target --target in scope --scope
(a guarantor id, city, policy or all) in year --year holds with probability
≥ --p.

Every run uses the same --seed and --paths (common random numbers), so
P(hold) moves only with the parameter. solve first runs 5 evenly spaced
values over --range (ends included): P(hold) must be monotone over them up
to 2 standard errors, and p must lie between its values at the two ends;
it then bisects until the bracket is --tol × the range wide. It prints the
value and P(hold) ± SE on both sides of it; --json prints the solve
document (schema "` + sim.SolveSchema + `"), the answer in the field "value".
docs/decisions.md has the method.

--param is any numeric path of "danbao scenarios paths"; --range defaults
to [0.5·v, 1.5·v] around the scenario's value v (±1 when v is 0).`,
		Example: `  danbao solve --param growth.rate --target leverage_min --scope city --year 1 --p 0.5 --range 0,1
  danbao solve --param policy.county_fund.budget.330382 --target compensation_rate_max --scope G-330382 --p 0.95 --json`,
	}
	f := simCommand(cmd, &o.simOptions, 2000, func(ctx context.Context, stdout, stderr io.Writer) error { return runSolve(ctx, o, stdout, stderr) })
	f.StringVar(&o.param, "param", "", "numeric scenario path to solve for (see danbao scenarios paths)")
	f.StringVar(&o.target, "target", "", "target id (leverage_min, capital_min, …)")
	f.StringVar(&o.scope, "scope", sim.CityScope, "scope of the target: a guarantor id, city, policy or all")
	f.IntVar(&o.year, "year", 1, "year of the target (1-based)")
	f.Float64Var(&o.p, "p", 0, "probability the target must hold with, in (0, 1)")
	f.StringVar(&o.rng, "range", "", "lo,hi: the values searched (default ±50 % around the scenario's value)")
	f.Float64Var(&o.tol, "tol", 1e-3, "final bracket width relative to the range")
	rootCmd.AddCommand(cmd)
}

// runSolve is danbao solve without cobra.
func runSolve(ctx context.Context, o solveOptions, stdout, stderr io.Writer) error {
	if err := o.htmlReportOnly("solve"); err != nil {
		return err
	}
	switch {
	case o.param == "":
		return fmt.Errorf("--param is required (danbao scenarios paths lists the numeric paths)")
	case o.target == "":
		return fmt.Errorf("--target is required (e.g. %s, %s, %s)", models.TargetLeverageMin, models.TargetCapitalMin, models.TargetCompRateMax)
	case !(o.p > 0 && o.p < 1):
		return fmt.Errorf("--p %v: must be in (0, 1)", o.p)
	case !(o.tol > 0 && o.tol < 1):
		return fmt.Errorf("--tol %v: must be in (0, 1)", o.tol)
	}
	p, pf, sc, err := o.setup(ctx)
	if err != nil {
		return err
	}
	v, err := scenarios.Get(&sc, o.param)
	if err != nil {
		return fmt.Errorf("--param: %w", err)
	}
	opt := sim.SolveOptions{Param: o.param, Target: o.target, Scope: o.scope, Year: o.year, P: o.p, Tol: o.tol,
		Set: scenarios.SetValid}
	kind, _, lo, hi, ok := sim.SolveStart(v)
	if !ok {
		return fmt.Errorf("--param %s: not a number (it holds %v); numeric paths: %s", o.param, v,
			strings.Join(scenarios.NumericPaths(&sc), ", "))
	}
	opt.Kind = kind
	if o.rng == "" {
		opt.Lo, opt.Hi = lo, hi
	} else {
		r, err := parseFloats("--range", o.rng)
		if err != nil {
			return err
		}
		if len(r) != 2 || !(r[0] < r[1]) {
			return fmt.Errorf("--range %s: want lo,hi with lo < hi", o.rng)
		}
		opt.Lo, opt.Hi = r[0], r[1]
	}
	start := time.Now()
	res, err := sim.Solve(ctx, pf, &sc, opt, p)
	if err != nil {
		return err
	}
	res.SetRunInfo(sim.RunInfo{Workers: p.Workers, ElapsedSeconds: time.Since(start).Seconds()})
	return o.deliver(ctx, stdout, stderr, res, func(w io.Writer) error { return web.RenderSolve(w, res) }, nil,
		func() { printSolve(stdout, res) })
}

// printSolve prints the answer with P(hold) on both sides.
func printSolve(w io.Writer, r *sim.SolveResult) {
	word := "least"
	if r.Direction == "decreasing" {
		word = "greatest"
	}
	fmt.Fprintf(w, "%s: the %s value in [%v, %v] at which %s (%s, year %d) holds with P ≥ %v\n",
		r.Param, word, r.Range[0], r.Range[1], r.Target, r.Scope, r.Year, r.P)
	fmt.Fprintf(w, "%d paths (seed %d), common random numbers, %d runs, %.1f s\n", r.Paths, r.Seed, len(r.Evaluations), r.ElapsedSeconds)
	fmt.Fprintf(w, "  value    %v\n", r.Value)
	fmt.Fprintf(w, "  holding  %s = %v: P(hold) = %s ± %s\n", r.Param, r.Holding.Value, num(r.Holding.PHold, 4), num(r.Holding.SE, 4))
	fmt.Fprintf(w, "  failing  %s = %v: P(hold) = %s ± %s\n", r.Param, r.Failing.Value, num(r.Failing.PHold, 4), num(r.Failing.SE, 4))
}
