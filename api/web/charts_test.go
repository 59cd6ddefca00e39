package web

import (
	"slices"
	"strings"
	"testing"
)

func TestGroupTicker(t *testing.T) {
	labels := func(lo, hi float64) string {
		var out []string
		for _, tk := range (groupTicker{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return strings.Join(out, " ")
	}
	for _, tt := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 250, "0 50 100 150 200 250"},
		{0, 325, "0 100 200 300"},
		{4.2, 36, "10 20 30"},
		{0, 12000, "0 2,000 4,000 6,000 8,000 10,000 12,000"},
		{0, 1.2, "0.0 0.2 0.4 0.6 0.8 1.0 1.2"},
		{0, 0.06, "0.00 0.01 0.02 0.03 0.04 0.05 0.06"},
		{-3, 3, "-3 -2 -1 0 1 2 3"},
		{0, 2.7, "0.0 0.5 1.0 1.5 2.0 2.5"},
	} {
		if got := labels(tt.lo, tt.hi); got != tt.want {
			t.Errorf("ticks(%g, %g) = %q, want %q", tt.lo, tt.hi, got, tt.want)
		}
	}
}

// TestChartFonts draws a chart with and without a CJK font: with one the
// labels carry Chinese in that font; without, they are English only, so
// no glyph is silently dropped.
func TestChartFonts(t *testing.T) {
	hasHan := func(s string) bool {
		for _, r := range s {
			if r >= 0x4e00 && r <= 0x9fff {
				return true
			}
		}
		return false
	}
	texts := func(svg string) string {
		var b strings.Builder
		for _, part := range strings.Split(svg, "<text")[1:] {
			if i := strings.Index(part, ">"); i >= 0 {
				if j := strings.Index(part[i:], "</text>"); j >= 0 {
					b.WriteString(part[i+1:i+j] + "\n")
				}
			}
		}
		return b.String()
	}
	draw := func(cf *chartFonts) string {
		ch, err := barChart(cf, "t", name{"Balances by county", "各区县余额"}, []string{cf.zhOr("乐清市", "330382"), cf.zhOr("瑞安市", "330381")},
			[]barSeries{{cf.bi("Guaranteed", "在保余额"), []float64{2, 3}, paletteColor(0)}}, cf.zhOr("亿元", "100m yuan"), false, nil, chartH)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Marks != 2 {
			t.Errorf("marks = %d, want 2", ch.Marks)
		}
		return string(ch.SVG)
	}
	latin := draw(newChartFonts("", nil, ""))
	if txt := texts(latin); hasHan(txt) || !strings.Contains(txt, "Balances by county") {
		t.Errorf("without a CJK font the chart texts are:\n%s", txt)
	}
	if !strings.Contains(latin, "font-family:Liberation Sans") {
		t.Error("without a CJK font the chart does not use Liberation Sans")
	}
	cf := loadFonts()
	if !cf.cjk {
		t.Skipf("no CJK font installed (apt-get install fonts-noto-cjk); %v", cf.err)
	}
	cjk := draw(cf)
	if txt := texts(cjk); !hasHan(txt) || !strings.Contains(txt, "乐清市") {
		t.Errorf("with %s the chart texts are:\n%s", cf.family, txt)
	}
	if !strings.Contains(cjk, "font-family:"+cf.family) {
		t.Errorf("chart does not name the CJK font %q", cf.family)
	}
}

// Two parties with the same losses (the re-guarantor and the national fund
// under the 4321 policy) must not hide each other: the later one is drawn
// as a band under the earlier and its legend names the line it lies on; a
// line 10 % of the range away is drawn normally.
func TestLineChartCoincidentSeries(t *testing.T) {
	cf := newChartFonts("", nil, "")
	x := []float64{0, 0.1, 0.2}
	red, teal, green := paletteColor(2), paletteColor(3), paletteColor(4)
	ch, err := lineChart(cf, "t", name{"T", "T"}, "x", "y", []lineSeries{
		{Label: "reguarantor", X: x, Y: []float64{1, 1, 1}, Color: red},
		{Label: "national_fund", X: x, Y: []float64{1, 1.001, 1}, Color: teal, Dashed: true},
		{Label: "bank", X: x, Y: []float64{0, 0.1, 0.2}, Color: green},
		{Label: "county", X: x, Y: []float64{1.1, 1.1, 1.1}, Color: green},
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Legend) != 4 {
		t.Fatalf("legend has %d entries, want 4", len(ch.Legend))
	}
	if got, want := ch.Legend[1].Label, "national_fund = reguarantor（重合 coincide）"; got != want {
		t.Errorf("coincident legend %q, want %q", got, want)
	}
	for _, i := range []int{0, 2, 3} {
		if strings.Contains(ch.Legend[i].Label, "=") {
			t.Errorf("legend %d %q marked coincident", i, ch.Legend[i].Label)
		}
	}
	// The band (5 pt wide) is drawn before the red line (1.6 pt) that runs
	// on top of it.
	band := strings.Index(string(ch.SVG), "stroke:#76B7B2;stroke-width:5\"")
	line := strings.Index(string(ch.SVG), "stroke:#E15759;stroke-width:1.6\"")
	if band < 0 || line < 0 || band > line {
		t.Errorf("band at %d, red line at %d: want the band drawn first", band, line)
	}
}

// With reference lines (the leverage bounds) a bar chart's legend is HTML
// under the chart, not drawn in the plot where it covered the top line.
func TestBarChartReferenceLegendOutside(t *testing.T) {
	cf := newChartFonts("", nil, "")
	ch, err := barChart(cf, "t", name{"T", "T"}, []string{"a", "b"},
		[]barSeries{{"Performance", []float64{3, 4}, paletteColor(0)}, {"Regulatory", []float64{2, 3}, paletteColor(3)}},
		"x", false, []refLine{{"Cap 15", 15, paletteColor(2)}}, chartH)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, l := range ch.Legend {
		labels = append(labels, l.Label)
	}
	if want := []string{"Performance", "Regulatory", "Cap 15"}; !slices.Equal(labels, want) {
		t.Errorf("HTML legend %q, want %q", labels, want)
	}
	if strings.Contains(string(ch.SVG), "Cap 15") || strings.Contains(string(ch.SVG), "Performance") {
		t.Error("the SVG still draws a legend")
	}
}
