package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
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

// sweepOptions are the flags of danbao sweep.
type sweepOptions struct {
	simOptions
	paramList  []string // one or two scenario paths
	valueLists []string // comma-separated values, one list per param
	confidence float64
	elasticity float64
	out        string // --out DIR of a --shard
}

func init() {
	o := sweepOptions{}
	cmd := &cobra.Command{
		Use:   "sweep --param PATH --values v1,v2,… [--param PATH2 --values w1,w2,…] [--portfolio DIR] [--scenario NAME|FILE] [--set path=value]... [--json]",
		Short: "Sweep a scenario parameter on common random numbers: losses, targets, top-up, outlays at each value",
		Long: `sweep runs the scenario once for each value of one numeric parameter (any
path of "danbao scenarios paths"; default: policy.bank_share over 0, 0.1,
0.2, 0.3, 0.4, 0.5) and reports, at each value: the loss of each party over
the horizon (mean, VaR and ES at 99 %, with standard errors), every
target's probability of holding (the lowest over scopes and years in the
table, all of them in --json), the city's capital top-up at --confidence
(see danbao topup) and the county outlays (risk compensation + fee
subsidy), mean per year.

Every value runs on common random numbers: the same --seed and --paths, and
path p draws the same random numbers at every value. A policy parameter such
as the bank share then leaves every path's defaults unchanged, so the
difference between adjacent values is the parameter's effect, not noise.
The table of differences shows it: for the guarantor's and the bank's
loss, the mean difference, its paired standard error sd(d)/√P over the
per-path differences d, and the standard error two independent runs would
give, √(se₁² + se₂²).

Give --param and --values twice for a 2-D sweep: every pair of values, on
the same common random numbers (path p draws the same random numbers at
every point of the grid). The table shows grids — rows the second
parameter, columns the first — of the guarantor's expected loss, the
top-up and each target's lowest P(hold); --json has every point (value,
value2) with all the figures of a 1-D sweep, and --html a heat map. A grid
has at most ` + strconv.Itoa(scenarios.MaxSweepPoints) + ` points (each is a whole run).

A bank share below the national floor of 20 % needs policy.allow_below_floor;
a bank-share sweep sets it at every point and says so.

--response-elasticity e (default 0: off) adds a behavioural response, an
assumption and not an estimate: banks screen less when they carry less of
the loss, so every PD is multiplied, in every year, by 1 + e·(0.2 − bank_share)
(the point's bank share). The defaults then differ from point to point, and
common random numbers only keep them close.

--json prints the sweep document (schema "` + sim.SweepSchema + `"): money as
decimal strings of yuan.

` + shardHelp,
		Example: `  danbao sweep
  danbao sweep --param policy.bank_share --values 0.2,0.3 --scenario wenzhou-2011 --paths 5000
  danbao sweep --param model.r2.industry --values 0.04,0.08,0.12,0.16 --horizon 3 --json > sweep.json
  danbao sweep --response-elasticity 2
  danbao sweep --param policy.bank_share --values 0.2,0.3,0.4 --param policy.county_fund.share --values 0,0.1,0.2 --paths 1000`,
	}
	f := simCommand(cmd, &o.simOptions, 2000, func(ctx context.Context, stdout, stderr io.Writer) error { return runSweep(ctx, o, stdout, stderr) })
	f.StringArrayVar(&o.paramList, "param", []string{models.BankSharePath}, "scenario path to sweep (a number; see danbao scenarios paths); twice for a 2-D sweep")
	f.StringArrayVar(&o.valueLists, "values", []string{"0,0.1,0.2,0.3,0.4,0.5"}, "comma-separated values of --param (once per --param)")
	f.Float64Var(&o.confidence, "confidence", 0.95, "confidence of the capital top-up reported at each value")
	f.Float64Var(&o.elasticity, "response-elasticity", 0, "behavioural response e: PDs × (1 + e·(0.2 − bank_share)); 0 is off")
	addShardFlags(cmd, &o.simOptions, &o.out)
	rootCmd.AddCommand(cmd)
}

// runSweep is danbao sweep without cobra.
func runSweep(ctx context.Context, o sweepOptions, stdout, stderr io.Writer) error {
	if len(o.paramList) == 0 && len(o.valueLists) <= 1 { // the flags' defaults, when a caller cleared them
		o.paramList = []string{models.BankSharePath}
	}
	if len(o.valueLists) == 0 && len(o.paramList) == 1 {
		o.valueLists = []string{"0,0.1,0.2,0.3,0.4,0.5"}
	}
	if len(o.paramList) != len(o.valueLists) {
		return fmt.Errorf("--param is given %d times and --values %d times: give one --values list after each --param", len(o.paramList), len(o.valueLists))
	}
	if len(o.paramList) > scenarios.MaxSweepAxes {
		return fmt.Errorf("--param is given %d times: a sweep varies 1 or %d parameters", len(o.paramList), scenarios.MaxSweepAxes)
	}
	var axes []models.SweepAxis
	for i, param := range o.paramList {
		flag := "--values"
		if len(o.paramList) > 1 {
			flag = fmt.Sprintf("--values (%d, of %s)", i+1, param)
		}
		values, err := parseFloats(flag, o.valueLists[i])
		if err != nil {
			return err
		}
		axes = append(axes, models.SweepAxis{Param: param, Values: values})
	}
	if !(o.confidence > 0 && o.confidence < 1) {
		return fmt.Errorf("--confidence %v: must be in (0, 1)", o.confidence)
	}
	if math.IsNaN(o.elasticity) || math.IsInf(o.elasticity, 0) {
		return fmt.Errorf("--response-elasticity %v: must be a finite number", o.elasticity)
	}
	p, pf, sc, err := o.setup(ctx)
	if err != nil {
		return err
	}
	grid, err := scenarios.SweepPoints(&sc, axes...)
	if err != nil {
		return err
	}
	opt := sim.SweepOptions{Confidence: o.confidence, ResponseElasticity: o.elasticity}
	if o.shard != "" {
		spec := &shard.SweepSpec{Param: axes[0].Param, Values: axes[0].Values, Confidence: o.confidence, Elasticity: o.elasticity}
		if len(axes) == 2 {
			spec.Param2, spec.Values2 = axes[1].Param, axes[1].Values
		}
		return o.runShard(ctx, stdout, stderr, pf, sc, p, o.out, shard.Spec{Command: shard.CommandSweep, Sweep: spec})
	}
	if o.out != "" {
		return fmt.Errorf("--out %s is the folder of a --shard; without --shard use --json or --report", o.out)
	}
	start := time.Now()
	var res *sim.SweepResult
	err = o.track(ctx, stderr, len(grid.Points)*o.paths, func(progress func(int)) (err error) {
		opt.Progress = progress
		res, err = sim.Sweep(ctx, pf, grid, opt, p)
		return err
	})
	if err != nil {
		return err
	}
	res.SetRunInfo(sim.RunInfo{Workers: res.Workers, ElapsedSeconds: time.Since(start).Seconds()})
	return o.deliver(ctx, stdout, stderr, res,
		func(w io.Writer) error {
			pos := models.Describe(pf, sc.Policy, sc.Targets)
			return web.RenderSweep(w, res, &pos)
		},
		func(w io.Writer) error { return web.SweepWorkbook(w, res) },
		func() {
			if res.Param2 != "" {
				printSweep2(stdout, o.source(), res)
				return
			}
			printSweep(stdout, o.source(), res)
		})
}

// printSweep prints a sweep for people: amounts in one unit per table (亿 or 万 yuan), estimates ± one
// standard error.
func printSweep(w io.Writer, source string, r *sim.SweepResult) {
	name := r.Param
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	fmt.Fprintf(w, "Sweep of %s over %d values, scenario %s, portfolio %s\n", r.Param, len(r.Values), r.Scenario, source)
	fmt.Fprintf(w, "Common random numbers: seed %d, %d paths at every value; horizon %d %s, %d workers, %.2f s\n",
		r.Seed, r.Paths, r.HorizonYears, plural(r.HorizonYears, "year"), r.Workers, r.ElapsedSeconds)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	val := func(v sim.Number) string { return num(v, 4) }
	if allRound(r.Values, 2) {
		val = func(v sim.Number) string { return num(v, 2) }
	}
	// Units as on the sweep page: the losses in one unit from the largest
	// ES 99 % of any party at any value; the top-ups and the outlays each in
	// their own, from their whole column.
	hi := 0.0
	var tall, oall []float64
	for _, pt := range r.Points {
		for _, l := range pt.Loss {
			hi = max(hi, float64(l.ES["0.99"]))
		}
		tall = append(tall, float64(pt.Topup), float64(pt.TopupPooled))
		for _, m := range pt.Outlays["total"] {
			oall = append(oall, float64(m))
		}
	}
	u, tu, ou := format.Column(hi), format.Column(tall...), format.Column(oall...)
	wan := func(m sim.Money) string { return money(m, u) }
	pm := func(l sim.LossStats) string { return wan(l.Mean) + " ± " + wan(l.SE.Mean) }

	fmt.Fprintf(w, "\nExpected loss over the horizon by party (%s, ± one standard error)\n", u.Label())
	head := []string{"  " + name}
	if r.Response != nil {
		head = append(head, "PD ×")
	}
	head = append(head, sim.PartyTotal)
	head = append(head, sim.PartyNames[:]...)
	t := newTextTable(head...)
	for _, pt := range r.Points {
		row := []string{"  " + val(pt.Value)}
		if r.Response != nil {
			row = append(row, num(pt.PDMultiplier, 3))
		}
		row = append(row, pm(pt.Loss[sim.PartyTotal]))
		for _, party := range sim.PartyNames {
			row = append(row, pm(pt.Loss[party]))
		}
		t.add(row...)
	}
	t.print(w, 1)

	fmt.Fprintf(w, "\nTail of the guarantor's and the bank's loss (%s, ± one standard error)\n", u.Label())
	t = newTextTable("  "+name, "guarantor VaR 99 %", "ES 99 %", "bank VaR 99 %", "ES 99 %")
	for _, pt := range r.Points {
		g, b := pt.Loss["guarantor"], pt.Loss["bank"]
		t.add("  "+val(pt.Value), wan(g.VaR["0.99"])+" ± "+wan(g.SE.VaR["0.99"]), wan(g.ES["0.99"])+" ± "+wan(g.SE.ES["0.99"]),
			wan(b.VaR["0.99"])+" ± "+wan(b.SE.VaR["0.99"]), wan(b.ES["0.99"])+" ± "+wan(b.SE.ES["0.99"]))
	}
	t.print(w, 1)

	if len(r.Differences) > 0 {
		fmt.Fprintf(w, "\nChange between adjacent values (%s): mean difference, its standard error on common random\n", u.Label())
		fmt.Fprintf(w, "numbers (paired, sd of the per-path differences / √P) and as two independent runs would give it\n")
		t = newTextTable("  step", "guarantor Δ", "se paired", "se independent", "bank Δ", "se paired", "se independent")
		for i := 0; i+1 < len(r.Points); i++ {
			g, b := findDiff(r, i, "guarantor"), findDiff(r, i, "bank")
			t.add("  "+val(r.Values[i])+" → "+val(r.Values[i+1]), wan(g.Mean), wan(g.SEPaired), wan(g.SEIndependent),
				wan(b.Mean), wan(b.SEPaired), wan(b.SEIndependent))
		}
		t.print(w, 1)
	}

	years := 0
	if len(r.Points) > 0 {
		years = len(r.Points[0].Outlays["total"])
	}
	fmt.Fprintf(w, "\nCapital top-up at t = 0 with %s %% confidence (city: Σ of the guarantors'; pooled: quantile of the city-wide need)\n", pct(float64(r.Confidence)))
	fmt.Fprintf(w, "and county outlays (risk compensation + fee subsidy, all counties, mean per year); top-ups in %s, outlays in %s\n", tu.Label(), ou.Label())
	head = []string{"  " + name, "top-up", "pooled"}
	for y := 1; y <= years; y++ {
		head = append(head, fmt.Sprintf("outlays y%d", y))
	}
	t = newTextTable(head...)
	for _, pt := range r.Points {
		row := []string{"  " + val(pt.Value), money(pt.Topup, tu), money(pt.TopupPooled, tu)}
		for _, m := range pt.Outlays["total"] {
			row = append(row, money(m, ou))
		}
		t.add(row...)
	}
	t.print(w, 1)

	if len(r.Points) > 0 && len(r.Points[0].Targets) > 0 {
		ids := targetIDs(&r.Points[0])
		fmt.Fprintf(w, "\nTargets: lowest probability of holding over scopes and years (every scope and year in --json)\n")
		t = newTextTable(append([]string{"  " + name}, ids...)...)
		for i := range r.Points {
			pt := &r.Points[i]
			row := []string{"  " + val(pt.Value)}
			for _, id := range ids {
				row = append(row, num(lowestHold(pt, id), 3))
			}
			t.add(row...)
		}
		t.print(w, 1)
	}
}

// findDiff returns party's difference between points i and i+1 (the
// differences come step by step, NParties+1 per step).
func findDiff(r *sim.SweepResult, i int, party string) sim.SweepDiff {
	const k = sim.NParties + 1
	if (i+1)*k <= len(r.Differences) {
		for _, d := range r.Differences[i*k : (i+1)*k] {
			if d.Party == party {
				return d
			}
		}
	}
	nan := sim.Money(math.NaN())
	return sim.SweepDiff{Mean: nan, SEPaired: nan, SEIndependent: nan}
}

// allRound reports whether every value has at most d decimals.
func allRound(vs []sim.Number, d int) bool {
	s := math.Pow(10, float64(d))
	for _, v := range vs {
		if x := float64(v) * s; math.Abs(x-math.Round(x)) > 1e-9 {
			return false
		}
	}
	return true
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// printSweep2 prints a 2-D sweep as grids: a row per value of the second
// parameter, a column per value of the first.
func printSweep2(w io.Writer, source string, r *sim.SweepResult) {
	fmt.Fprintf(w, "Sweep of %s (columns, %d values) × %s (rows, %d values), scenario %s, portfolio %s\n",
		r.Param, len(r.Values), r.Param2, len(r.Values2), r.Scenario, source)
	fmt.Fprintf(w, "Common random numbers: seed %d, %d paths at every point; horizon %d %s, %d workers, %.2f s\n",
		r.Seed, r.Paths, r.HorizonYears, plural(r.HorizonYears, "year"), r.Workers, r.ElapsedSeconds)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	n := len(r.Values)
	if n == 0 || len(r.Points) != n*len(r.Values2) {
		return
	}
	val := func(vs []sim.Number) func(sim.Number) string {
		if allRound(vs, 2) {
			return func(v sim.Number) string { return num(v, 2) }
		}
		return func(v sim.Number) string { return num(v, 4) }
	}
	v1, v2 := val(r.Values), val(r.Values2)
	grid := func(title string, cell func(pt *sim.SweepPoint) string) {
		fmt.Fprintf(w, "\n%s\n", title)
		head := []string{"  " + r.Param2 + " \\ " + r.Param}
		for _, v := range r.Values {
			head = append(head, v1(v))
		}
		t := newTextTable(head...)
		for j, y := range r.Values2 {
			row := []string{"  " + v2(y)}
			for i := range n {
				row = append(row, cell(&r.Points[j*n+i]))
			}
			t.add(row...)
		}
		t.print(w, 1)
	}
	var means, tops []float64
	for _, pt := range r.Points {
		means = append(means, float64(pt.Loss["guarantor"].Mean))
		tops = append(tops, float64(pt.Topup))
	}
	u, tu := format.Column(means...), format.Column(tops...)
	grid(fmt.Sprintf("Guarantors' expected loss over the horizon (%s, ± one standard error)", u.Label()), func(pt *sim.SweepPoint) string {
		l := pt.Loss["guarantor"]
		return money(l.Mean, u) + " ± " + money(l.SE.Mean, u)
	})
	grid(fmt.Sprintf("Capital top-up at t = 0 with %s %% confidence (city: Σ of the guarantors'; %s)", pct(float64(r.Confidence)), tu.Label()),
		func(pt *sim.SweepPoint) string { return money(pt.Topup, tu) })
	for _, id := range targetIDs(&r.Points[0]) {
		grid("Target "+id+": lowest probability of holding over scopes and years", func(pt *sim.SweepPoint) string {
			return num(lowestHold(pt, id), 3)
		})
	}
}

// targetIDs lists the ids of pt's targets, each once, in their order.
func targetIDs(pt *sim.SweepPoint) []string {
	var ids []string
	for _, tg := range pt.Targets {
		if !slices.Contains(ids, tg.ID) {
			ids = append(ids, tg.ID)
		}
	}
	return ids
}

// lowestHold is the lowest probability of holding of target id at pt over
// its scopes and years (+Inf when pt has no such target).
func lowestHold(pt *sim.SweepPoint, id string) sim.Number {
	low := math.Inf(1)
	for _, tg := range pt.Targets {
		if tg.ID == id {
			low = min(low, float64(tg.Lowest))
		}
	}
	return sim.Number(low)
}
