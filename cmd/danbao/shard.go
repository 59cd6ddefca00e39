package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/shard"
	"github.com/wenzhou/danbao/sim"
)

// shardIndexEnv is the environment variable that --shard env/K reads: the
// index Kubernetes gives each pod of an Indexed Job.
const shardIndexEnv = "JOB_COMPLETION_INDEX"

// shardHelp is the --shard text of run, sweep and topup.
const shardHelp = `--shard i/K --out DIR computes only paths [i·P/K, (i+1)·P/K) of the --paths P
and writes them to DIR/shard-i-of-K (per-path figures as Arrow files and a
manifest with the inputs' fingerprint, the seed, the paths and i/K) instead of
a document; danbao merge DIR then gives the document of the whole run, the
same byte for byte apart from run_info. --shard env/K takes i from
$JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). docs/shards.md.`

// addShardFlags registers --shard (and, when out is not nil, --out DIR).
func addShardFlags(cmd *cobra.Command, o *simOptions, out *string) {
	cmd.Flags().StringVar(&o.shard, "shard", "", "compute only shard i of K of the paths (i/K, or env/K: i from $"+shardIndexEnv+") and write it to --out DIR for danbao merge")
	if out != nil {
		cmd.Flags().StringVar(out, "out", "", "with --shard: the folder the shard is written to (DIR/shard-i-of-K)")
	}
}

// runShard computes shard o.shard of spec (its command's own fields set
// by the caller) on pf under sc with p and writes it to out.
func (o *simOptions) runShard(ctx context.Context, stdout, stderr io.Writer, pf *models.Portfolio, sc models.Scenario, p sim.Params, out string, spec shard.Spec) error {
	i, k, err := shard.ParseIndex(o.shard, shardIndexEnv, os.Getenv)
	if err != nil {
		return err
	}
	if out == "" {
		return fmt.Errorf("--shard %s needs --out DIR, the folder to write the shard to", o.shard)
	}
	if o.report != "" {
		return fmt.Errorf("--report with --shard: a shard makes no document; give --report to danbao merge's output instead (run the merge with --json)")
	}
	sc.Extends = "" // every field is written out
	text, err := scenarios.Marshal(sc)
	if err != nil {
		return fmt.Errorf("write the scenario for the shard: %w", err)
	}
	spec.Portfolio, spec.Scenario = o.portfolio, string(text)
	spec.Seed, spec.Paths, spec.Sampler, spec.Levels, spec.IS = p.Seed, p.Paths, p.Sampler.String(), p.Levels, p.ISLevel
	lo, hi := sim.ShardRange(i, k, p.Paths)
	total := hi - lo
	if spec.Command == shard.CommandSweep {
		total *= len(spec.Sweep.Values)
	}
	var m *shard.Manifest
	err = o.track(ctx, stderr, total, func(progress func(int)) (err error) {
		m, err = shard.Run(ctx, spec, pf, i, k, p.Workers, progress, out)
		return err
	})
	if err != nil {
		return err
	}
	if o.json {
		return printJSON(stdout, m)
	}
	fmt.Fprintf(stdout, "Shard %d of %d of a %s: paths %d..%d of %d (seed %d) in %s, %.2f s\n",
		i, k, spec.Command, lo, hi-1, p.Paths, p.Seed, filepath.Join(out, shard.Dir(i, k)), m.RunInfo.ElapsedSeconds)
	fmt.Fprintf(stdout, "When all %d shards are written: danbao merge %s\n", k, out)
	return nil
}

// mergeOptions are the flags of danbao merge.
type mergeOptions struct {
	json      bool
	workers   int
	portfolio string
	portSet   bool
	out       string // write the output to this file instead of stdout
}

func init() {
	o := mergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge DIR... [--json] [--portfolio DIR]",
		Short: "Merge the shards of a run, sweep or top-up into its document",
		Long: `merge reads the shards written by danbao run|sweep|topup --shard i/K --out DIR
(each DIR a shard's folder, or a folder holding shard-i-of-K folders) and
prints the document of the whole run: the same, byte for byte apart from
run_info, as one process running all the paths with the same seed gives.
The shards must be the K shards of one run, each once: a missing,
duplicated or mismatched shard (other inputs, seed or paths) is an error
naming it.

The portfolio is read from the folder the shards were given (--portfolio
DIR reads it from elsewhere); it must be the same portfolio (its
fingerprint is in every manifest). run_info lists each shard's paths,
workers and time; its own workers and time are the merge's.

--json prints the document (schema "` + sim.Schema + `", "` + sim.SweepSchema + `" or "` + sim.TopupSchema + `").
docs/shards.md.`,
		Example: `  danbao run --paths 100000 --shard 0/4 --out /data/run1   # … and 1/4, 2/4, 3/4, anywhere
  danbao merge /data/run1 --json > result.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.portSet = cmd.Flags().Changed("portfolio")
			return runMerge(cmd.Context(), o, args, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "print the document as JSON")
	f.IntVar(&o.workers, "workers", 2, "parallel workers of the merge (speed only; results do not depend on it)")
	f.StringVar(&o.portfolio, "portfolio", "", "read the portfolio from this snapshot folder instead of the one the shards name")
	f.StringVar(&o.out, "out", "", "write the output to FILE (complete or not at all) instead of stdout")
	rootCmd.AddCommand(cmd)
}

// runMerge is danbao merge without cobra.
func runMerge(ctx context.Context, o mergeOptions, dirs []string, stdout io.Writer) error {
	if o.out != "" {
		out := o.out
		o.out = ""
		err := writeFileAtomic(ctx, out, func(w io.Writer) error { return runMerge(ctx, o, dirs, w) })
		if err == nil {
			fmt.Fprintf(stdout, "Merged document: %s\n", out)
		}
		return err
	}
	if o.workers <= 0 {
		return fmt.Errorf("--workers %d: must be at least 1", o.workers)
	}
	start := time.Now()
	var port *string
	if o.portSet {
		port = &o.portfolio
	}
	m, err := shard.Merge(ctx, dirs, loadPortfolio, port, o.workers)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted(err)
		}
		return err
	}
	info := sim.RunInfo{Workers: o.workers, ElapsedSeconds: time.Since(start).Seconds(), Shards: m.Shards()}
	var doc any
	switch {
	case m.Sweep != nil:
		m.Sweep.SetRunInfo(info)
		doc = m.Sweep
	case m.Topup != nil:
		m.Topup.SetRunInfo(info)
		doc = m.Topup
	default:
		m.Doc.SetRunInfo(info)
		doc = m.Doc
	}
	if o.json {
		return printJSON(stdout, doc)
	}
	source := orDefault(m.Spec.Portfolio, "embedded example")
	fmt.Fprintf(stdout, "Merged %d shards of a %s (%d paths, seed %d)\n\n", len(info.Shards), m.Spec.Command, m.Spec.Paths, m.Spec.Seed)
	switch {
	case m.Sweep != nil:
		printSweep(stdout, source, m.Sweep)
	case m.Topup != nil:
		printTopup(stdout, source, m.Topup)
		printJointTopup(stdout, m.Topup)
	default:
		printRun(stdout, source, m.Doc)
		printCompensation(stdout, m.Doc, m.Portfolio.Guarantors)
		printTargetMatrix(stdout, m.Doc)
		printOutlays(stdout, m.Doc)
	}
	return nil
}
