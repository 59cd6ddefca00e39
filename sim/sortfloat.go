package sim

import (
	"cmp"
	"math"
	"slices"
	"sync"
)

// scratchPool holds sortFloats' second buffers.
var scratchPool = sync.Pool{New: func() any { return new([]uint64) }}

// sortFloats sorts x ascending exactly as slices.Sort does, in O(n) when x
// holds no NaN (with a NaN it hands x to slices.Sort, which puts NaNs
// first): an LSD radix sort on the order-keeping integer image of each
// float64 (floatKey), one pass per byte, skipping the bytes that
// all keys share. Per-path samples of 10⁴–10⁶ losses sort in a fraction of
// pdqsort's time. scratch, if long enough, is used as the second buffer;
// otherwise one comes from a pool, so that sorting many series (a ledger's
// metrics) does not leave a buffer of garbage behind each.
func sortFloats(x []float64, scratch []uint64) {
	n := len(x)
	if n < 256 {
		slices.Sort(x)
		return
	}
	if cap(scratch) < 2*n {
		buf := scratchPool.Get().(*[]uint64)
		defer scratchPool.Put(buf)
		if cap(*buf) < 2*n {
			*buf = make([]uint64, 2*n)
		}
		scratch = *buf
	}
	if slices.ContainsFunc(x, func(v float64) bool { return v != v }) {
		slices.Sort(x)
		return
	}
	a := scratch[:n]
	varying := radixKeys(a, x)
	none := make([]struct{}, n) // zero-size: no allocation
	a, _ = radixSort(a, scratch[n:2*n], none, none, varying)
	for i, k := range a {
		x[i] = keyFloat(k)
	}
}

// floatKey is the order-keeping integer image of v (not a NaN): the sign
// bit flipped for non-negatives, every bit flipped for negatives, so that
// unsigned order is the order of the floats. keyFloat inverts it.
func floatKey(v float64) uint64 {
	k := math.Float64bits(v)
	if k>>63 == 0 {
		return k | 1<<63
	}
	return ^k
}

func keyFloat(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// radixKeys sets a[i] = floatKey(x[i]) and returns the bits in which the
// keys differ (OR ^ AND of all keys): a byte that is zero there needs no
// pass.
func radixKeys(a []uint64, x []float64) (varying uint64) {
	var or, and uint64 = 0, math.MaxUint64
	for i, v := range x {
		k := floatKey(v)
		a[i] = k
		or |= k
		and &= k
	}
	return or ^ and
}

// radixSort sorts the keys a ascending by an LSD radix sort: one stable
// counting pass per byte, from the lowest, skipping the bytes in which no
// two keys differ (varying, from radixKeys). b (as long as a) is the
// second buffer the passes alternate with. The values wa move with their
// keys, wb being their second buffer: weights, or []struct{} (which
// takes no memory and compiles to no moves) to carry nothing. It returns
// the buffers that hold the sorted keys and values: a and wa after an
// even number of passes, b and wb after an odd one.
func radixSort[V any](a, b []uint64, wa, wb []V, varying uint64) ([]uint64, []V) {
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		if varying>>shift&0xff == 0 {
			continue // every key has the same byte here
		}
		digitStarts(&count, a, shift)
		radixPass(&count, a, b, wa, wb, shift)
		a, b = b, a
		wa, wb = wb, wa
	}
	return a, wa
}

// radixPass moves each key of a, and its value in wa, to its place by
// the byte at shift in b and wb; count[d] is the next place of byte value
// d (digitStarts). It is kept out of line so that the keys' loop holds
// its variables in registers: inlined into radixSort's pass loop, it
// spilled the key and the index to the stack on every key.
//
//go:noinline
func radixPass[V any](count *[256]int, a, b []uint64, wa, wb []V, shift uint) {
	wa, b, wb = wa[:len(a)], b[:len(a)], wb[:len(a)] // one bounds check a key, as b[j]'s proves wb[j]'s
	for i, k := range a {
		d := k >> shift & 0xff
		j := count[d]
		b[j] = k
		wb[j] = wa[i]
		count[d] = j + 1
	}
}

// digitStarts sets count[d] to the first position of byte value d (at
// shift) in the keys a sorted by that byte: the prefix sums of its counts.
func digitStarts(count *[256]int, a []uint64, shift uint) {
	*count = [256]int{}
	for _, k := range a {
		count[k>>shift&0xff]++
	}
	pos := 0
	for d, c := range count {
		count[d] = pos
		pos += c
	}
}

// weightPool holds sortWeighted's second buffers of weights.
var weightPool = sync.Pool{New: func() any { return new([]float64) }}

// sortWeighted sorts x ascending and moves w (len(w) == len(x)) with it:
// afterwards w[i] is the weight of the value now at x[i]. It is
// sortFloats' LSD radix sort with the weights carried through every pass,
// so it is O(n) and stable (equal values keep their order: the paths'
// order); with a NaN in x it falls back to a stable comparison sort that
// puts NaNs first, as slices.Sort does. Importance-sampling runs sort
// every metric's (value, weight) pairs this way (newWeightedSample).
func sortWeighted(x, w []float64) {
	n := len(x)
	if n < 256 || slices.ContainsFunc(x, func(v float64) bool { return v != v }) {
		sortWeightedStable(x, w)
		return
	}
	kb := scratchPool.Get().(*[]uint64)
	defer scratchPool.Put(kb)
	if cap(*kb) < 2*n {
		*kb = make([]uint64, 2*n)
	}
	wbuf := weightPool.Get().(*[]float64)
	defer weightPool.Put(wbuf)
	if cap(*wbuf) < n {
		*wbuf = make([]float64, n)
	}
	a := (*kb)[:n]
	varying := radixKeys(a, x)
	a, wa := radixSort(a, (*kb)[n:2*n], w, (*wbuf)[:n], varying)
	for i, k := range a {
		x[i] = keyFloat(k)
	}
	if &wa[0] != &w[0] {
		copy(w, wa) // an odd number of passes left the weights in the buffer
	}
}

// sortWeightedStable is sortWeighted by a stable comparison sort (NaNs
// first), for short samples and samples with a NaN.
func sortWeightedStable(x, w []float64) {
	pairs := make([]weighted, len(x))
	for p := range x {
		pairs[p] = weighted{x[p], w[p]}
	}
	slices.SortStableFunc(pairs, func(a, b weighted) int { return cmp.Compare(a.x, b.x) })
	for p, q := range pairs {
		x[p], w[p] = q.x, q.w
	}
}
