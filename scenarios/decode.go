package scenarios

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// A decoder applies one YAML document onto a Go value the way one layer of
// a scenario overrides the layers below it: a mapping merges into a struct
// or a Go map key by key (recursively), a list or a scalar replaces, and
// null clears a list, a map or an optional mapping. Unlike a plain
// yaml.Unmarshal it keeps going after a problem, so one pass reports every
// unknown key and every value of the wrong type, each with its line and
// column, and it records where each path was written so that semantic
// errors found later can point at the right place.
type decoder struct {
	file    string
	anchors map[string]ast.Node
	probs   *problems
	seen    *places
	steps   int // nodes visited, bounded against alias bombs
}

// maxSteps bounds the work one document may cause. Scenario files have a
// few hundred nodes; aliases can multiply that, but not past this.
const maxSteps = 1_000_000

// maxDepth bounds nesting through merge keys and aliases.
const maxDepth = 64

func newDecoder(file string, body ast.Node, probs *problems, seen *places) *decoder {
	d := &decoder{file: file, anchors: map[string]ast.Node{}, probs: probs, seen: seen}
	if body != nil {
		ast.Walk(anchorCollector(d.anchors), body)
	}
	return d
}

type anchorCollector map[string]ast.Node

func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil {
		a[an.Name.GetToken().Value] = an.Value
	}
	return a
}

func (d *decoder) bad(path string, at pos, format string, args ...any) {
	addAt(d.probs, d.file, at, path, format, args...)
	d.seen.failed[path] = true
}

// posOf returns the place of n's first token: for a block mapping, its
// first key (goccy's token for it is the first ':').
func posOf(n ast.Node) pos {
	switch m := n.(type) {
	case nil:
		return pos{}
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 && m.Values[0].Key != nil {
			return posOf(m.Values[0].Key)
		}
	case *ast.MappingValueNode:
		if m.Key != nil {
			return posOf(m.Key)
		}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return pos{}
	}
	return pos{tk.Position.Line, tk.Position.Column}
}

// resolve strips anchors, aliases and tags from n. It returns false
// (after reporting) when an alias names no anchor.
func (d *decoder) resolve(path string, n ast.Node) (ast.Node, bool) {
	for range maxDepth {
		switch t := n.(type) {
		case *ast.AnchorNode:
			n = t.Value
		case *ast.TagNode:
			n = t.Value
		case *ast.AliasNode:
			name := ""
			if t.Value != nil {
				name = t.Value.GetToken().Value
			}
			target, ok := d.anchors[name]
			if !ok {
				d.bad(path, posOf(t), "alias *%s names no anchor", name)
				return nil, false
			}
			n = target
		default:
			return n, true
		}
	}
	d.bad(path, posOf(n), "aliases nest too deeply")
	return nil, false
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok || n == nil
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func isText(t reflect.Type) bool {
	return t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshaler)
}

// decode applies n onto v (which must be settable). keyAt is where the key
// naming v was written, used as v's place when n is a mapping or a list.
func (d *decoder) decode(path string, keyAt pos, n ast.Node, v reflect.Value, depth int) {
	d.steps++
	if d.steps > maxSteps || depth > maxDepth {
		if d.steps == maxSteps+1 || depth == maxDepth+1 {
			d.bad(path, posOf(n), "document too large or too deeply nested (aliases?)")
		}
		return
	}
	n, ok := d.resolve(path, n)
	if !ok {
		return
	}
	at := posOf(n)
	if _, ok := n.(*ast.MappingNode); ok && keyAt != (pos{}) {
		at = keyAt
	} else if _, ok := n.(*ast.SequenceNode); ok && keyAt != (pos{}) {
		at = keyAt
	}
	t := v.Type()
	if isNull(n) {
		switch t.Kind() {
		case reflect.Slice, reflect.Map, reflect.Pointer:
			v.SetZero()
			d.seen.clear(path)
			d.seen.set(path, d.file, at)
			return
		}
		if keyAt != (pos{}) {
			at = keyAt
		}
		d.bad(path, at, "no value given; want %s", want(t))
		return
	}
	switch {
	case isText(t):
		d.text(path, at, n, v)
	case t.Kind() == reflect.Struct:
		d.structure(path, n, v, depth)
	case t.Kind() == reflect.Map:
		d.mapping(path, n, v, depth)
	case t.Kind() == reflect.Slice:
		d.list(path, n, v, depth)
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(path, keyAt, n, v.Elem(), depth+1)
		return
	default:
		d.scalar(path, at, n, v)
	}
	d.seen.set(path, d.file, at)
}

// mappingValues returns the entries of a mapping node.
func mappingValues(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

// keyOf returns the text of a mapping key.
func (d *decoder) keyOf(path string, k ast.Node) (string, bool) {
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		k = mk.Value
	}
	k, ok := d.resolve(path, k)
	if !ok {
		return "", false
	}
	switch s := k.(type) {
	case *ast.StringNode:
		return s.Value, true
	case ast.ScalarNode:
		if tk := s.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	d.bad(path, posOf(k), "a key must be a plain name, not %s", describe(k))
	return "", false
}

// entries walks a mapping, merge keys (<<) first so that explicit keys
// override what they bring in, and calls f for every other entry.
func (d *decoder) entries(path string, n ast.Node, v reflect.Value, depth int, f func(key string, keyAt pos, value ast.Node)) bool {
	values, ok := mappingValues(n)
	if !ok {
		d.bad(path, posOf(n), "want %s, got %s", want(v.Type()), describe(n))
		return false
	}
	for _, mv := range values {
		if mv.Key == nil || !mv.Key.IsMergeKey() {
			continue
		}
		src, ok := d.resolve(path, mv.Value)
		if !ok {
			continue
		}
		if seq, ok := src.(*ast.SequenceNode); ok {
			// Earlier mappings in the list win: apply them last.
			for i := len(seq.Values) - 1; i >= 0; i-- {
				d.decode(path, pos{}, seq.Values[i], v, depth+1)
			}
		} else {
			d.decode(path, pos{}, src, v, depth+1)
		}
	}
	for _, mv := range values {
		if mv.Key == nil || mv.Key.IsMergeKey() {
			continue
		}
		key, ok := d.keyOf(path, mv.Key)
		if !ok {
			continue
		}
		f(key, posOf(mv.Key), mv.Value)
	}
	return true
}

func (d *decoder) structure(path string, n ast.Node, v reflect.Value, depth int) {
	fields := fieldsOf(v.Type())
	d.entries(path, n, v, depth, func(key string, keyAt pos, value ast.Node) {
		i, ok := fields.index[key]
		if !ok {
			d.bad(join(path, key), keyAt, "%s", unknownKey(key, path, fields.names))
			return
		}
		d.decode(join(path, key), keyAt, value, v.Field(i), depth+1)
	})
}

func (d *decoder) mapping(path string, n ast.Node, v reflect.Value, depth int) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		panic("scenarios: map key of " + t.String() + " is not a string")
	}
	if _, ok := mappingValues(n); ok && v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	d.entries(path, n, v, depth, func(key string, keyAt pos, value ast.Node) {
		k := reflect.ValueOf(key).Convert(t.Key())
		elem := reflect.New(t.Elem()).Elem()
		if old := v.MapIndex(k); old.IsValid() {
			elem.Set(old)
		}
		d.decode(join(path, key), keyAt, value, elem, depth+1)
		v.SetMapIndex(k, elem)
	})
}

func (d *decoder) list(path string, n ast.Node, v reflect.Value, depth int) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.bad(path, posOf(n), "want %s, got %s", want(v.Type()), describe(n))
		return
	}
	d.seen.clear(path)
	out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, e := range seq.Values {
		d.decode(fmt.Sprintf("%s[%d]", path, i), pos{}, e, out.Index(i), depth+1)
	}
	v.Set(out)
}

// text decodes a scalar through encoding.TextUnmarshaler (models.Cents).
func (d *decoder) text(path string, at pos, n ast.Node, v reflect.Value) {
	s, ok := scalarText(n)
	if !ok {
		d.bad(path, at, "want %s, got %s", want(v.Type()), describe(n))
		return
	}
	tmp := reflect.New(v.Type())
	if err := tmp.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
		d.bad(path, at, "%s", strings.TrimPrefix(err.Error(), "invalid: "))
		return
	}
	v.Set(tmp.Elem())
}

// scalarText returns the text of a scalar node: the unquoted value of a
// string, the source text of anything else.
func scalarText(n ast.Node) (string, bool) {
	switch s := n.(type) {
	case *ast.StringNode:
		return s.Value, true
	case *ast.LiteralNode:
		if s.Value == nil {
			return "", true
		}
		return s.Value.Value, true
	case ast.ScalarNode:
		if tk := s.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// plainWithTab reports whether n is unquoted text with a tab inside it,
// which the YAML library leaves out of the value ("a<tab>b" reads as "ab").
func plainWithTab(n ast.Node) bool {
	s, ok := n.(*ast.StringNode)
	return ok && s.Token != nil && s.Token.Type == token.StringType && strings.Contains(strings.Trim(s.Token.Origin, " \t\r\n"), "\t")
}

// quoted reports whether n is a string written in quotes.
func quoted(n ast.Node) bool {
	s, ok := n.(*ast.StringNode)
	if !ok || s.Token == nil {
		return false
	}
	return s.Token.Type == token.SingleQuoteType || s.Token.Type == token.DoubleQuoteType
}

func (d *decoder) scalar(path string, at pos, n ast.Node, v reflect.Value) {
	t := v.Type()
	fail := func() { d.bad(path, at, "want %s, got %s", want(t), describe(n)) }
	switch t.Kind() {
	case reflect.String:
		s, ok := scalarText(n)
		if !ok {
			fail()
			return
		}
		if plainWithTab(n) {
			d.bad(path, at, "a tab inside unquoted text is dropped by the YAML reader; put the text in quotes or use spaces")
			return
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			fail()
			return
		}
		v.SetBool(b.Value)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		switch x := n.(type) {
		case *ast.IntegerNode:
			switch w := x.Value.(type) {
			case int64:
				i = w
			case uint64:
				if w > math.MaxInt64 {
					d.bad(path, at, "%v is too large", w)
					return
				}
				i = int64(w)
			default:
				fail()
				return
			}
		case *ast.FloatNode:
			if x.Value != math.Trunc(x.Value) || math.Abs(x.Value) > 1<<53 {
				fail()
				return
			}
			i = int64(x.Value)
		default:
			fail()
			return
		}
		if v.OverflowInt(i) {
			d.bad(path, at, "%d is too large", i)
			return
		}
		v.SetInt(i)
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := n.(type) {
		case *ast.IntegerNode:
			switch w := x.Value.(type) {
			case int64:
				f = float64(w)
			case uint64:
				f = float64(w)
			default:
				fail()
				return
			}
		case *ast.FloatNode:
			f = x.Value
		case *ast.InfinityNode:
			f = x.Value
		case *ast.NanNode:
			f = math.NaN()
		case *ast.StringNode:
			// The lexer leaves some plain numbers (1e-3) as strings; a
			// quoted number is text, not a number.
			p, err := strconv.ParseFloat(x.Value, 64)
			if quoted(x) || err != nil {
				fail()
				return
			}
			f = p
		default:
			fail()
			return
		}
		v.SetFloat(f)
	default:
		panic("scenarios: cannot decode into " + t.String())
	}
}

// want describes what a value of type t looks like in YAML.
func want(t reflect.Type) string {
	if isText(t) {
		return "an amount in yuan"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(want(t.Elem()), "a "), "an ")
	case reflect.Map:
		return "a mapping of names to " + strings.TrimPrefix(strings.TrimPrefix(want(t.Elem()), "a "), "an ")
	case reflect.Struct, reflect.Pointer:
		return "a mapping"
	}
	return t.String()
}

// describe says what a YAML node is, for messages.
func describe(n ast.Node) string {
	switch x := n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.BoolNode:
		return strconv.FormatBool(x.Value)
	case *ast.StringNode:
		return "text " + strconv.Quote(clip(x.Value))
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + clip(x.GetToken().Value)
	case *ast.AliasNode:
		return "an alias"
	}
	return "a " + n.Type().String()
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// join appends key to a dotted path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// structFields maps the YAML names of a struct's fields to field indexes.
type structFields struct {
	index map[string]int
	names []string // in declaration order
}

func fieldsOf(t reflect.Type) structFields {
	fs := structFields{index: map[string]int{}}
	for i := range t.NumField() {
		name, ok := yamlName(t.Field(i))
		if !ok {
			continue
		}
		fs.index[name] = i
		fs.names = append(fs.names, name)
	}
	return fs
}

// yamlName returns the YAML key of a struct field.
func yamlName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch tag {
	case "-":
		return "", false
	case "":
		return strings.ToLower(f.Name), true
	}
	return tag, true
}

// unknownKey explains an unknown key and suggests the closest valid one.
func unknownKey(key, path string, valid []string) string {
	where := "the scenario"
	if path != "" {
		where = path
	}
	msg := fmt.Sprintf("unknown key %q in %s", key, where)
	if s := closest(key, valid); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg + "; valid keys: " + strings.Join(valid, ", ")
}

// closest returns the valid name nearest to key in edit distance, if it is
// near enough to be a typo.
func closest(key string, valid []string) string {
	best, bestD := "", math.MaxInt
	for _, v := range valid {
		if d := editDistance(key, v); d < bestD {
			best, bestD = v, d
		}
	}
	if bestD <= max(2, len([]rune(key))/3) {
		return best
	}
	return ""
}

// editDistance is the Damerau–Levenshtein (optimal string alignment)
// distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// places records where each dotted path was last written, across the
// layers of an extends chain.
type places struct {
	at     map[string]place
	failed map[string]bool // paths whose value could not be decoded
}

type place struct {
	file string
	pos  pos
}

func newPlaces() *places { return &places{at: map[string]place{}, failed: map[string]bool{}} }

// related reports whether a problem at path may be a consequence of a
// value that failed to decode: path is at, inside or above a failed path.
func (p *places) related(path string) bool {
	for f := range p.failed {
		if f == path || strings.HasPrefix(f, path+".") || strings.HasPrefix(f, path+"[") ||
			strings.HasPrefix(path, f+".") || strings.HasPrefix(path, f+"[") {
			return true
		}
	}
	return false
}

func (p *places) set(path, file string, at pos) {
	if path != "" {
		p.at[path] = place{file, at}
	}
}

// clear forgets path and everything under it: a list written again
// replaces all of its entries.
func (p *places) clear(path string) {
	for k := range p.at {
		if k == path || strings.HasPrefix(k, path+".") || strings.HasPrefix(k, path+"[") {
			delete(p.at, k)
		}
	}
}

// lookup returns the place of path or, failing that, of its nearest
// ancestor that was written.
func (p *places) lookup(path string) (place, bool) {
	for path != "" {
		if pl, ok := p.at[path]; ok {
			return pl, true
		}
		path = parent(path)
	}
	return place{}, false
}

// parent drops the last component of a dotted path ("a.b[2]" → "a.b").
func parent(path string) string {
	i := max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['))
	if i < 0 {
		return ""
	}
	return path[:i]
}

// sortedKeys returns a map's keys in order.
func sortedKeys(m reflect.Value) []string {
	keys := make([]string, 0, m.Len())
	for _, k := range m.MapKeys() {
		keys = append(keys, k.String())
	}
	slices.Sort(keys)
	return keys
}
