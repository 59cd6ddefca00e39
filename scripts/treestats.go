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
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

type stats struct{ files, lines, testFiles, testLines, exported int }

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	pkgs := map[string]*stats{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
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
		s.exported += exported(f)
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

// exported counts a file's exported top-level names and the exported
// methods of exported receiver types.
func exported(f *ast.File) int {
	n := 0
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv != nil && !ast.IsExported(recvName(d.Recv.List[0].Type)) {
				continue
			}
			n++
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					if sp.Name.IsExported() {
						n++
					}
				case *ast.ValueSpec:
					for _, id := range sp.Names {
						if id.IsExported() {
							n++
						}
					}
				}
			}
		}
	}
	return n
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
