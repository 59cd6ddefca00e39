package models

// County is one of Wenzhou's county-level units, with its GB/T 2260 code.
type County struct {
	Code string // GB/T 2260 administrative division code
	Name string // Chinese name
	// CapitalMin is the seed's minimum registered capital for the county's
	// guarantor (2亿 or 1亿), zero where the seed sets none.
	CapitalMin Cents
	// HasGuarantor is false for the units the seed lists without a county
	// institution of their own (served by the city guarantor).
	HasGuarantor bool
}

// WenzhouCityCode is the GB/T 2260 code of Wenzhou city (温州市).
const WenzhouCityCode = "330300"

// WenzhouCounties lists Wenzhou's 12 county-level units (GB/T 2260) in code
// order. Capital minimums are from the seed policy (seed/000_…txt): ≥ 2亿 for
// 龙湾区, 乐清市, 瑞安市, 平阳县, 苍南县; ≥ 1亿 for 永嘉县, 泰顺县.
var WenzhouCounties = []County{
	{Code: "330302", Name: "鹿城区", HasGuarantor: true},
	{Code: "330303", Name: "龙湾区", CapitalMin: 2 * Yi, HasGuarantor: true},
	{Code: "330304", Name: "瓯海区", HasGuarantor: true},
	{Code: "330305", Name: "洞头区"},
	{Code: "330324", Name: "永嘉县", CapitalMin: 1 * Yi, HasGuarantor: true},
	{Code: "330326", Name: "平阳县", CapitalMin: 2 * Yi, HasGuarantor: true},
	{Code: "330327", Name: "苍南县", CapitalMin: 2 * Yi, HasGuarantor: true},
	{Code: "330328", Name: "文成县"},
	{Code: "330329", Name: "泰顺县", CapitalMin: 1 * Yi, HasGuarantor: true},
	{Code: "330381", Name: "瑞安市", CapitalMin: 2 * Yi, HasGuarantor: true},
	{Code: "330382", Name: "乐清市", CapitalMin: 2 * Yi, HasGuarantor: true},
	{Code: "330383", Name: "龙港市"},
}

// CountyName returns the Chinese name of a Wenzhou county code, or code itself.
func CountyName(code string) string {
	for _, c := range WenzhouCounties {
		if c.Code == code {
			return c.Name
		}
	}
	if code == WenzhouCityCode {
		return "温州市"
	}
	return code
}
