package sim

import (
	"math"
	"unsafe"

	"github.com/wenzhou/danbao/models"
)

// MemoryEstimate is the memory a full run (Execute) of a snapshot of loans
// loans and guarantors guarantors under sc is expected to need at its
// peak, as fixed + perPath × paths bytes, from the engine's own layouts
// (Model, Ledger, Result, LedgerResult, the document's summaries):
//
//	fixed   = book × (H × 48 + 512)           compiled model (per loan-year thresholds,
//	                                          losses, cells) and a decoded portfolio
//	        + workers × block × 130           the ledger's blocks of defaults: events (Event,
//	                                          24 B), their sort by loan (2 × blockEvent,
//	                                          16 B, and loss, 8 B) and county claims (cappedClaim, 32 B),
//	                                          25 % slack
//	        + 16 MiB
//	perPath = H × 12                          Result.Loss (int64) and Defaults (int32)
//	        + (G+1) × H × NMetrics × 8        ledger metrics per guarantor and the city
//	        + C × H × 16 + G × 8 + NParties×8 county outlays, capital need, party losses
//	        + 8                               importance-sampling weight
//	        + 64 × 8                          importance-sampling segment losses (county,
//	                                          industry, product, guarantor) for the ES
//	                                          contributions, at most maxRecordedSegments
//	        + 64                              summaries (float64 copies, sorting)
//
// with H the horizon, G the guarantors, C the counties, bounded by G + 13
// (Wenzhou's 12 county units and the city), book = BookLoans(loans, sc)
// and block = min(blockEvents(book), DefaultBlockSize × book × H / 10) the
// defaults a worker gathers before booking them (the second term assumes
// at most a tenth of the book defaults a year on a block's average path).
// The ledger terms are counted whether or not the run fills them, so the
// estimate stays an upper bound.
func MemoryEstimate(loans, guarantors, workers int, sc *models.Scenario) (fixed, perPath int64) {
	L, G, H := BookLoans(loans, sc), int64(guarantors), int64(sc.HorizonYears)
	C := G + 13
	block := min(int64(blockEvents(int(L))), defaultBlockSize*L*H/10) // defaults a worker holds at once
	fixed = L*(H*48+512) + int64(max(workers, 1))*block*blockEventBytes*5/4 + 16<<20
	perPath = H*12 + (G+1)*H*NMetrics*8 + C*H*16 + G*8 + NParties*8 + 8 + maxRecordedSegments*8 + 64
	return fixed, perPath
}

// SimulateMemoryEstimate is MemoryEstimate for Simulate (a run whose
// result is the document: danbao run, the API's runs) of paths paths. Its
// per-path metrics and county outlays, book = ((G+1) × NMetrics + 2 × C)
// × H × 8 bytes a path, stay in memory up to SpillMinBytes and go to a
// file from Params.Spill above (ledger_spill.go; page cache, not the
// process's memory; the API and danbao run always set it), so
//
//	fixed   = MemoryEstimate's fixed + min(book × paths, SpillMinBytes)
//	perPath = H × 12 + NParties × 8 + G × 8 + 8        losses, defaults, party losses, capital need, weight
//	        + (workers + 1) × NMetrics × 8             one (year, scope)'s metrics per worker
//	                                                   summarizing them, and the targets'
//	        + H × 16 + 64                              the targets' per-path flags, summaries
//	        + 64 × 8                                   importance-sampling segment losses, as
//	                                                   in MemoryEstimate
func SimulateMemoryEstimate(loans, guarantors, workers, paths int, sc *models.Scenario) (fixed, perPath int64) {
	fixed, _ = MemoryEstimate(loans, guarantors, workers, sc)
	G, H := int64(guarantors), int64(sc.HorizonYears)
	book := ((G+1)*NMetrics + 2*(G+13)) * H * 8
	perPath = H*12 + NParties*8 + G*8 + 8 + int64(max(workers, 1)+1)*NMetrics*8 + H*16 + 64 + maxRecordedSegments*8
	return fixed + min(book*int64(paths), SpillMinBytes), perPath
}

// blockEventBytes is what a default in a worker's block costs: its Event
// (24 B), its sort by loan (2 × blockEvent, 16 B, and under the
// stochastic LGD its loss beside it, 8 B) and its county claim
// (cappedClaim, 32 B).
const blockEventBytes = 24 + 2*24 + 32

// BookLoans estimates the loans of the compiled book (Compile): the
// snapshot's n, plus, unless growth.run_off, the new business that keeps
// each guarantor's balance on B₀·(1 + rate)^(t+1). A year writes at most
// its whole target book again (when everything matures within the year),
// in copies of the book's own loans, so about
//
//	n · (1 + Σ_{t<H} (1 + rate)^(t+1))
//
// loans; on the example's 1–3-year terms the compiled book over 3 years is
// 3.5 n against 4 n here.
func BookLoans(n int, sc *models.Scenario) int64 {
	if sc.Growth.RunOff {
		return int64(n)
	}
	f, g := 1.0, 1.0
	for range sc.HorizonYears {
		g *= 1 + max(sc.Growth.Rate, 0)
		f += g
	}
	return int64(math.Ceil(float64(n) * f))
}

// ChainsMemoryEstimate is what guarantee chains (links links, the
// snapshot's Links) add to MemoryEstimate's and SimulateMemoryEstimate's
// fixed and perPath for a book of loans loans under sc; zero without links.
// With F ≤ 2 × links the firms in a link, book = BookLoans(loans, sc) and
// W the workers:
//
//	fixed   = links × (176                  a decoded models.Link (48 B) and its two ids (≤ 64 B each)
//	                 + 2 × (320 + 8H)       per firm: names, numbering maps, capacities,
//	                                        year ranges, cells, contributions' maps
//	                 + 32                   the compiled link (inLink)
//	                 + W × 88)              each worker's link (40 B) and firm states (2 × 24 B)
//	        + book × (20 + 65H)             a loan's firm and root number, the firms' loans by
//	                                        year (yearLoan, 40 B), the roots' records in member
//	                                        order (rootYear, 24 B) and their bits (¼ B)
//	        + W × (block₁ − block) × 120    blocks of defaults (as in MemoryEstimate) when
//	                                        contagion topples up to the whole book a year:
//	                                        block₁ = min(blockEvents(book), DefaultBlockSize × book × H)
//	        + W × 3 × groupEventCap × 24    each worker's group of paths drawn year by year
//	                                        (pathGroup): room for 2 × groupEventCap defaults
//	                                        (Event, 24 B) and one path-year's more
//	perPath = H × 12                        the contagion part of each path-year's
//	                                        loss (int64) and defaults (int32)
//
// plus a quarter for slack (maps and appends grow by doubling). The API's
// admission control adds it to the run's estimate, so that a links table
// far larger than its loans cannot get past it.
func ChainsMemoryEstimate(links, loans, workers int, sc *models.Scenario) (fixed, perPath int64) {
	if links <= 0 {
		return 0, 0
	}
	L, H, W := int64(links), int64(sc.HorizonYears), int64(max(workers, 1))
	book := BookLoans(loans, sc)
	fixed = L*(176+2*(320+8*H)+32+W*88) + book*(20+65*H)
	most := int64(blockEvents(int(book)))
	fixed += W * (min(most, defaultBlockSize*book*H) - min(most, defaultBlockSize*book*H/10)) * blockEventBytes
	fixed += W * 3 * groupEventCap * int64(unsafe.Sizeof(Event{}))
	return fixed * 5 / 4, H * 12
}
