#include "textflag.h"

// func prefetchRecords(evs []blockEvent, loans, loanSize, years, yearsSize uintptr)
//
// For each default of evs, with i its loan (blockEvent.loan, at offset 8):
// PREFETCHT0 the first two cache lines at loans + loanSize·i and, when
// years is not 0, at years + yearsSize·i. A prefetch never faults.
TEXT ·prefetchRecords(SB), NOSPLIT, $0-56
	MOVQ evs_base+0(FP), SI
	MOVQ evs_len+8(FP), CX
	MOVQ loans+24(FP), DI
	MOVQ loanSize+32(FP), R10
	MOVQ years+40(FP), R8
	MOVQ yearsSize+48(FP), R9
	TESTQ CX, CX
	JEQ done
loop:
	MOVLQSX 8(SI), AX
	MOVQ AX, DX
	IMULQ R10, DX
	ADDQ DI, DX
	PREFETCHT0 (DX)
	PREFETCHT0 64(DX)
	TESTQ R8, R8
	JEQ next
	IMULQ R9, AX
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
next:
	ADDQ $16, SI
	DECQ CX
	JNE loop
done:
	RET

// func prefetchAddrs(addrs []uintptr)
//
// PREFETCHT0 the cache line at each address of addrs.
TEXT ·prefetchAddrs(SB), NOSPLIT, $0-24
	MOVQ addrs_base+0(FP), SI
	MOVQ addrs_len+8(FP), CX
	TESTQ CX, CX
	JEQ pdone
ploop:
	MOVQ (SI), AX
	PREFETCHT0 (AX)
	ADDQ $8, SI
	DECQ CX
	JNE ploop
pdone:
	RET
