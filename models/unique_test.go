package models

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// duplicatesByMap is what Validate did before duplicates: a map from key
// to the first index.
func duplicatesByMap(keys []string) []duplicate {
	seen := make(map[string]int)
	var dups []duplicate
	for i, k := range keys {
		if k == "" {
			continue
		}
		if first, ok := seen[k]; ok {
			dups = append(dups, duplicate{row: i, first: first})
		} else {
			seen[k] = i
		}
	}
	return dups
}

func TestDuplicatesExample(t *testing.T) {
	keys := []string{"L1", "L2", "", "L1", "L3", "L2", "", "L1"}
	got := duplicates(len(keys), func(i int) string { return keys[i] })
	want := []duplicate{{row: 3, first: 0}, {row: 5, first: 1}, {row: 7, first: 0}}
	if !slices.Equal(got, want) {
		t.Errorf("duplicates = %v, want %v", got, want)
	}
}

// TestDuplicatesMatchMap compares duplicates with the map on random keys
// drawn from a small set (many repeats), with the real hash and with hashes
// that collide: one that keeps only a key's length, and one constant.
func TestDuplicatesMatchMap(t *testing.T) {
	seed := maphash.MakeSeed()
	hashes := map[string]func(string) uint64{
		"maphash":  func(k string) uint64 { return maphash.String(seed, k) },
		"length":   func(k string) uint64 { return uint64(len(k)) << 58 },
		"constant": func(string) uint64 { return 0 },
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 100, 2047, 2048, 5000} {
		for _, distinct := range []int{1, 7, 1000, 1 << 30} {
			keys := make([]string, n)
			for i := range keys {
				if r.IntN(20) > 0 { // one in 20 empty
					keys[i] = "K" + strconv.Itoa(r.IntN(distinct))
				}
			}
			want := duplicatesByMap(keys)
			for name, h := range hashes {
				if name == "constant" && distinct > 1000 {
					continue // quadratic in the distinct keys of a run
				}
				got := duplicatesHashed(n, func(i int) string { return keys[i] }, h)
				if !slices.Equal(got, want) {
					t.Fatalf("n=%d distinct=%d hash %s: %d duplicates, want %d (first differing: %v)", n, distinct, name, len(got), len(want), firstDiff(got, want))
				}
			}
		}
	}
}

func firstDiff(a, b []duplicate) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%v against %v at %d", a[i], b[i], i)
		}
	}
	return "one is a prefix of the other"
}

func TestRadixSortHigh(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, b := range []uint{1, 5, 11, 20, 33} {
		words := make([]uint64, 3000)
		for i := range words {
			words[i] = r.Uint64()&^(1<<b-1) | uint64(i)&(1<<b-1)
			if i%3 == 0 && i > 0 { // equal high bits: order must stay
				words[i] = words[i-1]&^(1<<b-1) | uint64(i)&(1<<b-1)
			}
		}
		want := slices.Clone(words)
		slices.SortStableFunc(want, func(x, y uint64) int {
			x, y = x>>b, y>>b
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		})
		radixSortHigh(words, b)
		if !slices.Equal(words, want) {
			t.Fatalf("b=%d: radix sort differs from a stable sort on the high bits", b)
		}
	}
}

// TestDuplicatesEmptyKeys: rows whose keys are all empty (Validate reports
// each as empty) have no duplicates and nothing to sort; FuzzImportCSV
// found the sort indexing an empty slice.
func TestDuplicatesEmptyKeys(t *testing.T) {
	for _, keys := range [][]string{{"", ""}, {"", "", ""}, {"a", ""}, {"", "a", ""}} {
		if d := duplicates(len(keys), func(i int) string { return keys[i] }); len(d) != 0 {
			t.Errorf("duplicates(%q) = %v, want none", keys, d)
		}
	}
}

func BenchmarkDuplicates1M(b *testing.B) {
	keys := make([]string, 1_000_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("L%07d", i+1)
	}
	b.Run("sort", func(b *testing.B) {
		for b.Loop() {
			if d := duplicates(len(keys), func(i int) string { return keys[i] }); len(d) != 0 {
				b.Fatal(d)
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			if d := duplicatesByMap(keys); len(d) != 0 {
				b.Fatal(d)
			}
		}
	})
}
