package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wenzhou/danbao/api/web"
	"github.com/wenzhou/danbao/internal/format"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/shard"
	"github.com/wenzhou/danbao/sim"
)

// topupOptions are the flags of danbao topup.
type topupOptions struct {
	simOptions
	confidence string // comma-separated levels
	confSet    bool   // --confidence given
	// joint asks for the joint top-up (docs/decisions.md) at the one
	// --confidence level (0.95 when not given); writeScenario, a file to
	// write the scenario with its injections to.
	joint         bool
	writeScenario string
	out           string // --out DIR of a --shard
}

func init() {
	o := topupOptions{}
	cmd := &cobra.Command{
		Use:   "topup [--confidence 0.9,0.95,0.99] [--portfolio DIR] [--scenario NAME|FILE] [--set path=value]... [--json]",
		Short: "Capital top-up per guarantor, county and city so the capital targets hold with a given confidence",
		Long: `topup answers the finance bureau's question: how much capital to inject at
t = 0, and where, so that the capital-linked targets hold in every year of
the horizon with confidence α. The targets are regulatory leverage ≤ its cap
(10, or 15 for focused institutions) and, for county guarantors with a
capital minimum (2亿 or 1亿), net assets ≥ the minimum and registered capital
≥ the minimum.

Each simulated path gives each guarantor the smallest injection X_p that
keeps those targets on that path (net assets move one for one with an
injection, which earns the investment yield). The top-up at confidence α is
the α-quantile of max(0, X_p) over the paths (the smallest amount enough on
at least a share α of them), given with a 95 % interval from the order
statistics. A county's top-up is its guarantor's; the city's is the sum over
the guarantors (capital cannot move between institutions), with the
α-quantile of the city-wide need beside it and the share of paths on which
every guarantor holds at once.

Idle capital: with the top-up in, the leverage_min target (leverage ≥ 5,
performance leverage by default) is checked again on every path; a top-up
is flagged idle when leverage ≥ 5 then holds in every year on fewer than
half of the paths. The whole curve, α from 0.5 to 0.999, is in --json (the
city's is printed).

--json prints the top-up document (schema "` + sim.TopupSchema + `"): money as
decimal strings of yuan.

Every top-up is split into its certain part, needed on every path today
(the gap of registered capital to the capital minimum, or of net assets to
the largest borrower / 10 % and group / 15 %), and the risk part, the rest.

--joint adds the joint top-up at one --confidence level α (0.95 when not
given): per-guarantor injections of least total such that every
guarantor's capital targets hold together on a share ≥ α of the paths.
Search: the least common stand-alone level β whose top-ups reach α jointly
(bisection), then each injection, largest first, lowered as far as the
joint share allows. --write-scenario FILE writes the scenario with these
injections (t = 0, rounded up to the fen) for danbao run --scenario FILE.
docs/decisions.md has the formulas.

` + shardHelp,
		Example: `  danbao topup
  danbao topup --scenario wenzhou-2011 --confidence 0.95 --paths 20000
  danbao topup --set targets.leverage_max.threshold=8 --json > topup.json
  danbao topup --joint --confidence 0.9 --write-scenario joint.yaml && danbao run --scenario joint.yaml`,
	}
	f := simCommand(cmd, &o.simOptions, 10000, func(ctx context.Context, stdout, stderr io.Writer) error {
		o.confSet = cmd.Flags().Changed("confidence")
		return runTopup(ctx, o, stdout, stderr)
	})
	f.StringVar(&o.confidence, "confidence", "0.9,0.95,0.99", "comma-separated confidence levels, each in (0, 1)")
	f.BoolVar(&o.joint, "joint", false, "add the joint top-up at the one --confidence level (default 0.95)")
	f.StringVar(&o.writeScenario, "write-scenario", "", "with --joint: write the scenario with the joint injections to `FILE`")
	addShardFlags(cmd, &o.simOptions, &o.out)
	rootCmd.AddCommand(cmd)
}

// runTopup is danbao topup without cobra.
func runTopup(ctx context.Context, o topupOptions, stdout, stderr io.Writer) error {
	levels, err := parseFloats("--confidence", o.confidence)
	if err != nil {
		return err
	}
	for _, a := range levels {
		if !(a > 0 && a < 1) {
			return fmt.Errorf("--confidence %v: each level must be in (0, 1)", a)
		}
	}
	if o.joint && !o.confSet {
		levels = []float64{0.95}
	}
	if o.joint && len(levels) != 1 {
		return fmt.Errorf("--joint takes one --confidence level, not %d (%s)", len(levels), o.confidence)
	}
	if o.writeScenario != "" && !o.joint {
		return fmt.Errorf("--write-scenario %s needs --joint", o.writeScenario)
	}
	p, pf, sc, err := o.setup(ctx)
	if err != nil {
		return err
	}
	if o.shard != "" {
		if o.writeScenario != "" {
			return fmt.Errorf("--write-scenario with --shard: a shard makes no top-up; merge the shards and run topup --joint --write-scenario on one machine")
		}
		return o.runShard(ctx, stdout, stderr, pf, sc, p, o.out, shard.Spec{Command: shard.CommandTopup,
			Topup: &shard.TopupSpec{Confidences: levels, Joint: o.joint}})
	}
	if o.out != "" {
		return fmt.Errorf("--out %s is the folder of a --shard; without --shard use --json or --report", o.out)
	}
	start := time.Now()
	var out *sim.Outcome
	err = o.track(ctx, stderr, o.paths, func(progress func(int)) (err error) {
		p.Progress = progress
		out, err = sim.Execute(ctx, pf, &sc, p)
		return err
	})
	if err != nil {
		return err
	}
	res, err := sim.Topup(out, levels)
	if err != nil {
		return err
	}
	if o.joint {
		if res.Joint, err = sim.JointTopupOf(out, levels[0]); err != nil {
			return err
		}
		if o.writeScenario != "" {
			if err := writeJointScenario(ctx, o.writeScenario, sc, res.Joint); err != nil {
				return err
			}
		}
	}
	res.SetRunInfo(sim.RunInfo{Workers: res.Workers, ElapsedSeconds: time.Since(start).Seconds()})
	return o.deliver(ctx, stdout, stderr, res,
		func(w io.Writer) error { return web.RenderTopup(w, res) },
		func(w io.Writer) error { return web.TopupWorkbook(w, res) },
		func() { printTopup(stdout, o.source(), res); printJointTopup(stdout, res) })
}

// writeJointScenario writes sc, fully resolved, with the joint top-up's
// injections added at t = 0, to path (all or nothing).
func writeJointScenario(ctx context.Context, path string, sc models.Scenario, jt *sim.JointTopup) error {
	sc.Injections = append(slices.Clone(sc.Injections), jt.Injections()...)
	sc.Extends = "" // every field is written out
	out, err := scenarios.Marshal(sc)
	if err != nil {
		return err
	}
	header := fmt.Sprintf("# scenario %s with the joint top-up at confidence %s (danbao topup --joint): total %s\n",
		sc.Name, pct(float64(jt.Confidence))+" %", wan(jt.Total)+" 万")
	return writeFileAtomic(ctx, path, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s%s", header, out)
		return err
	})
}

// printJointTopup prints the joint top-up beside the stand-alone amounts.
func printJointTopup(w io.Writer, r *sim.TopupResult) {
	jt := r.Joint
	if jt == nil {
		return
	}
	var all []float64
	for _, g := range jt.Guarantors {
		all = append(all, float64(g.Amount), float64(g.Standalone), float64(g.AtCommon))
	}
	u := format.Column(all...)
	a := pct(float64(jt.Confidence)) + " %"
	fmt.Fprintf(w, "\nJoint top-up at %s (%s; %s): every guarantor's capital targets hold together\n", a, u.Label(), jt.Method)
	t := newTextTable("  guarantor", "joint", "certain", "risk", "stand-alone "+a, "common level "+pct(float64(jt.CommonLevel))+" %")
	for _, g := range jt.Guarantors {
		t.add("  "+g.Guarantor, money(g.Amount, u), money(g.Certain, u), money(g.Risk, u), money(g.Standalone, u), money(g.AtCommon, u))
	}
	t.add("  total", money(jt.Total, u), money(jt.Certain, u), money(jt.Risk, u), money(jt.StandaloneTotal, u), money(jt.CommonTotal, u))
	t.add("  P(all hold)", num(jt.PJoint, 3)+" ± "+num(jt.SE, 3), "", "", num(jt.PStandalone, 3), num(jt.PCommon, 3))
	t.print(w, 1)
}

// printTopup prints the top-ups for people, in one unit per table (亿 or 万 yuan).
func printTopup(w io.Writer, source string, r *sim.TopupResult) {
	fmt.Fprintf(w, "Capital top-up at t = 0, scenario %s, portfolio %s\n", r.Scenario, source)
	fmt.Fprintf(w, "%d paths (seed %d, %d workers), horizon %d %s, %.2f s\n", r.Paths, r.Seed, r.Workers,
		r.HorizonYears, plural(r.HorizonYears, "year"), r.ElapsedSeconds)
	fmt.Fprintf(w, "Top-up at α = the α-quantile over the paths of the smallest injection keeping, in every year,\n")
	fmt.Fprintf(w, "regulatory leverage ≤ cap and (county minimums) net assets and registered capital ≥ the minimum.\n")

	levels := make([]string, len(r.Confidences))
	for k, a := range r.Confidences {
		levels[k] = pct(float64(a)) + " %"
	}
	// One unit per table, as on the top-up page: from all its amounts.
	var gall, kall, call []float64
	for _, g := range r.Guarantors {
		gall = append(gall, float64(g.RegisteredGap))
		for _, l := range g.At {
			gall = append(gall, float64(l.Amount), float64(l.Low), float64(l.High))
		}
	}
	for _, c := range r.Counties {
		for _, l := range c.At {
			kall = append(kall, float64(l.Amount))
		}
	}
	for _, c := range r.City.Curve {
		call = append(call, float64(c.Total), float64(c.Pooled))
	}
	for _, c := range r.City.At {
		call = append(call, float64(c.Total), float64(c.Pooled))
	}
	gu, ku, cu := format.Column(gall...), format.Column(kall...), format.Column(call...)
	fmt.Fprintf(w, "\nBy guarantor (%s; P(need): share of paths needing capital without a top-up)\n", gu.Label())
	head := append([]string{"  guarantor", "county", "P(need)", "registered gap"}, levels...)
	t := newTextTable(head...)
	for _, g := range r.Guarantors {
		row := []string{"  " + g.Guarantor, countyLabel(g.County), num(g.PNeed, 3), money(g.RegisteredGap, gu)}
		for _, l := range g.At {
			row = append(row, money(l.Amount, gu))
		}
		t.add(row...)
	}
	t.print(w, 2)
	if len(r.Confidences) > 0 {
		k := len(r.Confidences) - 1
		fmt.Fprintf(w, "  95 %% interval of the %s top-up (order statistics):", levels[k])
		for _, g := range r.Guarantors {
			if g.At[k].High > 0 {
				fmt.Fprintf(w, " %s [%s, %s];", g.Guarantor, money(g.At[k].Low, gu), money(g.At[k].High, gu))
			}
		}
		fmt.Fprintln(w)
	}

	lm := r.LeverageMin
	if !lm.Off {
		fmt.Fprintf(w, "\nLeverage (%s) ≥ %s in every year once the top-up is in: probability (idle capital below %s)\n",
			lm.Definition, num(lm.Threshold, 0), num(sim.Number(sim.IdleShare), 1))
		t = newTextTable(append([]string{"  guarantor", "no top-up"}, levels...)...)
		for _, g := range r.Guarantors {
			row := []string{"  " + g.Guarantor, num(g.PLeverageMinBefore, 3)}
			for _, l := range g.At {
				cell := num(l.PLeverageMin, 3)
				if l.Idle {
					cell += " idle"
				}
				row = append(row, cell)
			}
			t.add(row...)
		}
		row := []string{"  city", num(r.City.PLeverageMinBefore, 3)}
		for _, c := range r.City.At {
			row = append(row, num(c.PLeverageMin, 3))
		}
		t.add(row...)
		t.print(w, 1)
		var idle []string
		for _, g := range r.Guarantors {
			for k, l := range g.At {
				if l.Idle {
					why := "the injection pulls it below"
					if g.PLeverageMinBefore < sim.Number(sim.IdleShare) {
						why = "already below without it"
					}
					idle = append(idle, fmt.Sprintf("%s from %s (%s)", g.Guarantor, levels[k], why))
					break
				}
			}
		}
		if len(idle) > 0 {
			fmt.Fprintf(w, "  Idle capital: leverage ≥ %s is more likely missed than met with the top-up in: %s.\n",
				num(lm.Threshold, 0), strings.Join(idle, "; "))
		}
	}

	fmt.Fprintf(w, "\nBy county (%s; the guarantors serving it)\n", ku.Label())
	t = newTextTable(append([]string{"  county", "guarantors"}, levels...)...)
	for _, c := range r.Counties {
		row := []string{"  " + countyLabel(c.County), strings.Join(c.Guarantors, ", ")}
		for _, l := range c.At {
			row = append(row, money(l.Amount, ku))
		}
		t.add(row...)
	}
	t.print(w, 2)

	fmt.Fprintf(w, "\nCity (%s): total = Σ of the guarantors' top-ups; pooled = quantile of the city-wide need;\n", cu.Label())
	fmt.Fprintf(w, "certain = the part needed on every path today (registered-capital and concentration gaps), risk = the rest;\n")
	fmt.Fprintf(w, "P(all hold) = share of paths on which every guarantor's capital targets hold with its top-up\n")
	// The curve, with the requested levels merged in and marked.
	rows := slices.Clone(r.City.Curve)
	for _, c := range r.City.At {
		if !slices.ContainsFunc(rows, func(x sim.CityLevel) bool { return x.Confidence == c.Confidence }) {
			rows = append(rows, c)
		}
	}
	slices.SortFunc(rows, func(a, b sim.CityLevel) int { return cmp.Compare(a.Confidence, b.Confidence) })
	t = newTextTable("  confidence", "total", "certain", "risk", "pooled", "P(all hold)")
	for _, c := range rows {
		mark := "  "
		if slices.Contains(r.Confidences, c.Confidence) {
			mark = "* "
		}
		t.add(mark+pct(float64(c.Confidence))+" %", money(c.Total, cu), money(c.Certain, cu), money(c.Risk, cu), money(c.Pooled, cu), num(c.PCapitalAll, 3))
	}
	t.print(w, 1)
}
