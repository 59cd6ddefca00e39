package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/wenzhou/danbao"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
)

// maxRows is --max-rows, a flag of every command: the most rows of a table
// that import, serve (uploads) and --portfolio (snapshot folders) read.
var maxRows int

func init() {
	rootCmd.PersistentFlags().IntVar(&maxRows, "max-rows", snapshot.DefaultMaxRows, "most rows of a table read from a file (uploads, import, --portfolio)")
}

// loadPortfolio reads the snapshot folder at path within --max-rows, or
// the embedded example when path is empty.
func loadPortfolio(path string) (*models.Portfolio, error) {
	if path == "" {
		return danbao.Example()
	}
	return snapshot.Options{Limits: snapshot.Limits{MaxRows: maxRows}}.Read(path)
}

// memoryShare is the part of the machine's memory --max-memory takes by
// default.
const memoryShare = 0.5

// fallbackMemory is the machine memory assumed where it cannot be read.
const fallbackMemory int64 = 8 << 30

// machineMemory returns the memory this process may use: the smaller of
// the machine's (MemTotal in /proc/meminfo) and its cgroup's limit
// (memory.max, cgroup v2), or fallbackMemory where neither can be read.
func machineMemory() int64 {
	total := int64(0)
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				if err == nil {
					total = kb << 10
				}
			}
		}
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	if total <= 0 {
		return fallbackMemory
	}
	return total
}

// defaultMaxMemoryMiB is --max-memory's default: memoryShare of
// machineMemory, in MiB.
func defaultMaxMemoryMiB() int64 { return int64(float64(machineMemory())*memoryShare) >> 20 }

// setMemoryLimit gives the Go runtime a soft memory limit of budget plus
// a quarter (debug.SetMemoryLimit): the budget admits jobs and uploads by
// their estimates; the quarter is for what the estimates leave out (the
// server itself, cached portfolios). Near the limit the collector runs
// more often, so the heap stays near what was admitted instead of growing
// to twice the live data, as GOGC=100 lets it. GOMEMLIMIT, when set, wins.
func setMemoryLimit(budget int64) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	limit := budget + budget/4
	debug.SetMemoryLimit(limit)
	return limit
}
