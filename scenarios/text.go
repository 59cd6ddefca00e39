package scenarios

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// checkText finds the first byte of data that a scenario file may not hold:
// invalid UTF-8, or a character outside YAML's printable set (a control
// character other than tab, line feed and carriage return; U+FFFE, U+FFFF).
// It returns the 1-based line and column (in characters) and a message, or
// ok when the whole text is clean. The YAML parser passes such bytes
// through into plain scalars, where they would not survive being written
// back out; refusing them names the place instead.
func checkText(data []byte) (line, col int, msg string, ok bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line, col, fmt.Sprintf("byte 0x%02X is not UTF-8; save the file as UTF-8", data[i]), false
		case r == '\n':
			line, col = line+1, 0
		case r == '\t' || r == '\r' || r == 0x85:
		case r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) || r == 0xFFFE || r == 0xFFFF:
			return line, col, fmt.Sprintf("control character %U is not allowed in a scenario file", r), false
		}
		i += size
		col++
	}
	return 0, 0, "", true
}

// Limits of a scenario file, checked before it is parsed: the YAML parser
// (goccy/go-yaml) builds a path string per node, so its memory grows with
// the square of the nesting depth (a 128 KiB file nested 64k deep took
// more than 6 GB).
const (
	// MaxFileBytes is the largest scenario file (or --set value). The
	// built-in scenarios are a few KiB.
	MaxFileBytes = 1 << 20
	// MaxNesting is the deepest a scenario's YAML may nest: block
	// indentation levels, "- " items opened on one line, and flow [ ] { }
	// brackets, counted together. A scenario's schema nests about 6 deep.
	MaxNesting = 64
)

// checkShape refuses a document larger than MaxFileBytes or nested deeper
// than MaxNesting, before anything parses it. The depth it counts is an
// upper bound of YAML's (brackets in plain scalars count too), so it never
// lets a deeper document through; line and col (1-based) say where the
// limit was passed.
func checkShape(data []byte) (line, col int, msg string, ok bool) {
	if len(data) > MaxFileBytes {
		return 0, 0, fmt.Sprintf("the file has %d bytes; a scenario may have at most %d", len(data), MaxFileBytes), false
	}
	var (
		indents []int // indentation of the open block levels
		flow    int   // open flow brackets
		quote   byte  // the quote of the quoted scalar we are in, or 0
	)
	line = 1
	for start := 0; start < len(data); line++ {
		end := start
		for end < len(data) && data[end] != '\n' {
			end++
		}
		text := data[start:end]
		start = end + 1
		// Block structure: only outside flow collections and quotes.
		i := 0
		if flow == 0 && quote == 0 {
			for i < len(text) && text[i] == ' ' {
				i++
			}
			if i == len(text) || text[i] == '#' || text[i] == '\r' {
				continue // blank or comment: no level
			}
			for len(indents) > 0 && indents[len(indents)-1] >= i {
				indents = indents[:len(indents)-1]
			}
			indents = append(indents, i)
			// "- - - x" and "? ? x" open a level per indicator.
			for i+1 < len(text) && (text[i] == '-' || text[i] == '?') && text[i+1] == ' ' {
				indents = append(indents, i)
				i += 2
				for i < len(text) && text[i] == ' ' {
					i++
				}
			}
			if len(indents) > MaxNesting {
				return line, i + 1, fmt.Sprintf("the YAML nests more than %d deep", MaxNesting), false
			}
		}
		for ; i < len(text); i++ {
			c := text[i]
			switch {
			case quote == '"' && c == '\\':
				i++ // an escaped character
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				if i == 0 || strings.IndexByte(" \t[{,:", text[i-1]) >= 0 {
					quote = c
				}
			case c == '#' && (i == 0 || text[i-1] == ' ' || text[i-1] == '\t'):
				i = len(text) // a comment
			case c == '[' || c == '{':
				flow++
				if len(indents)+flow > MaxNesting {
					return line, i + 1, fmt.Sprintf("the YAML nests more than %d deep", MaxNesting), false
				}
			case (c == ']' || c == '}') && flow > 0:
				flow--
			}
		}
	}
	return 0, 0, "", true
}
