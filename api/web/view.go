package web

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/wenzhou/danbao/internal/format"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// resultView is what a result page and a report file show of one run.
// It is built once from the result document and the per-path losses and
// holds only display strings and rendered charts.
type resultView struct {
	Doc      *sim.Document
	Unit     unit   // of the loss tables: 亿 when the total's ES 99.9 % reaches 1亿, else 万
	Balance  string // portfolio balance, 亿
	Elapsed  string
	LossRows []lossRow
	YearRows []yearRow
	LossHist chart
	// PartyHists are the histograms of each party's loss, with its VaR and ES.
	PartyHists []chart
	Parties    chart
	Heat       heatTable
	Outlays    outlaysView
	Contribs   []contribView
	Chains     chainsView // guarantee chains (chains.go); empty without links
	City       []metricRow
	Notes      []string // what the view could not show, and why
	Years      string   // the horizon in words (horizonText)
	Workers    string   // "1 worker", "2 workers"
	FontNote   string   // set when charts are drawn without a CJK font

	// JointCapital is P(every capital-linked target holds for every
	// guarantor in every year) ± SE and JointTargets the targets counted;
	// empty when the document has no joint block.
	JointCapital, JointTargets string
}

type lossRow struct {
	Key     string
	Name    name
	Mean    string
	SD      string
	SEMean  string
	VaR, ES []string // at levelKeys
}

type yearRow struct {
	Year                  int
	Mean, VaR99, ES99     string
	Defaults, DefaultsP99 string
}

type metricRow struct {
	Name  name
	Unit  string   // the money unit of the row ("亿元"), "" for ratios and rates
	Cells []string // per year: "median (5 %–95 %)"
}

// names gives display names for guarantor ids (from a portfolio position);
// an id without a name shows as itself.
type names map[string]string

func (n names) scope(id string) string {
	switch id {
	case sim.CityScope:
		return "City 全市"
	case "policy":
		return "Policy 政策"
	case "all":
		return "All guarantors at once 全部机构同时"
	}
	if s, ok := n[id]; ok && s != "" && s != id {
		return s + " (" + id + ")"
	}
	return id
}

// guarantorNames maps guarantor ids to names from a position (nil ok).
func guarantorNames(pos *models.Position) names {
	n := names{}
	if pos != nil {
		for _, g := range pos.Guarantors {
			n[g.ID] = g.Name
		}
	}
	return n
}

// newResultView builds the view of doc. losses are the per-path losses in
// yuan keyed by party ("total", "bank", …; nil or partial if not
// available); pos (optional) names the guarantors.
func newResultView(cf *chartFonts, doc *sim.Document, losses map[string][]float64, pos *models.Position) (*resultView, error) {
	info := doc.Info()
	v := &resultView{Doc: doc, Balance: fmtYi(doc.Portfolio.Balance.Yuan()), Elapsed: fmtNum(info.ElapsedSeconds, 1),
		Years: horizonText(doc.HorizonYears), Workers: format.Count(info.Workers, "worker", "workers")}
	if !cf.cjk {
		v.FontNote = "No CJK font was found (install fonts-noto-cjk), so the charts carry English labels only; the captions give the Chinese."
	}
	gn := guarantorNames(pos)

	v.Unit = unitFor(float64(doc.Loss[sim.PartyTotal].ES["0.999"]))
	m := func(x sim.Money) string { return fmtIn(float64(x), v.Unit) }
	for _, pn := range partyNames {
		st, ok := doc.Loss[pn.Key]
		if !ok {
			continue
		}
		r := lossRow{Key: pn.Key, Name: pn.name, Mean: m(st.Mean), SD: m(st.SD), SEMean: m(st.SE.Mean)}
		for _, k := range levelKeys {
			r.VaR = append(r.VaR, m(st.VaR[k]))
			r.ES = append(r.ES, m(st.ES[k]))
		}
		v.LossRows = append(v.LossRows, r)
	}
	for _, y := range doc.Years {
		l := y.Loss[sim.PartyTotal]
		v.YearRows = append(v.YearRows, yearRow{Year: y.Year, Mean: m(l.Mean), VaR99: m(l.VaR["0.99"]), ES99: m(l.ES["0.99"]),
			Defaults: fmtNum(float64(y.Defaults.Mean), 1), DefaultsP99: fmtNum(float64(y.Defaults.VaR["0.99"]), 0)})
	}

	var err error
	total := doc.Loss[sim.PartyTotal]
	if x := losses[sim.PartyTotal]; x != nil {
		v.LossHist, err = lossHistogram(cf, "loss-hist", x, total, name{"Distribution of the total credit loss", "总损失分布"}, v.Unit)
		if err != nil {
			return nil, err
		}
	} else {
		v.Notes = append(v.Notes, "The per-path losses were not available, so the loss histograms are left out.")
	}
	for _, pn := range partyNames {
		x := losses[pn.Key]
		st, ok := doc.Loss[pn.Key]
		if pn.Key == sim.PartyTotal || x == nil || !ok {
			continue
		}
		c, err := lossHistogram(cf, "loss-hist-"+pn.Key, x, st, name{"Loss of the " + strings.ToLower(pn.EN), pn.ZH + "损失分布"}, v.Unit)
		if err != nil {
			return nil, err
		}
		v.PartyHists = append(v.PartyHists, c)
	}
	if losses[sim.PartyTotal] != nil && len(v.PartyHists) == 0 {
		v.Notes = append(v.Notes, "Per-path losses of the parties are not recorded for this run, so only the total's histogram is drawn.")
	}
	if v.Parties, err = partyChart(cf, doc, v.Unit); err != nil {
		return nil, err
	}
	v.Heat = newHeatTable(doc, gn)
	if j := doc.Joint; j != nil && len(j.Capital.Targets) > 0 {
		v.JointCapital = fmtPct(float64(j.Capital.PHold), 1) + " ± " + fmtPct(float64(j.Capital.SE), 1)
		v.JointTargets = strings.Join(j.Capital.Targets, ", ")
	}
	if v.Outlays, err = newOutlaysView(cf, doc); err != nil {
		return nil, err
	}
	if v.Contribs, err = newContribViews(cf, doc, gn); err != nil {
		return nil, err
	}
	v.Chains = newChainsView(doc)
	v.City = cityMetrics(doc)
	return v, nil
}

// partyChart compares the parties' expected loss, VaR 99 % and ES 99 %,
// in u (the loss section's unit).
func partyChart(cf *chartFonts, doc *sim.Document, u unit) (chart, error) {
	var cats []string
	var mean, var99, es99 []float64
	for _, pn := range partyNames {
		st, ok := doc.Loss[pn.Key]
		if !ok || pn.Key == sim.PartyTotal {
			continue
		}
		cats = append(cats, cf.zhOr(pn.ZH, pn.EN))
		mean, var99, es99 = append(mean, float64(st.Mean)), append(var99, float64(st.VaR["0.99"])), append(es99, float64(st.ES["0.99"]))
	}
	scale := func(x []float64) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = v / u.Yuan
		}
		return out
	}
	return barChart(cf, "party-loss", name{"Loss by party: expected, VaR 99 %, ES 99 %", "各方损失：期望、VaR、ES"}, cats,
		[]barSeries{
			{cf.bi("Expected loss", "期望损失"), scale(mean), paletteColor(0)},
			{"VaR 99 %", scale(var99), paletteColor(1)},
			{"ES 99 %", scale(es99), paletteColor(2)},
		}, cf.zhOr(u.ZH, u.EN), false, nil, chartH)
}

// heatTable is the probability that each target holds, by scope and year
// (rows: each scope's years under it) and target (columns), so that the
// table keeps one column per target and fits the page for any horizon.
type heatTable struct {
	Targets []heatTarget
	Years   []int
	Rows    []heatRow
}

type heatTarget struct {
	ID   string
	Name name
}

type heatRow struct {
	Scope string
	Year  int
	First bool       // first row (year) of its scope
	N     int        // rows of its scope
	Cells []heatCell // one per target
}

type heatCell struct {
	Present bool
	Text    string // "97 %"
	Class   string // "h0" … "h10": colour by P(hold)
	Title   string // tooltip: P ± se, threshold, shortfall
}

func newHeatTable(doc *sim.Document, gn names) heatTable {
	var ht heatTable
	for y := 1; y <= doc.HorizonYears; y++ {
		ht.Years = append(ht.Years, y)
	}
	ids := map[string]bool{}
	var scopes []string
	seen := map[string]bool{}
	cells := map[[2]string]map[int]sim.TargetResult{}
	for _, t := range doc.Targets {
		ids[t.ID] = true
		if !seen[t.Scope] {
			seen[t.Scope] = true
			scopes = append(scopes, t.Scope)
		}
		k := [2]string{t.Scope, t.ID}
		if cells[k] == nil {
			cells[k] = map[int]sim.TargetResult{}
		}
		cells[k][t.Year] = t
	}
	for _, id := range targetOrder {
		if ids[id] {
			ht.Targets = append(ht.Targets, heatTarget{id, targetName(id)})
			delete(ids, id)
		}
	}
	var rest []string
	for id := range ids {
		rest = append(rest, id)
	}
	slices.Sort(rest)
	for _, id := range rest {
		ht.Targets = append(ht.Targets, heatTarget{id, targetName(id)})
	}
	// City and policy first, then the guarantors in document order.
	slices.SortStableFunc(scopes, func(a, b string) int { return scopeRank(a) - scopeRank(b) })
	for _, s := range scopes {
		for i, y := range ht.Years {
			row := heatRow{Scope: gn.scope(s), Year: y, First: i == 0, N: len(ht.Years)}
			for _, tg := range ht.Targets {
				t, ok := cells[[2]string{s, tg.ID}][y]
				if !ok {
					row.Cells = append(row.Cells, heatCell{})
					continue
				}
				row.Cells = append(row.Cells, heatOf(t))
			}
			ht.Rows = append(ht.Rows, row)
		}
	}
	return ht
}

func scopeRank(s string) int {
	switch s {
	case sim.CityScope:
		return 0
	case "policy":
		return 1
	}
	return 2
}

func heatOf(t sim.TargetResult) heatCell {
	p := float64(t.PHold)
	c := heatCell{Present: true, Text: "–", Class: "hn"}
	if finite(p) {
		c.Text = strconv.FormatFloat(math.Floor(p*100+0.5), 'f', 0, 64) + " %"
		// Never round a rare miss into a sure hold, or a rare hold into a sure miss.
		if p < 1 && c.Text == "100 %" {
			c.Text = strconv.FormatFloat(math.Floor(p*1000)/10, 'f', 1, 64) + " %"
		} else if p > 0 && c.Text == "0 %" {
			c.Text = strconv.FormatFloat(math.Ceil(p*1000)/10, 'f', 1, 64) + " %"
		}
		c.Class = "h" + strconv.Itoa(int(math.Floor(p*10+1e-9)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, year %d: P(hold) = %s ± %s; threshold %s", t.ID, t.Scope, t.Year,
		fmtPct(p, 1), fmtPct(float64(t.SE), 1), fmtThreshold(t.ID, float64(t.Threshold)))
	if t.Definition != "" {
		fmt.Fprintf(&b, " (%s)", t.Definition)
	}
	if t.Shortfall != nil {
		fmt.Fprintf(&b, "; median shortfall where missed %s", fmtThreshold(t.ID, float64(t.Shortfall.Q50)))
	}
	c.Title = b.String()
	return c
}

// fmtThreshold formats a target threshold or shortfall in the target's unit.
func fmtThreshold(id string, v float64) string {
	switch id {
	case models.TargetBalanceMin, models.TargetCapitalMin:
		return fmtMoney(v)
	case models.TargetLeverageMin, models.TargetLeverageMax:
		return fmtNum(v, 2)
	}
	return fmtPct(v, 2)
}

// outlaysView is the county fiscal outlays of a run.
type outlaysView struct {
	Chart chart
	Rows  []outlayRow
	Unit  unit // of the table and the chart's axis
}

type outlayRow struct {
	County                       string
	Year                         int
	Mean, Q95, RiskComp, Subsidy string
	Exhausted                    string
	FirstOfCounty                bool
	CountyRows                   int
}

func newOutlaysView(cf *chartFonts, doc *sim.Document) (outlaysView, error) {
	var ov outlaysView
	outlays := doc.Outlays
	if len(outlays) == 0 {
		return ov, nil
	}
	codes := make([]string, 0, len(outlays))
	for c := range outlays {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	hi := 0.0
	for _, c := range codes {
		for _, o := range outlays[c] {
			hi = max(hi, float64(o.Total.Q95))
		}
	}
	u := unitFor(hi)
	ov.Unit = u
	var cats []string
	H := doc.HorizonYears
	mean := make([][]float64, H)
	var q95 []float64
	for _, c := range codes {
		cats = append(cats, cf.zhOr(models.CountyName(c), c))
		for i, o := range outlays[c] {
			ov.Rows = append(ov.Rows, outlayRow{County: countyLabel(c), Year: o.Year, FirstOfCounty: i == 0, CountyRows: len(outlays[c]),
				Mean: fmtIn(float64(o.Total.Mean), u), Q95: fmtIn(float64(o.Total.Q95), u), RiskComp: fmtIn(float64(o.RiskCompensation.Mean), u),
				Subsidy: fmtIn(float64(o.FeeSubsidyMean), u), Exhausted: fmtPct(float64(o.BudgetExhaustedShare), 1)})
			if t := o.Year - 1; t >= 0 && t < H {
				mean[t] = append(mean[t], float64(o.Total.Mean)/u.Yuan)
			}
			if o.Year == 1 {
				q95 = append(q95, float64(o.Total.Q95)/u.Yuan)
			}
		}
	}
	var series []barSeries
	if H == 1 {
		series = []barSeries{{cf.bi("Expected", "期望"), mean[0], paletteColor(0)}, {cf.bi("95 % quantile", "95%分位"), q95, paletteColor(2)}}
	} else {
		for t := range min(H, 5) {
			if len(mean[t]) == len(cats) {
				series = append(series, barSeries{cf.bi(fmt.Sprintf("Year %d", t+1), fmt.Sprintf("第%d年", t+1)), mean[t], paletteColor(t)})
			}
		}
	}
	var err error
	ov.Chart, err = barChart(cf, "outlays", name{"County outlays: risk compensation + fee subsidy", "区县财政支出：风险补偿＋保费补贴"},
		cats, series, cf.zhOr(u.ZH, u.EN), false, nil, chartH)
	return ov, err
}

// contribView is the expected-shortfall contributions along one dimension.
type contribView struct {
	Dimension name
	Level     string
	ES        string
	Unit      unit // of the whole section: the ES, every table and every chart
	Chart     chart
	Rows      []contribRow
}

type contribRow struct {
	Segment string
	Amount  string
	Share   string
}

// maxBars is how many segments a contribution chart shows; the rest are
// summed into "other".
const maxBars = 12

// contribDim is one dimension of the expected-shortfall contributions:
// each segment's contribution (fen, as float64) by its code, and the
// codes largest first (sortedKeys).
type contribDim struct {
	Dim    string
	Amount map[string]float64
	Keys   []string
}

// contribDims lists the dimensions c has, in dimensionOrder.
func contribDims(c *sim.Contributions) []contribDim {
	var out []contribDim
	for _, dim := range dimensionOrder {
		by, ok := c.By[dim]
		if !ok {
			continue
		}
		m := make(map[string]float64, len(by))
		for k, v := range by {
			m[k] = float64(v)
		}
		out = append(out, contribDim{Dim: dim, Amount: m, Keys: sortedKeys(m)})
	}
	return out
}

// segmentLabel names segment k of contribution dimension dim in a table:
// a county through county (the page shows code and name, the workbook,
// which has a code column, the name), a guarantor by its name, an
// industry, product or segment code by its Chinese and English names;
// any other code as it is.
func segmentLabel(dim, k string, gn names, county func(string) string) string {
	switch dim {
	case "county":
		return county(k)
	case "guarantor":
		return gn.scope(k)
	}
	if n, ok := codeNames(dim, k); ok {
		return n.ZH + " " + n.EN
	}
	return k
}

func newContribViews(cf *chartFonts, doc *sim.Document, gn names) ([]contribView, error) {
	c := doc.Contributions
	if c == nil {
		return nil, nil
	}
	es := float64(c.ES)
	// One unit for the section: the ES and the largest contribution of any
	// dimension (a segment's can exceed the ES when others are negative).
	all := []float64{es}
	for _, by := range c.By {
		for _, v := range by {
			all = append(all, float64(v))
		}
	}
	u := unitFor(all...)
	var out []contribView
	for _, d := range contribDims(c) {
		dim, m, keys := d.Dim, d.Amount, d.Keys
		cv := contribView{Dimension: dimensionName(dim), Level: levelPct(strconv.FormatFloat(c.Level, 'g', -1, 64)), ES: fmtIn(es, u), Unit: u}
		for _, k := range keys {
			share := math.NaN()
			if es != 0 {
				share = m[k] / es
			}
			cv.Rows = append(cv.Rows, contribRow{Segment: segmentLabel(dim, k, gn, countyLabel), Amount: fmtIn(m[k], u), Share: fmtPct(share, 1)})
		}
		// Chart: largest first from the top, the rest as "other".
		shown := keys
		other := 0.0
		if len(keys) > maxBars {
			shown = keys[:maxBars-1]
			for _, k := range keys[maxBars-1:] {
				other += m[k]
			}
		}
		var cats []string
		var vals []float64
		for _, k := range shown {
			l := k
			switch dim {
			case "county":
				l = cf.zhOr(models.CountyName(k), k)
			case "guarantor":
				if n := gn[k]; cf.cjk && n != "" {
					l = shortName(n)
				}
			default:
				if n, ok := codeNames(dim, k); ok {
					l = cf.zhOr(n.ZH, n.EN)
				}
			}
			cats = append(cats, l)
			vals = append(vals, m[k]/u.Yuan)
		}
		if len(keys) > maxBars {
			cats = append(cats, cf.zhOr("其他", "other"))
			vals = append(vals, other/u.Yuan)
		}
		slices.Reverse(cats) // horizontal bars draw the first category at the bottom
		slices.Reverse(vals)
		h := vg.Length(max(160, 40+18*len(cats)))
		var err error
		cv.Chart, err = barChart(cf, "contrib-"+dim,
			name{"ES " + cv.Level + " contributions by " + strings.ToLower(cv.Dimension.EN), "按" + cv.Dimension.ZH + "的ES贡献"},
			cats, []barSeries{{"", vals, paletteColor(len(out))}}, cf.zhOr(u.ZH, u.EN), true, nil, h)
		if err != nil {
			return nil, err
		}
		out = append(out, cv)
	}
	return out, nil
}

// cityMetrics lists the city's projected metrics by year.
func cityMetrics(doc *sim.Document) []metricRow {
	order := []string{"loan_balance", "guaranteed_balance", "small_agri_loan_balance", "small_agri_balance", "net_assets",
		"leverage_performance_loan", "leverage_performance", "leverage_regulatory", "leverage_fiscal", "compensation_rate",
		"compensation_paid", "recoveries", "fee_rate_charged", "fee_rate", "reserves"}
	var rows []metricRow
	for _, m := range order {
		r := metricRow{Name: metricName(m)}
		f := func(v float64) string { return fmtMetric(m, v) }
		if metricKind(m) == "money" {
			var xs []float64
			for _, y := range doc.Years {
				if q, ok := y.Metrics[sim.CityScope][m]; ok {
					xs = append(xs, float64(q.Q05), float64(q.Q50), float64(q.Q95))
				}
			}
			u := unitFor(xs...)
			r.Unit = u.ZH
			f = func(v float64) string { return fmtIn(v, u) }
		}
		any := false
		for _, y := range doc.Years {
			q, ok := y.Metrics[sim.CityScope][m]
			if !ok {
				r.Cells = append(r.Cells, "–")
				continue
			}
			any = true
			r.Cells = append(r.Cells, format.Range(f(float64(q.Q50)), f(float64(q.Q05)), f(float64(q.Q95))))
		}
		if any {
			rows = append(rows, r)
		}
	}
	return rows
}

// positionView is a portfolio's position today (models.Describe).
type positionView struct {
	Pos        *models.Position
	Cards      []card
	County     chart
	Leverage   chart
	Guarantors []guarantorRow
	Checks     checkMatrix
	Holding    int // checks that hold
	Total      int
}

type card struct {
	Name  name
	Value string
}

type guarantorRow struct {
	ID, Name, Level, County         string
	Loans                           string
	Guaranteed, NetAssets           string
	LevPerf, LevReg, LevFiscal, Fee string
}

// checkMatrix shows today's target checks as scopes (rows) × targets
// (columns, one per target id and definition).
type checkMatrix struct {
	Cols []checkCol
	Rows []checkMatrixRow
}

type checkCol struct {
	Key  string // id, or id/definition
	Name name
	Def  string
	Unit string // the money unit of the column ("亿元"), "" when it is not money
}

type checkMatrixRow struct {
	Scope string
	Cells []checkCell
}

type checkCell struct {
	Present bool
	Holds   bool
	Value   string
	Title   string
}

func newPositionView(cf *chartFonts, pos *models.Position) (*positionView, error) {
	v := &positionView{Pos: pos}
	v.Cards = []card{
		{name{"Loans", "笔数"}, fmtNum(float64(pos.Loans), 0)},
		{name{"Loan balance", "贷款余额"}, fmtYi(pos.Balance.Yuan()) + " 亿"},
		{name{"Guaranteed balance", "在保余额"}, fmtYi(pos.Guaranteed.Yuan()) + " 亿"},
		{name{"Small/micro + agri, loan basis", "小微三农在保贷款"}, fmtYi(pos.SmallMicroAgriBalance.Yuan()) + " 亿"},
		{name{"Small/micro + agri, guaranteed basis", "小微三农在保"}, fmtYi(pos.SmallMicroAgriGuaranteed.Yuan()) + " 亿"},
		{name{"Net assets, consolidated", "合并净资产"}, fmtYi(pos.City.NetAssets.Yuan()) + " 亿"},
		{name{"Leverage, performance, loan basis", "放大倍数（贷款口径）"}, fmtNum(float64(pos.City.Leverage.PerformanceLoan), 2)},
		{name{"Leverage, performance, guaranteed basis", "放大倍数"}, fmtNum(float64(pos.City.Leverage.Performance), 2)},
		{name{"Leverage, regulatory", "监管放大倍数"}, fmtNum(float64(pos.City.Leverage.Regulatory), 2)},
		{name{"Average fee, charged", "平均费率"}, fmtPct(float64(pos.AverageFee), 2)},
		{name{"Expected compensation rate (PDs)", "预期代偿率"}, fmtPct(float64(pos.ExpectedCompensationRate), 2)},
	}
	gn := guarantorNames(pos)
	for _, g := range pos.Guarantors {
		v.Guarantors = append(v.Guarantors, guarantorRow{ID: g.ID, Name: g.Name, Level: g.Level, County: countyLabel(g.County),
			Loans: fmtNum(float64(g.Loans), 0), Guaranteed: fmtYi(g.Guaranteed.Yuan()), NetAssets: fmtYi(g.NetAssets.Yuan()),
			LevPerf: fmtNum(float64(g.Leverage.Performance), 2), LevReg: fmtNum(float64(g.Leverage.Regulatory), 2),
			LevFiscal: fmtNum(float64(g.Leverage.Fiscal), 2), Fee: fmtPct(float64(g.AverageFee), 2)})
	}
	v.Checks = newCheckMatrix(pos.Targets, gn)
	v.Total = len(pos.Targets)
	for _, c := range pos.Targets {
		if c.Holds {
			v.Holding++
		}
	}

	// Guaranteed balance by county, 亿.
	var cats []string
	var guar, bal []float64
	for _, b := range pos.ByCounty {
		l := b.Key
		if cf.cjk && b.Name != "" {
			l = b.Name
		}
		cats = append(cats, l)
		guar = append(guar, b.Guaranteed.Yuan()/yiYuan)
		bal = append(bal, b.Balance.Yuan()/yiYuan)
	}
	var err error
	v.County, err = barChart(cf, "county-balance", name{"Balances by county", "各区县贷款与在保余额"}, cats,
		[]barSeries{{cf.bi("Loan balance", "贷款余额"), bal, paletteColor(0)}, {cf.bi("Guaranteed", "在保余额"), guar, paletteColor(1)}},
		cf.zhOr(unitYi.ZH, unitYi.EN), false, nil, chartH)
	if err != nil {
		return nil, err
	}
	// Leverage by guarantor, with the targets' bounds as today's checks
	// state them (leverage_min for the city, each distinct leverage_max cap).
	cats = cats[:0]
	var perf, reg []float64
	for _, g := range pos.Guarantors {
		l := g.ID
		if cf.cjk && g.Name != "" {
			l = shortName(g.Name)
		}
		cats = append(cats, l)
		perf = append(perf, float64(g.Leverage.Performance))
		reg = append(reg, float64(g.Leverage.Regulatory))
	}
	var refs []refLine
	seen := map[string]bool{}
	caps := 0
	for _, c := range pos.Targets {
		if c.ID != models.TargetLeverageMin && c.ID != models.TargetLeverageMax {
			continue
		}
		th := fmtNum(float64(c.Threshold), 0)
		label := fmt.Sprintf("下限 ≥ %s · Target ≥ %s (%s)", th, th, c.Definition)
		if c.ID == "leverage_max" {
			label = fmt.Sprintf("上限 ≤ %s · Cap %s (%s)", th, th, c.Definition)
		}
		if seen[label] || len(refs) >= 3 {
			continue
		}
		seen[label] = true
		col := color.RGBA{0x59, 0xa1, 0x4f, 0xff}
		if c.ID == "leverage_max" {
			col = color.RGBA{0xe1, 0x57, 0x59, 0xff}
			if caps++; caps > 1 {
				col = color.RGBA{0x8b, 0x1a, 0x1a, 0xff} // a second cap (10 and 15) in dark red
			}
		}
		refs = append(refs, refLine{label, float64(c.Threshold), col})
	}
	v.Leverage, err = barChart(cf, "guarantor-leverage", name{"Leverage by guarantor", "各担保机构放大倍数"}, cats,
		[]barSeries{{cf.bi("Performance", "业务口径"), perf, paletteColor(0)}, {cf.bi("Regulatory", "监管口径"), reg, paletteColor(3)}},
		cf.bi("Guaranteed / net assets", "倍"), false, refs, chartH)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// shortName drops the common parts of guarantor names so chart labels
// fit: "温州市乐清市融资担保有限公司" → "乐清市", "温州市融资担保有限公司" → "温州市".
func shortName(s string) string {
	for _, suf := range []string{"融资担保有限公司", "融资担保集团有限公司", "融资担保股份有限公司", "融资担保公司", "担保有限公司"} {
		if t, ok := strings.CutSuffix(s, suf); ok && t != "" {
			s = t
			break
		}
	}
	if t, ok := strings.CutPrefix(s, "温州市"); ok && t != "" {
		return t
	}
	return s
}

// newCheckMatrix lays the checks out by scope and target, in the order
// models.Describe lists them (targets), city and policy rows first.
func newCheckMatrix(checks []models.Check, gn names) checkMatrix {
	var m checkMatrix
	col := map[string]int{}
	row := map[string]int{}
	var scopes []string
	for _, c := range checks {
		key := c.ID
		if c.Definition != "" {
			key += "/" + c.Definition
		}
		if _, ok := col[key]; !ok {
			col[key] = len(m.Cols)
			m.Cols = append(m.Cols, checkCol{Key: key, Name: targetName(c.ID), Def: strings.ReplaceAll(c.Definition, "_", " ")})
		}
		if _, ok := row[c.Scope]; !ok {
			row[c.Scope] = len(scopes)
			scopes = append(scopes, c.Scope)
		}
	}
	cells := make([][]checkCell, len(scopes))
	for i := range cells {
		cells[i] = make([]checkCell, len(m.Cols))
	}
	// One money unit per column, from the column's largest amount.
	amounts := func(c models.Check) (val, lim float64) {
		val, lim = float64(c.Value), float64(c.Threshold)
		if c.Amount != nil {
			val = c.Amount.Yuan()
		}
		if c.Limit != nil {
			lim = c.Limit.Yuan()
		}
		return val, lim
	}
	colAmounts := make([][]float64, len(m.Cols))
	for _, c := range checks {
		if c.Unit == "yuan" {
			val, lim := amounts(c)
			i := col[checkKey(c)]
			colAmounts[i] = append(colAmounts[i], val, lim)
		}
	}
	colUnit := make([]unit, len(m.Cols))
	for i, xs := range colAmounts {
		if xs != nil {
			colUnit[i] = unitFor(xs...)
			m.Cols[i].Unit = colUnit[i].ZH
		}
	}
	for _, c := range checks {
		key := checkKey(c)
		var val, lim string
		switch c.Unit {
		case "yuan":
			v, l := amounts(c)
			u := colUnit[col[key]]
			val, lim = fmtIn(v, u), fmtIn(l, u)+u.Short()
		case "multiple":
			val, lim = format.NumVersus(float64(c.Value), float64(c.Threshold), 2), fmtNum(float64(c.Threshold), 2)
		default:
			val, lim = format.PctVersus(float64(c.Value), float64(c.Threshold), 1), fmtPct(float64(c.Threshold), 1)
		}
		verdict := "未达标 misses"
		if c.Holds {
			verdict = "达标 holds"
		}
		cells[row[c.Scope]][col[key]] = checkCell{Present: true, Holds: c.Holds, Value: val,
			Title: fmt.Sprintf("%s, %s: %s against %s, %s", c.ID, c.Scope, val, lim, verdict)}
	}
	order := make([]int, len(scopes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return scopeRank(scopes[a]) - scopeRank(scopes[b]) })
	for _, i := range order {
		m.Rows = append(m.Rows, checkMatrixRow{Scope: gn.scope(scopes[i]), Cells: cells[i]})
	}
	return m
}

// checkKey is the column of a check: its target id, and its definition
// when it has one.
func checkKey(c models.Check) string {
	if c.Definition != "" {
		return c.ID + "/" + c.Definition
	}
	return c.ID
}

// codeNames names an industry, product or segment code in Chinese and
// English (format.Industries, …); ok is false for a code it does not know.
func codeNames(dim, code string) (format.Name, bool) {
	var m map[string]format.Name
	switch dim {
	case "industry":
		m = format.Industries
	case "product":
		m = format.Products
	case "segment":
		m = format.Segments
	}
	n, ok := m[code]
	return n, ok
}
