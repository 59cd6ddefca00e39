//go:build ignore

// Unused lists the exported names of one package of the module that no
// other package uses: candidates to unexport. It reads the files with
// go/parser and runs nothing.
//
//	go run scripts/unused.go [-pkg sim] [DIR]    (DIR defaults to ".")
//
// For each exported top-level name of the package (func, type, var,
// const; non-test files) it counts the references PKG.Name in the other
// packages' files, non-test and test apart; those are exact. For each
// exported method it counts the selectors .Name anywhere outside the
// package: a name-based count (another type's method of the same name
// counts too), so a method listed as unused is unused, and one counted as
// used may not be. Struct fields are not listed: the result documents'
// fields are read by encoding/json, not by name.
//
// A name with no references outside in non-test files is listed, with
// "tests only" when only tests outside the package use it (its external
// test package PKG_test, whose Examples are its documentation, counts as
// outside). An unused type
// that an exported field, function or method of the package names is
// marked "(in the API)": other packages reach it without naming it, so
// unexporting it would leave an exported field of an unexported type.
// Methods that implement the standard interfaces (String, Error,
// MarshalJSON, UnmarshalText, …) are not listed: encoding/json and fmt
// call them.
package main

import (
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

func main() {
	pkg := flag.String("pkg", "sim", "package directory, relative to DIR")
	flag.Parse()
	root := "."
	if flag.NArg() > 0 {
		root = flag.Arg(0)
	}
	mod, err := modulePath(root)
	if err != nil {
		fail(err)
	}
	importPath := mod + "/" + filepath.ToSlash(*pkg)
	pkgDir := filepath.Join(root, *pkg)

	top := map[string]string{}     // exported top-level name → kind
	methods := map[string]string{} // exported method name → receiver type
	inAPI := map[string]bool{}     // identifiers in exported fields and signatures
	type use struct{ code, tests int }
	topUse, methodUse := map[string]*use{}, map[string]*use{}

	fset := token.NewFileSet()
	var others []*ast.File
	var otherIsTest []bool
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
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
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		isTest := strings.HasSuffix(path, "_test.go")
		if filepath.Dir(path) == pkgDir && !strings.HasSuffix(f.Name.Name, "_test") {
			if !isTest {
				declared(f, top, methods)
				surface(f, inAPI)
			}
			return nil // the package's own files and internal tests do not count
		}
		others = append(others, f)
		otherIsTest = append(otherIsTest, isTest)
		return nil
	})
	if err != nil {
		fail(err)
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
		fmt.Printf("%s: %d exported, %d unused outside %s, %d used by other packages' tests only\n", title, len(kinds), len(unused), *pkg, len(testsOnly))
		for _, s := range unused {
			fmt.Println("  unused     ", s)
		}
		for _, s := range testsOnly {
			fmt.Println("  tests only ", s)
		}
	}
	report(importPath+" top-level names", top, topUse)
	report(importPath+" methods (by name)", methods, methodUse)
}

// declared adds f's exported top-level names and methods.
func declared(f *ast.File, top, methods map[string]string) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv == nil {
				top[d.Name.Name] = "func"
				continue
			}
			if recv := recvName(d.Recv.List[0].Type); ast.IsExported(recv) && !interfaceMethods[d.Name.Name] {
				methods[d.Name.Name] = "method (" + recv + ")." // receiver kept for the listing
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						top[s.Name.Name] = "type"
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() {
							top[n.Name] = strings.ToLower(d.Tok.String())
						}
					}
				}
			}
		}
	}
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

func recvName(t ast.Expr) string {
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
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

func fail(err error) {
	fmt.Fprintln(os.Stderr, "unused:", err)
	os.Exit(1)
}
