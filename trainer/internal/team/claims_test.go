package team

import (
	"slices"
	"sync"
	"testing"
)

// TestClaimsOwnRangeFirst: with every part taking part, each takes its own
// range in order, and nobody takes a chunk twice.
func TestClaimsOwnRangeFirst(t *testing.T) {
	c := NewClaims(3)
	c.Reset()
	var got [3][]int
	for part, n := range []int{3, 3, 4} { // its range's size: it takes nothing of another's
		for range n {
			got[part] = append(got[part], c.Next(part, 10))
		}
	}
	want := [3][]int{{0, 1, 2}, {3, 4, 5}, {6, 7, 8, 9}}
	if !slices.EqualFunc(got[:], want[:], slices.Equal) {
		t.Fatalf("own ranges: got %v, want %v", got, want)
	}
}

// TestClaimsSteal: a part that never shows up leaves its range to the
// others; a part whose range is done takes the rest of the next one's.
func TestClaimsSteal(t *testing.T) {
	c := NewClaims(2)
	c.Reset()
	var got []int
	for k := c.Next(0, 7); k < 7; k = c.Next(0, 7) {
		got = append(got, k)
	}
	if want := []int{0, 1, 2, 3, 4, 5, 6}; !slices.Equal(got, want) {
		t.Fatalf("part 0 alone: got %v, want %v", got, want)
	}
	if k := c.Next(1, 7); k != 7 {
		t.Fatalf("part 1 after everything was taken: got %d, want 7 (none left)", k)
	}
	c.Reset()
	if k := c.Next(1, 7); k != 3 {
		t.Fatalf("after Reset, part 1's first chunk: got %d, want 3", k)
	}
}

// TestClaimsEachOnce races every part of a team over many ops: every chunk
// is taken exactly once per op, whatever the interleaving.
func TestClaimsEachOnce(t *testing.T) {
	const parts, chunks, ops = 4, 37, 200
	c := NewClaims(parts)
	for range ops {
		c.Reset()
		counts := make([]int, chunks)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for part := range parts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := c.Next(part, chunks); k < chunks; k = c.Next(part, chunks) {
					mu.Lock()
					counts[k]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		for k, n := range counts {
			if n != 1 {
				t.Fatalf("chunk %d taken %d times", k, n)
			}
		}
	}
}
