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
// holds no NaN (with a NaN it hands x to slices.Sort, which puts NaNs first): an LSD radix sort on the order-keeping
// integer image of each float64 (sign bit flipped for non-negatives, every
// bit flipped for negatives), one pass per byte, skipping the bytes that
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
	a, b := scratch[:n], scratch[n:2*n]
	var or, and uint64 = 0, math.MaxUint64
	for i, v := range x {
		if v != v {
			slices.Sort(x)
			return
		}
		k := math.Float64bits(v)
		if k>>63 == 0 {
			k |= 1 << 63
		} else {
			k = ^k
		}
		a[i] = k
		or |= k
		and &= k
	}
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		if (or^and)>>shift&0xff == 0 {
			continue // every key has the same byte here
		}
		count = [256]int{}
		for _, k := range a {
			count[k>>shift&0xff]++
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for _, k := range a {
			d := k >> shift & 0xff
			b[count[d]] = k
			count[d]++
		}
		a, b = b, a
	}
	for i, k := range a {
		if k>>63 == 1 {
			k &^= 1 << 63
		} else {
			k = ^k
		}
		x[i] = math.Float64frombits(k)
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
	a, b := (*kb)[:n], (*kb)[n:2*n]
	wa, wb := w, (*wbuf)[:n]
	var or, and uint64 = 0, math.MaxUint64
	for i, v := range x {
		k := math.Float64bits(v)
		if k>>63 == 0 {
			k |= 1 << 63
		} else {
			k = ^k
		}
		a[i] = k
		or |= k
		and &= k
	}
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		if (or^and)>>shift&0xff == 0 {
			continue // every key has the same byte here
		}
		count = [256]int{}
		for _, k := range a {
			count[k>>shift&0xff]++
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for i, k := range a {
			d := k >> shift & 0xff
			b[count[d]] = k
			wb[count[d]] = wa[i]
			count[d]++
		}
		a, b = b, a
		wa, wb = wb, wa
	}
	for i, k := range a {
		if k>>63 == 1 {
			k &^= 1 << 63
		} else {
			k = ^k
		}
		x[i] = math.Float64frombits(k)
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
