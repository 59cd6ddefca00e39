package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/wenzhou/danbao/models"
)

// Parse reads a scenario from YAML. It starts from models.DefaultScenario,
// so every field the file leaves out keeps its default, and then applies
// the scenario the file extends (if any) and the file itself. It rejects
// unknown keys, values of the wrong type and everything
// models.Scenario.Validate rejects, and reports all of them at once as an
// *Error whose problems carry the file, line and column of the offending
// key or value.
//
// extends names a built-in scenario (see List) or a YAML file, read from
// the operating system relative to filename's directory; a name with a
// "/" or a .yaml/.yml suffix is a file. Use ParseFS for input that must not
// reach the file system.
func Parse(filename string, data []byte) (models.Scenario, error) {
	return parse(layerSource{file: filename, id: absID(filename), dir: filepath.Dir(filename), files: osFiles{}}, data)
}

// ParseFS is Parse with extended files read from fsys, relative to
// filename (a slash-separated path within fsys). With a nil fsys only
// built-in scenarios may be extended, which is what untrusted input (an
// upload to the API) should get.
func ParseFS(fsys fs.FS, filename string, data []byte) (models.Scenario, error) {
	src := layerSource{file: filename, id: "fs:" + path.Clean(filename), dir: path.Dir(filename)}
	if fsys != nil {
		src.files = fsFiles{fsys, ""}
	}
	return parse(src, data)
}

// maxExtends is the longest extends chain.
const maxExtends = 16

// A layerSource is one file of an extends chain and the way files it
// extends are found.
type layerSource struct {
	file  string // for messages
	id    string // identity for cycle detection
	dir   string // directory that relative extends start from
	files fileReader
	name  string // scenario name when the file does not set one
}

// fileReader reads the files a scenario extends.
type fileReader interface {
	// open resolves ref relative to dir and reads it.
	open(dir, ref string) (layerSource, []byte, error)
}

type osFiles struct{}

func (osFiles) open(dir, ref string) (layerSource, []byte, error) {
	p := ref
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, filepath.FromSlash(ref))
	}
	data, err := os.ReadFile(p)
	return layerSource{file: p, id: absID(p), dir: filepath.Dir(p), files: osFiles{}}, data, err
}

func absID(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return "file:" + a
	}
	return "file:" + filepath.Clean(p)
}

// fsFiles reads from an fs.FS; prefix is prepended to file names in
// messages ("builtin:" for the library).
type fsFiles struct {
	fsys   fs.FS
	prefix string
}

func (f fsFiles) open(dir, ref string) (layerSource, []byte, error) {
	p := path.Clean(path.Join(dir, ref))
	data, err := fs.ReadFile(f.fsys, p)
	return layerSource{file: f.prefix + p, id: "fs:" + f.prefix + p, dir: path.Dir(p), files: f}, data, err
}

// layer is one parsed file of an extends chain.
type layer struct {
	src     layerSource
	body    ast.Node // nil for an empty document
	extends string
	extAt   pos
}

// builtinName is what extends may name without being a file.
var builtinName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

func isFileRef(ref string) bool {
	return !builtinName.MatchString(ref) || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml")
}

func parse(src layerSource, data []byte) (models.Scenario, error) {
	var probs problems
	chain := loadChain(src, data, &probs)
	if len(probs) > 0 {
		return models.Scenario{}, probs.Err()
	}
	sc := models.DefaultScenario()
	seen := newPlaces()
	for i := len(chain) - 1; i >= 0; i-- {
		l := chain[i]
		if i == 0 {
			// Name, description, rationale, sources and the figures it
			// reproduces belong to the file that states them: a child does
			// not inherit its parent's.
			sc.Name, sc.Description, sc.Rationale, sc.Sources, sc.Reproduces = "", "", "", nil, nil
			for _, k := range []string{"name", "description", "rationale", "sources", "reproduces"} {
				seen.clear(k)
			}
		}
		if l.body != nil {
			d := newDecoder(l.src.file, l.body, &probs, seen)
			d.decode("", pos{}, l.body, reflect.ValueOf(&sc).Elem(), 0)
		}
	}
	if sc.Name == "" {
		sc.Name = src.name
		if sc.Name == "" {
			base := filepath.Base(src.file)
			sc.Name = strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
			if sc.Name == "." || sc.Name == string(filepath.Separator) || sc.Name == "" {
				sc.Name = "scenario"
			}
		}
	}
	sc.Extends = chain[0].extends
	semantic(&sc, src.file, seen, &probs)
	sortProblems(probs, chain)
	if err := probs.Err(); err != nil {
		return models.Scenario{}, err
	}
	return sc, nil
}

// loadChain reads src and everything it extends, child first.
func loadChain(src layerSource, data []byte, probs *problems) []layer {
	var chain []layer
	ids := map[string]bool{}
	for {
		l, ok := parseLayer(src, data, probs)
		if !ok {
			return nil
		}
		chain = append(chain, l)
		ids[src.id] = true
		if l.extends == "" {
			return chain
		}
		if len(chain) > maxExtends {
			addAt(probs, l.src.file, l.extAt, "extends", "extends chain longer than %d", maxExtends)
			return nil
		}
		next, nextData, msg, cat := resolveExtends(l)
		if cat != nil {
			*probs = append(*probs, &Problem{File: l.src.file, Line: l.extAt.line, Column: l.extAt.col,
				Path: "extends", Reason: msg, Err: cat})
			return nil
		}
		if ids[next.id] {
			names := make([]string, 0, len(chain)+1)
			for _, c := range chain {
				names = append(names, c.src.file)
			}
			names = append(names, next.file)
			addAt(probs, l.src.file, l.extAt, "extends", "extends cycle: %s", strings.Join(names, " → "))
			return nil
		}
		src, data = next, nextData
	}
}

func category(err error) error {
	if errors.Is(err, models.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return models.ErrNotFound
	}
	return models.ErrInvalid
}

// resolveExtends finds the scenario l extends. On failure it returns a
// message and its category (models.ErrNotFound or models.ErrInvalid).
func resolveExtends(l layer) (layerSource, []byte, string, error) {
	ref := l.extends
	if !isFileRef(ref) {
		data, err := fs.ReadFile(library, "library/"+ref+".yaml")
		if err != nil {
			return layerSource{}, nil, fmt.Sprintf("no built-in scenario %q (built-ins: %s; name a file with a .yaml suffix or a path)",
				ref, strings.Join(Names(), ", ")), models.ErrNotFound
		}
		return builtinSource(ref), data, "", nil
	}
	if l.src.files == nil {
		return layerSource{}, nil, fmt.Sprintf("%q is a file; only built-in scenarios can be extended here", ref), models.ErrInvalid
	}
	next, data, err := l.src.files.open(l.src.dir, ref)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return layerSource{}, nil, fmt.Sprintf("file %s does not exist", next.file), models.ErrNotFound
		}
		return layerSource{}, nil, fmt.Sprintf("cannot read %s: %v", next.file, err), models.ErrInvalid
	}
	return next, data, "", nil
}

// parseLayer parses one file into its YAML body and its extends value.
func parseLayer(src layerSource, data []byte, probs *problems) (l layer, ok bool) {
	l.src = src
	defer func() {
		// The YAML parser is third-party code; a panic on odd input must
		// not take the process down.
		if r := recover(); r != nil {
			addAt(probs, src.file, pos{}, "", "cannot parse YAML: %v", r)
			ok = false
		}
	}()
	if line, col, msg, clean := checkText(data); !clean {
		addAt(probs, src.file, pos{line, col}, "", "%s", msg)
		return l, false
	}
	if line, col, msg, ok := checkShape(data); !ok {
		addAt(probs, src.file, pos{line, col}, "", "%s", msg)
		return l, false
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		at := pos{}
		msg := err.Error()
		if errors.As(err, &ye) {
			msg = ye.GetMessage()
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				at = pos{tk.Position.Line, tk.Position.Column}
			}
		}
		addAt(probs, src.file, at, "", "%s", msg)
		return l, false
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) > 1 {
		addAt(probs, src.file, posOf(docs[1].Body), "", "a scenario file holds one YAML document; this is the second")
		return l, false
	}
	if len(docs) == 0 {
		return l, true
	}
	l.body = docs[0].Body
	// Read extends now: it decides which files come below this one.
	var probe struct {
		Extends string `yaml:"extends"`
	}
	d := newDecoder(src.file, l.body, probs, newPlaces())
	values, isMap := mappingValues(mustResolve(d, l.body))
	if !isMap {
		addAt(probs, src.file, posOf(l.body), "", "a scenario is a mapping of keys (name, model, policy, …), not %s", describe(l.body))
		return l, false
	}
	n := len(*probs)
	for _, mv := range values {
		if mv.Key == nil || mv.Key.IsMergeKey() {
			continue
		}
		if k, ok := scalarText(mv.Key); ok && k == "extends" {
			d.decode("extends", posOf(mv.Key), mv.Value, reflect.ValueOf(&probe).Elem().Field(0), 0)
			l.extends = strings.TrimSpace(probe.Extends)
			l.extAt = posOf(mv.Value)
		}
	}
	return l, len(*probs) == n
}

func mustResolve(d *decoder, n ast.Node) ast.Node {
	r, ok := d.resolve("", n)
	if !ok {
		return n
	}
	return r
}

// semantic adds the problems models.Scenario.Validate and the checks
// below find, each placed where its path was last written. A problem next
// to a value that failed to decode is left out: that value is still the
// default or partly decoded, and the problem would be a false alarm.
func semantic(sc *models.Scenario, file string, seen *places, probs *problems) {
	add := func(path, msg string) {
		if seen.related(path) {
			return
		}
		pl, ok := seen.lookup(path)
		if !ok {
			pl.file = file
		}
		*probs = append(*probs, &Problem{File: pl.file, Line: pl.pos.line, Column: pl.pos.col,
			Path: path, Reason: msg, Err: models.ErrInvalid})
	}
	var invalid *models.ProblemsError
	if errors.As(sc.Validate(), &invalid) {
		for _, p := range invalid.Problems {
			add(p.Path, p.Reason)
		}
	}
	for i, sh := range sc.Shocks {
		p := fmt.Sprintf("shocks[%d]", i)
		if sh.Shift != 0 && sh.Factor == "" {
			add(p+".shift", "a shift needs a factor (macro, industry/<name> or county/<code>)")
		}
		if sh.Factor != "" && sh.Shift == 0 && !math.IsNaN(sh.Shift) {
			add(p+".factor", "a factor without a shift does nothing (it does not pick loans: use where for that); give a shift in standard deviations")
		}
		if sh.Shift == 0 && sh.PDMultiplier == 0 && sh.LGDAddOn == 0 && sh.R2Multiplier == 0 && sh.InterestRateAddOn == 0 {
			add(p, "the shock changes nothing: give a shift, pd_multiplier, lgd_add_on, r2_multiplier or interest_rate_add_on")
		}
	}
}

// sortProblems orders problems by file (child first), line and column;
// problems with no place come after those with one in the same file.
func sortProblems(ps problems, chain []layer) {
	rank := map[string]int{}
	for i, l := range chain {
		rank[l.src.file] = i
	}
	slices.SortStableFunc(ps, func(a, b *Problem) int {
		if c := cmp.Compare(rank[a.File], rank[b.File]); c != 0 {
			return c
		}
		return models.ComparePlaces(a, b)
	})
}
