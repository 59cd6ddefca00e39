package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/wenzhou/danbao/models"
)

const fixtures = "../testdata/scenarios"

// expectation is one "# error: [FILE:]LINE:COL: SUBSTRING" line of a bad
// fixture: a problem must be reported in FILE (default: the fixture) at
// LINE:COL whose "path: message" contains SUBSTRING.
type expectation struct {
	file      string
	line, col int
	substr    string
}

var expectLine = regexp.MustCompile(`(?m)^# error: (?:([^:\s]+\.ya?ml):)?(\d+):(\d+): (.*)$`)

func expectations(t *testing.T, name string, data []byte) []expectation {
	var out []expectation
	for _, m := range expectLine.FindAllStringSubmatch(string(data), -1) {
		e := expectation{file: m[1], substr: m[4]}
		if e.file == "" {
			e.file = name
		}
		e.line, _ = strconv.Atoi(m[2])
		e.col, _ = strconv.Atoi(m[3])
		out = append(out, e)
	}
	if len(out) == 0 {
		t.Fatalf("%s has no '# error:' lines", name)
	}
	return out
}

// TestBadFixtures parses every testdata/scenarios/*.bad.yaml and checks
// that exactly the problems its "# error:" lines list are reported, each
// at its file, line and column.
func TestBadFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*.bad.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := expectations(t, name, data)
			_, err = Parse(file, data)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse: got %v, want an *Error", err)
			}
			if !errors.Is(err, models.ErrInvalid) && !errors.Is(err, models.ErrNotFound) {
				t.Errorf("error wraps neither ErrInvalid nor ErrNotFound")
			}
			used := make([]bool, len(pe.Problems))
			for _, w := range want {
				found := false
				for i, p := range pe.Problems {
					text := p.Reason
					if p.Path != "" {
						text = p.Path + ": " + p.Reason
					}
					if !used[i] && filepath.Base(p.File) == w.file && p.Line == w.line && p.Column == w.col && strings.Contains(text, w.substr) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing problem %s:%d:%d: %s", w.file, w.line, w.col, w.substr)
				}
			}
			for i, p := range pe.Problems {
				if !used[i] {
					t.Errorf("unexpected problem %v", p)
				}
			}
			if t.Failed() {
				t.Logf("all problems:\n%v", err)
			}
		})
	}
}

// TestTypoTypeAndPDAtOnce is the acceptance case spelled out: one
// file with a typo'd key, a wrong type and a PD multiplier < 0 gives all
// three, with line and column, in one error message.
func TestTypoTypeAndPDAtOnce(t *testing.T) {
	file := filepath.Join(fixtures, "typo-type-pd.bad.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(file, data)
	if err == nil {
		t.Fatal("Parse accepted the file")
	}
	for _, want := range []string{
		file + `:11:3: model.presistence: unknown key "presistence"`,
		file + `:14:16: horizon_years: want a whole number, got text "three"`,
		file + `:18:20: shocks[1].pd_multiplier: -1.5 must be ≥ 0`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
}

// TestGoodFixtures parses every fixture that is not .bad.
func TestGoodFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixtures, "*.yaml"))
	n := 0
	for _, file := range files {
		if strings.HasSuffix(file, ".bad.yaml") {
			continue
		}
		n++
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(file, data); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	if n < 3 {
		t.Errorf("only %d good fixtures", n)
	}
}

func load(t *testing.T, name string) models.Scenario {
	t.Helper()
	sc, err := Load(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestExtendsMerge checks the merge rules: mappings merge at any depth,
// lists replace, metadata is the child's own.
func TestExtendsMerge(t *testing.T) {
	parent := load(t, "parent-3y.yaml")
	child := load(t, "child.yaml")

	want := parent
	want.Name = "child" // from the file name; the parent's is not inherited
	want.Description = ""
	want.Extends = "parent-3y.yaml"
	want.Model.R2 = models.R2{Macro: 0.06, Industry: 0.12, County: 0.05} // one key overridden
	want.Shocks = []models.Shock{{PDMultiplier: 2, Where: models.Selector{County: []string{"330382"}}, Years: []int{1}}}
	want.Recovery.Lag = []float64{0.5, 0.5}
	want.Policy.CountyFund.Budget = map[string]models.Cents{
		"330382": 500 * models.Wan,  // overridden
		"330381": 1500 * models.Wan, // inherited
		"330326": 100 * models.Wan,  // added
	}
	if diff := cmp.Diff(want, child); diff != "" {
		t.Errorf("child (-want +got):\n%s", diff)
	}
	// Untouched fields come from the parent, and below it the defaults.
	if child.Policy.BankShare != 0.25 || child.HorizonYears != 3 || child.Model.Persistence != 0.2 {
		t.Errorf("inherited fields lost: %+v", child)
	}
	if child.Policy.Fee != models.Policy4321().Fee {
		t.Errorf("defaults lost: %+v", child.Policy.Fee)
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	sc := load(t, "anchors.yaml")
	exporters := models.Selector{Industry: []string{"footwear", "apparel", "eyewear"}}
	want := []models.Shock{
		{Factor: "industry/footwear", Shift: -1.5, Years: []int{1}},
		{Factor: "industry/apparel", Shift: -1.5, Years: []int{1}},
		{PDMultiplier: 1.5, Where: exporters},
		{LGDAddOn: 0.05, Where: exporters},
	}
	if diff := cmp.Diff(want, sc.Shocks); diff != "" {
		t.Errorf("shocks (-want +got):\n%s", diff)
	}
}

func TestOmittedFieldsKeepDefaults(t *testing.T) {
	sc, err := Parse("mini.yaml", []byte("policy: {bank_share: 0.3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := models.DefaultScenario()
	want.Name = "mini"
	want.Policy.BankShare = 0.3
	if diff := cmp.Diff(want, sc); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	empty, err := Parse("empty.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want = models.DefaultScenario()
	want.Name = "empty"
	if diff := cmp.Diff(want, empty); diff != "" {
		t.Errorf("empty file (-want +got):\n%s", diff)
	}
}

// TestNullClears: null clears a list, a map and an optional mapping, but a
// scalar needs a value.
func TestNullClears(t *testing.T) {
	fsys := fstest.MapFS{
		"p.yaml": {Data: []byte(`
horizon_years: 2
shocks: [{pd_multiplier: 2}]
model:
  industry_correlation: {labels: [a, b], matrix: [[1, 0.2], [0.2, 1]]}
policy: {county_fund: {budget: {"330382": 100}}}
`)},
		"c.yaml": {Data: []byte(`
extends: p.yaml
shocks: null
model: {industry_correlation: ~}
policy: {county_fund: {budget: }}
`)},
	}
	sc, err := ParseFS(fsys, "c.yaml", fsys["c.yaml"].Data)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Shocks != nil || sc.Model.IndustryCorrelation != nil || sc.Policy.CountyFund.Budget != nil || sc.HorizonYears != 2 {
		t.Errorf("null did not clear: %+v", sc)
	}
}

// TestParseFSNoFiles: with a nil fs only built-ins may be extended, so an
// upload cannot make the server read its files.
func TestParseFSNoFiles(t *testing.T) {
	if _, err := ParseFS(nil, "upload.yaml", []byte("extends: wenzhou-2011\n")); err != nil {
		t.Errorf("built-in extends rejected: %v", err)
	}
	_, err := ParseFS(nil, "upload.yaml", []byte("extends: /etc/passwd\n"))
	if err == nil || !strings.Contains(err.Error(), "upload.yaml:1:10: extends:") || !strings.Contains(err.Error(), "only built-in scenarios") {
		t.Errorf("file extends from untrusted input: got %v", err)
	}
}

func TestExtendsChainTooLong(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := range maxExtends + 2 {
		fsys["s"+strconv.Itoa(i)+".yaml"] = &fstest.MapFile{Data: []byte("extends: s" + strconv.Itoa(i+1) + ".yaml\n")}
	}
	fsys["s"+strconv.Itoa(maxExtends+2)+".yaml"] = &fstest.MapFile{Data: []byte("horizon_years: 2\n")}
	_, err := ParseFS(fsys, "s0.yaml", fsys["s0.yaml"].Data)
	if err == nil || !strings.Contains(err.Error(), "extends chain longer than") {
		t.Errorf("got %v", err)
	}
	// One shorter is fine.
	sc, err := ParseFS(fsys, "s3.yaml", fsys["s3.yaml"].Data)
	if err != nil || sc.HorizonYears != 2 {
		t.Errorf("chain of %d: %v, %+v", maxExtends, err, sc.HorizonYears)
	}
}

func TestErrorsAreSortedAndCategorized(t *testing.T) {
	_, err := Parse("x.yaml", []byte("polcy: 1\nhorizon_years: 9\nmodel: {copula: x}\n"))
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %v", err)
	}
	var lines []int
	for _, p := range pe.Problems {
		lines = append(lines, p.Line)
		if !errors.Is(p, models.ErrInvalid) {
			t.Errorf("%v: not ErrInvalid", p)
		}
	}
	if !reflect.DeepEqual(lines, []int{1, 2, 3}) {
		t.Errorf("problem lines %v, want [1 2 3]:\n%v", lines, err)
	}
	_, err = Load("no-such-builtin")
	if !errors.Is(err, models.ErrNotFound) {
		t.Errorf("Load of an unknown name: %v, want ErrNotFound", err)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"persistence", "presistence", 1}, // transposition
		{"bank_share", "bank_shar", 1},
		{"kitten", "sitting", 3},
		{"乐清", "乐清市", 1},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if got := closest("polcy", []string{"name", "policy", "model"}); got != "policy" {
		t.Errorf("closest = %q", got)
	}
	if got := closest("colour", []string{"name", "policy", "model"}); got != "" {
		t.Errorf("closest suggests %q for a key that is no typo", got)
	}
}

// A scenario file must be UTF-8 text: a stray byte or control character
// (often a file saved in GBK, or pasted from a binary) is refused at its
// line and column instead of being carried into a string that cannot be
// written back out.
func TestRefusesBytesThatAreNotText(t *testing.T) {
	for _, c := range []struct {
		data, want string
	}{
		{"name: a\nrationale: 银担\xe9x\n", "x.yaml:2:14: byte 0xE9 is not UTF-8"},
		{"name: a\nrationale: ab\x16c\n", "x.yaml:2:14: control character U+0016"},
		{"name: \x00\n", "x.yaml:1:7: control character U+0000"},
	} {
		_, err := ParseFS(nil, "x.yaml", []byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.data, err, c.want)
		}
	}
	if _, err := ParseFS(nil, "x.yaml", []byte("name: a\r\nrationale: \"tab\there\"\r\n")); err != nil {
		t.Errorf("tab and CRLF are text: %v", err)
	}
	// The YAML library drops a tab from unquoted text; say so rather than
	// store "ab" for "a<tab>b".
	_, err := ParseFS(nil, "x.yaml", []byte("name: a\nrationale: a\tb\n"))
	if err == nil || !strings.Contains(err.Error(), "x.yaml:2:12: rationale: a tab inside unquoted text") {
		t.Errorf("unquoted tab: got %v", err)
	}
}

// Marshal writes every string so that Parse gives it back: a tab (which
// the YAML parser drops from a plain scalar), a carriage return (which a
// literal block turns into a line feed) and other invisible characters go
// double-quoted with escapes; ordinary text, Chinese included, stays plain.
func TestMarshalKeepsEveryString(t *testing.T) {
	for _, v := range []string{"a\tb", "a\x16b", "x\n\ty", " lead", "a: b", "\u00a0x", "a\u2028b",
		"\ufeffbom", "a\r\nb", "x\ny\x00", "银担合作", "a\"b\\c", "line one\nline two",
		"\n", "\n\n", "a\n", "a\n\n", "\na", "a\n\nb", " a\nb", "a \nb", "a\n b", "a\nb ", "a\n\n\nb\n"} {
		sc := models.DefaultScenario()
		sc.Rationale = v
		out, err := Marshal(sc)
		if err != nil {
			t.Fatalf("Marshal(%q): %v", v, err)
		}
		back, err := ParseFS(nil, "x.yaml", out)
		if err != nil || back.Rationale != v {
			t.Errorf("%q came back as %q (%v) from\n%s", v, back.Rationale, err, out)
		}
	}
	sc := models.DefaultScenario()
	sc.Rationale = "银担合作"
	if out, _ := Marshal(sc); !strings.Contains(string(out), "\nrationale: 银担合作\n") {
		t.Errorf("plain text was quoted:\n%s", out)
	}
	sc.Sources = []string{"ok", "bad \xe9"}
	if _, err := Marshal(sc); err == nil || !strings.Contains(err.Error(), "sources[1]") {
		t.Errorf("a string that is not UTF-8: got %v, want an error naming sources[1]", err)
	}
	if err := Set(&sc, "rationale", "bad \xe9"); err == nil || !strings.Contains(err.Error(), "not UTF-8") {
		t.Errorf("Set with a value that is not UTF-8: got %v", err)
	}
	if err := Set(&sc, "policy.county_fund.budget.\x91", "0"); err == nil || !strings.Contains(err.Error(), "not UTF-8") {
		t.Errorf("Set with a path that is not UTF-8: got %v", err)
	}
}

// TestWhereCounterGuarantee: a shock can select loans by their
// counter_guarantee column, to stress the removal of counter-guarantees.
func TestWhereCounterGuarantee(t *testing.T) {
	sc, err := Parse("cg.yaml", []byte("name: no-counter-guarantees\nshocks:\n  - lgd_add_on: 0.15\n    where: {counter_guarantee: [true]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	w := sc.Shocks[0].Where
	with, without := models.NewLoan(), models.NewLoan()
	with.CounterGuarantee = true
	if !w.Matches(&with) || w.Matches(&without) {
		t.Errorf("where.counter_guarantee [true]: matches a loan with one %v, without %v; want true, false", w.Matches(&with), w.Matches(&without))
	}
	if !(models.Selector{}).Matches(&without) {
		t.Error("an empty selector must match every loan")
	}
	out, err := Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("back.yaml", out)
	if err != nil || !reflect.DeepEqual(back.Shocks, sc.Shocks) {
		t.Errorf("round trip: %v, %+v\n%s", err, back.Shocks, out)
	}
}
