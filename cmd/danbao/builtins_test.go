package main

import (
	"context"
	"math"
	"testing"

	"github.com/wenzhou/danbao"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// TestEveryBuiltinRunsOnTheExample: every built-in scenario validates,
// compiles and runs on the embedded Wenzhou example, and its document
// carries a positive expected loss that the parties' losses add up to, and
// a probability for every target.
func TestEveryBuiltinRunsOnTheExample(t *testing.T) {
	pf, err := danbao.Example()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range scenarios.Names() {
		t.Run(name, func(t *testing.T) {
			sc, err := scenarios.Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			doc, _, err := sim.Simulate(context.Background(), pf, &sc, sim.Params{Seed: 1, Paths: 300})
			if err != nil {
				t.Fatal(err)
			}
			total := float64(doc.Loss[sim.PartyTotal].Mean)
			if !(total > 0) {
				t.Fatalf("expected loss %v", total)
			}
			var parties float64
			for _, p := range sim.PartyNames {
				parties += float64(doc.Loss[p].Mean)
			}
			if math.Abs(parties-total) > 1e-6*total {
				t.Errorf("parties' mean losses sum to %.2f, total %.2f", parties, total)
			}
			if len(doc.Targets) == 0 {
				t.Fatal("no targets")
			}
			for _, tr := range doc.Targets {
				if p := float64(tr.PHold); !(p >= 0 && p <= 1) {
					t.Errorf("%s %s year %d: P(hold) = %v", tr.ID, tr.Scope, tr.Year, p)
				}
			}
		})
	}
}
