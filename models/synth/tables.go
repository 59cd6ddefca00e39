package synth

import "github.com/wenzhou/danbao/models"

// This file holds every assumption of the generator as data. Figures marked
// "estimate" are ours: they are plausible for Wenzhou's government guarantee
// business but not taken from a published table. Figures marked with a
// source come from docs/data.md, the seed policy or the national rules.

// Industry cluster ids, in the order of the county mixes below.
const (
	Electrical        = "electrical"         // 乐清 低压电器 / electrical equipment
	Footwear          = "footwear"           // 鹿城, 瓯海 鞋业
	Apparel           = "apparel"            // 服装 and textiles (鹿城, 苍南/龙港 再生纺织)
	AutoParts         = "auto_parts"         // 瑞安 汽摩配 / auto and motorcycle parts
	PumpsValves       = "pumps_valves"       // 永嘉, 龙湾 泵阀
	Eyewear           = "eyewear"            // 瓯海 眼镜
	PrintingPackaging = "printing_packaging" // 苍南, 龙港 印刷包装
	Agriculture       = "agriculture"        // 三农: farming, fishery (洞头), tea (泰顺)
	TradeServices     = "trade_services"     // wholesale, retail, tourism, services
	Other             = "other"              // everything else (plastics, pet goods, stone, …)
)

// Industries lists the industry clusters the generator uses, with Chinese names.
var Industries = []struct{ ID, Name string }{
	{Electrical, "电气"}, {Footwear, "鞋业"}, {Apparel, "服装纺织"}, {AutoParts, "汽摩配"},
	{PumpsValves, "泵阀"}, {Eyewear, "眼镜"}, {PrintingPackaging, "印刷包装"},
	{Agriculture, "农业"}, {TradeServices, "商贸服务"}, {Other, "其他"},
}

// Products of the seed (首贷保, 科创保, 创业保, 农贷保) and the general one.
const (
	ProductFirstLoan = "first_loan"
	ProductTech      = "tech"
	ProductStartup   = "startup"
	ProductAgri      = "agri"
	ProductGeneral   = "general"
)

// Segments of docs/data.md.
const (
	SegmentMicro = models.SegmentMicro
	SegmentSmall = models.SegmentSmall
	SegmentAgri  = models.SegmentAgri
	SegmentOther = models.SegmentOther
)

// countySpec is one county-level unit's share of the business and its
// industry mix.
type countySpec struct {
	code string
	// weight is the county's relative share of loans by count (estimate).
	// It follows the ranking of the counties' GDP (乐清, 瑞安, 鹿城 largest;
	// 洞头, 文成, 泰顺 smallest), with the small mountain and island units
	// given a little more than their GDP share for their agricultural
	// lending. The weights are rounded and are not an official table.
	weight float64
	// cityShare is the share of the county's loans guaranteed by the city
	// institution (estimate): all of them where the county has no
	// guarantor of its own (洞头, 文成, 龙港: the seed has the city
	// institution open branches there), 35 % in 鹿城 and 瓯海 where it is
	// based, 10 % in 泰顺. In the counties the seed names in its capital
	// minimums (龙湾, 乐清, 瑞安, 平阳, 苍南 ≥ 2亿; 永嘉, 泰顺 ≥ 1亿) the share
	// is set so that the county guarantor's own book, at its leverage,
	// leaves it with net assets near that minimum (乐清 2.1亿, 瑞安 2.1亿,
	// 苍南 2.0亿, 平阳 2.2亿, 龙湾 2.2亿, 永嘉 1.0亿; 泰顺 0.8亿 below): the
	// seed sets the minimums because the county institutions are small, and
	// the city institution carries most of the business (estimate).
	cityShare float64
	// mix is the industry mix by count, in the order of industryOrder
	// (estimate, built from each county's well-known clusters).
	mix [10]float64
}

var industryOrder = [10]string{Electrical, Footwear, Apparel, AutoParts, PumpsValves, Eyewear, PrintingPackaging, Agriculture, TradeServices, Other}

// counties is in models.WenzhouCounties order.
var counties = []countySpec{
	//                            elec foot  app  auto pump  eye print agri trade other
	{"330302", 12, 0.35, [10]float64{3, 28, 14, 2, 2, 6, 3, 3, 27, 12}}, // 鹿城区: footwear, apparel, trade
	{"330303", 8, 0.45, [10]float64{10, 12, 4, 8, 24, 2, 3, 5, 18, 14}}, // 龙湾区: pumps and valves, footwear
	{"330304", 9, 0.35, [10]float64{3, 20, 10, 5, 2, 20, 3, 6, 19, 12}}, // 瓯海区: eyewear, footwear
	{"330305", 2, 1, [10]float64{2, 0, 2, 0, 0, 0, 1, 38, 35, 22}},      // 洞头区: fishery, tourism
	{"330324", 7, 0.75, [10]float64{5, 8, 6, 3, 34, 1, 2, 15, 15, 11}},  // 永嘉县: pumps and valves
	{"330326", 8, 0.40, [10]float64{4, 6, 10, 8, 5, 0, 12, 14, 18, 23}}, // 平阳县: leather, packaging, pet goods
	{"330327", 6, 0.45, [10]float64{3, 4, 12, 3, 2, 0, 20, 16, 18, 22}}, // 苍南县: printing, recycled textiles
	{"330328", 2.5, 1, [10]float64{2, 2, 4, 1, 1, 0, 1, 42, 27, 20}},    // 文成县: agriculture, tourism
	{"330329", 2.5, 0.10, [10]float64{3, 1, 3, 1, 2, 0, 1, 42, 25, 22}}, // 泰顺县: tea, agriculture, stone
	{"330381", 15, 0.77, [10]float64{5, 9, 6, 33, 5, 1, 5, 7, 16, 13}},  // 瑞安市: auto and motorcycle parts
	{"330382", 17, 0.70, [10]float64{44, 1, 3, 5, 6, 0, 2, 6, 19, 14}},  // 乐清市: electrical equipment
	{"330383", 5, 1, [10]float64{2, 2, 10, 2, 1, 0, 40, 6, 20, 17}},     // 龙港市: printing and packaging
}

// sizeSpec is a segment's loan-size distribution: lognormal with the given
// mean and log-sd σ, truncated to [lo, hi] by redrawing.
type sizeSpec struct {
	mean, sigma float64 // yuan; σ of ln(size)
	lo, hi      float64 // yuan
}

// sizes by segment. docs/data.md ("Estimates for the unobservable parameters"):
// the average loan is about 120–130万 for small/micro and about 32万 for
// agri, and at least half of the business is in loans ≤ 500万. We split
// small/micro into micro (≈ 60万 on average, up to 500万) and small
// (≈ 230万, up to 2000万) so that their count-weighted mean is ≈ 125万;
// "other" (medium-sized firms and larger sole proprietors) averages ≈ 350万.
// A few loans exceed the 1000万 re-guarantee cap (Policy4321); none exceeds
// 2000万. The truncation lowers the means by a few per cent; the
// generator's tests hold the realised averages to the docs/data.md bands.
var sizes = map[string]sizeSpec{
	SegmentMicro: {mean: 62e4, sigma: 0.75, lo: 5e4, hi: 500e4},
	SegmentSmall: {mean: 230e4, sigma: 0.70, lo: 30e4, hi: 2000e4},
	SegmentAgri:  {mean: 33e4, sigma: 0.80, lo: 3e4, hi: 300e4},
	SegmentOther: {mean: 350e4, sigma: 0.80, lo: 50e4, hi: 2000e4},
}

// segmentMix gives P(micro), P(small), P(agri), P(other) for a new borrower
// by industry (estimate). Agricultural borrowers are mostly agri (farmers,
// cooperatives, family farms); trade and services are mostly micro.
func segmentMix(industry string) [4]float64 {
	switch industry {
	case Agriculture:
		return [4]float64{0.08, 0.02, 0.90, 0}
	case TradeServices:
		return [4]float64{0.74, 0.23, 0, 0.03}
	default: // manufacturing clusters
		return [4]float64{0.52, 0.43, 0, 0.05}
	}
}

var segmentOrder = [4]string{SegmentMicro, SegmentSmall, SegmentAgri, SegmentOther}

// Yearly PD (estimate). docs/data.md puts the base compensation rate at about
// 1.8 % a year in the target's own definition (compensation paid /
// guarantees released; the national fund's 2024 re-guarantee business:
// 1.84 %). PD = pdCalibration × base(segment) × industry × product ×
// lognormal noise with mean 1 and log-sd pdSigma. The bases give the
// shape (micro loans default more often than small ones); pdCalibration
// scales them so that the baseline scenario's mean year-1 city
// compensation rate is ≈ 1.8 % (measured 1.8 %; county guarantors 1.6–2.0 %,
// TestExampleCalibration and docs/model.md "The example"). Export
// clusters (footwear, apparel, eyewear) and trade are riskier; electrical
// and pumps, with the strongest firms, less so; first-loan and start-up
// borrowers have no credit history.
var (
	pdBase = map[string]float64{SegmentMicro: 0.020, SegmentSmall: 0.015, SegmentAgri: 0.014, SegmentOther: 0.012}
	pdInd  = map[string]float64{Electrical: 0.85, Footwear: 1.2, Apparel: 1.2, AutoParts: 0.95, PumpsValves: 0.9,
		Eyewear: 1.1, PrintingPackaging: 1.05, Agriculture: 0.9, TradeServices: 1.1, Other: 1.0}
	pdProduct = map[string]float64{ProductFirstLoan: 1.25, ProductTech: 1.1, ProductStartup: 1.5, ProductAgri: 1.0, ProductGeneral: 1.0}
)

const (
	pdCalibration = 0.735 // 1.8 % / 2.45 %, the baseline year-1 city compensation rate at scale 1
	pdSigma       = 0.7   // log-sd of the idiosyncratic PD noise (estimate)
	pdMin         = 0.001 // PD floor, 0.1 % (estimate)
	pdMax         = 0.20  // PD cap, 20 % (estimate)
)

// LGD (ultimate, after recoveries). docs/data.md: recovery about 30 % of the
// amount compensated, so the ultimate LGD is about 0.7. A counter-guarantee
// (反担保: collateral or a third-party guarantee) recovers more; agri
// loans slightly more as well (estimate). LGD ~ Normal(mean, lgdSD),
// clamped to [lgdMin, lgdMax].
var lgdMean = map[bool]map[bool]float64{ // [agri][counter-guarantee]
	false: {false: 0.73, true: 0.56},
	true:  {false: 0.66, true: 0.52},
}

const (
	lgdSD  = 0.10
	lgdMin = 0.25
	lgdMax = 0.98
)

// Banks (estimate). Big-four and postal banks' Wenzhou branches, the city
// commercial bank, two small-business banks and each county's rural
// commercial bank (RCB-<county code>), which carries most agri loans.
const bankRCB = "RCB"

var (
	banksSME = []weighted{{bankRCB, 28}, {"WZ-BANK", 14}, {"ICBC-WZ", 9}, {"ABC-WZ", 9}, {"BOC-WZ", 7},
		{"CCB-WZ", 9}, {"PSBC-WZ", 6}, {"TAILONG-WZ", 7}, {"WZ-MINSHANG", 5}, {"CZ-BANK-WZ", 6}}
	banksAgri = []weighted{{bankRCB, 55}, {"PSBC-WZ", 15}, {"ABC-WZ", 15}, {"WZ-BANK", 5}, {"TAILONG-WZ", 10}}
)

type weighted struct {
	id string
	w  float64
}

// guarantorSpec fixes a guarantor's balance sheet relative to the business
// it ends up with, so leverage does not depend on the number of loans.
type guarantorSpec struct {
	id, name, county string
	level            string
	// leverage is the performance leverage on the guarantor's own business:
	// net assets (excluding equity in other guarantors) = guaranteed
	// balance / leverage (estimate; chosen so the system is at ≈ 3.5, a
	// stretch from the seed's 5, with 乐清 just above 5).
	leverage float64
	// naOverRC is net assets / registered capital (estimate). Above 1:
	// retained earnings and capital reserve (资本公积: government
	// injections often booked outside registered capital, which is how
	// 龙湾 and 平阳 have enough net assets but registered capital below the
	// seed's 2亿); below 1: accumulated losses (泰顺).
	naOverRC float64
	// govShare is government capital / registered capital; below 1 where
	// state-owned enterprises (not the finance bureau) hold part of the
	// capital (seed: 支持…国有企业（非担保机构）进一步参股).
	govShare float64
	focused  bool
	// parentStake is the city institution's equity in this one (seed:
	// 市级担保机构…合并、控股或参股县级担保机构).
	parentStake   float64
	inReguarantee bool
	// feeAdd is added to the guarantor's fee rates (泰顺 and 平阳 charge
	// more than the seed's 1 % on average).
	feeAdd float64
}

// CityGuarantorID is the city institution's guarantor_id.
const CityGuarantorID = "G-CITY"

// guarantors: the city institution first, then one per county with
// HasGuarantor, in models.WenzhouCounties order.
var guarantors = []guarantorSpec{
	{CityGuarantorID, "温州市融资担保有限公司", models.WenzhouCityCode, models.LevelCity, 2.9, 1.10, 0.85, false, 0, true, 0},
	{"G-330302", "温州市鹿城区融资担保有限公司", "330302", models.LevelCounty, 3.2, 1.05, 1, false, 0, true, 0},
	{"G-330303", "温州市龙湾区融资担保有限公司", "330303", models.LevelCounty, 4.8, 1.6, 1, false, 0.51, true, 0},
	{"G-330304", "温州市瓯海区融资担保有限公司", "330304", models.LevelCounty, 3.3, 1.08, 0.90, true, 0.30, true, 0},
	{"G-330324", "永嘉县融资担保有限公司", "330324", models.LevelCounty, 3.6, 1.02, 1, true, 0.20, true, 0},
	{"G-330326", "平阳县融资担保有限公司", "330326", models.LevelCounty, 4.5, 1.9, 1, false, 0, true, 0.0015},
	{"G-330327", "苍南县融资担保有限公司", "330327", models.LevelCounty, 3.5, 1.12, 0.95, true, 0, true, 0},
	{"G-330329", "泰顺县融资担保有限公司", "330329", models.LevelCounty, 4.4, 0.92, 1, true, 0.34, false, 0.002},
	{"G-330381", "瑞安市融资担保有限公司", "330381", models.LevelCounty, 3.8, 1.06, 0.80, false, 0, true, 0},
	{"G-330382", "乐清市融资担保有限公司", "330382", models.LevelCounty, 5.2, 1.04, 0.90, true, 0, true, 0},
}
