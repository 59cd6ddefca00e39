package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wenzhou/danbao/calibrate"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// calibrateOptions are the flags of danbao calibrate.
type calibrateOptions struct {
	history   string
	by        string
	json      bool
	out       string // scenario YAML to write; "" for none
	portfolio string // for --out: the portfolio the PD and recovery scales refer to
	scenario  string // for --out: the scenario the estimates go into
	bootstrap int
	// scoreDraws is the histories behind the loadings' sandwich variance
	scoreDraws int
	seed       uint64
	workers    int
}

func init() {
	o := calibrateOptions{}
	cmd := &cobra.Command{
		Use:   "calibrate --history FILE [--by county,industry] [--json] [--out scenario.yaml]",
		Short: "Estimate PDs, factor loadings, persistence and recoveries from a default history",
		Long: `calibrate reads a default history (CSV, TSV, XLSX or Parquet; columns year,
county, industry, loans, defaults, and optionally segment, balance,
defaulted_balance, compensation, released, recovered, recovered_lag1 …
recovered_lag5) and estimates (docs/calibration.md):

  - the PD of each group (--by, default county,industry), shrunk toward the
    pool by empirical Bayes (beta-binomial), and the pooled PD;
  - the factor loadings r2.macro, r2.industry, r2.county of the
    multi-factor Vasicek model, by maximum pairwise composite likelihood,
    with 95 % Wald intervals from the Godambe sandwich variance, its slope
    part from --score-draws histories simulated at the estimates;
  - the AR(1) persistence of the factors (with at least 8 years; bias
    correction and interval from --bootstrap histories);
  - the recovery rate and lag profile (from the recovery columns).

A loading the data cannot identify (too few years, groups that never
differ in county or industry) is not estimated and a warning says why.

--out FILE writes a scenario (YAML) with the estimates in its model
section, a pd_multiplier that brings the portfolio's (--portfolio, default
the embedded example) mean PD to the history's, and the intervals and data
in its rationale; danbao run --scenario FILE accepts it.

A history with any bad row is refused with every problem listed (file,
row, column, value) and nothing is written.`,
		Example: `  danbao calibrate --history testdata/history/wenzhou.csv
  danbao calibrate --history hist.xlsx --json > calibration.json
  danbao calibrate --history hist.csv --out calibrated.yaml && danbao run --scenario calibrated.yaml`,
		Args: cobra.NoArgs,
		RunE: runWith(func(ctx context.Context, stdout, stderr io.Writer) error { return runCalibrate(ctx, o, stdout, stderr) }),
	}
	f := cmd.Flags()
	f.StringVar(&o.history, "history", "", "default history: .csv, .tsv, .xlsx or .parquet (required)")
	f.StringVar(&o.by, "by", "county,industry", "fields of a PD group: any of county, industry, segment, comma-separated")
	f.BoolVar(&o.json, "json", false, "print the calibration as JSON")
	f.StringVar(&o.out, "out", "", "write a calibrated scenario YAML to FILE")
	f.StringVar(&o.portfolio, "portfolio", "", "with --out: the portfolio whose PDs and recoveries are scaled (default: the embedded example)")
	f.StringVar(&o.scenario, "scenario", "baseline", "with --out: the scenario the estimates are written into")
	f.IntVar(&o.bootstrap, "bootstrap", 199, "parametric-bootstrap replicates of the persistence")
	f.IntVar(&o.scoreDraws, "score-draws", 99, fmt.Sprintf("histories simulated for the loadings' interval (%d..%d; each about 60 ms of CPU on 15 years × 120 groups)", calibrate.MinScoreDraws, calibrate.MaxScoreDraws))
	f.Uint64Var(&o.seed, "seed", 1, "random seed of the bootstrap")
	f.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "parallel workers (speed only; results do not depend on it)")
	_ = cmd.MarkFlagRequired("history")
	rootCmd.AddCommand(cmd)
}

// runCalibrate is danbao calibrate without cobra.
func runCalibrate(ctx context.Context, o calibrateOptions, stdout, stderr io.Writer) error {
	if o.scoreDraws == 0 {
		o.scoreDraws = 99
	}
	if o.scoreDraws < calibrate.MinScoreDraws || o.scoreDraws > calibrate.MaxScoreDraws {
		return fmt.Errorf("--score-draws %d is not in %d..%d", o.scoreDraws, calibrate.MinScoreDraws, calibrate.MaxScoreDraws)
	}
	h, err := readWarned(stderr, calibrate.ReadHistoryFile, o.history)
	if err != nil {
		return err
	}
	var by []string
	for _, s := range strings.Split(o.by, ",") {
		if s = strings.TrimSpace(s); s != "" {
			by = append(by, s)
		}
	}
	res, err := calibrate.Calibrate(h, calibrate.Options{By: by, Bootstrap: o.bootstrap, ScoreDraws: o.scoreDraws, Seed: o.seed, Workers: o.workers})
	if err != nil {
		return err
	}
	if o.out != "" {
		pf, base, err := loadInputs(o.portfolio, o.scenario, nil)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(o.out), filepath.Ext(o.out))
		sc, err := res.Scenario(base, pf, name, filepath.Base(o.history))
		if err != nil {
			return err
		}
		if err := matchDefaultRate(ctx, pf, &sc, res.DefaultRate); err != nil {
			return err
		}
		b, err := scenarios.Marshal(sc)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(ctx, o.out, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		fmt.Fprintf(stderr, "Scenario: %s\n", o.out)
	}
	if o.json {
		return printJSON(stdout, res)
	}
	printCalibration(stdout, res)
	return nil
}

// pilotPaths is the number of paths of the pilot run behind the PD
// multiplier: with independent defaults its mean default count has a
// relative standard error of about 1/√(paths·E[defaults]) (0.1 % for the
// example).
const pilotPaths = 2000

// matchDefaultRate refines the pd_multiplier shock that Result.Scenario
// appended (the last shock) so that danbao run's expected number of
// defaults in year 1, divided by the portfolio's loans, is the history's
// mean default rate: the expected count is linear in the multiplier (as
// long as no PD reaches the cap), and a pilot run without factor loadings
// measures it, including what maturities and new business do to a loan's
// time at risk.
func matchDefaultRate(ctx context.Context, pf *models.Portfolio, sc *models.Scenario, rate float64) error {
	k := len(sc.Shocks) - 1
	if k < 0 || sc.Shocks[k].PDMultiplier == 0 || len(pf.Loans) == 0 {
		return nil
	}
	pilot := *sc
	pilot.Model.R2 = models.R2{}
	pilot.Model.R2BySegment = nil
	pilot.HorizonYears = 1
	pilot.Shocks = slices.Clone(sc.Shocks)
	for i := range pilot.Shocks {
		if pilot.Shocks[i].R2Multiplier != 0 || len(pilot.Shocks[i].Years) > 0 {
			pilot.Shocks[i].Years = slices.DeleteFunc(slices.Clone(pilot.Shocks[i].Years), func(y int) bool { return y != 1 })
		}
	}
	doc, _, err := sim.SimulateLosses(ctx, pf, &pilot, sim.Params{Seed: 1, Paths: pilotPaths, Sampler: sim.Fast, Workers: runtime.GOMAXPROCS(0)})
	if err != nil {
		return fmt.Errorf("calibrate: pilot run for the PD multiplier: %w", err)
	}
	got := float64(doc.Years[0].Defaults.Mean) / float64(len(pf.Loans))
	if !(got > 0) {
		return nil
	}
	m := sc.Shocks[k].PDMultiplier * rate / got
	sc.Rationale += fmt.Sprintf("\nA pilot run (%d paths, no factor loadings) gave %.4f defaults per loan in year 1 at pd_multiplier %.4f; shocks[%d].pd_multiplier is set to %.4f so that the expected default rate is the history's %.4f.",
		pilotPaths, got, sc.Shocks[k].PDMultiplier, k, math.Round(m*1e4)/1e4, rate)
	sc.Shocks[k].PDMultiplier = math.Round(m*1e4) / 1e4
	return sc.Validate()
}

// printCalibration writes res for people.
func printCalibration(w io.Writer, r *calibrate.Result) {
	fmt.Fprintf(w, "History: %d years (%d–%d), %d counties × %d industries, %d loan-years, %d defaults\n",
		r.NYears, r.Years[0], r.Years[1], r.NCounties, r.NIndustries, r.Loans, r.Defaults)
	fmt.Fprintf(w, "Mean default rate (Σ defaults ÷ Σ loans): %.4f (SE %.4f, from the spread of the yearly rates)\n\n", r.DefaultRate, r.DefaultRateSE)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "parameter\testimate\t95 % low\t95 % high\t")
	row := func(name string, e calibrate.Estimate) {
		if e.Estimate == nil {
			fmt.Fprintf(tw, "%s\tnot identified\t\t\t\n", name)
			return
		}
		if e.CI95 == nil {
			fmt.Fprintf(tw, "%s\t%.4f\t\t\t\n", name, *e.Estimate)
			return
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t\n", name, *e.Estimate, e.CI95[0], e.CI95[1])
	}
	row("pd (pooled)", r.PD.Pooled)
	row("r2.macro", r.R2.Macro)
	row("r2.industry", r.R2.Industry)
	row("r2.county", r.R2.County)
	row("persistence", r.Persistence)
	tw.Flush()
	if r.Recovery.Rate != nil {
		fmt.Fprintf(w, "\nRecovery: %.4f of compensation (%s of %s yuan)", *r.Recovery.Rate, r.Recovery.Recovered, r.Recovery.Compensation)
		if len(r.Recovery.Lag) > 0 {
			fmt.Fprintf(w, ", lag profile %v", fmtFloats(r.Recovery.Lag))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nPD by %s (shrunk toward the pool; prior mean %.4f, strength %.0f loans):\n", strings.Join(r.PD.ByFields, " × "), r.PD.PriorMean, r.PD.PriorStrength)
	keys := make([]string, 0, len(r.PD.By))
	for k := range r.PD.By {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "group\tloans\tdefaults\traw\tpd\t95 % low\t95 % high\t")
	for _, k := range keys {
		g := r.PD.By[k]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t\n", k, g.Loans, g.Defaults, g.Raw, g.Estimate, g.CI95[0], g.CI95[1])
	}
	tw.Flush()
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, s := range r.Warnings {
			fmt.Fprintln(w, "  -", s)
		}
	}
	fmt.Fprintf(w, "\nMethod: %s.\n", r.R2.Method)
}

func fmtFloats(x []float64) string {
	s := make([]string, len(x))
	for i, v := range x {
		s[i] = fmt.Sprintf("%.3f", v)
	}
	return "[" + strings.Join(s, " ") + "]"
}
