package web

import (
	"math"
	"strconv"
	"strings"

	"github.com/wenzhou/danbao/models"
)

// Yuan per 万 and per 亿.
const (
	wanYuan = 1e4
	yiYuan  = 1e8
)

// unit is a money unit for an axis or a table column.
type unit struct {
	Yuan float64 // yuan per unit
	ZH   string  // "亿" or "万"
	EN   string  // "100 million yuan" or "10,000 yuan"
}

var (
	unitYi  = unit{Yuan: yiYuan, ZH: "亿元", EN: "100m yuan"}
	unitWan = unit{Yuan: wanYuan, ZH: "万元", EN: "10k yuan"}
)

// unitFor picks 亿 when the largest amount is at least 1亿, else 万.
func unitFor(maxYuan float64) unit {
	if math.Abs(maxYuan) >= yiYuan {
		return unitYi
	}
	return unitWan
}

// label is "English 中文 (unit)" style text for axis titles and headers.
func (u unit) label() string { return u.ZH + " / " + u.EN }

// finite reports whether x is a usable number.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// fmtIn formats yuan in unit u with two decimals and digit groups; "–"
// when x is not finite.
func fmtIn(x float64, u unit) string {
	if !finite(x) {
		return "–"
	}
	return GroupDigits(strconv.FormatFloat(x/u.Yuan, 'f', 2, 64))
}

// fmtWan formats yuan in 万 yuan; fmtYi in 亿 yuan.
func fmtWan(x float64) string { return fmtIn(x, unitWan) }
func fmtYi(x float64) string  { return fmtIn(x, unitYi) }

// fmtMoney formats yuan with its unit, 亿 or 万 by size: "12.34亿".
func fmtMoney(x float64) string {
	if !finite(x) {
		return "–"
	}
	u := unitFor(x)
	return fmtIn(x, u) + u.ZH[:len(u.ZH)-len("元")]
}

// fmtPct formats a fraction as a percentage with d decimals.
func fmtPct(x float64, d int) string {
	if !finite(x) {
		return "–"
	}
	return strconv.FormatFloat(x*100, 'f', d, 64) + " %"
}

// fmtNum formats x with d decimals and digit groups.
func fmtNum(x float64, d int) string {
	if !finite(x) {
		return "–"
	}
	return GroupDigits(strconv.FormatFloat(x, 'f', d, 64))
}

// GroupDigits puts a comma between groups of three digits of the
// integer part: 1234567.89 → 1,234,567.89.
func GroupDigits(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

// levelPct formats a confidence level key "0.999" as "99.9 %".
func levelPct(key string) string {
	v, err := strconv.ParseFloat(key, 64)
	if err != nil {
		return key
	}
	return strconv.FormatFloat(math.Round(v*1e4)/100, 'f', -1, 64) + " %"
}

// name is an English name with its Chinese one.
type name struct{ EN, ZH string }

// partyNames name the parties of a loss, in the order tables list them.
var partyNames = []struct {
	Key string
	name
}{
	{"total", name{"Total credit loss", "总损失"}},
	{"bank", name{"Bank", "银行"}},
	{"guarantor", name{"Guarantors", "担保机构"}},
	{"reguarantor", name{"Provincial re-guarantor", "省再担保"}},
	{"national_fund", name{"National fund", "国家融资担保基金"}},
	{"county_fund", name{"County risk-compensation funds", "县风险补偿资金"}},
}

// targetNames name the targets of DESIGN.md "Projection and targets".
var targetNames = map[string]name{
	"balance_min":           {"Small/micro + agri balance ≥ 200亿", "小微三农在保余额"},
	"leverage_min":          {"Leverage ≥ 5", "放大倍数下限"},
	"leverage_max":          {"Leverage ≤ cap", "放大倍数上限"},
	"compensation_rate_max": {"Compensation rate ≤ 5 %", "代偿率上限"},
	"fee_max":               {"Average fee < 1 %", "平均担保费率"},
	"capital_min":           {"Capital minimum", "资本金下限"},
	"bank_share_min":        {"Bank share ≥ 20 %", "银担分险比例"},
	"concentration_max":     {"Single borrower ≤ 10 % of net assets", "单户集中度"},
}

// targetOrder is the column order of target tables.
var targetOrder = []string{"balance_min", "leverage_min", "leverage_max", "compensation_rate_max", "fee_max",
	"capital_min", "concentration_max", "bank_share_min"}

func targetName(id string) name {
	if n, ok := targetNames[id]; ok {
		return n
	}
	return name{id, ""}
}

// metricNames name the projected metrics of sim.MetricNames.
var metricNames = map[string]name{
	"guaranteed_balance":        {"Guaranteed balance", "在保余额"},
	"net_assets":                {"Net assets", "净资产"},
	"leverage_performance":      {"Leverage (performance)", "放大倍数（业务）"},
	"leverage_regulatory":       {"Leverage (regulatory)", "放大倍数（监管）"},
	"leverage_fiscal":           {"Leverage (fiscal)", "财政资金放大倍数"},
	"compensation_rate":         {"Compensation rate", "代偿率"},
	"compensation_rate_balance": {"Compensation / balance", "代偿额/在保余额"},
	"compensation_paid":         {"Compensation paid", "代偿额"},
	"recoveries":                {"Recoveries", "追偿回收"},
	"fee_rate":                  {"Average fee rate", "平均担保费率"},
	"small_agri_balance":        {"Small/micro + agri balance", "小微三农在保余额"},
	"released":                  {"Guarantees released", "解保额"},
	"loan_balance":              {"Loan balance", "在保贷款余额"},
	"small_agri_loan_balance":   {"Small/micro + agri loan balance", "小微三农在保贷款余额"},
	"leverage_performance_loan": {"Leverage (performance, loan basis)", "放大倍数（业务，贷款口径）"},
	"fee_rate_charged":          {"Average fee rate charged", "平均担保费率（收取）"},
	"reserves":                  {"Reserves", "准备金"},
}

// metricKind says how a metric is formatted: money (yuan), a ratio
// (leverage) or a rate (a fraction shown in %).
func metricKind(metric string) string {
	switch metric {
	case "leverage_performance", "leverage_regulatory", "leverage_fiscal", "leverage_performance_loan":
		return "ratio"
	case "compensation_rate", "compensation_rate_balance", "fee_rate", "fee_rate_charged":
		return "rate"
	}
	return "money"
}

// fmtMetric formats a metric value by its kind.
func fmtMetric(metric string, v float64) string {
	switch metricKind(metric) {
	case "ratio":
		return fmtNum(v, 2)
	case "rate":
		return fmtPct(v, 2)
	}
	return fmtMoney(v)
}

// dimensionNames name the dimensions of risk contributions.
var dimensionNames = map[string]name{
	"county":    {"County", "区县"},
	"guarantor": {"Guarantor", "担保机构"},
	"industry":  {"Industry", "行业"},
	"product":   {"Product", "产品"},
	"segment":   {"Segment", "客群"},
}

var dimensionOrder = []string{"county", "guarantor", "industry", "product", "segment"}

// countyLabel is "乐清市 330382" for a Wenzhou code, else the code.
func countyLabel(code string) string {
	if n := models.CountyName(code); n != code {
		return n + " " + code
	}
	return code
}

// levelKeys are the document's confidence level keys.
var levelKeys = []string{"0.95", "0.99", "0.999"}
