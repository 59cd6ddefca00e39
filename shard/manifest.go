package shard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/wenzhou/danbao/sim"
)

// Schema names the manifest's format.
const Schema = "danbao.shard/v1"

// ManifestFile is the manifest's name in a shard's folder.
const ManifestFile = "manifest.json"

// Commands that can be sharded.
const (
	CommandRun   = "run"
	CommandSweep = "sweep"
	CommandTopup = "topup"
)

// Spec is what a sharded command computes, whichever paths: the resolved
// inputs and options. Equal Specs on equal portfolios give equal documents.
type Spec struct {
	Command string `json:"command"` // CommandRun, CommandSweep or CommandTopup
	// Portfolio is the snapshot folder as the shards were given it ("" is
	// the embedded example); the merge reads it from there unless told
	// otherwise, and checks its fingerprint.
	Portfolio string `json:"portfolio"`
	// Scenario is the resolved scenario (every --set and --horizon applied)
	// as YAML (scenarios.Marshal); shards and merge both parse it back.
	Scenario string    `json:"scenario"`
	Seed     uint64    `json:"seed"`
	Paths    int       `json:"paths"` // of the whole run
	Sampler  string    `json:"sampler"`
	Levels   []float64 `json:"levels,omitempty"` // --levels beyond the default three
	IS       float64   `json:"is,omitempty"`     // --is level; 0 is off
	// LossesOnly is run --losses-only: no policy ledger.
	LossesOnly bool       `json:"losses_only,omitempty"`
	Sweep      *SweepSpec `json:"sweep,omitempty"`
	Topup      *TopupSpec `json:"topup,omitempty"`
}

// SweepSpec holds danbao sweep's own options.
type SweepSpec struct {
	Param      string    `json:"param"`
	Values     []float64 `json:"values"`
	Param2     string    `json:"param2,omitempty"` // a 2-D sweep's second parameter
	Values2    []float64 `json:"values2,omitempty"`
	Confidence float64   `json:"confidence"`
	Elasticity float64   `json:"response_elasticity"`
}

// TopupSpec holds danbao topup's own options.
type TopupSpec struct {
	Confidences []float64 `json:"confidences"`
	Joint       bool      `json:"joint,omitempty"`
}

// Manifest describes one shard: which paths of which run it holds.
type Manifest struct {
	Schema string `json:"schema"` // Schema
	// Shard is the shard's index i (0-based) of Shards (K).
	Shard  int `json:"shard"`
	Shards int `json:"shards"`
	// FirstPath and Paths are the shard's paths: [FirstPath, FirstPath+Paths)
	// = sim.ShardRange(Shard, Shards, Spec.Paths).
	FirstPath int `json:"first_path"`
	Paths     int `json:"paths"`
	// Fingerprint identifies the inputs: "sha256:" and the SHA-256 of the
	// Spec (the portfolio's folder left out) and PortfolioFingerprint.
	Fingerprint          string `json:"fingerprint"`
	PortfolioFingerprint string `json:"portfolio_fingerprint"`
	Spec                 Spec   `json:"spec"`
	// Files are the per-path files, one per simulated scenario (a sweep:
	// one per value, in order), with their SHA-256.
	Files   []File      `json:"files"`
	RunInfo sim.RunInfo `json:"run_info"`
}

// File is one per-path file of a shard.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Fingerprint returns the fingerprint of spec run on a portfolio of
// fingerprint pfp: the SHA-256 of both, the portfolio's folder left out
// (the same snapshot may sit in another folder on the merging machine).
func Fingerprint(spec Spec, pfp string) (string, error) {
	spec.Portfolio = ""
	b, err := json.Marshal(struct {
		Spec      Spec   `json:"spec"`
		Portfolio string `json:"portfolio"`
	}{spec, pfp})
	if err != nil {
		return "", fmt.Errorf("fingerprint of the inputs: %w", err)
	}
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:]), nil
}
