package scenarios

import (
	"fmt"
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
