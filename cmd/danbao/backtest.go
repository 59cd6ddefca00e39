package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wenzhou/danbao/calibrate"
)

// backtestOptions are the flags of danbao backtest.
type backtestOptions struct {
	portfolio string
	scenario  string
	sets      []string
	outcomes  string
	json      bool
	svg       string // calibration plot file; "" for none
	draws     int
	seed      uint64
}

func init() {
	o := backtestOptions{}
	cmd := &cobra.Command{
		Use:   "backtest --outcomes FILE [--portfolio SNAP] [--scenario NAME|FILE] [--json] [--svg FILE]",
		Short: "Hold realised yearly defaults to the model's predictive distribution (PIT, traffic lights)",
		Long: `backtest reads realised yearly outcomes (CSV, TSV, XLSX or Parquet; columns
year, county or guarantor_id, loans, defaults, and optionally compensation
and released) and holds each to the predictive distribution that the
scenario (default baseline) gives the portfolio snapshot (default: the
embedded example) for a group of that many loans (docs/calibration.md):

  - per outcome, the probability integral transform PIT = P(X < d) + ½·P(X = d);
  - per group (county or guarantor), over its years, P(X ≤ defaults) and
    the traffic light of the Basel backtesting framework: green below 95 %,
    amber below 99.99 %, red otherwise;
  - the same for all outcomes together, whose light is the verdict (red
    also when any group is red).

--svg FILE writes the calibration plot (realised against expected default
rate per outcome, with the model's 90 % band).`,
		Example: `  danbao backtest --outcomes outcomes.csv
  danbao backtest --portfolio /data/wz --scenario calibrated.yaml --outcomes outcomes.xlsx --json --svg calibration.svg`,
		Args: cobra.NoArgs,
		RunE: runWith(func(ctx context.Context, stdout, stderr io.Writer) error { return runBacktest(ctx, o, stdout, stderr) }),
	}
	f := cmd.Flags()
	f.StringVar(&o.outcomes, "outcomes", "", "realised outcomes: .csv, .tsv, .xlsx or .parquet (required)")
	addInputFlags(f, &o.portfolio, &o.scenario, &o.sets)
	f.BoolVar(&o.json, "json", false, "print the result as JSON")
	f.StringVar(&o.svg, "svg", "", "write the calibration plot (SVG) to FILE")
	f.IntVar(&o.draws, "draws", 100_000, "Monte Carlo draws of the predictive distribution")
	f.Uint64Var(&o.seed, "seed", 1, "random seed")
	_ = cmd.MarkFlagRequired("outcomes")
	rootCmd.AddCommand(cmd)
}

// runBacktest is danbao backtest without cobra.
func runBacktest(ctx context.Context, o backtestOptions, stdout, stderr io.Writer) error {
	out, err := readWarned(stderr, calibrate.ReadOutcomesFile, o.outcomes)
	if err != nil {
		return err
	}
	pf, sc, err := loadInputs(o.portfolio, o.scenario, o.sets)
	if err != nil {
		return err
	}
	res, err := calibrate.Backtest(pf, &sc, out, calibrate.BacktestOptions{Draws: o.draws, Seed: o.seed})
	if err != nil {
		return err
	}
	if o.svg != "" {
		if err := writeFileAtomic(ctx, o.svg, res.WriteCalibrationSVG); err != nil {
			return fmt.Errorf("--svg: %w", err)
		}
		fmt.Fprintf(stderr, "Calibration plot: %s\n", o.svg)
	}
	if o.json {
		return printJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "Backtest of %s outcomes against scenario %q (r2 %.3g/%.3g/%.3g, %d draws)\n\n", res.By, sc.Name, res.R2[0], res.R2[1], res.R2[2], res.Draws)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "group\tyears\tloans\tdefaults\texpected\tP(X ≤ d)\tlight\t")
	for _, g := range append(res.Groups, res.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.4f\t%s\t\n", g.Group, g.Years, g.Loans, g.Defaults, g.Expected, g.Cum, g.Light)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\nVerdict: %s\n", res.Verdict)
	printWarnings(stdout, res.Warnings)
	return nil
}
