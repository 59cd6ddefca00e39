package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wenzhou/danbao/analytic"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// AnalyticSchema names the JSON document of analytic --json.
const AnalyticSchema = "danbao.analytic/v1"

// analyticDoc is the document of danbao analytic --json: year-1 credit
// loss approximations in yuan, keyed by level as the result document's
// loss.* are.
type analyticDoc struct {
	Schema         string    `json:"schema"`
	Scenario       string    `json:"scenario"`
	Year           int       `json:"year"` // always 1: the first simulated year
	Loans          int       `json:"loans"`
	EAD            sim.Money `json:"ead"`
	EL             sim.Money `json:"el"`
	Reduction      string    `json:"reduction"`
	ElapsedSeconds float64   `json:"elapsed_seconds"`

	ASRF          varES    `json:"asrf"`
	Granularity   gaStats  `json:"granularity"`
	GranularityGL gaStats  `json:"granularity_gl"`
	CreditRisk    crpStats `json:"creditriskplus"`
	// IgnoredLinks is the number of guarantee links of the portfolio: the
	// closed forms do not model contagion (docs/chains.md), so they
	// understate a portfolio with links.
	IgnoredLinks int `json:"ignored_links,omitempty"`
}

type varES struct {
	VaR map[string]sim.Money `json:"var"`
	ES  map[string]sim.Money `json:"es"`
}

type gaStats struct {
	GA  map[string]sim.Money `json:"ga"`  // the adjustment
	VaR map[string]sim.Money `json:"var"` // ASRF VaR + GA
}

type crpStats struct {
	SectorVariance sim.Number           `json:"sector_variance"`
	Unit           sim.Money            `json:"unit"`
	Mean           sim.Money            `json:"mean"`
	VaR            map[string]sim.Money `json:"var"`
	ES             map[string]sim.Money `json:"es"`
}

func init() {
	o := simOptions{}
	var levels string
	cmd := &cobra.Command{
		Use:   "analytic [--portfolio DIR] [--scenario NAME|FILE] [--set path=value]... [--levels 0.99,0.999] [--json]",
		Short: "Closed-form approximations of the year-1 credit loss: Vasicek limit, granularity adjustment, CreditRisk+",
		Long: `analytic approximates the distribution of the first year's total credit loss
(Σ EAD × lgd over the loans defaulting in year 1, in yuan; the figure of
run --horizon 1 --json's loss.total) without simulation, in milliseconds:

  asrf            the asymptotic single-risk-factor (Vasicek large-portfolio)
                  limit: VaR_α = μ(Φ⁻¹(α)), ES_α = its tail mean, where
                  μ(z) is the expected loss given the factor;
  granularity     asrf VaR plus the model's own first-order granularity
                  adjustment (Gordy 2003, Emmer & Tasche 2005) for the
                  finite number and unequal size of the loans;
  granularity_gl  asrf VaR plus Gordy & Lütkebohmert's (2013) simplified
                  adjustment (ξ = 0.25; δ = 4.83 at 99.9 %);
  creditriskplus  CreditRisk+ with one Gamma sector whose variance matches
                  the variance of μ(Z), by Panjer recursion.

All use a one-factor reduction of the scenario's model: each loan's asset
correlation is its whole systematic weight a_macro + a_industry + a_county
on a single factor, as if the macro, industry and county factors moved
together. This ignores the diversification across industries and counties,
so on a multi-factor book the figures sit above the simulation's; on a
one-factor book they are the model's own (docs/analytic.md). Loans that
mature or are written within the year count for their part of it. The t
copula is refused.`,
		Example: `  danbao analytic
  danbao analytic --levels 0.99,0.999,0.9999 --json
  danbao analytic --set model.r2.industry=0 --set model.r2.county=0   # a one-factor book`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ls, err := parseLevels(levels)
			if err != nil {
				return err
			}
			pf, sc, err := o.load(cmd.Context())
			if err != nil {
				return err
			}
			d, err := closedForms(pf, &sc, ls)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.json {
				return printJSON(w, d)
			}
			printAnalytic(w, o.source(), d, ls)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.portfolio, "portfolio", "", "snapshot folder (default: the embedded example)")
	f.StringVar(&o.scenario, "scenario", "baseline", "built-in scenario name or scenario YAML file")
	f.StringArrayVar(&o.sets, "set", nil, "override a scenario field, path=value (repeatable)")
	f.StringVar(&levels, "levels", defaultLevels, "confidence levels, comma-separated, each in [0.5, 0.9999]")
	f.BoolVar(&o.json, "json", false, "print the result as JSON (schema "+AnalyticSchema+")")
	rootCmd.AddCommand(cmd)
}

// closedForms compiles pf under sc and computes the closed forms of its
// year-1 loss at levels, timing them (compile included).
func closedForms(pf *models.Portfolio, sc *models.Scenario, levels []float64) (*analyticDoc, error) {
	start := time.Now()
	m, err := sim.Compile(pf, sc)
	if err != nil {
		return nil, fmt.Errorf("compile scenario %q: %w", sc.Name, err)
	}
	ye, err := m.FirstYearExposures()
	if err != nil {
		return nil, err
	}
	exps := make([]analytic.Exposure, len(ye))
	for i, e := range ye {
		exps[i] = analytic.Exposure{EAD: e.EAD, LGD: e.LGD, PD: e.PD, Rho: e.Rho, Life: e.Life}
	}
	est, err := analytic.Estimate(exps, levels)
	if err != nil {
		return nil, err
	}
	d := newAnalyticDoc(sc.Name, est)
	d.IgnoredLinks = len(pf.Links)
	d.ElapsedSeconds = time.Since(start).Seconds()
	return d, nil
}

// printBeside prints the closed forms beside the run's year-1 total loss.
func printBeside(w io.Writer, d *sim.Document, c *analyticDoc) {
	mc := d.Years[0].Loss[sim.PartyTotal]
	fmt.Fprintf(w, "\nYear 1 beside the closed forms (万 yuan; one-factor reduction, docs/analytic.md; %.0f ms)\n", c.ElapsedSeconds*1000)
	fmt.Fprintf(w, "  expected loss: simulated %s ± %s, exact %s\n", wan(mc.Mean), wan(mc.SE.Mean), wan(c.EL))
	printIgnoredLinks(w, c)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  level\tVaR\t± se\tASRF+GA\tCR+\tES\t± se\tASRF\tCR+\t")
	for _, a := range d.Levels {
		k := sim.LevelString(a)
		fmt.Fprintf(tw, "  %s %%\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", pct(a), wan(mc.VaR[k]), wan(mc.SE.VaR[k]),
			wan(c.Granularity.VaR[k]), wan(c.CreditRisk.VaR[k]), wan(mc.ES[k]), wan(mc.SE.ES[k]), wan(c.ASRF.ES[k]), wan(c.CreditRisk.ES[k]))
	}
	tw.Flush()
}

func newAnalyticDoc(scenario string, e *analytic.Estimates) *analyticDoc {
	byLevel := func(x []float64) map[string]sim.Money {
		m := make(map[string]sim.Money, len(x))
		for k, v := range x {
			m[sim.LevelString(e.Levels[k])] = sim.Money(v)
		}
		return m
	}
	plus := func(a, b []float64) []float64 {
		out := make([]float64, len(a))
		for k := range a {
			out[k] = a[k] + b[k]
		}
		return out
	}
	return &analyticDoc{
		Schema: AnalyticSchema, Scenario: scenario, Year: 1, Loans: e.Loans,
		EAD: sim.Money(e.EAD), EL: sim.Money(e.EL),
		Reduction:     "one factor: rho = a_macro + a_industry + a_county",
		ASRF:          varES{VaR: byLevel(e.ASRFVaR), ES: byLevel(e.ASRFES)},
		Granularity:   gaStats{GA: byLevel(e.GA), VaR: byLevel(plus(e.ASRFVaR, e.GA))},
		GranularityGL: gaStats{GA: byLevel(e.GAGL), VaR: byLevel(plus(e.ASRFVaR, e.GAGL))},
		CreditRisk: crpStats{SectorVariance: sim.Number(e.SectorVariance), Unit: sim.Money(e.Unit), Mean: sim.Money(e.CRPMean),
			VaR: byLevel(e.CRPVaR), ES: byLevel(e.CRPES)},
	}
}

func printAnalytic(w io.Writer, source string, d *analyticDoc, levels []float64) {
	fmt.Fprintf(w, "Scenario %s, portfolio %s: year-1 credit loss, %d loans, EAD %s万, EL %s万 yuan (%.0f ms)\n",
		d.Scenario, source, d.Loans, wan(d.EAD), wan(d.EL), d.ElapsedSeconds*1000)
	fmt.Fprintf(w, "One-factor reduction (ρ = a_macro + a_industry + a_county); CreditRisk+ sector variance %.4f, unit %s万\n",
		float64(d.CreditRisk.SectorVariance), wan(d.CreditRisk.Unit))
	printIgnoredLinks(w, d)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  level\tASRF VaR\t+GA\t+GA (GL)\tCR+ VaR\tASRF ES\tCR+ ES\t")
	for _, a := range levels {
		k := sim.LevelString(a)
		fmt.Fprintf(tw, "  %s %%\t%s\t%s\t%s\t%s\t%s\t%s\t\n", pct(a), wan(d.ASRF.VaR[k]), wan(d.Granularity.VaR[k]),
			wan(d.GranularityGL.VaR[k]), wan(d.CreditRisk.VaR[k]), wan(d.ASRF.ES[k]), wan(d.CreditRisk.ES[k]))
	}
	tw.Flush()
	fmt.Fprintln(w, "\n(万 yuan. +GA: ASRF VaR plus the granularity adjustment; compare run --horizon 1 loss.total.)")
}

// printIgnoredLinks says that the closed forms leave out the portfolio's
// guarantee chains, when it has any.
func printIgnoredLinks(w io.Writer, d *analyticDoc) {
	if d.IgnoredLinks > 0 {
		fmt.Fprintf(w, "  Note: the closed forms ignore the portfolio's %d guarantee links (no contagion, docs/chains.md): they understate its loss.\n", d.IgnoredLinks)
	}
}
