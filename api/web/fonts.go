package web

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/text"
)

// CJKFontPaths are the fonts charts use for Chinese labels, first found
// first: Debian's fonts-noto-cjk (a TrueType collection), then common
// single-font installs. The environment variable DANBAO_CJK_FONT names
// another file (.ttc, .otf or .ttf), or "none" to draw English-only charts.
var CJKFontPaths = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
}

// chartFonts is the font set of every chart: gonum/plot's Liberation fonts
// plus, when one is installed, a CJK font. gonum/plot measures text with
// the font it is given and silently draws nothing for glyphs the font
// lacks, so Chinese labels need a CJK font to be measured (and, in
// raster output, drawn). In SVG the browser draws the text; style.css
// lists fallbacks for readers without Noto.
type chartFonts struct {
	handler text.Handler
	font    font.Font  // the font of every label
	cjk     bool       // font has Chinese glyphs
	family  string     // the CJK font's family name, e.g. "Noto Sans CJK SC"
	path    string     // the CJK font's file
	face    *sfnt.Font // the CJK face, for drawing report labels as outlines (outlines.go)
	err     error      // why no CJK font was loaded, if one was looked for
}

var loadFonts = sync.OnceValue(func() *chartFonts {
	path, face, family, err := findCJKFont()
	cf := newChartFonts(path, face, family)
	cf.err = err
	return cf
})

// newChartFonts returns the font set with the CJK face (nil: none).
func newChartFonts(path string, face *sfnt.Font, family string) *chartFonts {
	cache := font.NewCache(liberation.Collection())
	cf := &chartFonts{font: font.Font{Typeface: "Liberation", Variant: "Sans"}}
	if face != nil {
		tf := font.Typeface(family)
		cache.Add(font.Collection{{Font: font.Font{Typeface: tf}, Face: face}})
		cf.font, cf.cjk, cf.family, cf.path, cf.face = font.Font{Typeface: tf}, true, family, path, face
	}
	cf.handler = text.Plain{Fonts: cache}
	return cf
}

// findCJKFont loads the first CJK font of DANBAO_CJK_FONT or CJKFontPaths.
// In a collection it picks the Simplified Chinese face ("… SC"), else the
// first. No font found is not an error; a font that does not parse is.
func findCJKFont() (path string, face *sfnt.Font, family string, err error) {
	paths := CJKFontPaths
	if env := os.Getenv("DANBAO_CJK_FONT"); env != "" {
		if strings.EqualFold(env, "none") {
			return "", nil, "", nil
		}
		paths = []string{env}
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		face, family, err := parseCJK(data)
		if err != nil {
			return p, nil, "", fmt.Errorf("web: font %s: %w", p, err)
		}
		return p, face, family, nil
	}
	return "", nil, "", nil
}

func parseCJK(data []byte) (*sfnt.Font, string, error) {
	coll, err := sfnt.ParseCollection(data) // also reads a single font
	if err != nil {
		return nil, "", err
	}
	var first *sfnt.Font
	var firstName string
	var buf sfnt.Buffer
	for i := range coll.NumFonts() {
		f, err := coll.Font(i)
		if err != nil {
			return nil, "", err
		}
		name, err := f.Name(&buf, sfnt.NameIDFamily)
		if err != nil {
			return nil, "", err
		}
		if first == nil {
			first, firstName = f, name
		}
		if strings.HasSuffix(name, " SC") {
			return f, name, nil
		}
	}
	if first == nil {
		return nil, "", fmt.Errorf("no font in the collection")
	}
	return first, firstName, nil
}

// bi returns a bilingual label "English 中文" when charts can draw Chinese,
// else the English part alone (the page around the chart carries the
// Chinese).
func (cf *chartFonts) bi(en, zh string) string {
	if cf.cjk && zh != "" {
		return en + " " + zh
	}
	return en
}

// zhOr returns zh when charts can draw Chinese, else en.
func (cf *chartFonts) zhOr(zh, en string) string {
	if cf.cjk && zh != "" {
		return zh
	}
	return en
}
