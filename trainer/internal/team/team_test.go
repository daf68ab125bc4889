package team

import (
	"sync/atomic"
	"testing"
)

func TestSpan(t *testing.T) {
	for _, c := range []struct{ n, unit, parts int }{{128, 16, 3}, {5408, 6, 4}, {7, 1, 8}, {0, 1, 2}} {
		next := 0
		for part := range c.parts {
			lo, hi := Span(c.n, c.unit, part, c.parts)
			if lo != next || hi < lo || (lo%c.unit != 0 && lo != c.n) {
				t.Fatalf("%+v part %d: [%d,%d) after %d", c, part, lo, hi, next)
			}
			next = hi
		}
		if next != c.n {
			t.Fatalf("%+v: covered %d", c, next)
		}
	}
}

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
