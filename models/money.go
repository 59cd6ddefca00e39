package models

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Cents is an exact amount of money as an int64 count of fen (分, 0.01 yuan),
// the way time.Duration is an int64 nanosecond count. It is the in-memory
// form of Arrow's decimal128(18,2) yuan: every such value fits.
type Cents int64

// Yuan is one yuan in Cents; Wan (万) and Yi (亿) are 10⁴ and 10⁸ yuan.
const (
	Yuan Cents = 100
	Wan  Cents = 10_000 * Yuan
	Yi   Cents = 100_000_000 * Yuan
)

// MaxCents is the largest magnitude decimal128(18,2) holds: 10¹⁶ yuan − 1 fen.
const MaxCents Cents = 999_999_999_999_999_999

// Decimal returns c in yuan as an exact decimal.
func (c Cents) Decimal() decimal.Decimal { return decimal.New(int64(c), -2) }

// Yuan returns c in yuan as a float64 (for statistics and plots only).
func (c Cents) Yuan() float64 { return float64(c) / 100 }

// String formats c in yuan with exactly two decimals, e.g. "1234567.89".
func (c Cents) String() string {
	neg := c < 0
	u := uint64(c)
	if neg {
		u = uint64(-c)
	}
	s := fmt.Sprintf("%d.%02d", u/100, u%100)
	if neg {
		return "-" + s
	}
	return s
}

// MarshalJSON writes c as a decimal string of yuan: money in JSON is never a float.
func (c Cents) MarshalJSON() ([]byte, error) { return []byte(`"` + c.String() + `"`), nil }

// UnmarshalJSON accepts a decimal string of yuan ("1234.50") or a JSON number
// with at most two decimals.
func (c *Cents) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	v, err := ParseCents(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// MarshalText and UnmarshalText make Cents usable in YAML and flags, in yuan.
func (c Cents) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses yuan; see ParseCents. A number in exponent form
// (as YAML writes 2e10) is accepted when it is a whole number of fen.
func (c *Cents) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	v, err := ParseCents(s)
	if err != nil {
		if d, derr := decimal.NewFromString(s); derr == nil && strings.ContainsAny(s, "eE") {
			return c.fromDecimal(d, s)
		}
		return err
	}
	*c = v
	return nil
}

func (c *Cents) fromDecimal(d decimal.Decimal, s string) error {
	f := d.Shift(2)
	if !f.Equal(f.Truncate(0)) || f.Abs().GreaterThan(decimal.New(int64(MaxCents), 0)) {
		return fmt.Errorf("%w: money %q is not a whole number of fen within decimal128(18,2)", ErrInvalid, s)
	}
	*c = Cents(f.IntPart())
	return nil
}

// ParseCents parses a yuan amount written as plain decimal text: an optional
// minus sign, digits, and at most two decimals ("1234567.89", "12", "-3.5").
// Thousands separators, currency signs, exponents and 万/亿 suffixes are
// errors (see ParseCentsLenient). The magnitude must fit decimal128(18,2).
func ParseCents(s string) (Cents, error) {
	bad := func(why string) (Cents, error) {
		return 0, fmt.Errorf("%w: money %q %s", ErrInvalid, s, why)
	}
	if s == "" {
		return bad("is empty")
	}
	t := s
	neg := false
	if t[0] == '-' || t[0] == '+' {
		neg = t[0] == '-'
		t = t[1:]
	}
	if strings.ContainsAny(t, ",，万亿") {
		return bad("uses a thousands separator or a 万/亿 suffix (write plain yuan, or pass --lenient-money)")
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" || (hasDot && frac == "") {
		return bad("is not a decimal number")
	}
	if len(frac) > 2 {
		return bad("has more than two decimals (fen)")
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return bad("is not a decimal number")
		}
	}
	if len(intPart) > 16 {
		return bad("is too large for decimal128(18,2)")
	}
	whole, _ := strconv.ParseInt(intPart, 10, 64)
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := Cents(whole*100 + f)
	if neg {
		v = -v
	}
	return v, nil
}

// ParseCentsLenient is ParseCents that also accepts thousands separators
// ("1,234,567.89") and the suffixes 万 (×10⁴) and 亿 (×10⁸), as business
// systems often export them ("12.5万"). The result must still be a whole
// number of fen.
func ParseCentsLenient(s string) (Cents, error) {
	t := strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	mult := int32(0)
	switch {
	case strings.HasSuffix(t, "万"):
		mult, t = 4, strings.TrimSuffix(t, "万")
	case strings.HasSuffix(t, "亿"):
		mult, t = 8, strings.TrimSuffix(t, "亿")
	}
	if mult == 0 {
		return ParseCents(t)
	}
	d, err := decimal.NewFromString(t)
	if err != nil || strings.ContainsAny(t, "eE") {
		return 0, fmt.Errorf("%w: money %q is not a decimal number", ErrInvalid, s)
	}
	var c Cents
	if err := c.fromDecimal(d.Shift(mult), s); err != nil {
		return 0, err
	}
	return c, nil
}

// CentsFromDecimal converts an exact yuan decimal to Cents, failing when it
// is not a whole number of fen or does not fit decimal128(18,2).
func CentsFromDecimal(d decimal.Decimal) (Cents, error) {
	var c Cents
	err := c.fromDecimal(d, d.String())
	return c, err
}

// RoundCents rounds a float64 yuan amount to the nearest fen, half away from
// zero. It is for amounts computed in float64 inside the engine (interest,
// fees); x must be finite.
func RoundCents(yuan float64) Cents { return Cents(math.Round(yuan * 100)) }

// MulRate returns c × r rounded to the nearest fen, half away from zero,
// computed exactly for rates with up to 15 significant digits.
func (c Cents) MulRate(r float64) Cents {
	return Cents(math.Round(float64(c) * r))
}
