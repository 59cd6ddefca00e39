// Package format turns numbers into the text the CLI, the dashboard, the
// HTML reports and the workbooks show, so that all four say the same thing
// the same way:
//
//   - Money is shown in one unit per column, chart axis or section, chosen
//     from the magnitude of the whole column (Column): 亿元 (10⁸ yuan) when
//     its largest amount reaches 1亿, else 万元 (10⁴ yuan). The unit is
//     stated once, in the header; cells carry bare numbers.
//   - A value compared against a threshold is shown with as many decimals
//     as it takes for the shown value to fall on the same side of the
//     shown threshold as the exact one (Versus): 0.97 % against 1 % reads
//     "0.97 %", never "1.0 %".
//   - Codes (parties, industries, products, segments) have Chinese names
//     with English beside (Names); downloads keep the codes.
//
// The package imports nothing of danbao's, so every layer can use it.
package format

import (
	"math"
	"strconv"
	"strings"
)

// Yuan per 万 and per 亿.
const (
	WanYuan = 1e4
	YiYuan  = 1e8
)

// Unit is a money unit for an axis, a table column or a section.
type Unit struct {
	Yuan float64 // yuan per unit
	ZH   string  // "亿元" or "万元"
	EN   string  // "100m yuan" or "10k yuan"
	// Excel is the spreadsheet number format of an amount stored in this
	// unit (yuan / Yuan): two decimals, digit groups and the unit, so a
	// cell holding 1.5 under an 亿元 header shows "1.50亿". (A format
	// cannot divide by 10⁴ or 10⁸, so workbooks store the amount in the
	// unit rather than in yuan.)
	Excel string
}

// The units money is shown in.
var (
	Yi  = Unit{Yuan: YiYuan, ZH: "亿元", EN: "100m yuan", Excel: `#,##0.00"亿"`}
	Wan = Unit{Yuan: WanYuan, ZH: "万元", EN: "10k yuan", Excel: `#,##0.00"万"`}
)

// Short is the unit without 元, as a suffix: "亿", "万".
func (u Unit) Short() string { return strings.TrimSuffix(u.ZH, "元") }

// Label is "亿元 / 100m yuan", for axis titles and headers.
func (u Unit) Label() string { return u.ZH + " / " + u.EN }

// Column picks the unit of a column from all its amounts (yuan): 亿 when
// the largest absolute finite amount is at least 1亿, else 万.
func Column(yuan ...float64) Unit {
	hi := 0.0
	for _, x := range yuan {
		if Finite(x) {
			hi = max(hi, math.Abs(x))
		}
	}
	if hi >= YiYuan {
		return Yi
	}
	return Wan
}

// Finite reports whether x is a usable number.
func Finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Dash is what a cell shows for a value that does not exist.
const Dash = "–"

// In formats yuan in unit u with two decimals and digit groups, without
// the unit: 1.2345e9 in 亿 is "12.35". Minus zero shows as "0.00"; a value
// that is not finite as "–".
func In(yuan float64, u Unit) string {
	if !Finite(yuan) {
		return Dash
	}
	return Num(yuan/u.Yuan, 2)
}

// Money formats yuan with its own unit, 亿 or 万 by size: "12.34亿". Use
// it only for a lone amount; a column takes Column and In.
func Money(yuan float64) string {
	if !Finite(yuan) {
		return Dash
	}
	u := Column(yuan)
	return In(yuan, u) + u.Short()
}

// Num formats x with d decimals and digit groups; "-0.00" shows as "0.00".
func Num(x float64, d int) string {
	if !Finite(x) {
		return Dash
	}
	s := strconv.FormatFloat(x, 'f', d, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return GroupDigits(s)
}

// Pct formats a fraction as a percentage with d decimals: 0.0123 → "1.23 %".
func Pct(x float64, d int) string {
	if !Finite(x) {
		return Dash
	}
	return Num(x*100, d) + " %"
}

// maxDecimals bounds the decimals Versus adds.
const maxDecimals = 6

// Decimals returns the number of decimals, at least d, with which x
// rounds to a number on the same side of thr (rounded the same way) as x
// itself: 0.98 against 1 needs 2 (not 1, which shows 1.0 = 1.0). Equal
// values need only d.
func Decimals(x, thr float64, d int) int {
	if !Finite(x) || !Finite(thr) || x == thr {
		return d
	}
	for ; d < maxDecimals; d++ {
		p := math.Pow(10, float64(d))
		rx, rt := math.Round(x*p), math.Round(thr*p)
		if (x < thr) == (rx < rt) && rx != rt {
			return d
		}
	}
	return maxDecimals
}

// PctVersus formats a rate compared against the threshold thr, both
// fractions, with at least d decimals and as many more as keep the
// verdict visible: PctVersus(0.0098, 0.01, 1) = "0.98 %".
func PctVersus(x, thr float64, d int) string {
	return Pct(x, Decimals(x*100, thr*100, d))
}

// NumVersus is PctVersus for plain numbers (leverage against a cap).
func NumVersus(x, thr float64, d int) string { return Num(x, Decimals(x, thr, d)) }

// GroupDigits puts a comma between groups of three digits of the
// integer part: 1234567.89 → 1,234,567.89.
func GroupDigits(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

// Count is "1 worker", "3 workers": n with the singular or the plural.
func Count(n int, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return GroupDigits(strconv.Itoa(n)) + " " + plural
}

// Range is "5.12 (3.56 – 7.01)": a central value with its interval; the
// interval is left out when either end is missing, rather than shown as
// "(3.56 – –)", and when it is a single point, rather than as a wall of
// "0.00 (0.00 – 0.00)".
func Range(mid, lo, hi string) string {
	if lo == Dash || hi == Dash || lo == "" || hi == "" || (lo == mid && hi == mid) {
		return mid
	}
	return mid + " (" + lo + " – " + hi + ")"
}
