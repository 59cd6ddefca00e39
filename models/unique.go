package models

import (
	"hash/maphash"
	"math/bits"
	"slices"
)

// duplicate is a row whose key an earlier row has: element row repeats the
// key of element first, the first element with that key.
type duplicate struct{ row, first int }

// duplicates returns the elements 0..n-1 whose key (key(i)) an earlier
// element has, each with the first element of that key, in order of row.
// Empty keys are skipped (Validate reports them as empty). It answers what
// a map from key to first index would, without the map: for a million
// loan ids the map's random probes cost about 0.3 s, this about a tenth.
//
// Each non-empty key becomes one uint64: the top 64−b bits of its hash
// (hash/maphash, with a seed drawn per call so that no input can be built
// to collide), the low b bits its index i, b = bits.Len(n). A stable radix
// sort on the hash bits only puts equal hashes next to each other with
// their indices still ascending; each run of equal hashes is then split by
// exact comparison of the keys. A collision of two different keys thus
// costs a comparison, never a wrong answer, and the answer does not depend
// on the seed.
func duplicates(n int, key func(i int) string) []duplicate {
	seed := maphash.MakeSeed()
	return duplicatesHashed(n, key, func(k string) uint64 { return maphash.String(seed, k) })
}

// duplicatesHashed is duplicates with the hash function given (tests give
// one that collides).
func duplicatesHashed(n int, key func(i int) string, hash func(string) uint64) []duplicate {
	if n < 2 {
		return nil
	}
	b := uint(bits.Len(uint(n)))
	low := uint64(1)<<b - 1
	words := make([]uint64, 0, n)
	for i := range n {
		if k := key(i); k != "" {
			words = append(words, hash(k)&^low|uint64(i))
		}
	}
	radixSortHigh(words, b)

	var dups []duplicate
	var firsts []int // the distinct keys of the current run, by first index
	for lo := 0; lo < len(words); {
		hi := lo + 1
		for hi < len(words) && words[hi]&^low == words[lo]&^low {
			hi++
		}
		if hi-lo > 1 {
			firsts = firsts[:0]
			for _, w := range words[lo:hi] {
				i := int(w & low)
				k := key(i)
				j := slices.IndexFunc(firsts, func(f int) bool { return key(f) == k })
				if j < 0 {
					firsts = append(firsts, i)
				} else {
					dups = append(dups, duplicate{row: i, first: firsts[j]})
				}
			}
		}
		lo = hi
	}
	slices.SortFunc(dups, func(x, y duplicate) int { return x.row - y.row })
	return dups
}

// radixSortHigh sorts words by their bits above the lowest b, stably
// (least significant digit first, 11 bits a pass), so words of equal high
// bits keep their order. Fewer than two words are sorted already (and
// every key may be empty, leaving none).
func radixSortHigh(words []uint64, b uint) {
	if len(words) < 2 {
		return
	}
	const digit = 11
	buf := make([]uint64, len(words))
	src, dst := words, buf
	for shift := b; shift < 64; shift += digit {
		var count [1 << digit]int
		for _, w := range src {
			count[w>>shift&(1<<digit-1)]++
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for _, w := range src {
			d := w >> shift & (1<<digit - 1)
			dst[count[d]] = w
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &words[0] {
		copy(words, src)
	}
}
