package models_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportGraph enforces the package graph of STYLE.md §1. It is a
// statement of policy: DO NOT CHANGE THIS DATA TO FIX BUILDS.
//
//	models  ←  scenarios, sim  ←  api  ←  cmd/danbao
//
// models imports nothing of ours; scenarios and sim import models but not
// each other; sim is pure: nothing it reaches serves HTTP or reads Arrow,
// and it imports no os, time, logging or math/rand (its randomness comes
// from streams keyed by (seed, block)).
func TestImportGraph(t *testing.T) {
	const mod = "github.com/wenzhou/danbao/"
	rules := []struct {
		pkg         string
		ours        []string // our packages it may reach
		anywhere    []string // may not be reached, even indirectly
		directlyNot []string // may not be imported by the package itself
	}{
		{"models", nil, []string{"net/http", "github.com/apache/arrow-go/v18", "github.com/go-chi/chi/v5", "gonum.org/v1/gonum"}, nil},
		{"scenarios", []string{"models"}, []string{"net/http", "github.com/apache/arrow-go/v18", "github.com/go-chi/chi/v5"}, nil},
		{"sim", []string{"models"}, []string{"net/http", "github.com/apache/arrow-go/v18", "github.com/go-chi/chi/v5"},
			[]string{"os", "time", "log", "log/slog", "math/rand", "net/http"}},
	}
	for _, r := range rules {
		deps := goList(t, "-deps", "./../"+r.pkg)
		for _, dep := range deps {
			if own, ok := strings.CutPrefix(dep, mod); ok {
				if own == r.pkg || contains(r.ours, own) {
					continue
				}
				t.Errorf("%s reaches %s: not allowed by the package graph", r.pkg, own)
				continue
			}
			for _, f := range r.anywhere {
				if dep == f || strings.HasPrefix(dep, f+"/") {
					t.Errorf("%s reaches %s", r.pkg, dep)
				}
			}
		}
		direct := goList(t, "-f", "{{join .Imports \" \"}}", "./../"+r.pkg)
		for _, imp := range direct {
			if contains(r.directlyNot, imp) {
				t.Errorf("%s imports %s directly", r.pkg, imp)
			}
		}
	}
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && strings.Contains(string(ee.Stderr), "no Go files") {
			return nil
		}
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
