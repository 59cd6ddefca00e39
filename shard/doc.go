// Package shard splits a run, sweep or top-up across processes and merges
// the pieces into exactly the document one process gives (docs/shards.md).
//
// Shard i of K computes paths [⌊i·P/K⌋, ⌊(i+1)·P/K⌋) of the P paths
// (sim.ShardRange) and writes, in its own folder, every per-path figure the
// document is computed from (Arrow IPC files, one per simulated scenario)
// and a manifest: the inputs' fingerprint, the seed, the paths, i and K,
// and the resolved inputs themselves, so that the merge needs nothing but
// the folders and the portfolio. Merge checks that the K shards are all
// there, once each, from the same inputs, joins their per-path figures in
// path order and summarizes them with the code the single run uses
// (sim.Assemble), so the merged document equals the single run's byte for
// byte apart from run_info. This works because path p's random numbers
// come from the stream keyed by (seed, p) alone.
package shard
