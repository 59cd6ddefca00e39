package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/wenzhou/danbao/api"
	"github.com/wenzhou/danbao/api/web"
	"github.com/wenzhou/danbao/internal/format"
	"github.com/wenzhou/danbao/internal/tempfile"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/shard"
	"github.com/wenzhou/danbao/sim"
)

// runOptions are the flags of danbao run: the ones it shares with sweep
// and topup, and its own outputs.
type runOptions struct {
	simOptions
	out string // per-path results file; "" for none
	// lossesOnly skips the policy ledger: the credit-loss distribution only.
	lossesOnly bool
	// analytic adds the closed-form approximations of the year-1 loss.
	analytic bool
}

func init() {
	o := runOptions{}
	cmd := &cobra.Command{
		Use:   "run [--portfolio DIR] [--scenario NAME|FILE] [--set path=value]... [--paths N] [--json] [--out FILE]",
		Short: "Simulate a portfolio under a scenario: loss and default distributions",
		Long: `run simulates correlated defaults of a portfolio snapshot (default: the
embedded example) under a scenario (default: baseline), path by path and
year by year, and reports the distribution of the loss and of the number of
defaults over the horizon and in each year: mean, standard deviation, VaR
and expected shortfall at 95, 99 and 99.9 % (and at the --levels asked
for, up to 99.99 %), each with its Monte Carlo standard error (the mean's
sd/√paths; VaR's from the order statistics, ES's from its influence
function: docs/tails.md).

The total loss is the ultimate credit loss Σ EAD × lgd of the loans
defaulting, in yuan; the policy's loss sharing splits it between the bank,
the guarantor, the provincial re-guarantor, the national fund and the
county fund, and the projected balance sheets give each target's
probability of holding. Results depend only on the inputs, --seed, --paths
and --sampler: --workers changes the speed, never the numbers.

--json prints the result document (schema "` + sim.Schema + `"): money as
decimal strings of yuan, counts as numbers, an estimate that cannot be made
(a standard error from fewer than 20 paths) as null.

--out FILE writes every path's figures (columns path, loss_total,
defaults_total, loss_y1…, defaults_y1…; money as decimal128(18,2) yuan) as
an Arrow IPC file, or as an Arrow IPC stream when FILE ends in .arrows, or
as CSV when it ends in .csv. The file appears complete or not at all.

` + shardHelp + `

--analytic adds the closed-form approximations of the year-1 loss (the
Vasicek limit, granularity adjustments and CreditRisk+ of danbao analytic;
docs/analytic.md) beside the simulated year 1, and as "analytic" in --json.

--report FILE.xlsx writes the result as a workbook (losses by party, by
year, targets, outlays, contributions; one sheet each); --report FILE.html
writes it as one self-contained HTML file
(charts as inline SVG, no script, nothing fetched) that opens offline and
can be mailed, written the same way.

A progress bar is drawn on stderr when stdout and stderr are terminals and
--json is not given. Ctrl-C stops the run between blocks of paths; nothing
is written and the exit status is 130.`,
		Example: `  danbao run
  danbao run --scenario export-slump --horizon 3 --paths 100000 --json > result.json
  danbao run --portfolio /data/wz --set model.r2.industry=0.15 --set policy.bank_share=0.3 --out paths.arrow`,
	}
	f := simCommand(cmd, &o.simOptions, 10000, func(ctx context.Context, stdout, stderr io.Writer) error {
		return runSimulation(ctx, o, stdout, stderr)
	})
	f.BoolVar(&o.lossesOnly, "losses-only", false, "the credit-loss distribution only: skip the loss sharing, balance sheets and targets (faster)")
	f.BoolVar(&o.analytic, "analytic", false, "also compute the closed forms of the year-1 loss (danbao analytic) and show them beside the simulation")
	f.StringVar(&o.out, "out", "", "write per-path results to FILE (Arrow IPC file; .arrows: IPC stream; .csv: CSV); with --shard, the shard's folder")
	addShardFlags(cmd, &o.simOptions, nil)
	rootCmd.AddCommand(cmd)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// runSimulation is danbao run without cobra: load, simulate, write --out,
// print. On cancellation it writes nothing and returns an *exitError with
// status 130.
func runSimulation(ctx context.Context, o runOptions, stdout, stderr io.Writer) error {
	p, err := o.params()
	if err != nil {
		return err
	}
	format := api.PathsArrowFile
	switch strings.ToLower(filepath.Ext(o.out)) {
	case ".csv":
		format = api.PathsCSV
	case ".arrows":
		format = api.PathsArrowStream
	}

	pf, sc, err := o.load(ctx)
	if err != nil {
		return err
	}
	if o.shard != "" {
		if o.analytic {
			return fmt.Errorf("--analytic with --shard: the closed forms are not sharded; run danbao analytic beside the merge")
		}
		return o.runShard(ctx, stdout, stderr, pf, sc, p, o.out, shard.Spec{Command: shard.CommandRun, LossesOnly: o.lossesOnly})
	}

	start := time.Now()
	simulate := sim.Simulate
	if o.lossesOnly {
		simulate = sim.SimulateLosses
	}
	var doc *sim.Document
	var res *sim.Result
	err = o.track(ctx, stderr, o.paths, func(progress func(int)) (err error) {
		p.Progress, p.Spill = progress, tempfile.Spill
		doc, res, err = simulate(ctx, pf, &sc, p)
		return err
	})
	if err != nil {
		return err
	}
	doc.SetRunInfo(sim.RunInfo{Workers: doc.Workers, ElapsedSeconds: time.Since(start).Seconds()})
	var closed *analyticDoc
	if o.analytic {
		if closed, err = closedForms(pf, &sc, doc.Levels); err != nil {
			return fmt.Errorf("--analytic: %w", err)
		}
		if doc.Analytic, err = json.Marshal(closed); err != nil {
			return err
		}
	}

	if o.out != "" {
		err := writeFileAtomic(ctx, o.out, func(w io.Writer) error { return api.WritePathsArrow(w, res, format) })
		if err != nil {
			if ctx.Err() != nil {
				return interrupted(err)
			}
			return fmt.Errorf("--out: %w", err)
		}
	}
	render := func(w io.Writer) error {
		pos := models.Describe(pf, sc.Policy, sc.Targets)
		return web.RenderReport(w, doc, res, web.ReportOptions{Position: &pos, Portfolio: o.portfolio})
	}
	book := func(w io.Writer) error {
		pos := models.Describe(pf, sc.Policy, sc.Targets)
		return web.RunWorkbook(w, doc, &pos)
	}
	if err := o.writeReport(ctx, render, book); err != nil {
		return err
	}
	if o.json {
		return printJSON(stdout, doc)
	}
	source := o.portfolio
	if source == "" {
		source = "embedded example"
	}
	printRun(stdout, source, doc)
	if closed != nil {
		printBeside(stdout, doc, closed)
	}
	printCompensation(stdout, doc, pf.Guarantors)
	printTargetMatrix(stdout, doc)
	printOutlays(stdout, doc)
	printContagion(stdout, doc)
	if o.out != "" {
		fmt.Fprintf(stdout, "\nPer-path results: %s (%s)\n", o.out, format)
	}
	if o.report != "" {
		fmt.Fprintf(stdout, "Report: %s\n", o.report)
	}
	return nil
}

// interrupted is the error of a run stopped by Ctrl-C (or SIGTERM).
func interrupted(err error) error {
	return &exitError{code: 130, err: fmt.Errorf("interrupted, nothing written (%w)", err)}
}

// writeFileAtomic writes path through a temporary file in the same folder
// and renames it into place, so path appears complete or not at all. It
// gives up, removing the temporary file, when write fails or ctx is done.
func writeFileAtomic(ctx context.Context, path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// progressBar shows paths done on a terminal. A nil *progressBar does nothing.
type progressBar struct {
	p    *mpb.Progress
	bar  *mpb.Bar
	mu   sync.Mutex
	done int
}

func newProgressBar(w io.Writer, total int) *progressBar {
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	bar := p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name("simulating "), decor.CountersNoUnit("%d / %d paths")),
		mpb.AppendDecorators(decor.Percentage(decor.WC{W: 5}), decor.Name("  "), decor.AverageETA(decor.ET_STYLE_GO)))
	return &progressBar{p: p, bar: bar}
}

// set is sim.Params.Progress: it is called from several workers, and the
// counts may arrive out of order.
func (b *progressBar) set(done int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if done > b.done {
		b.done = done
		b.bar.SetCurrent(int64(done))
	}
}

// finish completes the bar, or leaves it where it stopped, and waits for
// it to be drawn.
func (b *progressBar) finish(ok bool) {
	if b == nil {
		return
	}
	if ok {
		b.bar.SetTotal(-1, true)
	} else {
		b.bar.Abort(false)
	}
	b.p.Wait()
}

// printRun prints the document for people: amounts in 万 yuan, each
// estimate ± one Monte Carlo standard error.
func printRun(w io.Writer, source string, d *sim.Document) {
	fmt.Fprintf(w, "Scenario %s, portfolio %s: %d loans, %d guarantors, balance %s亿 yuan\n",
		d.Scenario, source, d.Portfolio.Loans, d.Portfolio.Guarantors, groupDigits(fmt.Sprintf("%.2f", d.Portfolio.Balance.Yuan()/1e8)))
	fmt.Fprintf(w, "%s (seed %d, %s sampler, %s), horizon %s, %.2f s\n\n",
		format.Count(d.Paths, "path", "paths"), d.Seed, d.Sampler, format.Count(d.Workers, "worker", "workers"),
		format.Count(d.HorizonYears, "year", "years"), d.ElapsedSeconds)

	if is := d.ImportanceSampling; is != nil {
		fmt.Fprintf(w, "Importance sampling toward %s %%: factor shift |μ| = %.3f; effective sample size %s of %d paths, mean weight %.3f\n\n",
			pct(float64(is.Level)), float64(is.ShiftNorm), num(is.ESS, 0), d.Paths, float64(is.MeanWeight))
	}
	tot := d.Loss[sim.PartyTotal]
	// One unit for every loss table, chosen as the dashboard chooses it:
	// 亿 when the total's ES 99.9 % reaches 1亿.
	u := format.Column(float64(tot.ES["0.999"]))
	fmt.Fprintf(w, "Loss over the horizon (%s, ± one standard error)\n", u.Label())
	fmt.Fprintf(w, "  expected loss  %s ± %s    sd %s\n", money(tot.Mean, u), money(tot.SE.Mean, u), money(tot.SD, u))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  level\tVaR\t± se\tES\t± se\t")
	for _, a := range d.Levels {
		key := sim.LevelString(a)
		fmt.Fprintf(tw, "  %s %%\t%s\t%s\t%s\t%s\t\n", pct(a),
			money(tot.VaR[key], u), money(tot.SE.VaR[key], u), money(tot.ES[key], u), money(tot.SE.ES[key], u))
	}
	tw.Flush()

	if len(d.Loss) > 1 {
		fmt.Fprintf(w, "\nLoss by party over the horizon (%s)\n", u.Label())
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  party\texpected loss\t± se\tVaR 99 %\tES 99 %\t± se\t")
		for _, party := range sim.PartyNames {
			l, ok := d.Loss[party]
			if !ok {
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t\n", party,
				money(l.Mean, u), money(l.SE.Mean, u), money(l.VaR["0.99"], u), money(l.ES["0.99"], u), money(l.SE.ES["0.99"], u))
		}
		tw.Flush()
	}

	def := d.Defaults
	fmt.Fprintf(w, "\nDefaults over the horizon: mean %s ± %s, sd %s", num(def.Mean, 1), num(def.SE.Mean, 1), num(def.SD, 1))
	for _, a := range d.Levels {
		fmt.Fprintf(w, "; VaR %s %% %s", pct(a), num(def.VaR[sim.LevelString(a)], 0))
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "\nBy year (%s)\n", u.Label())
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  year\texpected loss\t± se\tVaR 99 %\t± se\tES 99 %\t± se\tdefaults\t± se\t")
	for _, y := range d.Years {
		l := y.Loss[sim.PartyTotal]
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", y.Year,
			money(l.Mean, u), money(l.SE.Mean, u), money(l.VaR["0.99"], u), money(l.SE.VaR["0.99"], u), money(l.ES["0.99"], u), money(l.SE.ES["0.99"], u),
			num(y.Defaults.Mean, 1), num(y.Defaults.SE.Mean, 1))
	}
	tw.Flush()
	printTargets(w, d.Targets)
	printJoint(w, d.Joint)
}

// printJoint prints the probability that every capital-linked target holds
// for every guarantor in every year (docs/decisions.md).
func printJoint(w io.Writer, j *sim.JointResult) {
	if j == nil {
		return
	}
	fmt.Fprintf(w, "Joint: all capital targets (%s) hold for every guarantor in every year: P = %s ± %s\n",
		strings.Join(j.Capital.Targets, ", "), num(j.Capital.PHold, 3), num(j.Capital.SE, 3))
}

// printTargets prints, for each target, the scope and year where it is
// least likely to hold (the full list is in --json).
func printTargets(w io.Writer, targets []sim.TargetResult) {
	if len(targets) == 0 {
		return
	}
	var order []string
	worst := map[string]sim.TargetResult{}
	count := map[string]int{}
	for _, t := range targets {
		if t.Scope == sim.AllScope {
			continue // the joint rows: in --json
		}
		cur, seen := worst[t.ID]
		if !seen {
			order = append(order, t.ID)
		}
		count[t.ID]++
		if !seen || float64(t.PHold) < float64(cur.PHold) {
			worst[t.ID] = t
		}
	}
	fmt.Fprintf(w, "\nTargets: probability of holding, where it is lowest (all %d scope-years in --json)\n", len(targets))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  target\tlowest P(hold)\t± se\tscope\tyear\tscope-years")
	for _, id := range order {
		t := worst[id]
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%d\n", id, num(t.PHold, 3), num(t.SE, 3), t.Scope, t.Year, count[id])
	}
	tw.Flush()
}

// wan formats yuan in 万 yuan with two decimals and digit groups; "–" when
// the value is not known.
func wan(m sim.Money) string { return format.In(float64(m), format.Wan) }

// money formats yuan in unit u (format.In).
func money(m sim.Money, u format.Unit) string { return format.In(float64(m), u) }

func num(n sim.Number, decimals int) string {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return "–"
	}
	return groupDigits(strconv.FormatFloat(float64(n), 'f', decimals, 64))
}

// pct formats a level as a percentage without trailing zeros: 95, 99, 99.9.
func pct(level float64) string {
	return strconv.FormatFloat(math.Round(level*1e4)/100, 'f', -1, 64)
}

// groupDigits puts a comma between groups of three digits: 1,234,567.89.
var groupDigits = web.GroupDigits
