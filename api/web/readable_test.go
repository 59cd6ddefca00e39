package web_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// checkReadable holds a rendered page or report to what a finance-bureau
// reader needs (issue 19):
//
//   - no table column mixes 亿 and 万: a column's cells carry at most one
//     of the two, and agree with the unit its header names;
//   - no chart mixes them: an SVG names at most one of 亿元 and 万元 (or,
//     drawn without a CJK font, 100m yuan and 10k yuan);
//   - a section (an h2 and what follows it) whose heading names a unit has
//     no chart in the other unit;
//   - every visible label (headings, table column headers, form labels,
//     buttons, captions, glossary terms) has Chinese text.
func checkReadable(t reporter, name, page string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var walk func(n *html.Node)
	sectionUnit := ""
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style":
				return
			case "h2":
				sectionUnit = unitOf(text(n))
			case "table":
				checkTable(t, name, n)
			case "svg":
				u := unitOf(text(n))
				if u == "mixed" {
					t.Errorf("%s: chart %q names both 亿 and 万", name, chartID(n))
				} else if u != "" && sectionUnit != "" && sectionUnit != "mixed" && u != sectionUnit {
					t.Errorf("%s: chart %q is in %s under a heading in %s", name, chartID(n), u, sectionUnit)
				}
				return // chart internals are checked above, not as labels
			}
			switch n.Data {
			case "h1", "h2", "h3", "label", "button", "figcaption", "dt", "summary":
				if s := strings.TrimSpace(text(n)); s != "" && !hasHan(s) {
					t.Errorf("%s: <%s> %q has no Chinese", name, n.Data, clip(s))
				}
			case "th":
				if inThead(n) {
					if s := strings.TrimSpace(text(n)); s != "" && !hasHan(s) && !isCode(s) {
						t.Errorf("%s: column header %q has no Chinese", name, clip(s))
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

// isCode reports whether a header is a value rather than a label: a swept
// value ("0.1"), a level ("99 %"), a statistic with its level ("VaR 99 %",
// "ES 99.9 %") — the same in both languages, and defined in the glossary.
func isCode(s string) bool {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "VaR"), "ES"))
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	_, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	return err == nil
}

// unitOf is "亿" or "万" when s names that money unit only, "mixed" when
// it names both, "" when neither.
func unitOf(s string) string {
	yi := strings.Contains(s, "亿") || strings.Contains(s, "100m yuan")
	wan := strings.Contains(s, "万") || strings.Contains(s, "10k yuan")
	switch {
	case yi && wan:
		return "mixed"
	case yi:
		return "亿"
	case wan:
		return "万"
	}
	return ""
}

// checkTable lays the table out on a grid (rowspan and colspan) and
// checks that no column's cells and header mix 亿 and 万.
func checkTable(t reporter, name string, table *html.Node) {
	t.Helper()
	type cell struct {
		text string
		head bool
	}
	var grid [][]cell
	pending := map[int]int{} // column → rows still covered by a rowspan above
	row := 0
	var rows func(n *html.Node, head bool)
	rows = func(n *html.Node, head bool) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch c.Data {
			case "thead":
				rows(c, true)
			case "tbody", "tfoot":
				rows(c, false)
			case "table":
				// a nested table is checked on its own
			case "tr":
				for len(grid) <= row {
					grid = append(grid, nil)
				}
				col := 0
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if td.Type != html.ElementNode || (td.Data != "td" && td.Data != "th") {
						continue
					}
					for pending[col] > 0 {
						pending[col]--
						col++
					}
					span, rspan := attrInt(td, "colspan"), attrInt(td, "rowspan")
					if td.Data == "th" && !head {
						// A row header is a label: in a table of metrics it
						// names its row's unit ("在保余额 亿元").
						for k := 0; k < span; k++ {
							for len(grid[row]) <= col+k {
								grid[row] = append(grid[row], cell{})
							}
							if rspan > 1 {
								pending[col+k] = rspan - 1
							}
						}
						col += span
						continue
					}
					for k := 0; k < span; k++ {
						for len(grid[row]) <= col+k {
							grid[row] = append(grid[row], cell{})
						}
						grid[row][col+k] = cell{text(td), head}
						if rspan > 1 {
							pending[col+k] = rspan - 1
						}
					}
					col += span
				}
				for c, n := range pending {
					if c >= col && n > 0 {
						pending[c]--
					}
				}
				row++
			}
		}
	}
	rows(table, false)
	cols := 0
	for _, r := range grid {
		cols = max(cols, len(r))
	}
	for c := 0; c < cols; c++ {
		head, body := "", map[string]bool{}
		for _, r := range grid {
			if c >= len(r) {
				continue
			}
			u := unitOf(r[c].text)
			if u == "" {
				continue
			}
			if r[c].head {
				if head == "" || head == u {
					head = u
				} else {
					head = "mixed"
				}
				continue
			}
			body[u] = true
		}
		if head == "mixed" || body["mixed"] || (body["亿"] && body["万"]) || (head != "" && len(body) > 0 && !body[head]) {
			t.Errorf("%s: table %q column %d mixes 亿 and 万 (header %q, cells %v)", name, attr(table, "id"), c+1, head, body)
		}
	}
}

func inThead(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == "thead" {
			return true
		}
	}
	return false
}

func chartID(svg *html.Node) string {
	for p := svg.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == "figure" {
			return attr(p, "id")
		}
	}
	return "?"
}

func text(n *html.Node) string {
	var b strings.Builder
	var f func(*html.Node)
	f = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			f(c)
		}
	}
	f(n)
	return b.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func attrInt(n *html.Node, key string) int {
	v, err := strconv.Atoi(attr(n, key))
	if err != nil || v < 1 {
		return 1
	}
	return v
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// reporter is what checkReadable needs of a *testing.T; recorder
// implements it for the checker's own test.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

type recorder struct{ msgs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// TestCheckReadable: the checker finds what the issue found, and passes
// what is right.
func TestCheckReadable(t *testing.T) {
	for _, tt := range []struct {
		name, page string
		bad        bool
	}{
		{"mixed column", `<table><thead><tr><th>金额 Amount</th></tr></thead><tbody><tr><td>8,600.00万</td></tr><tr><td>1.62亿</td></tr></tbody></table>`, true},
		{"one unit", `<table><thead><tr><th>金额 亿元</th></tr></thead><tbody><tr><td>0.86</td></tr><tr><td>1.62</td></tr></tbody></table>`, false},
		{"header vs cell", `<table><thead><tr><th>金额 万元</th></tr></thead><tbody><tr><td>1.62亿</td></tr></tbody></table>`, true},
		{"rowspan", `<table><tbody><tr><th rowspan="2">乐清</th><td>1亿</td></tr><tr><td>2亿</td></tr></tbody></table>`, false},
		{"rowspan shifts", `<table><tbody><tr><th rowspan="2">乐清</th><td>1亿</td><td>3万</td></tr><tr><td>2亿</td><td>4万</td></tr></tbody></table>`, false},
		{"section", `<h2>风险贡献 <small>万元</small></h2><figure id="c"><svg><text>亿元</text></svg></figure>`, true},
		{"chart", `<figure id="c"><svg><text>亿元</text><text>万元</text></svg></figure>`, true},
		{"english header", `<table><thead><tr><th>Year</th></tr></thead></table>`, true},
		{"english heading", `<h2>By year</h2>`, true},
		{"level header", `<table><thead><tr><th>VaR 99 %</th><th>0.25</th></tr></thead></table>`, false},
	} {
		r := &recorder{}
		checkReadable(r, tt.name, tt.page)
		if got := len(r.msgs) > 0; got != tt.bad {
			t.Errorf("%s: flagged %v (%q), want %v", tt.name, got, r.msgs, tt.bad)
		}
	}
}
