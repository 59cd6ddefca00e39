package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// simOptions are the flags that danbao sweep and topup share with danbao
// run (same names, meanings and defaults but --paths).
type simOptions struct {
	portfolio string   // snapshot folder; "" is the embedded example
	scenario  string   // built-in name or YAML file
	sets      []string // path=value overrides, in order
	horizon   int      // 0: the scenario's horizon_years
	paths     int
	seed      uint64
	workers   int
	sampler   string // fast or dense
	json      bool
	report    string  // report file of the result: .xlsx a workbook, else self-contained HTML; "" for none
	levels    string  // --levels: VaR and ES levels beyond the default three
	is        float64 // --is: importance sampling toward this level; 0 is off
	progress  bool    // draw a progress bar on stderr
	shard     string  // --shard i/K or env/K: compute one shard (cmd/danbao/shard.go)
}

// simCommand makes cmd a command of the simulation family (run, sweep,
// topup, solve, reverse): no arguments, the shared flags (addSimFlags,
// with paths as the default of --paths), and a RunE that finishes o from
// the flags (fromFlags) and then calls run. It returns cmd's flags, for
// the command's own.
func simCommand(cmd *cobra.Command, o *simOptions, paths int, run func(ctx context.Context, stdout, stderr io.Writer) error) *pflag.FlagSet {
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := o.fromFlags(cmd); err != nil {
			return err
		}
		return run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
	}
	addSimFlags(cmd, o, paths)
	return cmd.Flags()
}

// runWith is the RunE of a command that takes no flag processing beyond
// cobra's: run with the command's context, standard output and error.
func runWith(run func(ctx context.Context, stdout, stderr io.Writer) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		return run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
	}
}

// addInputFlags registers the flags that name a run's inputs: --portfolio
// (a snapshot folder; "" is the embedded example), --scenario (a built-in
// name or a YAML file; default baseline) and --set (path=value overrides,
// in order).
func addInputFlags(f *pflag.FlagSet, portfolio, scenario *string, sets *[]string) {
	f.StringVar(portfolio, "portfolio", "", "snapshot folder (default: the embedded example)")
	f.StringVar(scenario, "scenario", "baseline", "built-in scenario name or scenario YAML file")
	f.StringArrayVar(sets, "set", nil, "override a scenario field, path=value (repeatable), e.g. model.r2.industry=0.15")
}

// printJSON writes v to w as indented JSON (--json).
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readWarned reads the file at path with read (a table reader of package
// calibrate), printing the reader's warnings on w even when it fails.
func readWarned[T any](w io.Writer, read func(path string) (T, []string, error), path string) (T, error) {
	v, warnings, err := read(path)
	printWarnings(w, warnings)
	return v, err
}

// printWarnings prints each warning of a reader on w, one a line.
func printWarnings(w io.Writer, warnings []string) {
	for _, s := range warnings {
		fmt.Fprintln(w, "warning:", s)
	}
}

// addSimFlags registers the shared flags on cmd, with paths as the default
// of --paths.
func addSimFlags(cmd *cobra.Command, o *simOptions, paths int) {
	f := cmd.Flags()
	addInputFlags(f, &o.portfolio, &o.scenario, &o.sets)
	f.IntVar(&o.paths, "paths", paths, "number of Monte Carlo paths")
	f.Uint64Var(&o.seed, "seed", 1, "random seed; equal seeds give identical results")
	f.IntVar(&o.horizon, "horizon", 0, "horizon in years, 1.."+strconv.Itoa(models.MaxHorizonYears)+" (default: the scenario's horizon_years)")
	f.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "parallel workers (speed only; results do not depend on it)")
	f.StringVar(&o.sampler, "sampler", "fast", "default sampler: fast (cells and PD bands) or dense (every loan, every path-year)")
	f.BoolVar(&o.json, "json", false, "print the result as JSON")
	f.StringVar(&o.levels, "levels", defaultLevels, "VaR and ES levels, comma-separated, up to "+sim.LevelString(sim.MaxLevel)+" (0.95, 0.99 and 0.999 are always reported)")
	f.Float64Var(&o.is, "is", 0, "importance sampling toward level α (e.g. 0.999): factor mean shift with likelihood-ratio weights through every figure; --out gains a weight column (docs/tails.md)")
	f.StringVar(&o.report, "report", "", "also write the result to FILE: .xlsx a workbook (one sheet per table), else one self-contained HTML file (charts inline, opens offline)")
}

// track runs job, with a progress bar over total paths on a terminal
// (handed to job as its progress callback, nil without a bar), and turns a
// cancellation into exit status 130.
func (o *simOptions) track(ctx context.Context, stderr io.Writer, total int, job func(progress func(int)) error) error {
	var bar *progressBar
	var progress func(int)
	if o.progress {
		bar = newProgressBar(stderr, total)
		progress = bar.set
	}
	err := job(progress)
	bar.finish(err == nil)
	if err != nil && ctx.Err() != nil {
		return interrupted(err)
	}
	return err
}

// deliver writes the --report file through render (HTML) or book (a
// workbook), then prints v as JSON with --json, or for people through print.
func (o *simOptions) deliver(ctx context.Context, stdout, stderr io.Writer, v any, render, book func(io.Writer) error, print func()) error {
	if err := o.writeReport(ctx, render, book); err != nil {
		return err
	}
	if o.report != "" {
		fmt.Fprintf(stderr, "Report: %s\n", o.report)
	}
	if o.json {
		return printJSON(stdout, v)
	}
	print()
	return nil
}

// writeReport writes o.report, when asked for, atomically: through book
// when its name ends in .xlsx, else through render.
func (o *simOptions) writeReport(ctx context.Context, render, book func(io.Writer) error) error {
	if o.report == "" {
		return nil
	}
	if strings.EqualFold(filepath.Ext(o.report), ".xlsx") {
		render = book
	}
	if err := writeFileAtomic(ctx, o.report, render); err != nil {
		if ctx.Err() != nil {
			return interrupted(err)
		}
		return fmt.Errorf("--report: %w", err)
	}
	return nil
}

// fromFlags finishes o once cobra has parsed the flags: --horizon counts
// only when given, and the progress bar is drawn only on a terminal.
func (o *simOptions) fromFlags(cmd *cobra.Command) error {
	if !cmd.Flags().Changed("horizon") {
		o.horizon = 0
	} else if o.horizon <= 0 {
		return fmt.Errorf("--horizon %d: must be at least 1", o.horizon)
	}
	o.progress = !o.json && terminal(cmd.OutOrStdout()) && terminal(cmd.ErrOrStderr())
	return nil
}

// terminal reports whether w is a terminal.
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// params checks --paths and --workers and returns the run parameters.
func (o *simOptions) params() (sim.Params, error) {
	if o.paths <= 0 || o.paths > sim.MaxPaths {
		return sim.Params{}, fmt.Errorf("--paths %d: must be in 1..%d", o.paths, sim.MaxPaths)
	}
	if o.workers <= 0 {
		return sim.Params{}, fmt.Errorf("--workers %d: must be at least 1", o.workers)
	}
	var sampler sim.Sampler
	if sampler.UnmarshalText([]byte(cmp.Or(o.sampler, "fast"))) != nil {
		return sim.Params{}, fmt.Errorf("--sampler %q: must be fast or dense", o.sampler)
	}
	levels, err := parseLevels(o.levels)
	if err != nil {
		return sim.Params{}, err
	}
	if o.is != 0 && !(o.is >= 0.5 && o.is <= sim.MaxLevel) {
		return sim.Params{}, fmt.Errorf("--is %v: must be a level in [0.5, %v] (0: off)", o.is, sim.MaxLevel)
	}
	return sim.Params{Seed: o.seed, Paths: o.paths, Sampler: sampler, Workers: o.workers, Levels: levels, ISLevel: o.is}, nil
}

// htmlReportOnly refuses a --report workbook (FILE.xlsx) for command,
// which writes an HTML report only.
func (o *simOptions) htmlReportOnly(command string) error {
	if strings.EqualFold(filepath.Ext(o.report), ".xlsx") {
		return fmt.Errorf("--report %s: %s writes an HTML report (FILE.html), not a workbook; use --json for the figures", o.report, command)
	}
	return nil
}

// setup checks the run parameters (params) and reads the inputs (load).
func (o *simOptions) setup(ctx context.Context) (sim.Params, *models.Portfolio, models.Scenario, error) {
	p, err := o.params()
	if err != nil {
		return sim.Params{}, nil, models.Scenario{}, err
	}
	pf, sc, err := o.load(ctx)
	return p, pf, sc, err
}

// load reads the portfolio and the scenario with --set and --horizon applied.
func (o *simOptions) load(ctx context.Context) (*models.Portfolio, models.Scenario, error) {
	sets := o.sets
	if o.horizon != 0 {
		sets = append(sets[:len(sets):len(sets)], "horizon_years="+strconv.Itoa(o.horizon))
	}
	pf, sc, err := loadInputs(o.portfolio, o.scenario, sets)
	if err != nil {
		return nil, models.Scenario{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, models.Scenario{}, interrupted(err)
	}
	return pf, sc, nil
}

// loadInputs reads the portfolio of snapshot folder portfolio ("": the
// embedded example) and the scenario (a built-in name or a YAML file) with
// the overrides sets applied in order.
func loadInputs(portfolio, scenario string, sets []string) (*models.Portfolio, models.Scenario, error) {
	pf, err := loadPortfolio(portfolio)
	if err != nil {
		return nil, models.Scenario{}, err
	}
	sc, err := scenarios.Load(scenario)
	if err != nil {
		return nil, models.Scenario{}, err
	}
	if err := scenarios.SetAll(&sc, sets); err != nil {
		return nil, models.Scenario{}, err
	}
	return pf, sc, nil
}

// source names the portfolio for people.
func (o *simOptions) source() string { return orDefault(o.portfolio, "embedded example") }

// parseFloats reads a comma-separated list of numbers, e.g. 0,0.1,0.2.
func parseFloats(flag, list string) ([]float64, error) {
	var out []float64
	for i, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: value %d %q is not a finite number", flag, i+1, s)
		}
		out = append(out, v)
	}
	return out, nil
}
