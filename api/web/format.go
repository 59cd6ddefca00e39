package web

import (
	"github.com/wenzhou/danbao/models"
	"math"
	"strconv"

	"github.com/wenzhou/danbao/internal/format"
)

// The formatting itself lives in internal/format, shared with the CLI and
// the workbooks; these short names keep the view code readable.

const yiYuan = format.YiYuan

// unit is a money unit for an axis or a table column.
type unit = format.Unit

var (
	unitYi  = format.Yi
	unitWan = format.Wan
)

// unitFor picks the unit of a column from its amounts (format.Column): 亿
// when the largest reaches 1亿, else 万.
func unitFor(yuan ...float64) unit { return format.Column(yuan...) }

// finite reports whether x is a usable number.
func finite(x float64) bool { return format.Finite(x) }

// fmtIn formats yuan in unit u with two decimals and digit groups; "–"
// when x is not finite.
func fmtIn(x float64, u unit) string { return format.In(x, u) }

// fmtWan formats yuan in 万 yuan; fmtYi in 亿 yuan.
func fmtWan(x float64) string { return fmtIn(x, unitWan) }
func fmtYi(x float64) string  { return fmtIn(x, unitYi) }

// fmtMoney formats a lone amount with its unit, 亿 or 万 by size: "12.34亿".
func fmtMoney(x float64) string { return format.Money(x) }

// fmtPct formats a fraction as a percentage with d decimals.
func fmtPct(x float64, d int) string { return format.Pct(x, d) }

// fmtNum formats x with d decimals and digit groups.
func fmtNum(x float64, d int) string { return format.Num(x, d) }

// GroupDigits puts a comma between groups of three digits of the
// integer part: 1234567.89 → 1,234,567.89.
func GroupDigits(s string) string { return format.GroupDigits(s) }

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

// partyEntry is a party's key with its names (from format.Parties).
type partyEntry struct {
	Key string
	name
}

// partyNames name the parties of a loss, in the order tables list them.
var partyNames = func() []partyEntry {
	var out []partyEntry
	for _, k := range []string{"total", "bank", "guarantor", "reguarantor", "national_fund", "county_fund"} {
		out = append(out, partyEntry{k, partyName(k)})
	}
	return out
}()

// targetOrder is the column order of target tables.
var targetOrder = []string{models.TargetBalanceMin, models.TargetLeverageMin, models.TargetLeverageMax, models.TargetCompRateMax,
	models.TargetFeeMax, models.TargetCapitalMin, models.TargetConcentrationMax, models.TargetBankShareMin}

// targetName names a target by its id (format.Targets).
func targetName(id string) name { return webName(format.Lookup(format.Targets, id)) }

// metricName names a projected metric (format.Metrics).
func metricName(m string) name { return webName(format.Lookup(format.Metrics, m)) }

// dimensionName names a dimension of risk contributions (format.Dimensions).
func dimensionName(d string) name { return webName(format.Lookup(format.Dimensions, d)) }

// webName is n with the English name first, as the templates take it.
func webName(n format.Name) name { return name{n.EN, n.ZH} }

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

var dimensionOrder = []string{"county", "guarantor", "industry", "product", "segment"}

// countyLabel is format.County: "330382 乐清市" for a Wenzhou code, else the code.
func countyLabel(code string) string { return format.County(code) }

// levelKeys are the document's confidence level keys.
var levelKeys = []string{"0.95", "0.99", "0.999"}
