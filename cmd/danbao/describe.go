package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/mattn/go-runewidth"
	"github.com/spf13/cobra"
	"github.com/wenzhou/danbao/internal/format"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
)

// PositionSchema names the JSON document of describe --json.
const PositionSchema = "danbao.position/v1"

func init() {
	var (
		portfolio string
		scenario  string
		sets      []string
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "describe [--portfolio DIR] [--scenario NAME|FILE] [--set path=value]... [--json]",
		Short: "Today's position: balances, leverage, fees, concentration, and which targets hold now",
		Long: `describe reads a portfolio snapshot (default: the embedded example) and
prints today's position, before any simulation: balance and count by
guarantor, county, industry, product and segment; each guarantor's leverage
in the three definitions (regulatory, performance, fiscal) and the
consolidated city-wide one; the balance-weighted average fee; the largest
borrower against 10 % of net assets; and which targets of docs/model.md hold
today, under the scenario's policy and targets (default: baseline, the
4321 policy and the seed's targets; --set changes any of them, e.g.
--set targets.leverage_min.threshold=4).

With --json it prints the position as a JSON document (schema
"` + PositionSchema + `"); money is a decimal string of yuan, a leverage over
zero capital is null.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pf, err := loadPortfolio(portfolio)
			if err != nil {
				return err
			}
			sc, err := scenarios.Load(scenario)
			if err != nil {
				return err
			}
			if err := scenarios.SetAll(&sc, sets); err != nil {
				return err
			}
			pos := models.Describe(pf, sc.Policy, sc.Targets)
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Schema    string `json:"schema"`
					Portfolio string `json:"portfolio"`
					models.Position
				}{PositionSchema, orDefault(portfolio, "embedded example"), pos})
			}
			printPosition(w, orDefault(portfolio, "embedded example"), &pos)
			return nil
		},
	}
	cmd.Flags().StringVar(&portfolio, "portfolio", "", "snapshot folder (default: the embedded example)")
	cmd.Flags().StringVar(&scenario, "scenario", "baseline", "built-in scenario name or scenario YAML file (its policy and targets)")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a scenario field, path=value (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the position as JSON")
	rootCmd.AddCommand(cmd)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func printPosition(w io.Writer, source string, p *models.Position) {
	fmt.Fprintf(w, "Portfolio %s, as of %s: %d loans, %d borrowers, %d guarantors\n\n", source, orDefault(p.AsOf, "unknown"), p.Loans, p.Borrowers, len(p.Guarantors))

	t := newTextTable("", "amount (亿 yuan)")
	t.add("loan balance", fmtYi(p.Balance))
	t.add("  of which small/micro + agri", fmtYi(p.SmallMicroAgriBalance))
	t.add("guaranteed balance (balance × guarantee ratio)", fmtYi(p.Guaranteed))
	t.add("  of which small/micro + agri", fmtYi(p.SmallMicroAgriGuaranteed))
	t.add("risk-weighted guarantee liability", fmtYi(p.RiskWeighted))
	t.add("net assets, consolidated", fmtYi(p.City.NetAssets))
	t.add("government capital, consolidated", fmtYi(p.City.GovernmentCapital))
	t.print(w, 1)
	fmt.Fprintf(w, "\nCity-wide leverage (consolidated: the city institution's equity in county ones counted once):\n")
	fmt.Fprintf(w, "  regulatory %s   performance %s (loan basis) %s (guaranteed basis)   fiscal %s\n",
		fmtMultiple(p.City.Leverage.Regulatory), fmtMultiple(p.City.Leverage.PerformanceLoan), fmtMultiple(p.City.Leverage.Performance), fmtMultiple(p.City.Leverage.Fiscal))
	fmt.Fprintf(w, "  average fee %s charged, %s borrower net of the county subsidy   expected year-1 compensation rate %s (from the PDs)\n",
		fmtPct(p.AverageFee), fmtPct(p.AverageFeeBorrowerNet), fmtPct(p.ExpectedCompensationRate))
	fmt.Fprintf(w, "  targets judge balance_min and performance leverage on the %s basis (targets.basis)\n\n", p.Basis)

	fmt.Fprintln(w, "Guarantors (amounts in 亿 yuan)")
	t = newTextTable("guarantor", "name", "county", "loans", "balance", "guaranteed", "net assets", "registered", "gov. capital", "equity in others")
	for _, g := range p.Guarantors {
		t.add(g.ID, g.Name, countyLabel(g.County), fmt.Sprint(g.Loans), fmtYi(g.Balance), fmtYi(g.Guaranteed),
			fmtYi(g.NetAssets), fmtYi(g.RegisteredCapital), fmtYi(g.GovernmentCapital), fmtYi(g.EquityInOthers))
	}
	t.print(w, 3)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Guarantors: leverage, fee, concentration (largest borrower and limit in 万 yuan)")
	t = newTextTable("guarantor", "focused", "regulatory", "perf. loan", "perf. guar.", "fiscal", "fee charged", "fee net", "exp. comp. rate", "largest borrower", "guaranteed", "limit", "share of NA")
	for _, g := range p.Guarantors {
		focused := ""
		if g.Focused {
			focused = "yes"
		}
		t.add(g.ID, focused, fmtMultiple(g.Leverage.Regulatory), fmtMultiple(g.Leverage.PerformanceLoan), fmtMultiple(g.Leverage.Performance),
			fmtMultiple(g.Leverage.Fiscal), fmtPct(g.AverageFee), fmtPct(g.AverageFeeBorrowerNet), fmtPct(g.ExpectedCompensationRate), g.LargestBorrower, fmtWan(g.LargestBorrowerGuaranteed), fmtWan(g.ConcentrationLimit),
			fmtPct(shareOf(g.LargestBorrowerGuaranteed, g.NetAssets)))
	}
	t.print(w, 2)

	for _, s := range []struct {
		title   string
		buckets []models.Bucket
	}{{"county", p.ByCounty}, {"industry", p.ByIndustry}, {"product", p.ByProduct}, {"segment", p.BySegment}} {
		fmt.Fprintf(w, "\nBy %s (amounts in 亿 yuan)\n", s.title)
		t = newTextTable(s.title, "loans", "balance", "guaranteed", "share")
		for _, b := range s.buckets {
			key := b.Key
			if s.title == "county" {
				key = countyLabel(b.Key)
			}
			t.add(key, fmt.Sprint(b.Loans), fmtYi(b.Balance), fmtYi(b.Guaranteed), fmtPct(shareOf(b.Balance, p.Balance)))
		}
		t.print(w, 1)
	}

	fmt.Fprintln(w, "\nTargets today (default 4321 policy, the seed's targets)")
	t = newTextTable("", "target", "scope", "definition", "value", "", "threshold", "detail")
	held := 0
	for _, c := range p.Targets {
		mark := "✗"
		if c.Holds {
			mark = "✓"
			held++
		}
		detail := ""
		if c.Amount != nil && c.Unit != "yuan" {
			detail = fmtWan(*c.Amount) + "万 vs " + fmtWan(*c.Limit) + "万"
		}
		t.add(mark, c.ID, c.Scope, c.Definition, fmtCheckValue(c.Unit, c.Value), targetRelation[c.ID], fmtCheckValue(c.Unit, c.Threshold), detail)
	}
	t.print(w, 4)
	fmt.Fprintf(w, "%d of %d checks hold.\n", held, len(p.Targets))
}

// targetRelation is how each target compares value with threshold.
var targetRelation = map[string]string{
	models.TargetBalanceMin: ">", models.TargetLeverageMin: "≥", models.TargetLeverageMax: "≤", models.TargetFeeMax: "<",
	models.TargetCapitalMin: "≥", models.TargetConcentrationMax: "≤", models.TargetBankShareMin: "≥",
}

func fmtCheckValue(unit string, v models.Ratio) string {
	f := float64(v)
	switch {
	case math.IsNaN(f):
		return "—"
	case math.IsInf(f, 0):
		return "∞"
	}
	switch unit {
	case "yuan":
		return fmtYi(models.RoundCents(f)) + "亿"
	case "rate":
		return fmtPct(v)
	}
	return fmtMultiple(v)
}

// countyLabel is format.County: "330382 乐清市" for a Wenzhou code.
func countyLabel(code string) string { return format.County(code) }

func shareOf(a, b models.Cents) models.Ratio {
	if b == 0 {
		return models.Ratio(math.NaN())
	}
	return models.Ratio(float64(a) / float64(b))
}

// yi formats c in 亿 yuan with two decimals, rounded half away from zero
// on the exact fen count.
func fmtYi(c models.Cents) string { return fmtScaled(c, models.Yi/100) }

// wan formats c in 万 yuan with two decimals.
func fmtWan(c models.Cents) string { return fmtScaled(c, models.Wan/100) }

// scaled formats c / (100 × step) with two decimals, exactly.
func fmtScaled(c, step models.Cents) string {
	neg := c < 0
	if neg {
		c = -c
	}
	q := (c + step/2) / step
	s := fmt.Sprintf("%d.%02d", q/100, q%100)
	if neg && q != 0 {
		s = "-" + s
	}
	return s
}

func fmtMultiple(r models.Ratio) string {
	f := float64(r)
	if math.IsNaN(f) {
		return "—"
	}
	if math.IsInf(f, 0) {
		return "∞"
	}
	return fmt.Sprintf("%.2f", f)
}

func fmtPct(r models.Ratio) string {
	f := float64(r)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2f %%", 100*f)
}

// table prints aligned columns, measuring display width (a Chinese
// character takes two cells).
type textTable struct {
	head []string
	rows [][]string
}

func newTextTable(head ...string) *textTable { return &textTable{head: head} }

func (t *textTable) add(cells ...string) { t.rows = append(t.rows, cells) }

// print writes the table; the first `left` columns are left-aligned, the
// rest (numbers) right-aligned.
func (t *textTable) print(w io.Writer, left int) {
	width := make([]int, len(t.head))
	for _, r := range append([][]string{t.head}, t.rows...) {
		for i, c := range r {
			width[i] = max(width[i], runewidth.StringWidth(c))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-runewidth.StringWidth(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if i < left {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(t.head)
	for _, r := range t.rows {
		line(r)
	}
}
