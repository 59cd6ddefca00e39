package sim

// RunInfo is what varies between two runs of the same inputs: how the
// work was done, not what it found. Every document (result, sweep, top-up,
// solve) carries it as "run_info", so two runs of the same portfolio,
// scenario, seed, paths and options give documents that are identical byte
// for byte apart from it (and, for one release, apart from the deprecated
// top-level copies "workers" and "elapsed_seconds" of its first two fields).
type RunInfo struct {
	// Workers is the parallelism of the run (never changes results); for a
	// merge, the merging process's.
	Workers int `json:"workers"`
	// ElapsedSeconds is the wall time of the run, measured by the caller
	// (sim reads no clock); for a merge, the merge's own time.
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	// Shards lists the shards a merged document was computed from (danbao
	// merge, docs/shards.md); absent for a single run.
	Shards []ShardInfo `json:"shards,omitempty"`
}

// ShardInfo is one shard of a merged run: paths [FirstPath, FirstPath+Paths)
// of the run, shard Index of Count (0-based), with its own run info.
type ShardInfo struct {
	Index          int     `json:"index"`
	Count          int     `json:"count"`
	FirstPath      int     `json:"first_path"`
	Paths          int     `json:"paths"`
	Workers        int     `json:"workers"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
}

// SetRunInfo sets the run info and its deprecated top-level copies.
func (d *Document) SetRunInfo(ri RunInfo) {
	d.RunInfo, d.Workers, d.ElapsedSeconds = ri, ri.Workers, ri.ElapsedSeconds
}

// SetRunInfo sets the run info and its deprecated top-level copies.
func (r *SweepResult) SetRunInfo(ri RunInfo) {
	r.RunInfo, r.Workers, r.ElapsedSeconds = ri, ri.Workers, ri.ElapsedSeconds
}

// SetRunInfo sets the run info and its deprecated top-level copies.
func (r *TopupResult) SetRunInfo(ri RunInfo) {
	r.RunInfo, r.Workers, r.ElapsedSeconds = ri, ri.Workers, ri.ElapsedSeconds
}

// SetRunInfo sets the run info and its deprecated top-level copy.
func (r *SolveResult) SetRunInfo(ri RunInfo) {
	r.RunInfo, r.ElapsedSeconds = ri, ri.ElapsedSeconds
}

// Info returns the document's run info; for a document written before
// run_info existed, the one its deprecated top-level fields give.
func (d *Document) Info() RunInfo {
	if d.RunInfo.Workers == 0 && d.RunInfo.ElapsedSeconds == 0 {
		return RunInfo{Workers: d.Workers, ElapsedSeconds: d.ElapsedSeconds}
	}
	return d.RunInfo
}
