package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models/snapshot"
	"github.com/wenzhou/danbao/models/synth"
)

// smallSnapshot writes a 400-loan synthetic snapshot for fast shard tests.
func smallSnapshot(t *testing.T, seed uint64) string {
	t.Helper()
	return smallSnapshotOf(t, synth.Options{Loans: 400, Seed: seed})
}

// smallSnapshotOf writes the synthetic snapshot of opts.
func smallSnapshotOf(t *testing.T, opts synth.Options) string {
	t.Helper()
	pf, err := synth.Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "snap")
	if err := (snapshot.Options{}).Write(dir, pf); err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	deprecatedLine = regexp.MustCompile(`(?m)^  "(workers|elapsed_seconds)": [^\n]*\n`)
	runInfoBlock   = regexp.MustCompile(`(?s),\n  "run_info": \{.*?\n  \}\n\}\n$`)
)

// withoutRunInfo returns an indented document without its run_info block
// and the deprecated top-level copies of its fields: what must be equal,
// byte for byte, between runs of the same inputs. It fails when there is
// no run_info to take out.
func withoutRunInfo(t *testing.T, doc string) string {
	t.Helper()
	if !runInfoBlock.MatchString(doc) {
		t.Fatalf("document has no run_info block at its end:\n%.300s…", doc)
	}
	return deprecatedLine.ReplaceAllString(runInfoBlock.ReplaceAllString(doc, "\n}\n"), "")
}

// shardCommand runs a command's shard i/K (set through opt) writing to out,
// or the whole run when shard is "", and returns stdout.
type shardCommand func(t *testing.T, shard, out string) string

func merged(t *testing.T, dirs ...string) string {
	t.Helper()
	var stdout bytes.Buffer
	if err := runMerge(context.Background(), mergeOptions{json: true, workers: 1}, dirs, &stdout); err != nil {
		t.Fatal(err)
	}
	return stdout.String()
}

// TestShardMerge: for run (with and without importance sampling, and
// --losses-only), sweep and topup, the merge of K = 1, 2, 3 and 7 shards
// prints the single run's document byte for byte apart from run_info; so
// do run, --losses-only and sweep on a portfolio with guarantee chains
// (`gen --chains`: the contagion block, its split and largest cascades).
func TestShardMerge(t *testing.T) {
	snap := smallSnapshot(t, 7)
	chains := smallSnapshotOf(t, synth.Options{Loans: 400, Seed: 7, Chains: true})
	ctx := context.Background()
	simOn := func(portfolio string, paths int) simOptions {
		return simOptions{portfolio: portfolio, scenario: "baseline", paths: paths, seed: 3, workers: 2, horizon: 2, sampler: "fast",
			json: true, levels: defaultLevels, sets: []string{"model.r2.industry=0.12"}}
	}
	sim := func(paths int) simOptions { return simOn(snap, paths) }
	do := func(t *testing.T, run func(stdout *bytes.Buffer) error) string {
		t.Helper()
		var stdout bytes.Buffer
		if err := run(&stdout); err != nil {
			t.Fatal(err)
		}
		return stdout.String()
	}
	cmds := map[string]shardCommand{
		"run": func(t *testing.T, shard, out string) string {
			o := runOptions{simOptions: sim(70), out: out}
			o.shard = shard
			return do(t, func(w *bytes.Buffer) error { return runSimulation(ctx, o, w, &bytes.Buffer{}) })
		},
		"run-is": func(t *testing.T, shard, out string) string {
			o := runOptions{simOptions: sim(50), out: out}
			o.shard, o.is, o.levels = shard, 0.99, "0.9"
			return do(t, func(w *bytes.Buffer) error { return runSimulation(ctx, o, w, &bytes.Buffer{}) })
		},
		"run-losses-only": func(t *testing.T, shard, out string) string {
			o := runOptions{simOptions: sim(50), out: out, lossesOnly: true}
			o.shard = shard
			return do(t, func(w *bytes.Buffer) error { return runSimulation(ctx, o, w, &bytes.Buffer{}) })
		},
		"sweep": func(t *testing.T, shard, out string) string {
			o := sweepOptions{simOptions: sim(40), paramList: []string{"policy.bank_share"}, valueLists: []string{"0.2,0.3"}, confidence: 0.9, out: out}
			o.shard = shard
			return do(t, func(w *bytes.Buffer) error { return runSweep(ctx, o, w, &bytes.Buffer{}) })
		},
		"topup": func(t *testing.T, shard, out string) string {
			o := topupOptions{simOptions: sim(70), confidence: "0.9", confSet: true, joint: true, out: out}
			o.shard = shard
			return do(t, func(w *bytes.Buffer) error { return runTopup(ctx, o, w, &bytes.Buffer{}) })
		},
		"run-chains": func(t *testing.T, shard, out string) string {
			o := runOptions{simOptions: simOn(chains, 70), out: out}
			o.shard = shard
			return do(t, func(w *bytes.Buffer) error { return runSimulation(ctx, o, w, &bytes.Buffer{}) })
		},
		"run-chains-losses-only": func(t *testing.T, shard, out string) string {
			o := runOptions{simOptions: simOn(chains, 50), out: out, lossesOnly: true}
			o.shard = shard
			return do(t, func(w *bytes.Buffer) error { return runSimulation(ctx, o, w, &bytes.Buffer{}) })
		},
		"sweep-chains": func(t *testing.T, shard, out string) string {
			o := sweepOptions{simOptions: simOn(chains, 40), paramList: []string{"policy.bank_share"}, valueLists: []string{"0.2,0.3"}, confidence: 0.9, out: out}
			o.shard = shard
			return do(t, func(w *bytes.Buffer) error { return runSweep(ctx, o, w, &bytes.Buffer{}) })
		},
	}
	for name, cmd := range cmds {
		t.Run(name, func(t *testing.T) {
			want := withoutRunInfo(t, cmd(t, "", ""))
			if strings.HasPrefix(name, "run-chains") && !strings.Contains(want, `"cascades": [
      {`) {
				t.Fatalf("the chains run has no cascades to merge:\n%.2000s", want)
			}
			for _, k := range []int{1, 2, 3, 7} {
				out := t.TempDir()
				for i := range k {
					cmd(t, fmt.Sprintf("%d/%d", i, k), out)
				}
				if got := withoutRunInfo(t, merged(t, out)); got != want {
					t.Errorf("K = %d: merged document differs from the single run's\n%s", k, firstDiff(want, got))
				}
			}
		})
	}
}

// firstDiff shows where two texts first differ.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-200)
	return fmt.Sprintf("single: …%s…\nmerged: …%s…", a[lo:min(len(a), i+100)], b[lo:min(len(b), i+100)])
}

// TestShardMergeRejects: a missing, duplicated or mismatched shard (other
// seed, paths or inputs, another portfolio) is an error naming it.
func TestShardMergeRejects(t *testing.T) {
	snap := smallSnapshot(t, 7)
	other := smallSnapshot(t, 8)
	ctx := context.Background()
	write := func(t *testing.T, out, shard string, edit func(o *runOptions)) {
		t.Helper()
		o := runOptions{simOptions: simOptions{portfolio: snap, scenario: "baseline", paths: 30, seed: 3, workers: 1,
			horizon: 1, sampler: "fast", levels: defaultLevels, shard: shard}, out: out}
		if edit != nil {
			edit(&o)
		}
		if err := runSimulation(ctx, o, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
	}
	mergeErr := func(t *testing.T, dirs ...string) string {
		t.Helper()
		err := runMerge(ctx, mergeOptions{json: true, workers: 1}, dirs, &bytes.Buffer{})
		if err == nil {
			t.Fatal("merge succeeded")
		}
		return err.Error()
	}
	wantIn := func(t *testing.T, msg string, subs ...string) {
		t.Helper()
		for _, s := range subs {
			if !strings.Contains(msg, s) {
				t.Errorf("error %q does not say %q", msg, s)
			}
		}
	}

	t.Run("missing", func(t *testing.T) {
		out := t.TempDir()
		write(t, out, "0/3", nil)
		write(t, out, "2/3", nil)
		wantIn(t, mergeErr(t, out), "shard-1-of-3", "missing")
	})
	t.Run("duplicate", func(t *testing.T) {
		a, b := t.TempDir(), t.TempDir()
		write(t, a, "0/2", nil)
		write(t, a, "1/2", nil)
		write(t, b, "1/2", nil)
		wantIn(t, mergeErr(t, a, filepath.Join(b, "shard-1-of-2")), "twice", filepath.Join(b, "shard-1-of-2"))
	})
	for _, tt := range []struct {
		name string
		edit func(o *runOptions)
		want string
	}{
		{"seed", func(o *runOptions) { o.seed = 4 }, "seed 4"},
		{"paths", func(o *runOptions) { o.paths = 31 }, "31 paths"},
		{"inputs", func(o *runOptions) { o.sets = []string{"policy.bank_share=0.3"} }, "other inputs"},
		{"portfolio", func(o *runOptions) { o.portfolio = other }, "another portfolio"},
		{"K", func(o *runOptions) { o.shard = "1/3" }, "one of 3 shards"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			write(t, out, "0/2", nil)
			write(t, out, "1/2", tt.edit)
			if tt.name == "K" {
				os.Rename(filepath.Join(out, "shard-1-of-3"), filepath.Join(out, "shard-1-of-2"))
			}
			wantIn(t, mergeErr(t, out), filepath.Join(out, "shard-1-of-2"), tt.want)
		})
	}
	t.Run("merge-portfolio", func(t *testing.T) {
		out := t.TempDir()
		write(t, out, "0/1", nil)
		err := runMerge(ctx, mergeOptions{json: true, workers: 1, portfolio: other, portSet: true}, []string{out}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "is not the one the shards ran on") {
			t.Errorf("merge on another portfolio: %v", err)
		}
	})
	t.Run("damaged", func(t *testing.T) {
		out := t.TempDir()
		write(t, out, "0/1", nil)
		f := filepath.Join(out, "shard-0-of-1", "paths.arrow")
		b, _ := os.ReadFile(f)
		os.WriteFile(f, b[:len(b)/2], 0o644)
		wantIn(t, mergeErr(t, out), "shard-0-of-1", "cut short")
	})
	t.Run("links", func(t *testing.T) {
		// With guarantee chains a shard also writes its largest cascades
		// (paths.cascades.arrow), held to the manifest like paths.arrow.
		dir := smallSnapshotOf(t, synth.Options{Loans: 400, Seed: 7, Chains: true})
		out := t.TempDir()
		o := runOptions{simOptions: simOptions{portfolio: dir, scenario: "baseline", paths: 30, seed: 3, workers: 1,
			horizon: 1, sampler: "fast", levels: defaultLevels, shard: "0/1"}, out: out}
		if err := runSimulation(ctx, o, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(out, "shard-0-of-1", "paths.cascades.arrow")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(f, b[:len(b)/2], 0o644)
		wantIn(t, mergeErr(t, out), "shard-0-of-1", "paths.cascades.arrow", "cut short")
	})
	t.Run("flags", func(t *testing.T) {
		o := runOptions{simOptions: simOptions{scenario: "baseline", paths: 10, seed: 1, workers: 1, levels: defaultLevels, shard: "3/3"}, out: t.TempDir()}
		if err := runSimulation(ctx, o, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "0..2") {
			t.Errorf("--shard 3/3: %v", err)
		}
		o.shard, o.out = "0/2", ""
		if err := runSimulation(ctx, o, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--out") {
			t.Errorf("--shard without --out: %v", err)
		}
	})
}
