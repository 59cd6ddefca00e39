package format

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
