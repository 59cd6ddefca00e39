package web

import (
	"html/template"
	"net/http"
	"strings"
)

// glossaryTerm is one term of the glossary: its Chinese and English names
// and a plain-words definition in both languages, for the glossary page,
// the report's glossary section and the hover text of {{term "key"}}.
type glossaryTerm struct {
	Key    string
	ZH, EN string // names
	DefZH  string
	DefEN  string
}

// glossary lists the statistical and policy terms the pages use, in the
// order the glossary shows them.
var glossary = []glossaryTerm{
	{"var", "在险价值", "VaR (value at risk)",
		"在给定置信水平（如 99 %）下的损失上限：只有 1 % 的模拟路径损失更大。",
		"The loss that is exceeded on only (1 − level) of the simulated paths: VaR 99 % is exceeded on 1 path in 100."},
	{"es", "预期短缺", "ES (expected shortfall)",
		"损失达到或超过 VaR 时的平均损失，即最坏 1 %（或 5 %、0.1 %）路径的平均损失。",
		"The average loss over the worst paths beyond the VaR: ES 99 % is the mean loss of the worst 1 % of paths."},
	{"se", "标准误", "SE (standard error)",
		"蒙特卡洛估计本身的不确定性：再用不同随机数运行一次，结果大约在 ±1 个标准误内变化。路径越多，标准误越小。",
		"How much a Monte Carlo estimate would move if run again with other random numbers: about ± one SE. More paths, smaller SE."},
	{"expected", "期望损失", "Expected loss",
		"所有模拟路径损失的平均值。", "The average loss over all simulated paths."},
	{"phold", "达标概率", "P(hold)",
		"目标在某年达成的模拟路径所占比例。", "The share of simulated paths on which a target holds in a year."},
	{"euler", "风险贡献（欧拉分配）", "Euler contributions",
		"把总损失的 ES 分摊到各区县、机构、行业等：每组的贡献是在最坏路径上该组的平均损失，各组之和等于 ES。",
		"The ES of the total loss split among counties, guarantors, industries…: each group's contribution is its average loss on the worst paths, and the contributions add up to the ES."},
	{"crn", "共同随机数", "Common random numbers",
		"参数扫描中每个取值使用同一组随机数，所以相邻取值之差只反映参数本身的影响，比两次独立运行精确得多。",
		"Every value of a sweep is run on the same random numbers, so the difference between two values is the parameter's effect alone and far more precise than two independent runs."},
	{"se-paired", "配对标准误", "SE paired",
		"在共同随机数下，两个取值之差的标准误（逐路径差值的标准差 ÷ √路径数）。",
		"The standard error of a difference between two values on common random numbers (sd of the per-path differences / √paths)."},
	{"se-independent", "独立标准误", "SE independent",
		"若两个取值各自独立运行，差值的标准误会是多少；与配对标准误之比即共同随机数带来的精度提升。",
		"What the standard error of the difference would be with two independent runs; its ratio to the paired SE is the gain."},
	{"idle", "闲置资本", "Idle capital",
		"注资后放大倍数（在保余额 ÷ 净资产）在多数路径上低于下限 5 倍：资本补得多、用得少。",
		"Capital injected such that leverage (guaranteed balance / net assets) then stays below the minimum of 5 on most paths: capital that is not put to work."},
	{"topup", "资本金补充", "Capital top-up",
		"期初向担保机构注入的资本金，使监管放大倍数不超上限、净资产和注册资本不低于下限，在每一年都以给定置信水平成立。",
		"The capital injected at the start so that regulatory leverage stays under the cap and net assets and registered capital stay above the minimum in every year, with the given confidence."},
	{"pooled", "全市统筹", "Pooled top-up",
		"把全市需求合在一起取分位数：各机构不会同时处于最坏情形，所以统筹数小于各机构之和。",
		"The quantile of the city-wide need taken as one: guarantors do not all hit their worst case at once, so it is below the sum of the guarantors' top-ups."},
	{"leverage", "放大倍数", "Leverage",
		"在保余额 ÷ 净资产（业务口径）；监管口径用风险加权的在保责任余额；财政口径用政府出资。",
		"Guaranteed balance / net assets (performance); the regulatory definition uses the risk-weighted guarantee liability; the fiscal one government capital."},
	{"comprate", "代偿率", "Compensation rate",
		"当年代偿额 ÷ 当年解除的担保额（到期与代偿之和）。",
		"Compensation paid in a year / guarantees released in the year (matured plus compensated)."},
	{"outlays", "区县财政支出", "County outlays",
		"区县风险补偿资金的赔付加保费补贴。", "What a county's risk-compensation fund pays plus its fee subsidy."},
	{"quantiles", "中位数与 5 %–95 % 区间", "Median (5 % – 95 %)",
		"一半路径高于、一半低于中位数；90 % 的路径落在括号中的区间内。",
		"Half the paths lie above the median and half below; 90 % of the paths lie in the interval in brackets."},
	{"pdmult", "违约率乘数", "PD ×",
		"行为假设下违约率的放大系数：银行分险比例越低，银行审贷越松，违约率越高。",
		"The factor on default probabilities under the behavioural assumption: a lower bank share means laxer screening and more defaults."},
}

var glossaryIndex = func() map[string]glossaryTerm {
	m := map[string]glossaryTerm{}
	for _, t := range glossary {
		m[t.Key] = t
	}
	return m
}()

// term renders a term with its definition on hover:
// <abbr class="term" title="…">VaR</abbr>. label, when given, replaces
// the English name shown.
func term(key string, label ...string) template.HTML {
	t, ok := glossaryIndex[key]
	if !ok {
		return template.HTML(template.HTMLEscapeString(key))
	}
	shown := t.EN
	if i := strings.Index(shown, " ("); i > 0 {
		shown = shown[:i]
	}
	if len(label) > 0 {
		shown = label[0]
	}
	title := t.ZH + "：" + t.DefZH + "\n" + t.EN + ": " + t.DefEN
	return template.HTML(`<abbr class="term" title="` + template.HTMLEscapeString(title) + `">` + template.HTMLEscapeString(shown) + `</abbr>`)
}

// bi renders Chinese first and English beside it (on a second line in
// table headers): <span lang="zh">中文</span> <span class="en">English</span>.
func bi(zh, en string) template.HTML {
	return template.HTML(`<span lang="zh">` + template.HTMLEscapeString(zh) + `</span> <span class="en" lang="en">` + template.HTMLEscapeString(en) + `</span>`)
}

// glossaryPage lists every term of the glossary.
func (h *Handler) glossaryPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "glossary.html", page{Title: "术语 Glossary", Nav: "glossary", Data: glossary})
}

// problemZH are the Chinese headlines of problems by HTTP status.
var problemZH = map[int]string{
	http.StatusBadRequest:            "输入有误，请按提示修改",
	http.StatusUnprocessableEntity:   "输入有误，请按提示修改",
	http.StatusUnauthorized:          "请先登录",
	http.StatusForbidden:             "无此权限",
	http.StatusNotFound:              "未找到",
	http.StatusConflict:              "当前状态下无法执行",
	http.StatusTooManyRequests:       "排队已满，请稍后再试",
	http.StatusRequestEntityTooLarge: "文件过大",
}

// ZH is the Chinese headline of a problem shown on a page, by its status:
// what went wrong in a word, before the API's English message.
func (e *apiError) ZH() string {
	switch {
	case e == nil:
		return ""
	case e.Code == "invalid_form":
		return problemZH[http.StatusUnprocessableEntity]
	case problemZH[e.Status] != "":
		return problemZH[e.Status]
	case e.Status >= 500:
		return "服务出错"
	}
	return "未能完成"
}
