package web

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Report files are mailed and opened on machines that may have no
// Chinese font. Their charts' labels are therefore drawn as outlines: each
// SVG <text> becomes <use> references to glyph outlines taken from the CJK
// font the charts were measured with, and only the glyphs the report uses
// are embedded, once each, in a hidden <svg><defs> at the top of the body.
// (No pure-Go font subsetter for CFF-based OpenType collections such as
// Noto Sans CJK was at hand; drawing the used glyphs as paths embeds the
// same subset in a form every browser renders.) The HTML text around the
// charts still names the system fonts (style.css).

// svgText matches one text element as gonum/plot's SVG canvas writes it.
var svgText = regexp.MustCompile(`(?s)<text x="([-0-9.e+]+)" y="([-0-9.e+]+)"((?: transform="[^"]*")?)\s*style="([^"]*)">(.*?)</text>`)

var fontSize = regexp.MustCompile(`font-size:([0-9.]+)px`)

// outlineText rewrites every chart label of page into glyph outlines from
// face. It returns page unchanged when face is nil.
func outlineText(page []byte, face *sfnt.Font) ([]byte, error) {
	if face == nil {
		return page, nil
	}
	var buf sfnt.Buffer
	upem := face.UnitsPerEm()
	ppem := fixed.I(int(upem)) // glyphs in font units; <use> scales them
	glyphs := map[sfnt.GlyphIndex]string{}
	var order []sfnt.GlyphIndex
	var ferr error
	out := svgText.ReplaceAllFunc(page, func(m []byte) []byte {
		if ferr != nil {
			return m
		}
		sm := svgText.FindSubmatch(m)
		x, err1 := strconv.ParseFloat(string(sm[1]), 64)
		y, err2 := strconv.ParseFloat(string(sm[2]), 64)
		fs := fontSize.FindSubmatch(sm[4])
		if err1 != nil || err2 != nil || fs == nil {
			return m
		}
		size, err := strconv.ParseFloat(string(fs[1]), 64)
		if err != nil {
			return m
		}
		scale := size / float64(upem)
		var b strings.Builder
		fmt.Fprintf(&b, `<g%s fill="currentColor"><title>%s</title>`, sm[3], sm[5])
		pen := x
		for _, r := range html.UnescapeString(string(sm[5])) {
			gi, err := face.GlyphIndex(&buf, r)
			if err != nil || gi == 0 {
				pen += size / 2 // a glyph the font lacks: leave its space
				continue
			}
			if _, ok := glyphs[gi]; !ok {
				d, err := glyphPath(face, &buf, gi, ppem)
				if err != nil {
					ferr = err
					return m
				}
				glyphs[gi] = d
				order = append(order, gi)
			}
			if glyphs[gi] != "" {
				fmt.Fprintf(&b, `<use href="#g%d" transform="translate(%.2f %.2f) scale(%.5f)"/>`, gi, pen, y, scale)
			}
			adv, err := face.GlyphAdvance(&buf, gi, ppem, font.HintingNone)
			if err != nil {
				ferr = err
				return m
			}
			pen += float64(adv) / 64 * scale
		}
		b.WriteString(`</g>`)
		return []byte(b.String())
	})
	if ferr != nil {
		return nil, ferr
	}
	if len(order) == 0 {
		return out, nil
	}
	var defs bytes.Buffer
	defs.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0" style="position:absolute" aria-hidden="true"><defs>`)
	for _, gi := range order {
		if glyphs[gi] != "" {
			fmt.Fprintf(&defs, `<path id="g%d" d="%s"/>`, gi, glyphs[gi])
		}
	}
	defs.WriteString(`</defs></svg>`)
	i := bytes.Index(out, []byte("<body"))
	if i < 0 {
		return nil, fmt.Errorf("web: outlines: the report has no <body>")
	}
	j := bytes.IndexByte(out[i:], '>')
	at := i + j + 1
	return append(append(append([]byte{}, out[:at]...), defs.Bytes()...), out[at:]...), nil
}

// glyphPath is the SVG path of glyph gi at ppem, y down from the baseline
// (as SVG draws it), in font units when ppem is the units per em.
func glyphPath(face *sfnt.Font, buf *sfnt.Buffer, gi sfnt.GlyphIndex, ppem fixed.Int26_6) (string, error) {
	segs, err := face.LoadGlyph(buf, gi, ppem, nil)
	if err != nil {
		return "", fmt.Errorf("web: outlines: glyph %d: %w", gi, err)
	}
	var b strings.Builder
	f := func(p fixed.Point26_6) string {
		return strconv.FormatFloat(float64(p.X)/64, 'f', 0, 64) + " " + strconv.FormatFloat(float64(p.Y)/64, 'f', 0, 64)
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			b.WriteString("M" + f(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			b.WriteString("L" + f(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			b.WriteString("Q" + f(s.Args[0]) + " " + f(s.Args[1]))
		case sfnt.SegmentOpCubeTo:
			b.WriteString("C" + f(s.Args[0]) + " " + f(s.Args[1]) + " " + f(s.Args[2]))
		}
	}
	if b.Len() > 0 {
		b.WriteString("Z")
	}
	return b.String(), nil
}

// writeOutlined renders through render into memory, draws the chart
// labels as outlines of cf's CJK face, and writes the result to w.
func writeOutlined(w io.Writer, cf *chartFonts, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	out, err := outlineText(buf.Bytes(), cf.face)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}
