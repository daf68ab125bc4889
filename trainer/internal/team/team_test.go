package team

import (
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkTeamRun is the cost of one parallel op with nothing to do.
func BenchmarkTeamRun(b *testing.B) {
	p := New(2)
	defer p.Close()
	var n atomic.Int64
	fn := func(part, parts int) { n.Add(1) }
	b.ReportAllocs()
	for b.Loop() {
		p.Run(fn)
	}
}

// TestRunParksAndWakes: every part runs once per Run, whether the waits end
// while spinning (no delay) or after parking (delays beyond the largest spin
// budget, on the caller's side and the helpers'), and the budget adapts:
// long waits park, short ones spin again afterwards.
func TestRunParksAndWakes(t *testing.T) {
	for _, parts := range []int{2, 3} {
		p := New(parts)
		counts := make([]atomic.Int64, parts)
		slow := -1 // the part that sleeps in the current op
		fn := func(part, n int) {
			if n != parts {
				t.Errorf("parts = %d, want %d", n, parts)
			}
			if part == slow {
				time.Sleep(3 * time.Millisecond)
			}
			counts[part].Add(1)
		}
		const rounds = 60
		for i := range rounds {
			switch {
			case i < 20:
				slow = -1
			case i < 40:
				slow = i % parts // helpers and caller take turns being late
			default:
				slow = -1
				if i%10 == 0 {
					time.Sleep(3 * time.Millisecond) // helpers wait past their budget between ops
				}
			}
			p.Run(fn)
			for part := range counts {
				if got := counts[part].Load(); got != int64(i+1) {
					t.Fatalf("parts=%d round %d: part %d ran %d times", parts, i, part, got)
				}
			}
		}
		st := p.Stats()
		if st.HelperParked == 0 || st.CallerParked == 0 || st.HelperSpun == 0 || st.CallerSpun == 0 {
			t.Errorf("parts=%d: stats %+v, want spun and parked waits on both sides", parts, st)
		}
		p.Close()
	}
}

// TestRunChunksSkipsLateHelpers: every chunk is done exactly once, by
// whoever claims it; a caller that finishes all chunks before a helper
// starts does not wait for it, and ops of both kinds can follow each other.
func TestRunChunksSkipsLateHelpers(t *testing.T) {
	for _, parts := range []int{1, 2, 3} {
		p := New(parts)
		const chunks = 64
		var next atomic.Int64
		done := make([]atomic.Int32, chunks)
		fn := func(part, n int) {
			for c := next.Add(1) - 1; c < chunks; c = next.Add(1) - 1 {
				done[c].Add(1)
			}
		}
		for round := range 200 {
			next.Store(0)
			if round%50 == 49 {
				time.Sleep(3 * time.Millisecond) // helpers park
			}
			p.RunChunks(fn)
			for c := range done {
				if got := done[c].Swap(0); got != 1 {
					t.Fatalf("parts=%d round %d: chunk %d done %d times", parts, round, c, got)
				}
			}
			if round%7 == 0 { // a plain Run in between still reaches every part
				var ran atomic.Int32
				p.Run(func(part, n int) { ran.Add(1) })
				if ran.Load() != int32(parts) {
					t.Fatalf("parts=%d: Run reached %d parts", parts, ran.Load())
				}
			}
		}
		p.Close()
	}
}
