package sim

import "unsafe"

// prefetchRecords asks the processor to start loading, for each default
// of evs, the first two cache lines of its loan's records, loanSize bytes
// apart from loans and yearsSize bytes apart from years (none when years
// is 0), without waiting for them (PREFETCHT0; prefetch_amd64.s).
//
//go:noescape
func prefetchRecords(evs []blockEvent, loans, loanSize, years, yearsSize uintptr)

// prefetch_amd64.s reads blockEvent.loan at offset 8: these fail to
// compile if it moves.
var (
	_ [8 - unsafe.Offsetof(blockEvent{}.loan)]struct{}
	_ [unsafe.Offsetof(blockEvent{}.loan) - 8]struct{}
)

// prefetchAddrs asks the processor to start loading the cache line at
// each address of addrs, without waiting for them (PREFETCHT0;
// prefetch_amd64.s). The addresses are those of live objects.
//
//go:noescape
func prefetchAddrs(addrs []uintptr)
