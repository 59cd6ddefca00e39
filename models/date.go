package models

import (
	"fmt"
	"time"
)

// Date is a calendar day as a count of days since 1970-01-01, the layout of
// Arrow's date32. The zero Date means "not given" (no loan in this domain
// is dated 1 January 1970).
type Date int32

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("%w: date %q is not YYYY-MM-DD", ErrInvalid, s)
	}
	return DateOf(t), nil
}

// DateOf returns t's calendar day in UTC.
func DateOf(t time.Time) Date { return Date(t.UTC().Unix() / 86400) }

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == 0 }

// String formats d as YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d == 0 {
		return ""
	}
	return d.Time().Format(time.DateOnly)
}

// MinDate and MaxDate bound the dates a portfolio may carry: a loan dated
// outside them is a typo or a corrupt file, and every date inside them
// prints as YYYY-MM-DD and parses back.
var (
	MinDate = DateOf(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC))
	MaxDate = DateOf(time.Date(2199, 12, 31, 0, 0, 0, 0, time.UTC))
)

// Plausible reports whether d is within MinDate..MaxDate.
func (d Date) Plausible() bool { return d >= MinDate && d <= MaxDate }

// YearsSince returns (d − from) in years of 365 days; the engine's clock.
func (d Date) YearsSince(from Date) float64 { return float64(d-from) / 365 }
