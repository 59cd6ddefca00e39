package format

import "github.com/wenzhou/danbao/models"

// Name is a Chinese name with its English one. Pages show ZH first and EN
// beside it; downloads keep the code.
type Name struct{ ZH, EN string }

// String is "中文 English".
func (n Name) String() string {
	if n.ZH == "" {
		return n.EN
	}
	if n.EN == "" {
		return n.ZH
	}
	return n.ZH + " " + n.EN
}

// Parties name the parties of a loss (the keys of sim.PartyNames and
// "total").
var Parties = map[string]Name{
	"total":         {"总损失", "Total credit loss"},
	"bank":          {"银行", "Bank"},
	"guarantor":     {"担保机构", "Guarantors"},
	"reguarantor":   {"省再担保", "Provincial re-guarantor"},
	"national_fund": {"国家融资担保基金", "National fund"},
	"county_fund":   {"县风险补偿资金", "County risk-compensation funds"},
}

// Industries name the industry clusters of the Wenzhou portfolio.
var Industries = map[string]Name{
	"electrical":         {"电气", "Electrical"},
	"footwear":           {"鞋业", "Footwear"},
	"apparel":            {"服装纺织", "Apparel and textiles"},
	"auto_parts":         {"汽摩配", "Auto and motorcycle parts"},
	"pumps_valves":       {"泵阀", "Pumps and valves"},
	"eyewear":            {"眼镜", "Eyewear"},
	"printing_packaging": {"印刷包装", "Printing and packaging"},
	"agriculture":        {"农业", "Agriculture"},
	"trade_services":     {"商贸服务", "Trade and services"},
	"other":              {"其他", "Other"},
}

// Products name the guarantee products (首贷保, 科创保, 创业保, 农贷保).
var Products = map[string]Name{
	"general":    {"一般担保", "General"},
	"first_loan": {"首贷保", "First loan"},
	"tech":       {"科创保", "Technology"},
	"startup":    {"创业保", "Start-up"},
	"agri":       {"农贷保", "Agriculture"},
}

// Segments name the borrower segments.
var Segments = map[string]Name{
	"micro": {"微型企业", "Micro"},
	"small": {"小型企业", "Small"},
	"agri":  {"三农", "Agriculture"},
	"other": {"其他", "Other"},
}

// Lookup returns the name of code in m, or the code itself as English
// when m does not know it.
func Lookup(m map[string]Name, code string) Name {
	if n, ok := m[code]; ok {
		return n
	}
	return Name{EN: code}
}

// Targets name the targets by id (sim.Target* ids; docs/model.md "Targets").
var Targets = map[string]Name{
	"balance_min":           {"小微三农在保余额", "Small/micro + agri balance ≥ 200亿"},
	"leverage_min":          {"放大倍数下限", "Leverage ≥ 5"},
	"leverage_max":          {"放大倍数上限", "Leverage ≤ cap"},
	"compensation_rate_max": {"代偿率上限", "Compensation rate ≤ 5 %"},
	"fee_max":               {"平均担保费率", "Average fee < 1 %"},
	"capital_min":           {"资本金下限", "Capital minimum"},
	"bank_share_min":        {"银担分险比例", "Bank share ≥ 20 %"},
	"concentration_max":     {"单户集中度", "Single borrower ≤ 10 % of net assets"},
}

// Metrics name the projected metrics (sim.MetricNames).
var Metrics = map[string]Name{
	"guaranteed_balance":        {"在保余额", "Guaranteed balance"},
	"net_assets":                {"净资产", "Net assets"},
	"leverage_performance":      {"放大倍数（业务）", "Leverage (performance)"},
	"leverage_regulatory":       {"放大倍数（监管）", "Leverage (regulatory)"},
	"leverage_fiscal":           {"财政资金放大倍数", "Leverage (fiscal)"},
	"compensation_rate":         {"代偿率", "Compensation rate"},
	"compensation_rate_balance": {"代偿额/在保余额", "Compensation / balance"},
	"compensation_paid":         {"代偿额", "Compensation paid"},
	"recoveries":                {"追偿回收", "Recoveries"},
	"fee_rate":                  {"平均担保费率", "Average fee rate"},
	"small_agri_balance":        {"小微三农在保余额", "Small/micro + agri balance"},
	"released":                  {"解保额", "Guarantees released"},
	"loan_balance":              {"在保贷款余额", "Loan balance"},
	"small_agri_loan_balance":   {"小微三农在保贷款余额", "Small/micro + agri loan balance"},
	"leverage_performance_loan": {"放大倍数（业务，贷款口径）", "Leverage (performance, loan basis)"},
	"fee_rate_charged":          {"平均担保费率（收取）", "Average fee rate charged"},
	"reserves":                  {"准备金", "Reserves"},
}

// Dimensions name the dimensions of risk contributions.
var Dimensions = map[string]Name{
	"county":    {"区县", "County"},
	"guarantor": {"担保机构", "Guarantor"},
	"industry":  {"行业", "Industry"},
	"product":   {"产品", "Product"},
	"segment":   {"客群", "Segment"},
}

// County is "330382 乐清市" for a Wenzhou county code (models.CountyName),
// else the code: the one county label of the CLI, the web and reports.
func County(code string) string {
	if n := models.CountyName(code); n != code {
		return code + " " + n
	}
	return code
}
