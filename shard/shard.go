package shard

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/scenarios"
	"github.com/wenzhou/danbao/sim"
)

// Dir returns the name of shard i of k's folder: "shard-i-of-k".
func Dir(i, k int) string { return fmt.Sprintf("shard-%d-of-%d", i, k) }

// ParseIndex reads "i/K" (0 ≤ i < K). env names the environment
// variable that replaces i when i is written "env" (Kubernetes' Indexed
// Job sets JOB_COMPLETION_INDEX); getenv reads it.
func ParseIndex(s, env string, getenv func(string) string) (i, k int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("--shard %q: want i/K, e.g. 0/4, or env/K", s)
	}
	if k, err = strconv.Atoi(b); err != nil || k < 1 {
		return 0, 0, fmt.Errorf("--shard %q: K = %q is not a whole number ≥ 1", s, b)
	}
	if a == "env" {
		v := getenv(env)
		if v == "" {
			return 0, 0, fmt.Errorf("--shard %q: %s is not set (the Indexed Job sets it)", s, env)
		}
		if i, err = strconv.Atoi(v); err != nil || i < 0 || i >= k {
			return 0, 0, fmt.Errorf("--shard %q: %s = %q is not a whole number in 0..%d", s, env, v, k-1)
		}
		return i, k, nil
	}
	if i, err = strconv.Atoi(a); err != nil || i < 0 || i >= k {
		return 0, 0, fmt.Errorf("--shard %q: i = %q is not a whole number in 0..%d", s, a, k-1)
	}
	return i, k, nil
}

// inputs parses the spec's resolved scenario and returns it with the run
// parameters of spec over all its paths.
func (spec *Spec) inputs(workers int) (models.Scenario, sim.Params, error) {
	p := sim.Params{Seed: spec.Seed, Paths: spec.Paths, Workers: workers, Levels: spec.Levels, ISLevel: spec.IS}
	if p.Sampler.UnmarshalText([]byte(cmp.Or(spec.Sampler, "fast"))) != nil {
		return models.Scenario{}, p, fmt.Errorf("%w: sampler %q", models.ErrInvalid, spec.Sampler)
	}
	sc, err := scenarios.Parse("manifest spec.scenario", []byte(spec.Scenario))
	if err != nil {
		return sc, p, fmt.Errorf("the shards' scenario: %w", err)
	}
	return sc, p, nil
}

// sweep returns sim.Sweep's grid of sc (scenarios.SweepPoints) and
// options for a sweep spec.
func (spec *Spec) sweep(sc *models.Scenario) (*models.SweepGrid, sim.SweepOptions, error) {
	s := spec.Sweep
	axes := []models.SweepAxis{{Param: s.Param, Values: s.Values}}
	if s.Param2 != "" {
		axes = append(axes, models.SweepAxis{Param: s.Param2, Values: s.Values2})
	}
	g, err := scenarios.SweepPoints(sc, axes...)
	return g, sim.SweepOptions{Confidence: s.Confidence, ResponseElasticity: s.Elasticity}, err
}

// check says whether spec can be run.
func (spec *Spec) check() error {
	switch {
	case spec.Command == CommandSweep && spec.Sweep == nil, spec.Command == CommandTopup && spec.Topup == nil:
		return fmt.Errorf("%w: %s shard without its options", models.ErrInvalid, spec.Command)
	case spec.Command != CommandRun && spec.Command != CommandSweep && spec.Command != CommandTopup:
		return fmt.Errorf("%w: command %q cannot be sharded (run, sweep, topup)", models.ErrInvalid, spec.Command)
	case spec.LossesOnly && spec.Command != CommandRun:
		return fmt.Errorf("%w: losses only is for run", models.ErrInvalid)
	}
	return nil
}

// Run computes shard i of k of spec on pf (whose fingerprint is taken
// here) and writes it to out/Dir(i, k): the per-path files and the
// manifest, through a temporary folder renamed into place, so the shard's
// folder appears complete or not at all (a shard run again replaces it).
// The manifest's run info has the workers and the wall time of Run.
func Run(ctx context.Context, spec Spec, pf *models.Portfolio, i, k, workers int, progress func(int), out string) (m *Manifest, err error) {
	start := time.Now()
	if err := spec.check(); err != nil {
		return nil, err
	}
	if !(k >= 1 && i >= 0 && i < k) {
		return nil, fmt.Errorf("%w: shard %d of %d", models.ErrInvalid, i, k)
	}
	if k > spec.Paths {
		return nil, fmt.Errorf("%w: %d shards of %d paths: each shard needs at least one path", models.ErrInvalid, k, spec.Paths)
	}
	sc, p, err := spec.inputs(workers)
	if err != nil {
		return nil, err
	}
	lo, hi := sim.ShardRange(i, k, spec.Paths)
	p.FirstPath, p.Paths, p.Progress = lo, hi-lo, progress
	pfp := PortfolioFingerprint(pf)
	fp, err := Fingerprint(spec, pfp)
	if err != nil {
		return nil, err
	}
	m = &Manifest{Schema: Schema, Shard: i, Shards: k, FirstPath: lo, Paths: hi - lo,
		Fingerprint: fp, PortfolioFingerprint: pfp, Spec: spec, RunInfo: sim.RunInfo{Workers: p.Workers}}

	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(out, "."+Dir(i, k)+".*.tmp")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	write := func(name string, r *sim.Result, b *sim.LedgerResult) error {
		sum, err := writeFile(filepath.Join(tmp, name), func(w io.Writer) error { return writePaths(w, r, b, memory.DefaultAllocator) })
		if err != nil {
			return fmt.Errorf("shard %d of %d: %s: %w", i, k, name, err)
		}
		m.Files = append(m.Files, File{Name: name, SHA256: sum})
		if r.ContagionLoss == nil {
			return nil
		}
		// Guarantee chains: the shard's largest cascades go with its paths.
		name = cascadesFile(name)
		sum, err = writeFile(filepath.Join(tmp, name), func(w io.Writer) error { return writeCascades(w, r.Cascades, memory.DefaultAllocator) })
		if err != nil {
			return fmt.Errorf("shard %d of %d: %s: %w", i, k, name, err)
		}
		m.Files = append(m.Files, File{Name: name, SHA256: sum})
		return nil
	}
	switch {
	case spec.Command == CommandSweep:
		grid, opt, err := spec.sweep(&sc)
		if err != nil {
			return nil, err
		}
		opt.Progress = progress
		opt.Execute = func(ctx context.Context, point int, sc *models.Scenario, p sim.Params) (*sim.Outcome, error) {
			o, err := sim.ExecutePaths(ctx, pf, sc, p)
			if err != nil {
				return nil, err
			}
			return nil, write(pointFile(point), o.Paths, o.Book)
		}
		if _, err := sim.Sweep(ctx, pf, grid, opt, p); err != nil {
			return nil, err
		}
	case spec.LossesOnly:
		model, err := sim.Compile(pf, &sc)
		if err != nil {
			return nil, fmt.Errorf("compile scenario %q: %w", sc.Name, err)
		}
		r, err := sim.Run(ctx, model, p)
		if err != nil {
			return nil, err
		}
		if err := write(pathsFile, r, nil); err != nil {
			return nil, err
		}
	default:
		o, err := sim.ExecutePaths(ctx, pf, &sc, p)
		if err != nil {
			return nil, err
		}
		if err := write(pathsFile, o.Paths, o.Book); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.RunInfo.ElapsedSeconds = time.Since(start).Seconds()
	if err := WriteManifest(tmp, m); err != nil {
		return nil, err
	}
	final := filepath.Join(out, Dir(i, k))
	if err := os.RemoveAll(final); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, err
	}
	return m, nil
}

// WriteManifest writes m to dir/manifest.json (all or nothing).
func WriteManifest(dir string, m *Manifest) error {
	_, err := writeFile(filepath.Join(dir, ManifestFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
	return err
}

const pathsFile = "paths.arrow"

func pointFile(k int) string { return fmt.Sprintf("point-%03d.arrow", k) }

// writeFile writes path through a temporary file renamed into place and
// returns the SHA-256 of what it wrote.
func writeFile(path string, write func(io.Writer) error) (sum string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	if err := write(bw); err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	if err := f.Chmod(0o644); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// shardDir is a shard's manifest and folder.
type shardDir struct {
	dir string
	m   *Manifest
}

// Find returns the shard folders among dirs: a folder with a manifest.json
// is a shard; any other folder is searched for shard-* folders (a shared
// output folder). A folder with neither is an error.
func Find(dirs []string) ([]string, error) {
	var out []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, ManifestFile)); err == nil {
			out = append(out, d)
			continue
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			return nil, err
		}
		n := len(out)
		for _, e := range entries {
			if e.IsDir() && strings.HasPrefix(e.Name(), "shard-") {
				if _, err := os.Stat(filepath.Join(d, e.Name(), ManifestFile)); err == nil {
					out = append(out, filepath.Join(d, e.Name()))
				}
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("%w: %s holds no shard (no %s, no shard-* folder with one)", models.ErrNotFound, d, ManifestFile)
		}
	}
	return out, nil
}

// readManifest reads dir/manifest.json.
func readManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: shard %s: %s: %v", models.ErrInvalid, dir, ManifestFile, err)
	}
	if m.Schema != Schema {
		return nil, fmt.Errorf("%w: shard %s: schema %q, want %q", models.ErrInvalid, dir, m.Schema, Schema)
	}
	return &m, nil
}

// collect reads the shards' manifests and checks that they are the K
// shards of one run, each once: same inputs (fingerprint), seed, paths and
// K, every index 0..K−1 present, each with its range of paths. Every
// problem names the shard's folder; all are reported together.
func collect(dirs []string) ([]shardDir, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%w: no shards to merge", models.ErrInvalid)
	}
	var shards []shardDir
	var errs []error
	for _, d := range dirs {
		m, err := readManifest(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		shards = append(shards, shardDir{d, m})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortStableFunc(shards, func(a, b shardDir) int { return a.m.Shard - b.m.Shard })
	ref := shards[0]
	bad := func(s shardDir, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: shard %s (%d of %d): %s", models.ErrConflict, s.dir, s.m.Shard, s.m.Shards, fmt.Sprintf(format, args...)))
	}
	for _, s := range shards[1:] {
		m, r := s.m, ref.m
		switch {
		case m.Spec.Command != r.Spec.Command:
			bad(s, "is a %s, shard %s is a %s", m.Spec.Command, ref.dir, r.Spec.Command)
		case m.Spec.Seed != r.Spec.Seed:
			bad(s, "seed %d, shard %s has seed %d", m.Spec.Seed, ref.dir, r.Spec.Seed)
		case m.Spec.Paths != r.Spec.Paths:
			bad(s, "%d paths in all, shard %s has %d", m.Spec.Paths, ref.dir, r.Spec.Paths)
		case m.Shards != r.Shards:
			bad(s, "one of %d shards, shard %s is one of %d", m.Shards, ref.dir, r.Shards)
		case m.PortfolioFingerprint != r.PortfolioFingerprint:
			bad(s, "ran on another portfolio (%s) than shard %s (%s)", m.PortfolioFingerprint, ref.dir, r.PortfolioFingerprint)
		case m.Fingerprint != r.Fingerprint:
			bad(s, "other inputs (scenario or options: fingerprint %s) than shard %s (%s)", m.Fingerprint, ref.dir, r.Fingerprint)
		}
	}
	K := ref.m.Shards
	seen := map[int]string{}
	for _, s := range shards {
		m := s.m
		if fp, err := Fingerprint(m.Spec, m.PortfolioFingerprint); err != nil || fp != m.Fingerprint {
			bad(s, "its fingerprint does not match its spec (the manifest was edited)")
		}
		if m.Shard < 0 || m.Shard >= m.Shards || m.Shards > m.Spec.Paths {
			bad(s, "not a shard of %d paths", m.Spec.Paths)
			continue
		}
		if lo, hi := sim.ShardRange(m.Shard, m.Shards, m.Spec.Paths); m.FirstPath != lo || m.Paths != hi-lo {
			bad(s, "paths %d..%d, shard %d of %d is paths %d..%d", m.FirstPath, m.FirstPath+m.Paths-1, m.Shard, m.Shards, lo, hi-1)
		}
		if other, dup := seen[m.Shard]; dup {
			bad(s, "shard %d of %d twice: also %s", m.Shard, m.Shards, other)
		}
		seen[m.Shard] = s.dir
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for i := range K {
		if _, ok := seen[i]; !ok {
			errs = append(errs, fmt.Errorf("%w: shard %s (%d of %d) is missing; have %s", models.ErrNotFound, Dir(i, K), i, K, have(seen)))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return shards, nil
}

// have lists the shard folders found.
func have(seen map[int]string) string {
	var ds []string
	for _, d := range seen {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return strings.Join(ds, ", ")
}

// Merged is a merge's outcome: the document of the single run the shards
// make up (Doc for run, Sweep for sweep, Topup for topup) and what it came
// from. Its RunInfo is the caller's to set (Shards gives the shards').
type Merged struct {
	Spec      Spec
	Portfolio *models.Portfolio
	Scenario  models.Scenario
	Doc       *sim.Document
	Sweep     *sim.SweepResult
	Topup     *sim.TopupResult
	manifests []*Manifest
}

// Shards returns the run info of each shard, in shard order.
func (m *Merged) Shards() []sim.ShardInfo {
	var out []sim.ShardInfo
	for _, s := range m.manifests {
		out = append(out, sim.ShardInfo{Index: s.Shard, Count: s.Shards, FirstPath: s.FirstPath, Paths: s.Paths,
			Workers: s.RunInfo.Workers, ElapsedSeconds: s.RunInfo.ElapsedSeconds})
	}
	return out
}

// Loader reads a portfolio from a snapshot folder ("" is the embedded
// example).
type Loader func(path string) (*models.Portfolio, error)

// Merge checks the shards in dirs (shard folders, or folders holding them:
// Find) and merges them into the document of the single run of their
// spec. The portfolio is read with load from portfolio, or, when
// portfolio is nil, from the folder the shards were given; its
// fingerprint must be the shards'.
func Merge(ctx context.Context, dirs []string, load Loader, portfolio *string, workers int) (*Merged, error) {
	found, err := Find(dirs)
	if err != nil {
		return nil, err
	}
	shards, err := collect(found)
	if err != nil {
		return nil, err
	}
	ref := shards[0].m
	spec := ref.Spec
	if err := spec.check(); err != nil {
		return nil, err
	}
	path := spec.Portfolio
	if portfolio != nil {
		path = *portfolio
	}
	pf, err := load(path)
	if err != nil {
		return nil, err
	}
	if got := PortfolioFingerprint(pf); got != ref.PortfolioFingerprint {
		name := path
		if name == "" {
			name = "the embedded example"
		}
		return nil, fmt.Errorf("%w: portfolio %s (%s) is not the one the shards ran on (%s)", models.ErrConflict, name, got, ref.PortfolioFingerprint)
	}
	sc, p, err := spec.inputs(workers)
	if err != nil {
		return nil, err
	}
	out := &Merged{Spec: spec, Portfolio: pf, Scenario: sc}
	for _, s := range shards {
		out.manifests = append(out.manifests, s.m)
	}
	// read joins file name of every shard, in path order.
	read := func(name string, ledger bool) (*sim.Result, *sim.LedgerResult, error) {
		d, err := fileDims(shards[0], name, ledger, spec.IS != 0)
		if err != nil {
			return nil, nil, err
		}
		d.chains = len(pf.Links) > 0
		var rs []*sim.Result
		var bs []*sim.LedgerResult
		for _, s := range shards {
			r, b, err := readShardFile(s, name, d)
			if err != nil {
				return nil, nil, err
			}
			if d.chains {
				if r.Cascades, err = readShardCascades(s, cascadesFile(name)); err != nil {
					return nil, nil, err
				}
			}
			r.Seed, r.Sampler = p.Seed, p.Sampler
			rs = append(rs, r)
			bs = append(bs, b)
		}
		r, err := sim.ConcatResults(rs)
		if err != nil {
			return nil, nil, err
		}
		if !ledger {
			return r, nil, nil
		}
		b, err := sim.ConcatLedgers(bs)
		return r, b, err
	}
	switch {
	case spec.Command == CommandSweep:
		grid, opt, err := spec.sweep(&sc)
		if err != nil {
			return nil, err
		}
		opt.Execute = func(ctx context.Context, point int, sc *models.Scenario, p sim.Params) (*sim.Outcome, error) {
			r, b, err := read(pointFile(point), true)
			if err != nil {
				return nil, err
			}
			return sim.Assemble(ctx, pf, sc, r, b, p)
		}
		if out.Sweep, err = sim.Sweep(ctx, pf, grid, opt, p); err != nil {
			return nil, err
		}
	case spec.LossesOnly:
		r, _, err := read(pathsFile, false)
		if err != nil {
			return nil, err
		}
		if out.Doc, err = sim.AssembleLosses(pf, &sc, r, p); err != nil {
			return nil, err
		}
	default:
		r, b, err := read(pathsFile, true)
		if err != nil {
			return nil, err
		}
		o, err := sim.Assemble(ctx, pf, &sc, r, b, p)
		if err != nil {
			return nil, err
		}
		out.Doc = o.Doc
		if spec.Command == CommandTopup {
			if out.Topup, err = sim.Topup(o, spec.Topup.Confidences); err != nil {
				return nil, err
			}
			if spec.Topup.Joint {
				if out.Topup.Joint, err = sim.JointTopupOf(o, spec.Topup.Confidences[0]); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// fileDims reads the dimensions of file name from shard s's schema
// metadata (years, guarantors, county funds). Every shard's file is then
// held to them (readPaths), and sim.Assemble holds them to the compiled
// run's, so a file of other dimensions is an error, never misread.
func fileDims(s shardDir, name string, ledger, weight bool) (dims, error) {
	d := dims{ledger: ledger, weight: weight}
	f, err := openChecked(s, name)
	if err != nil {
		return d, err
	}
	defer f.Close()
	fr, err := ipc.NewFileReader(f)
	if err != nil {
		return d, fmt.Errorf("shard %s: %s: %w", s.dir, name, err)
	}
	defer fr.Close()
	md := fr.Schema().Metadata()
	for _, v := range []struct {
		key string
		dst *int
	}{{"horizon", &d.H}, {"guarantors", &d.G}, {"counties", &d.C}} {
		i := md.FindKey(v.key)
		if i < 0 {
			return d, fmt.Errorf("%w: shard %s: %s has no %q metadata", models.ErrInvalid, s.dir, name, v.key)
		}
		n, err := strconv.Atoi(md.Values()[i])
		if err != nil || n < 0 || n > 1<<20 {
			return d, fmt.Errorf("%w: shard %s: %s: metadata %s = %q", models.ErrInvalid, s.dir, name, v.key, md.Values()[i])
		}
		*v.dst = n
	}
	if !ledger {
		d.G, d.C = 0, 0
	}
	return d, nil
}

// readShardFile reads file name of shard s after checking its SHA-256
// against the manifest.
func readShardFile(s shardDir, name string, d dims) (*sim.Result, *sim.LedgerResult, error) {
	f, err := openChecked(s, name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r, b, err := readPaths(f, f.Name(), d, s.m.FirstPath, s.m.Paths, memory.DefaultAllocator)
	if err != nil {
		return nil, nil, fmt.Errorf("shard %s: %w", s.dir, err)
	}
	return r, b, nil
}

// readShardCascades reads cascades file name of shard s after checking its
// SHA-256 against the manifest.
func readShardCascades(s shardDir, name string) ([]sim.Cascade, error) {
	f, err := openChecked(s, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cs, err := readCascades(f, f.Name(), s.m.FirstPath, s.m.Paths, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("shard %s: %w", s.dir, err)
	}
	return cs, nil
}

// openChecked opens file name of shard s after checking its SHA-256
// against the manifest's.
func openChecked(s shardDir, name string) (*os.File, error) {
	var want string
	for _, f := range s.m.Files {
		if f.Name == name {
			want = f.SHA256
		}
	}
	if want == "" {
		return nil, fmt.Errorf("%w: shard %s: its manifest lists no %s", models.ErrNotFound, s.dir, name)
	}
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return nil, fmt.Errorf("shard %s: %w", s.dir, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		f.Close()
		return nil, fmt.Errorf("shard %s: %w", s.dir, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != want {
		f.Close()
		return nil, fmt.Errorf("%w: shard %s: %s has SHA-256 %s, its manifest says %s (changed or cut short)", models.ErrInvalid, s.dir, name, got, want)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("shard %s: %w", s.dir, err)
	}
	return f, nil
}
