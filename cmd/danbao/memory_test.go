package main

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestSetMemoryLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetMemoryLimit(math.MaxInt64)
	if got := setMemoryLimit(400 << 20); got != 500<<20 || debug.SetMemoryLimit(-1) != 500<<20 {
		t.Errorf("budget 400 MiB: limit %d, runtime %d; want 500 MiB (1.25×)", got, debug.SetMemoryLimit(-1))
	}
	// This machine's memory, as /proc/meminfo or the cgroup says: at
	// least 256 MiB, and the default budget is half of it.
	m := machineMemory()
	if m < 256<<20 || defaultMaxMemoryMiB() != int64(float64(m)*memoryShare)>>20 {
		t.Errorf("machine memory %d, default --max-memory %d MiB", m, defaultMaxMemoryMiB())
	}
}
