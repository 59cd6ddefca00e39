// Package danbao holds what the whole module shares: the embedded example
// portfolio and LoadPortfolio, the one way every command and the service
// open a portfolio (the example unless a snapshot folder is given).
package danbao

import (
	"embed"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
)

// The example portfolio in testdata/example was written by
//
//	danbao gen --loans 20000 --seed 20231231 --chains --out testdata/example
//
// (synth.Generate with ExampleLoans, ExampleSeed, ExampleChains and the
// default snapshot date 2022-12-31): it carries guarantee chains
// (links.arrow; docs/chains.md), and its PDs are calibrated with them. TestExampleMatchesGenerator fails if the committed
// files and the generator drift apart; regenerate with the command above
// (add --force) when the generator changes on purpose.
const (
	ExampleSeed  uint64 = 20231231
	ExampleLoans int    = 20000
	// ExampleChains: the example carries guarantee chains.
	ExampleChains = true
	// ExampleDir is the snapshot's folder, in the module and in ExampleFS.
	ExampleDir = "testdata/example"
)

// ExampleFS holds the example snapshot (ExampleDir/loans.arrow,
// ExampleDir/guarantors.arrow and ExampleDir/links.arrow), embedded in
// every binary.
//
//go:embed testdata/example
var ExampleFS embed.FS

// Example reads the embedded example portfolio. Each call returns a new
// Portfolio that the caller owns.
func Example() (*models.Portfolio, error) {
	return snapshot.ReadFS(ExampleFS, ExampleDir)
}

// LoadPortfolio reads the snapshot folder at path, or the embedded example
// when path is empty (the default of every --portfolio flag).
func LoadPortfolio(path string) (*models.Portfolio, error) {
	if path == "" {
		return Example()
	}
	return snapshot.Read(path)
}
