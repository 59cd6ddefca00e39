//go:build !amd64

package sim

// prefetchRecords does nothing here: booking waits for each record as
// it reads it (prefetch_amd64.go).
func prefetchRecords(evs []blockEvent, loans, loanSize, years, yearsSize uintptr) {}

// prefetchAddrs does nothing here (prefetch_amd64.go).
func prefetchAddrs(addrs []uintptr) {}
