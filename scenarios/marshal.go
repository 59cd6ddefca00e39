package scenarios

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/printer"
	"github.com/goccy/go-yaml/token"

	"github.com/wenzhou/danbao/models"
)

// Marshal writes sc as YAML that Parse reads back to an equal scenario
// (money as yuan, every field with its YAML key). A string that plain or
// literal style would not carry intact (a tab, which the YAML parser drops
// from a plain scalar; a carriage return, which a literal block turns into
// a line feed; any other control or invisible character) is written
// double-quoted with escapes. A string that is not UTF-8 cannot be written
// as YAML at all and is an error.
func Marshal(sc models.Scenario) ([]byte, error) {
	node, err := yaml.ValueToNode(sc, yaml.IndentSequence(true), yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		return nil, err
	}
	if err := quoteStrings(node, ""); err != nil {
		return nil, err
	}
	var p printer.Printer
	return p.PrintNode(node), nil
}

// quoteStrings switches the string nodes below n that need it to
// double-quoted style; path is n's dotted path, for the error.
func quoteStrings(n ast.Node, path string) error {
	switch n := n.(type) {
	case *ast.MappingNode:
		for _, kv := range n.Values {
			if err := quoteStrings(kv, path); err != nil {
				return err
			}
		}
	case *ast.MappingValueNode:
		key := n.Key.String()
		if path != "" {
			key = path + "." + key
		}
		if err := quoteStrings(n.Key, key); err != nil {
			return err
		}
		return quoteStrings(n.Value, key)
	case *ast.SequenceNode:
		for i, v := range n.Values {
			if err := quoteStrings(v, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case *ast.StringNode:
		if !utf8.ValidString(n.Value) {
			return fmt.Errorf("%w: %s: %q is not UTF-8 text", models.ErrInvalid, path, n.Value)
		}
		if needsQuotes(n.Value) {
			n.Token.Type = token.DoubleQuoteType
		}
	}
	return nil
}

// needsQuotes reports whether v holds a character other than a line feed
// that is not printable or a plain space, or is several lines that a
// literal block would not give back exactly: one starting with a space or
// a line feed, a line ending in a space, or trailing empty lines.
func needsQuotes(v string) bool {
	if strings.ContainsFunc(v, func(r rune) bool { return r != '\n' && r != ' ' && !unicode.IsPrint(r) }) {
		return true
	}
	multiline := strings.Contains(v, "\n")
	return multiline && (v[0] == ' ' || v[0] == '\n' || strings.HasSuffix(v, "\n\n") || strings.Contains(v, " \n") || strings.HasSuffix(v, " "))
}
