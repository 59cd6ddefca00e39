package models

// The domain's names, written once: the engine, the scenarios, the API,
// the CLI and the web refer to these constants rather than spelling the
// strings again.

// Target ids (docs/model.md "Targets"): the keys of Targets in a scenario
// and the ids of target results in the result document.
const (
	TargetBalanceMin       = "balance_min"
	TargetLeverageMin      = "leverage_min"
	TargetLeverageMax      = "leverage_max"
	TargetCompRateMax      = "compensation_rate_max"
	TargetFeeMax           = "fee_max"
	TargetCapitalMin       = "capital_min"
	TargetBankShareMin     = "bank_share_min"
	TargetConcentrationMax = "concentration_max"
)

// Borrower segments (docs/data.md, the loans' segment column).
const (
	SegmentMicro = "micro"
	SegmentSmall = "small"
	SegmentAgri  = "agri"
	SegmentOther = "other"
)

// ValidSegment reports whether s is one of the four segments.
func ValidSegment(s string) bool {
	switch s {
	case SegmentMicro, SegmentSmall, SegmentAgri, SegmentOther:
		return true
	}
	return false
}

// SmallOrAgri reports whether a loan of segment s counts as small/micro or
// agricultural business (小微三农): the balance the balance_min target
// counts.
func SmallOrAgri(s string) bool {
	return s == SegmentMicro || s == SegmentSmall || s == SegmentAgri
}
