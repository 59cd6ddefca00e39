package web

import (
	"strings"
	"testing"
)

// TestOutlineText: a report's chart labels become glyph outlines, each
// glyph embedded once, and nothing else of the page changes.
func TestOutlineText(t *testing.T) {
	cf := loadFonts()
	if cf.face == nil {
		t.Skip("no CJK font installed (apt-get install fonts-noto-cjk): report labels stay text")
	}
	page := `<html><body><p>表 <text>not svg</p>` +
		`<svg><g transform="scale(1, -1)"><text x="10" y="-20" transform="scale(1, -1)"` + "\n\t" +
		`style="font-family:Noto Sans CJK SC;font-size:12px">亿元 亿 &amp; VaR</text></g></svg></body></html>`
	out, err := outlineText([]byte(page), cf.face)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if strings.Contains(s, "</text>") {
		t.Errorf("a label is still text:\n%s", s)
	}
	if !strings.Contains(s, "<p>表 <text>not svg</p>") {
		t.Error("HTML outside the charts changed")
	}
	// 亿 元 & V a R: six glyphs, 亿 drawn twice but embedded once; a
	// space has no outline.
	if n := strings.Count(s, `<path id="g`); n != 6 {
		t.Errorf("%d glyphs embedded, want 6", n)
	}
	if n := strings.Count(s, "<use "); n != 7 {
		t.Errorf("%d glyphs drawn, want 7 (spaces draw nothing)", n)
	}
	if !strings.Contains(s, `transform="translate(10.00 -20.00) scale(`) {
		t.Errorf("the first glyph is not at the text's origin:\n%.600s", s)
	}
	if !strings.Contains(s, "<title>亿元 亿 &amp; VaR</title>") {
		t.Error("the label's text is not kept as its title")
	}
	if _, err := outlineText([]byte(page), nil); err != nil {
		t.Error(err)
	}
}
