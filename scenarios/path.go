package scenarios

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/wenzhou/danbao/models"
)

// Set changes the field of sc at a dotted path, the way --set path=value
// does on the command line. Paths use the YAML keys: model.r2.industry,
// policy.bank_share, policy.county_fund.budget.330382, horizon_years,
// targets.leverage_min.threshold. A list entry is path[i] or path.i;
// i = len appends an entry. A map entry that does not exist is created.
//
// value is YAML: 0.2, t, [0.3, 0.4, 0.3] and {macro: 0.1} all work (a
// mapping merges into what is there, as in a file); for a text field the
// value is taken literally. Set changes nothing when it returns an error,
// which names the keys valid where the path went wrong, or the type the
// value should have. It does not validate the result: SetAll does.
func Set(sc *models.Scenario, path, value string) error {
	segs, err := splitPath(path)
	if err != nil {
		return err
	}
	if segs[0] == "extends" {
		return setProblem(path, "extends cannot be set: the scenario is already resolved; write a file that extends it")
	}
	if !utf8.ValidString(path) {
		return setProblem(path, "the path is not UTF-8 text")
	}
	if !utf8.ValidString(value) {
		return setProblem(path, "the value %q is not UTF-8 text", value)
	}
	cp := deepCopy(reflect.ValueOf(sc).Elem())
	if err := setAt(cp, segs, "", value); err != nil {
		return err
	}
	reflect.ValueOf(sc).Elem().Set(cp)
	return nil
}

// SetValid is Set followed by SetAll's validation: the setter sweeps and
// solves apply at each value of their parameter. sc is unchanged on error.
func SetValid(sc *models.Scenario, path, value string) error {
	return SetAll(sc, []string{path + "=" + value})
}

// SetAll applies assignments of the form path=value in order (see Set)
// and then validates the result. It reports every bad assignment, or every
// problem of the resulting scenario, at once; sc is unchanged on error.
func SetAll(sc *models.Scenario, assignments []string) error {
	cp := deepCopy(reflect.ValueOf(sc).Elem()).Addr().Interface().(*models.Scenario)
	var probs problems
	for _, a := range assignments {
		path, value, ok := strings.Cut(a, "=")
		if !ok {
			probs = append(probs, &Problem{File: "--set", Reason: fmt.Sprintf("%q is not path=value", a), Err: models.ErrInvalid})
			continue
		}
		if err := Set(cp, strings.TrimSpace(path), value); err != nil {
			if e, ok := err.(*Error); ok {
				probs = append(probs, e.Problems...)
			} else {
				probs = append(probs, err.(*Problem))
			}
		}
	}
	if len(probs) == 0 {
		semantic(cp, "--set", newPlaces(), &probs)
	}
	if err := probs.Err(); err != nil {
		return err
	}
	*sc = *cp
	return nil
}

// Get returns the value at a dotted path (see Set): a float64, int,
// string, bool, models.Cents, or a slice, map or struct of them.
func Get(sc *models.Scenario, path string) (any, error) {
	segs, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	v := reflect.ValueOf(sc).Elem()
	done := ""
	for _, seg := range segs {
		t := v.Type()
		switch {
		case t.Kind() == reflect.Pointer:
			if v.IsNil() {
				return nil, getProblem(path, models.ErrNotFound, "%s is not set", done)
			}
			v = v.Elem()
			t = v.Type()
		}
		switch {
		case isText(t) || t.Kind() != reflect.Struct && t.Kind() != reflect.Map && t.Kind() != reflect.Slice:
			return nil, getProblem(path, models.ErrInvalid, "%s is %s; it has no key %q", done, want(t), seg)
		case t.Kind() == reflect.Struct:
			fields := fieldsOf(t)
			i, ok := fields.index[seg]
			if !ok {
				return nil, getProblem(path, models.ErrInvalid, "%s", unknownKey(seg, done, fields.names))
			}
			v, done = v.Field(i), join(done, seg)
		case t.Kind() == reflect.Map:
			e := v.MapIndex(reflect.ValueOf(seg).Convert(t.Key()))
			if !e.IsValid() {
				return nil, getProblem(path, models.ErrNotFound, "%s has no entry %q (entries: %s)", done, seg, strings.Join(sortedKeys(v), ", "))
			}
			v, done = e, join(done, seg)
		case t.Kind() == reflect.Slice:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= v.Len() {
				return nil, getProblem(path, models.ErrNotFound, "%s has %d entries; %q is not an index of one", done, v.Len(), seg)
			}
			v, done = v.Index(i), fmt.Sprintf("%s[%d]", done, i)
		}
	}
	return v.Interface(), nil
}

// NumericPaths returns the path of every number in sc (floats, integers
// and amounts of money), in the order of the YAML schema, with list
// entries and map entries as they are in sc. These are the paths a sweep
// can vary; Set also accepts map entries and list entries that do not
// exist yet.
func NumericPaths(sc *models.Scenario) []string {
	var out []string
	numericPaths(reflect.ValueOf(sc).Elem(), "", &out)
	return out
}

func numericPaths(v reflect.Value, path string, out *[]string) {
	t := v.Type()
	if isText(t) {
		*out = append(*out, path)
		return
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		*out = append(*out, path)
	case reflect.Pointer:
		if !v.IsNil() {
			numericPaths(v.Elem(), path, out)
		}
	case reflect.Struct:
		fields := fieldsOf(t)
		for _, name := range fields.names {
			numericPaths(v.Field(fields.index[name]), join(path, name), out)
		}
	case reflect.Map:
		for _, k := range sortedKeys(v) {
			numericPaths(v.MapIndex(reflect.ValueOf(k).Convert(t.Key())), join(path, k), out)
		}
	case reflect.Slice:
		for i := range v.Len() {
			numericPaths(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
}

// splitPath turns "shocks[0].where.county" into its keys.
func splitPath(path string) ([]string, error) {
	p := strings.TrimSpace(path)
	p = strings.ReplaceAll(p, "]", "")
	p = strings.ReplaceAll(p, "[", ".")
	segs := strings.Split(p, ".")
	for _, s := range segs {
		if s == "" {
			return nil, setProblem(path, "not a dotted path (like policy.bank_share or shocks[0].pd_multiplier)")
		}
	}
	return segs, nil
}

func setProblem(path, format string, args ...any) *Problem {
	return &Problem{File: "--set", Path: path, Reason: fmt.Sprintf(format, args...), Err: models.ErrInvalid}
}

func getProblem(path string, category error, format string, args ...any) *Problem {
	return &Problem{Path: path, Reason: fmt.Sprintf(format, args...), Err: category}
}

// setAt walks segs down from v (part of a private copy) and assigns value
// at the end. done is the path walked so far.
func setAt(v reflect.Value, segs []string, done, value string) error {
	if len(segs) == 0 {
		return assign(v, done, value)
	}
	seg, t := segs[0], v.Type()
	full := done
	for _, s := range segs {
		full = join(full, s)
	}
	switch {
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return setAt(v.Elem(), segs, done, value)
	case isText(t) || t.Kind() != reflect.Struct && t.Kind() != reflect.Map && t.Kind() != reflect.Slice:
		return setProblem(full, "%s is %s; it has no key %q", done, want(t), seg)
	case t.Kind() == reflect.Struct:
		fields := fieldsOf(t)
		i, ok := fields.index[seg]
		if !ok {
			return setProblem(full, "%s", unknownKey(seg, done, fields.names))
		}
		return setAt(v.Field(i), segs[1:], join(done, seg), value)
	case t.Kind() == reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
		k := reflect.ValueOf(seg).Convert(t.Key())
		elem := reflect.New(t.Elem()).Elem()
		if old := v.MapIndex(k); old.IsValid() {
			elem.Set(old)
		}
		if err := setAt(elem, segs[1:], join(done, seg), value); err != nil {
			return err
		}
		v.SetMapIndex(k, elem)
		return nil
	default: // slice
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i > v.Len() {
			return setProblem(full, "%s is a list of %d entries; %q is not an index 0..%d (%d appends)", done, v.Len(), seg, v.Len(), v.Len())
		}
		if i == v.Len() {
			v.Set(reflect.Append(v, reflect.Zero(t.Elem())))
		}
		return setAt(v.Index(i), segs[1:], fmt.Sprintf("%s[%d]", done, i), value)
	}
}

// assign parses value as YAML and decodes it onto v; a text field takes
// the value literally.
func assign(v reflect.Value, path, value string) (err error) {
	if v.Kind() == reflect.String {
		v.SetString(value)
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = setProblem(path, "cannot parse %q: %v", value, r)
		}
	}()
	if _, _, msg, ok := checkShape([]byte(value)); !ok {
		return setProblem(path, "%s", msg)
	}
	f, perr := parser.ParseBytes([]byte(value), 0)
	if perr != nil {
		return setProblem(path, "%q is not a YAML value", value)
	}
	var body ast.Node
	if len(f.Docs) > 1 {
		return setProblem(path, "%q is not a single YAML value", value)
	}
	if len(f.Docs) == 1 {
		body = f.Docs[0].Body
	}
	var probs problems
	d := newDecoder("--set", body, &probs, newPlaces())
	d.decode(path, pos{}, body, v, 0)
	for _, p := range probs {
		p.Line, p.Column = 0, 0
		if p.Path == path && strings.HasPrefix(p.Reason, "want ") {
			p.Reason = fmt.Sprintf("%q: %s", value, p.Reason)
		}
	}
	return probs.Err()
}

// deepCopy returns an addressable copy of v that shares no slice, map or
// pointer with it.
func deepCopy(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	copyInto(out, v)
	return out
}

func copyInto(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if !src.IsNil() {
			dst.Set(reflect.New(src.Type().Elem()))
			copyInto(dst.Elem(), src.Elem())
		}
	case reflect.Struct:
		for i := range src.NumField() {
			if dst.Field(i).CanSet() {
				copyInto(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Slice:
		if !src.IsNil() {
			dst.Set(reflect.MakeSlice(src.Type(), src.Len(), src.Len()))
			for i := range src.Len() {
				copyInto(dst.Index(i), src.Index(i))
			}
		}
	case reflect.Map:
		if !src.IsNil() {
			dst.Set(reflect.MakeMapWithSize(src.Type(), src.Len()))
			for _, k := range src.MapKeys() {
				e := reflect.New(src.Type().Elem()).Elem()
				copyInto(e, src.MapIndex(k))
				dst.SetMapIndex(k, e)
			}
		}
	default:
		dst.Set(src)
	}
}
