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

// YearsSince returns (d − from) in years of 365 days; the engine's clock.
func (d Date) YearsSince(from Date) float64 { return float64(d-from) / 365 }
