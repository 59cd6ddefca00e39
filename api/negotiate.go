package api

import (
	"slices"
	"strconv"
	"strings"
)

// acceptRange is one media range of an Accept header.
type acceptRange struct {
	typ string // lower case, e.g. "text/csv", "*/*"
	q   float64
}

// parseAccept parses an Accept header into media ranges, highest quality
// first (stable for equal q). Malformed ranges are skipped.
func parseAccept(h string) []acceptRange {
	var out []acceptRange
	for _, part := range strings.Split(h, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		fields := strings.Split(part, ";")
		typ := strings.ToLower(strings.TrimSpace(fields[0]))
		if !strings.Contains(typ, "/") {
			continue
		}
		q := 1.0
		for _, p := range fields[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.TrimSpace(strings.ToLower(k)) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
		}
		out = append(out, acceptRange{typ: typ, q: q})
	}
	slices.SortStableFunc(out, func(a, b acceptRange) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	return out
}

// negotiate picks the first of offers (media types, the default first)
// that the Accept header h allows, preferring higher quality. An empty
// header accepts the default. It returns "" when nothing is acceptable.
func negotiate(h string, offers ...string) string {
	if strings.TrimSpace(h) == "" {
		return offers[0]
	}
	ranges := parseAccept(h)
	best, bestQ := "", 0.0
	for _, o := range offers {
		q := -1.0
		spec := -1 // specificity of the matching range: 2 exact, 1 type/*, 0 */*
		for _, r := range ranges {
			s := -1
			switch {
			case r.typ == o:
				s = 2
			case strings.HasSuffix(r.typ, "/*") && strings.HasPrefix(o, strings.TrimSuffix(r.typ, "*")):
				s = 1
			case r.typ == "*/*":
				s = 0
			}
			if s > spec {
				spec, q = s, r.q
			}
		}
		if q > bestQ {
			best, bestQ = o, q
		}
	}
	return best
}
