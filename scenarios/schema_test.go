package scenarios

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wenzhou/danbao/models"
)

var update = flag.Bool("update", false, "rewrite SCHEMA.md from the models types")

// TestSchemaUpToDate regenerates SCHEMA.md from the models types (their
// YAML tags, DefaultScenario and their doc comments) and fails when the
// committed file differs. Run `go test ./scenarios -run SchemaUpToDate
// -update` after changing a scenario type, and review the diff.
func TestSchemaUpToDate(t *testing.T) {
	docs, err := modelDocs("../models")
	if err != nil {
		t.Fatal(err)
	}
	got, missing := generateSchema(docs)
	if len(missing) > 0 {
		t.Errorf("fields with no doc comment and no entry in fallbackDocs (document them in models or add an entry): %s",
			strings.Join(missing, ", "))
	}
	if *update {
		if err := os.WriteFile("SCHEMA.md", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("SCHEMA.md")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("SCHEMA.md is out of date with the models types; run go test ./scenarios -run SchemaUpToDate -update (-committed +generated):\n%s", diff)
	}
	if Schema() != string(want) {
		t.Errorf("Schema() differs from SCHEMA.md: the embedded copy is stale")
	}
}

// fallbackDocs documents fields whose meaning models leaves to the
// neighbouring field's comment or to the type; keyed by Type.Field.
var fallbackDocs = map[string]string{
	"Scenario.Name":                 "Name of the scenario; a file that sets none is named after its file name. Not inherited through extends.",
	"Scenario.Extends":              "Built-in scenario name or YAML file (relative to this one) whose values this scenario starts from; see Rules.",
	"Scenario.Description":          "One-line summary shown by `danbao scenarios list`. Not inherited through extends.",
	"Scenario.Shocks":               "Stresses, each acting in the years it lists (every year when it lists none).",
	"Scenario.Injections":           "Capital injections by the finance bureau.",
	"R2.Macro":                      "a_m, weight of the macro factor M.",
	"R2.Industry":                   "a_i, weight of the loan's industry factor I_k.",
	"R2.County":                     "a_c, weight of the loan's county factor C_j.",
	"Correlation.Labels":            "Factor names the matrix rows and columns refer to (industry names or county codes).",
	"Correlation.Matrix":            "Symmetric correlation matrix with a unit diagonal, one row per label; it must be positive definite.",
	"Shock.Shift":                   "Mean shift of Factor in standard deviations (negative = worse), in [−10, 10].",
	"Shock.Where":                   "Which loans PDMultiplier, LGDAddOn, R2Multiplier and InterestRateAddOn act on; empty selects every loan.",
	"Shock.Years":                   "Years (1..horizon_years) the shock acts in; empty means every year.",
	"Selector.County":               "County codes (GB/T 2260, e.g. \"330382\") or names; empty matches every county.",
	"Selector.Industry":             "Industry clusters (e.g. footwear, electrical); empty matches every industry.",
	"Selector.Product":              "Products (general, first_loan, tech, startup, agri); empty matches every product.",
	"Selector.Segment":              "Segments (micro, small, agri, other); empty matches every segment.",
	"Selector.Guarantor":            "Guarantor ids (e.g. G-CITY, G-330382); empty matches every guarantor.",
	"Scenario.HorizonYears":         "Years simulated from the snapshot date",
	"ModelParams.TDof":              "Degrees of freedom ν of the t copula (model.copula: t); must be > 2",
	"ModelParams.CountyCorrelation": "Optional correlation matrix among the county factors (labels are county codes)",
	"NationalFund.Share":            "Share of each eligible claim the national fund reimburses, through the re-guarantor",
	"NationalFund.StopRate":         "Compensation rate above which the national fund stops paying, as reguarantee.stop_rate",
	"FeeSchedule.Rate":              "Yearly guarantee fee rate of loans ≤ large_above",
	"FeeSchedule.RateLarge":         "Yearly guarantee fee rate of loans above large_above",
	"FeeSchedule.LargeAbove":        "Balance in yuan above which rate_large applies",
	"FeeSubsidy.BorrowerMax":        "Highest yearly fee rate a borrower pays; the county budget pays the rest",
	"Reserves.UnearnedFee":          "Unearned-fee reserve as a fraction of fee income",
	"Reserves.CompensationAdd":      "Compensation reserve added each year as a fraction of the year-end balance",
	"Reserves.CompensationCap":      "Cap of the compensation reserve as a fraction of the balance",
	"Injection.Year":                "When the capital arrives",
	"Injection.Guarantor":           "guarantor_id receiving the capital.",
	"Injection.Amount":              "Amount injected, in yuan.",
	"Policy.AllowBelowFloor":        "Allow a bank_share below the national floor 0.20 (for sweeps).",
	"Reguarantee.FeeRateSmall":      "Yearly re-guarantee fee rate for loans ≤ small_loan_max; default 0.003.",
	"Reguarantee.SmallLoanMax":      "Largest balance that pays fee_rate_small; default 500万.",
	"CountyFund.DefaultBudget":      "Yearly budget of every county not listed in budget; negative means unlimited (the default, −0.01 yuan).",
	"Target.Threshold":              "The target's threshold (a ratio, a rate or yuan, as the target says).",
	"Target.Definition":             "Leverage definition: regulatory, performance or fiscal (leverage targets only).",
	"Target.Off":                    "Switch the target off.",
	"Targets.FocusedThreshold":      "Regulatory leverage cap for institutions focused on small/micro and agri; default 15.",
	"CapitalMin.Off":                "Switch the capital-minimum target off.",
	"CapitalMin.ByCounty":           "Capital minimum per county code, in yuan, overriding the seed's (2亿 for 龙湾区, 乐清市, 瑞安市, 平阳县, 苍南县; 1亿 for 永嘉县, 泰顺县).",
}

// mapKeyNames names the keys of the scenario's maps in SCHEMA.md paths.
var mapKeyNames = map[string]string{
	"r2_by_segment": "<segment>",
	"budget":        "<county>",
	"by_county":     "<county>",
}

// modelDocs reads the doc comments of the struct types in dir: "Type" →
// the type's doc, "Type.Field" → the field's doc comment, "Type.Field#" →
// its line comment.
func modelDocs(dir string) (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	docs := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				docs[ts.Name.Name] = doc.Text()
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fld := range st.Fields.List {
					for _, n := range fld.Names {
						docs[ts.Name.Name+"."+n.Name] = strings.TrimSpace(fld.Doc.Text())
						docs[ts.Name.Name+"."+n.Name+"#"] = strings.TrimSpace(fld.Comment.Text())
					}
				}
			}
		}
	}
	return docs, nil
}

// generateSchema renders SCHEMA.md. missing lists Type.Field names that
// have no documentation anywhere.
func generateSchema(docs map[string]string) (string, []string) {
	var b strings.Builder
	b.WriteString(schemaHeader)
	b.WriteString("\n## Built-in scenarios\n\n| name | extends | description |\n|---|---|---|\n")
	for _, in := range List() {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", in.Name, cell(in.Extends), cell(in.Description))
	}
	b.WriteString("\n## Fields\n\n")
	b.WriteString("Paths are as `--set` and `danbao sweep --param` take them; `[i]` is a list index, `<county>` and `<segment>` a map key. Defaults are `models.DefaultScenario()`'s; money is in yuan.\n\n")
	b.WriteString("| path | type | default | meaning |\n|---|---|---|---|\n")
	var missing []string
	def := models.DefaultScenario()
	walkSchema(reflect.TypeFor[models.Scenario](), reflect.ValueOf(def), "", docs, func(path, typ, dflt, doc, key string) {
		if doc == "" {
			missing = append(missing, key)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", path, typ, cell(dflt), doc)
	})
	return b.String(), missing
}

// walkSchema calls row for every field under t, depth first in declaration
// order. dv is the default value at the same place, or invalid.
func walkSchema(t reflect.Type, dv reflect.Value, path string, docs map[string]string, row func(path, typ, dflt, doc, key string)) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, ok := yamlName(f)
		if !ok {
			continue
		}
		key := t.Name() + "." + f.Name
		doc := docs[key]
		if doc == "" {
			doc = fallbackDocs[key]
		}
		if doc != "" && !strings.HasSuffix(doc, ".") {
			doc += "."
		}
		if c := docs[key+"#"]; c != "" && doc != "" {
			doc = strings.TrimSuffix(doc, ".") + " (" + c + ")."
		} else if c != "" {
			doc = c
		}
		ft := f.Type
		elem := ft
		for elem.Kind() == reflect.Pointer || elem.Kind() == reflect.Slice || elem.Kind() == reflect.Map {
			elem = elem.Elem()
		}
		if doc == "" && elem.Kind() == reflect.Struct && !isText(elem) {
			doc = docs[elem.Name()]
		}
		var fv reflect.Value
		if dv.IsValid() {
			fv = dv.Field(i)
		}
		p := join(path, name)
		row(p, typeName(ft), defaultText(ft, fv), cellDoc(doc), key)
		switch {
		case isText(ft):
		case ft.Kind() == reflect.Struct:
			walkSchema(ft, fv, p, docs, row)
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
			walkSchema(ft.Elem(), reflect.Value{}, p, docs, row)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			walkSchema(ft.Elem(), reflect.Value{}, p+"[i]", docs, row)
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Struct && !isText(ft.Elem()):
			k := mapKeyNames[name]
			if k == "" {
				k = "<name>"
			}
			walkSchema(ft.Elem(), reflect.Value{}, p+"."+k, docs, row)
		}
	}
}

func typeName(t reflect.Type) string {
	if isText(t) {
		return "money"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "integer"
	case reflect.Float64, reflect.Float32:
		return "number"
	case reflect.Slice:
		return "list of " + typeName(t.Elem())
	case reflect.Map:
		return "map of " + typeName(t.Elem())
	case reflect.Pointer:
		return "optional " + typeName(t.Elem())
	case reflect.Struct:
		return "mapping"
	}
	return t.String()
}

func defaultText(t reflect.Type, v reflect.Value) string {
	if !v.IsValid() {
		return ""
	}
	if c, ok := v.Interface().(models.Cents); ok {
		return c.String()
	}
	switch t.Kind() {
	case reflect.String:
		if s := v.String(); s != "" {
			return strconv.Quote(s)
		}
		return ""
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64, reflect.Float32:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Slice:
		if v.Len() == 0 {
			return ""
		}
		parts := make([]string, v.Len())
		for i := range v.Len() {
			parts[i] = defaultText(t.Elem(), v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		if v.Len() == 0 {
			return ""
		}
		keys := sortedKeys(v)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + defaultText(t.Elem(), v.MapIndex(reflect.ValueOf(k).Convert(t.Key())))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}

// cell makes text safe for one Markdown table cell.
func cell(s string) string {
	if s == "" {
		return "—"
	}
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}

// cellDoc puts a doc comment in one table cell: prose lines are joined,
// indented (formula) lines become code spans on lines of their own.
func cellDoc(doc string) string {
	var parts []string
	var prose []string
	flush := func() {
		if len(prose) > 0 {
			parts = append(parts, strings.Join(prose, " "))
			prose = nil
		}
	}
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "    "):
			flush()
			parts = append(parts, "`"+strings.TrimSpace(line)+"`")
		case strings.TrimSpace(line) == "":
			flush()
		default:
			prose = append(prose, strings.TrimSpace(line))
		}
	}
	flush()
	parts = slices.DeleteFunc(parts, func(s string) bool { return s == "" })
	return strings.ReplaceAll(strings.Join(parts, "<br>"), "|", `\|`)
}

const schemaHeader = `# Scenario files

<!-- Generated by TestSchemaUpToDate from the models types (YAML tags,
DefaultScenario, doc comments). Do not edit by hand: run
go test ./scenarios -run SchemaUpToDate -update -->

A scenario is a YAML file with everything a run assumes beyond the
portfolio: the factor model, stress shocks, recoveries, new business, the
loss-sharing policy, the targets and capital injections (their definitions:
docs/model.md). ` + "`danbao scenarios validate FILE`" + ` checks one; ` + "`danbao scenarios show NAME`" + ` prints a
scenario fully resolved.

    name: my-stress
    extends: wenzhou-2011          # a built-in, or a file relative to this one
    description: The 2011 replay with a 30 % bank share.
    policy:
      bank_share: 0.30
      county_fund: {budget: {"330382": 20000000}}

## Rules

- Every field may be left out; it keeps its default (the table below), or
  the value of the scenario it extends.
- Unknown keys are errors, with a suggestion for a likely typo; so are
  values of the wrong type. Every problem is reported with its file, line
  and column, all at once, together with the semantic checks of
  ` + "`models.Scenario.Validate`" + `.
- **extends** names a built-in scenario (a name without "/" or a
  .yaml/.yml suffix) or a file, relative to the file that extends it.
  Chains may be up to 16 files long; cycles are errors. The extending file's
  mappings merge into its parent's key by key, at any depth (including
  maps such as ` + "`policy.county_fund.budget`" + `); lists (shocks, recovery.lag, …)
  replace the parent's whole; ` + "`null`" + ` clears a list, a map or an optional
  mapping. name, description, rationale and sources are not inherited.
- YAML anchors, aliases and merge keys (` + "`<<`" + `) work; a file holds one document.
- Money is in yuan: 20000000 or "20000000.00" (at most two decimals; 2e10
  when it is a whole number of fen).
- ` + "`--set path=value`" + ` (repeatable) overrides any field by the paths below, after
  the file is resolved: ` + "`--set policy.bank_share=0.3`" + `,
  ` + "`--set model.copula=t`" + `, ` + "`--set recovery.lag=[0.3,0.4,0.3]`" + `,
  ` + "`--set policy.county_fund.budget.330382=20000000`" + `, ` + "`--set 'shocks[0].pd_multiplier=2'`" + `.
  The value is YAML; list index len appends an entry.
`
