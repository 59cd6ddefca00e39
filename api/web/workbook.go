package web

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/wenzhou/danbao/internal/format"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// XLSXType is the media type of the workbooks (RunWorkbook, …).
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// A workbook has one sheet per table. Row 1 holds the Chinese headers,
// row 2 the English ones; both stay frozen, with the first column, while
// scrolling. Money is a number in the column's unit (亿元 or 万元, chosen
// from the whole column as on the pages) with a number format that shows
// the unit; rates are fractions with a percentage format; codes (party,
// industry, scope) are kept beside their names so that filters and
// lookups keep working.

// colKind says how a column is stored and formatted.
type colKind int

const (
	colText colKind = iota
	colInt
	colNum   // plain number, 4 decimals shown
	colPct   // a fraction, shown as a percentage
	colMoney // yuan, stored in the column's unit
)

type column struct {
	ZH, EN string
	Kind   colKind
}

// sheet is one table of a workbook. Money cells hold yuan as float64;
// write converts them to the column's unit.
type sheet struct {
	Name   string // at most 31 characters
	Cols   []column
	Rows   [][]any // nil for an empty cell
	Charts []sheetChart
}

// sheetChart is a chart of some of the sheet's columns over all its rows.
type sheetChart struct {
	Type   excelize.ChartType
	Title  string
	Cat    int   // column of the categories
	Series []int // columns of the values
}

// writeWorkbook writes the sheets as an .xlsx file.
func writeWorkbook(w io.Writer, sheets []sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"E8EDF3"}, Pattern: 1},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	styles := map[string]int{}
	style := func(code string) (int, error) {
		if id, ok := styles[code]; ok {
			return id, nil
		}
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		styles[code] = id
		return id, err
	}
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.Name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(s.Name); err != nil {
			return err
		}
		units := make([]format.Unit, len(s.Cols))
		zh, en := make([]any, len(s.Cols)), make([]any, len(s.Cols))
		for c, col := range s.Cols {
			zh[c], en[c] = col.ZH, col.EN
			if col.Kind == colMoney {
				var xs []float64
				for _, r := range s.Rows {
					if x, ok := r[c].(float64); ok {
						xs = append(xs, x)
					}
				}
				units[c] = format.Column(xs...)
				zh[c] = col.ZH + "（" + units[c].ZH + "）"
				en[c] = col.EN + " (" + units[c].EN + ")"
			}
		}
		if err := f.SetSheetRow(s.Name, "A1", &zh); err != nil {
			return err
		}
		if err := f.SetSheetRow(s.Name, "A2", &en); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(len(s.Cols), 2)
		if err := f.SetCellStyle(s.Name, "A1", last, head); err != nil {
			return err
		}
		for r, row := range s.Rows {
			vals := make([]any, len(row))
			for c, v := range row {
				if x, ok := v.(float64); ok && s.Cols[c].Kind == colMoney {
					v = x / units[c].Yuan
				}
				if x, ok := v.(float64); ok && !format.Finite(x) {
					v = nil
				}
				vals[c] = v
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+3)
			if err := f.SetSheetRow(s.Name, cell, &vals); err != nil {
				return err
			}
		}
		for c, col := range s.Cols {
			name, _ := excelize.ColumnNumberToName(c + 1)
			width := 14.0
			if col.Kind == colText {
				width = 22
			}
			if err := f.SetColWidth(s.Name, name, name, width); err != nil {
				return err
			}
			var code string
			switch col.Kind {
			case colMoney:
				code = units[c].Excel
			case colPct:
				code = "0.00%"
			case colNum:
				code = "#,##0.0000"
			case colInt:
				code = "#,##0"
			default:
				continue
			}
			id, err := style(code)
			if err != nil {
				return err
			}
			if len(s.Rows) > 0 {
				if err := f.SetCellStyle(s.Name, name+"3", name+strconv.Itoa(len(s.Rows)+2), id); err != nil {
					return err
				}
			}
		}
		if err := f.SetPanes(s.Name, &excelize.Panes{Freeze: true, XSplit: 1, YSplit: 2, TopLeftCell: "B3", ActivePane: "bottomRight"}); err != nil {
			return err
		}
		for k, ch := range s.Charts {
			if len(s.Rows) == 0 {
				break
			}
			if err := addChart(f, s, ch, k); err != nil {
				return err
			}
		}
	}
	return f.Write(w)
}

// addChart places chart k of s to the right of its table.
func addChart(f *excelize.File, s sheet, ch sheetChart, k int) error {
	ref := func(c int) string {
		name, _ := excelize.ColumnNumberToName(c + 1)
		return fmt.Sprintf("'%s'!$%s$3:$%s$%d", s.Name, name, name, len(s.Rows)+2)
	}
	var series []excelize.ChartSeries
	for _, c := range ch.Series {
		name, _ := excelize.ColumnNumberToName(c + 1)
		series = append(series, excelize.ChartSeries{Name: fmt.Sprintf("'%s'!$%s$1", s.Name, name), Categories: ref(ch.Cat), Values: ref(c)})
	}
	at, _ := excelize.CoordinatesToCellName(len(s.Cols)+2, 3+k*22)
	return f.AddChart(s.Name, at, &excelize.Chart{Type: ch.Type, Series: series,
		Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: ch.Title}}},
		Legend: excelize.ChartLegend{Position: "bottom"}, Dimension: excelize.ChartDimension{Width: 640, Height: 400}})
}

// partyCols are the loss-table columns shared by runs and sweeps.
func lossCols() []column {
	cols := []column{{"期望损失", "Expected loss", colMoney}, {"期望损失标准误", "SE of the mean", colMoney}, {"标准差", "SD", colMoney}}
	for _, k := range levelKeys {
		cols = append(cols, column{"VaR " + levelPct(k), "VaR " + levelPct(k), colMoney})
	}
	for _, k := range levelKeys {
		cols = append(cols, column{"ES " + levelPct(k), "ES " + levelPct(k), colMoney})
	}
	return cols
}

func lossCells(st sim.LossStats) []any {
	r := []any{float64(st.Mean), float64(st.SE.Mean), float64(st.SD)}
	for _, k := range levelKeys {
		r = append(r, float64(st.VaR[k]))
	}
	for _, k := range levelKeys {
		r = append(r, float64(st.ES[k]))
	}
	return r
}

// RunWorkbook writes a run's result document as a workbook: losses by
// party, losses by year, targets by scope and year, county outlays and
// risk contributions (the last three with the policy ledger). pos
// (optional) names the guarantors.
func RunWorkbook(w io.Writer, doc *sim.Document, pos *models.Position) error {
	if doc == nil {
		return fmt.Errorf("web: RunWorkbook: nil document")
	}
	gn := guarantorNames(pos)
	losses := sheet{Name: "损失 Losses", Cols: append([]column{{"承担方", "Party", colText}, {"代码", "Code", colText}}, lossCols()...),
		Charts: []sheetChart{{Type: excelize.Col, Title: "各方损失 Loss by party", Cat: 0, Series: []int{2, 7, 10}}}}
	for _, pn := range partyNames {
		st, ok := doc.Loss[pn.Key]
		if !ok {
			continue
		}
		losses.Rows = append(losses.Rows, append([]any{pn.ZH + " " + pn.EN, pn.Key}, lossCells(st)...))
	}
	years := sheet{Name: "分年度 By year", Cols: []column{{"年度", "Year", colInt}, {"期望损失", "Expected loss", colMoney},
		{"VaR 99 %", "VaR 99 %", colMoney}, {"ES 99 %", "ES 99 %", colMoney}, {"违约笔数均值", "Defaults, mean", colNum}, {"违约笔数 99 %", "Defaults, 99 %", colNum}}}
	for _, y := range doc.Years {
		l := y.Loss[sim.PartyTotal]
		years.Rows = append(years.Rows, []any{y.Year, float64(l.Mean), float64(l.VaR["0.99"]), float64(l.ES["0.99"]),
			float64(y.Defaults.Mean), float64(y.Defaults.VaR["0.99"])})
	}
	sheets := []sheet{losses, years}
	if len(doc.Targets) > 0 {
		t := sheet{Name: "目标 Targets", Cols: []column{{"范围", "Scope", colText}, {"范围代码", "Scope code", colText}, {"目标", "Target", colText},
			{"目标代码", "Target code", colText}, {"口径", "Definition", colText}, {"年度", "Year", colInt}, {"达标概率", "P(hold)", colPct},
			{"标准误", "SE", colPct}, {"阈值", "Threshold", colNum}}}
		ts := slices.Clone(doc.Targets)
		slices.SortStableFunc(ts, func(a, b sim.TargetResult) int { return scopeRank(a.Scope) - scopeRank(b.Scope) })
		for _, r := range ts {
			n := targetName(r.ID)
			t.Rows = append(t.Rows, []any{gn.scope(r.Scope), r.Scope, n.ZH + " " + n.EN, r.ID, r.Definition, r.Year,
				float64(r.PHold), float64(r.SE), float64(r.Threshold)})
		}
		sheets = append(sheets, t)
	}
	if outlays := doc.Outlays; len(outlays) > 0 {
		o := sheet{Name: "财政支出 Outlays", Cols: []column{{"区县", "County", colText}, {"区县代码", "County code", colText}, {"年度", "Year", colInt},
			{"合计均值", "Total, mean", colMoney}, {"合计 95 %分位", "Total, 95 %", colMoney}, {"风险补偿均值", "Risk compensation, mean", colMoney},
			{"保费补贴均值", "Fee subsidy, mean", colMoney}, {"预算用尽概率", "P(budget exhausted)", colPct}}}
		codes := slices.Sorted(maps.Keys(outlays))
		for _, c := range codes {
			for _, x := range outlays[c] {
				o.Rows = append(o.Rows, []any{models.CountyName(c), c, x.Year, float64(x.Total.Mean), float64(x.Total.Q95),
					float64(x.RiskCompensation.Mean), float64(x.FeeSubsidyMean), float64(x.BudgetExhaustedShare)})
			}
		}
		sheets = append(sheets, o)
	}
	if c := doc.Contributions; c != nil {
		s := sheet{Name: "风险贡献 Contributions", Cols: []column{{"维度", "Dimension", colText}, {"分组", "Segment", colText}, {"代码", "Code", colText},
			{"ES贡献", "ES contribution", colMoney}, {"占ES比例", "Share of ES", colPct}}}
		for _, d := range contribDims(c) {
			dn := dimensionName(d.Dim)
			for _, k := range d.Keys {
				share := any(nil)
				if c.ES != 0 {
					share = d.Amount[k] / float64(c.ES)
				}
				s.Rows = append(s.Rows, []any{dn.ZH + " " + dn.EN, segmentLabel(d.Dim, k, gn, models.CountyName), k, d.Amount[k], share})
			}
		}
		s.Rows = append(s.Rows, chainContributionRows(c)...)
		sheets = append(sheets, s)
	}
	return writeWorkbook(w, sheets)
}

// SweepWorkbook writes a sweep as a workbook: each point's losses by
// party, top-ups and outlays; the targets along the sweep; the
// differences between adjacent points with their paired and independent
// standard errors.
func SweepWorkbook(w io.Writer, res *sim.SweepResult) error {
	if res == nil {
		return fmt.Errorf("web: SweepWorkbook: nil sweep")
	}
	// lead is a row's first cells: the parameter's value, and the second
	// parameter's in a 2-D sweep; leadCols their columns.
	leadCols := []column{{paramZH(res.Param), res.Param, colNum}}
	if res.Param2 != "" {
		leadCols = append(leadCols, column{paramZH(res.Param2), res.Param2, colNum})
	}
	lead := func(v sim.Number, v2 *sim.Number, rest ...any) []any {
		out := []any{float64(v)}
		if res.Param2 != "" {
			var x any
			if v2 != nil {
				x = float64(*v2)
			}
			out = append(out, x)
		}
		return append(out, rest...)
	}
	nl := len(leadCols) - 1 // columns after the first that lead adds
	pts := sheet{Name: "各取值 Points", Cols: append(slices.Clone(leadCols), column{"承担方", "Party", colText}, column{"代码", "Code", colText})}
	pts.Cols = append(pts.Cols, lossCols()...)
	for _, p := range res.Points {
		for _, key := range sweepParties {
			st, ok := p.Loss[key]
			if !ok {
				continue
			}
			n := partyName(key)
			pts.Rows = append(pts.Rows, append(lead(p.Value, p.Value2, n.ZH+" "+n.EN, key), lossCells(st)...))
		}
	}
	tu := sheet{Name: "补充资本 Top-ups", Cols: append(slices.Clone(leadCols), column{"违约率乘数", "PD multiplier", colNum},
		column{"补充资本（各机构合计）", "Top-up, Σ guarantors", colMoney}, column{"补充资本（全市统筹）", "Top-up, pooled", colMoney},
		column{"区县财政支出 第1年", "County outlays, year 1", colMoney})}
	if res.Param2 == "" { // a line over the values; a 2-D grid has no line to draw
		tu.Charts = []sheetChart{{Type: excelize.Line, Title: "资本金补充 Capital top-up", Cat: 0, Series: []int{2 + nl, 3 + nl}}}
	}
	for _, p := range res.Points {
		var out any
		if tot, ok := p.Outlays["total"]; ok && len(tot) > 0 {
			out = float64(tot[0])
		}
		tu.Rows = append(tu.Rows, lead(p.Value, p.Value2, float64(p.PDMultiplier), float64(p.Topup), float64(p.TopupPooled), out))
	}
	tg := sheet{Name: "目标 Targets", Cols: append(slices.Clone(leadCols), column{"目标", "Target", colText}, column{"目标代码", "Target code", colText},
		column{"范围", "Scope", colText}, column{"年度", "Year", colInt}, column{"达标概率", "P(hold)", colPct}, column{"标准误", "SE", colPct})}
	for _, p := range res.Points {
		for _, t := range p.Targets {
			n := targetName(t.ID)
			for y, ph := range t.PHold {
				var se any
				if y < len(t.SE) {
					se = float64(t.SE[y])
				}
				tg.Rows = append(tg.Rows, lead(p.Value, p.Value2, n.ZH+" "+n.EN, t.ID, t.Scope, y+1, float64(ph), se))
			}
		}
	}
	df := sheet{Name: "相邻差异 Differences", Cols: []column{{"从", "From", colNum}, {"到", "To", colNum}, {"承担方", "Party", colText},
		{"期望损失变化", "Mean change", colMoney}, {"配对标准误", "SE paired", colMoney}, {"独立标准误", "SE independent", colMoney}}}
	if res.Param2 != "" {
		df.Cols = append([]column{leadCols[1]}, df.Cols...)
	}
	for _, d := range res.Differences {
		n := partyName(d.Party)
		row := []any{float64(d.From), float64(d.To), n.ZH + " " + n.EN, float64(d.Mean), float64(d.SEPaired), float64(d.SEIndependent)}
		if res.Param2 != "" {
			var x any
			if d.Value2 != nil {
				x = float64(*d.Value2)
			}
			row = append([]any{x}, row...)
		}
		df.Rows = append(df.Rows, row)
	}
	return writeWorkbook(w, []sheet{pts, tu, tg, df})
}

// TopupWorkbook writes capital top-ups as a workbook: the city, each
// guarantor and each county at the requested confidences.
func TopupWorkbook(w io.Writer, res *sim.TopupResult) error {
	if res == nil {
		return fmt.Errorf("web: TopupWorkbook: nil top-up")
	}
	city := sheet{Name: "全市 City", Cols: []column{{"置信水平", "Confidence", colPct}, {"补充资本（各机构合计）", "Top-up, Σ guarantors", colMoney},
		{"补充资本（全市统筹）", "Top-up, pooled", colMoney}, {"资本目标全部达标概率", "P(all capital targets hold)", colPct},
		{"放大倍数达下限概率", "P(leverage ≥ min) after", colPct}},
		Charts: []sheetChart{{Type: excelize.Line, Title: "资本金补充曲线 Top-up by confidence", Cat: 0, Series: []int{1, 2}}}}
	for _, l := range res.City.Curve {
		city.Rows = append(city.Rows, []any{float64(l.Confidence), float64(l.Total), float64(l.Pooled), float64(l.PCapitalAll), float64(l.PLeverageMin)})
	}
	g := sheet{Name: "担保机构 Guarantors", Cols: []column{{"担保机构", "Guarantor", colText}, {"代码", "Code", colText}, {"区县", "County", colText},
		{"置信水平", "Confidence", colPct}, {"补充资本", "Top-up", colMoney}, {"95 %置信下限", "95 % CI low", colMoney}, {"95 %置信上限", "95 % CI high", colMoney},
		{"资本达标概率", "P(capital)", colPct}, {"放大倍数达下限概率", "P(leverage ≥ min)", colPct}, {"闲置资本", "Idle capital", colText},
		{"需补充概率", "P(needs capital)", colPct}, {"平均需求", "Mean need", colMoney}, {"注册资本缺口", "Registered capital gap", colMoney}}}
	for _, x := range res.Guarantors {
		for _, a := range x.At {
			idle := "否 no"
			if a.Idle {
				idle = "是 yes"
			}
			g.Rows = append(g.Rows, []any{x.Name, x.Guarantor, models.CountyName(x.County), float64(a.Confidence), float64(a.Amount),
				float64(a.Low), float64(a.High), float64(a.PCapital), float64(a.PLeverageMin), idle,
				float64(x.PNeed), float64(x.MeanNeed), float64(x.RegisteredGap)})
		}
	}
	k := sheet{Name: "区县 Counties", Cols: []column{{"区县", "County", colText}, {"区县代码", "County code", colText}, {"置信水平", "Confidence", colPct},
		{"补充资本", "Top-up", colMoney}}}
	for _, c := range res.Counties {
		for _, a := range c.At {
			k.Rows = append(k.Rows, []any{orDefault(c.Name, models.CountyName(c.County)), c.County, float64(a.Confidence), float64(a.Amount)})
		}
	}
	return writeWorkbook(w, []sheet{city, g, k})
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// paramZH is the Chinese header of a swept parameter's column.
func paramZH(path string) string {
	switch path {
	case models.BankSharePath:
		return "银行分险比例"
	case "policy.county_fund.share":
		return "区县风险补偿分担比例"
	case "policy.reguarantee.share":
		return "再担保分担比例"
	case "growth.rate":
		return "业务增长率"
	}
	return "扫描参数 " + path
}
