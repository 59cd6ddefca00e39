//go:build ignore

// Treestats prints, per package directory of a Go tree, the number of Go
// files, their lines and the package's exported names (top-level funcs,
// types, vars and consts, and methods of exported types), for test and
// non-test files apart. It reads the files with go/parser and runs
// nothing.
//
//	go run scripts/treestats.go [DIR]    (DIR defaults to ".")
//
// To compare with an older commit, extract it first:
//
//	git archive 8c0a296 | tar -x -C /tmp/before && go run scripts/treestats.go /tmp/before
//
// With -unused PKG it lists instead the exported names of package
// directory PKG that no other package uses: candidates to unexport.
//
//	go run scripts/treestats.go -unused sim [DIR]
//
// For each exported top-level name of PKG (func, type, var, const;
// non-test files) it counts the references PKG.Name in the other
// packages' files, non-test and test apart; those are exact. For each
// exported method it counts the selectors .Name anywhere outside the
// package: a name-based count (another type's method of the same name
// counts too), so a method listed as unused is unused, and one counted as
// used may not be. Struct fields are not listed: the result documents'
// fields are read by encoding/json, not by name; nor are methods that
// standard interfaces call (String, MarshalJSON, UnmarshalText, …).
//
// A name with no references outside in non-test files is listed, with
// "tests only" when only tests outside the package use it (its external
// test package PKG_test, whose Examples are its documentation, counts as
// outside). An unused type that an exported field, function or method of
// the package names is marked "(in the API)": other packages reach it
// without naming it, so unexporting it would leave an exported field of
// an unexported type.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

type stats struct{ files, lines, testFiles, testLines, exported int }

func main() {
	pkg := flag.String("unused", "", "list the exported names of this package directory that no other package uses")
	flag.Parse()
	root := "."
	if flag.NArg() > 0 {
		root = flag.Arg(0)
	}
	if *pkg != "" {
		if err := unused(root, *pkg); err != nil {
			fmt.Fprintln(os.Stderr, "treestats:", err)
			os.Exit(1)
		}
		return
	}
	pkgs := map[string]*stats{}
	err := walkGo(root, func(path string, src []byte, f *ast.File) error {
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		s := pkgs[dir]
		if s == nil {
			s = &stats{}
			pkgs[dir] = s
		}
		n := bytes.Count(src, []byte("\n"))
		if strings.HasSuffix(path, "_test.go") {
			s.testFiles++
			s.testLines += n
			return nil
		}
		s.files++
		s.lines += n
		s.exported += len(declared(f))
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "treestats:", err)
		os.Exit(1)
	}
	var total stats
	fmt.Printf("| package | files | lines | exported | test files | test lines |\n|---|--:|--:|--:|--:|--:|\n")
	for _, dir := range slices.Sorted(func(yield func(string) bool) {
		for k := range pkgs {
			if !yield(k) {
				return
			}
		}
	}) {
		s := pkgs[dir]
		fmt.Printf("| %s | %d | %d | %d | %d | %d |\n", dir, s.files, s.lines, s.exported, s.testFiles, s.testLines)
		total.files += s.files
		total.lines += s.lines
		total.exported += s.exported
		total.testFiles += s.testFiles
		total.testLines += s.testLines
	}
	fmt.Printf("| **total** | %d | %d | %d | %d | %d |\n", total.files, total.lines, total.exported, total.testFiles, total.testLines)
}

// ignored reports a file excluded from every build (//go:build ignore).
func ignored(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:build") && strings.Contains(c.Text, "ignore") {
				return true
			}
		}
	}
	return false
}

// walkGo parses every Go file below root (not in testdata, notebooks or
// hidden folders, nor excluded by //go:build ignore) and calls fn with it.
func walkGo(root string, fn func(path string, src []byte, f *ast.File) error) error {
	fset := token.NewFileSet()
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "notebooks") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if ignored(f) {
			return nil
		}
		return fn(path, src, f)
	})
}

// decl is an exported name: a top-level func, type, var or const, or a
// method of an exported receiver type (Recv).
type decl struct{ Kind, Name, Recv string }

// declared lists a file's exported top-level names and the exported
// methods of exported receiver types.
func declared(f *ast.File) []decl {
	var out []decl
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv == nil {
				out = append(out, decl{"func", d.Name.Name, ""})
			} else if recv := recvName(d.Recv.List[0].Type); ast.IsExported(recv) {
				out = append(out, decl{"method", d.Name.Name, recv})
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					if sp.Name.IsExported() {
						out = append(out, decl{"type", sp.Name.Name, ""})
					}
				case *ast.ValueSpec:
					for _, id := range sp.Names {
						if id.IsExported() {
							out = append(out, decl{strings.ToLower(d.Tok.String()), id.Name, ""})
						}
					}
				}
			}
		}
	}
	return out
}

func recvName(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}

// unused lists the exported names of package directory pkg below root
// that no other package uses (see the package comment).
func unused(root, pkg string) error {
	mod, err := modulePath(root)
	if err != nil {
		return err
	}
	importPath := mod + "/" + filepath.ToSlash(pkg)
	pkgDir := filepath.Join(root, pkg)

	top := map[string]string{}     // exported top-level name → kind
	methods := map[string]string{} // exported method name → "method (Recv)."
	inAPI := map[string]bool{}     // identifiers in exported fields and signatures
	type use struct{ code, tests int }
	topUse, methodUse := map[string]*use{}, map[string]*use{}

	var others []*ast.File
	var otherIsTest []bool
	err = walkGo(root, func(path string, _ []byte, f *ast.File) error {
		isTest := strings.HasSuffix(path, "_test.go")
		if filepath.Dir(path) == pkgDir && !strings.HasSuffix(f.Name.Name, "_test") {
			if !isTest {
				for _, d := range declared(f) {
					switch {
					case d.Recv == "":
						top[d.Name] = d.Kind
					case !interfaceMethods[d.Name]:
						methods[d.Name] = "method (" + d.Recv + ")."
					}
				}
				surface(f, inAPI)
			}
			return nil // the package's own files and internal tests do not count
		}
		others = append(others, f)
		otherIsTest = append(otherIsTest, isTest)
		return nil
	})
	if err != nil {
		return err
	}
	for name := range top {
		topUse[name] = &use{}
	}
	for name := range methods {
		methodUse[name] = &use{}
	}
	for i, f := range others {
		local := importName(f, importPath)
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			count := func(u *use) {
				if otherIsTest[i] {
					u.tests++
				} else {
					u.code++
				}
			}
			if id, ok := sel.X.(*ast.Ident); ok && local != "" && id.Name == local {
				if u := topUse[sel.Sel.Name]; u != nil {
					count(u)
				}
				return true
			}
			if u := methodUse[sel.Sel.Name]; u != nil {
				count(u)
			}
			return true
		})
	}
	report := func(title string, kinds map[string]string, uses map[string]*use) {
		var unused, testsOnly []string
		for name, kind := range kinds {
			u := uses[name]
			switch {
			case u.code > 0:
				continue
			case kind == "type" && inAPI[name]:
				kind += " (in the API)"
			}
			if u.tests == 0 {
				unused = append(unused, kind+" "+name)
			} else {
				testsOnly = append(testsOnly, kind+" "+name)
			}
		}
		slices.Sort(unused)
		slices.Sort(testsOnly)
		fmt.Printf("%s: %d exported, %d unused outside %s, %d used by other packages' tests only\n", title, len(kinds), len(unused), pkg, len(testsOnly))
		for _, s := range unused {
			fmt.Println("  unused     ", s)
		}
		for _, s := range testsOnly {
			fmt.Println("  tests only ", s)
		}
	}
	report(importPath+" top-level names", top, topUse)
	report(importPath+" methods (by name)", methods, methodUse)
	return nil
}

// interfaceMethods are methods that standard interfaces call.
var interfaceMethods = map[string]bool{"String": true, "Error": true, "Unwrap": true, "Format": true,
	"MarshalJSON": true, "UnmarshalJSON": true, "MarshalText": true, "UnmarshalText": true,
	"MarshalYAML": true, "UnmarshalYAML": true, "Len": true, "Less": true, "Swap": true}

// surface adds the identifiers that f's exported struct fields, exported
// functions' and methods' signatures, and exported types' definitions
// name.
func surface(f *ast.File, inAPI map[string]bool) {
	idents := func(n ast.Node) {
		if n == nil {
			return
		}
		ast.Inspect(n, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				inAPI[id.Name] = true
			}
			return true
		})
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() {
				idents(d.Type)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				ts, ok := s.(*ast.TypeSpec)
				if !ok || !ts.Name.IsExported() {
					continue
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					idents(ts.Type)
					continue
				}
				for _, fld := range st.Fields.List {
					exported := len(fld.Names) == 0 // embedded
					for _, n := range fld.Names {
						exported = exported || n.IsExported()
					}
					if exported {
						idents(fld.Type)
					}
				}
			}
		}
	}
}

// importName is the name under which f imports path ("" if it does not).
func importName(f *ast.File, path string) string {
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		if p != path {
			continue
		}
		if im.Name != nil {
			return im.Name.Name
		}
		return path[strings.LastIndex(path, "/")+1:]
	}
	return ""
}

func modulePath(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
			return strings.TrimSpace(m), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", filepath.Join(root, "go.mod"))
}
