// Package team runs one function on a fixed team of goroutines at once, for
// the many short parallel phases of a training step: the native engine's
// intra-op work and the trainer's replicas and element-wise updates.
package team

import (
	"runtime"
	"sync/atomic"
)

// Team is a persistent team of goroutines. Run hands the same function to
// every part at once; part 0 runs on the caller's goroutine.
//
// Helpers spin on a generation counter for a while before they park: a step
// is a handful of parallel ops microseconds apart, and a parked goroutine
// that is woken lands in the waker's run queue, where it may wait for the
// waker to block before it runs at all — the op then runs serially. Spinning
// keeps a helper on its own core for the whole step; between steps (Adam,
// data) it parks and costs nothing.
type Team struct {
	parts   int
	fn      func(part, parts int) // the current op; published by gen
	gen     atomic.Uint64         // bumped once per op
	pending atomic.Int64          // helpers still running the current op
	helpers []*helper
	quit    atomic.Bool
}

// helper is one parked-or-spinning goroutine of a team.
type helper struct {
	parked atomic.Bool
	wake   chan struct{} // buffered 1: a wake-up is never lost
}

// spinRounds bounds a helper's spinning (each round a few ns, with a yield
// every 64 so an oversubscribed machine still makes progress): tens of µs.
const spinRounds = 1 << 14

// New starts a team of parts goroutines (the caller being one of them).
func New(parts int) *Team {
	p := &Team{parts: max(parts, 1)}
	for i := range p.parts - 1 {
		h := &helper{wake: make(chan struct{}, 1)}
		p.helpers = append(p.helpers, h)
		go p.work(h, i+1)
	}
	return p
}

func (p *Team) work(h *helper, part int) {
	var seen uint64
	for {
		g := p.await(h, seen)
		if p.quit.Load() {
			return
		}
		seen = g
		p.fn(part, p.parts)
		p.pending.Add(-1)
	}
}

// await returns once the generation differs from seen: after spinning, or
// after parking until run (or close) wakes the helper.
func (p *Team) await(h *helper, seen uint64) uint64 {
	for {
		for i := range spinRounds {
			if g := p.gen.Load(); g != seen {
				return g
			}
			if i%64 == 63 {
				runtime.Gosched()
			}
		}
		h.parked.Store(true)
		if g := p.gen.Load(); g != seen { // an op arrived while parking
			if !h.parked.CompareAndSwap(true, false) {
				<-h.wake // run already sent a wake-up: consume it
			}
			return g
		}
		<-h.wake // run or close cleared parked and sent this
	}
}

// Run calls fn(part, parts) for every part and waits for all of them.
func (p *Team) Run(fn func(part, parts int)) {
	if len(p.helpers) == 0 {
		fn(0, 1)
		return
	}
	p.fn = fn
	p.pending.Store(int64(len(p.helpers)))
	p.gen.Add(1)
	p.wakeParked()
	fn(0, p.parts)
	for i := 0; p.pending.Load() != 0; i++ {
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
}

func (p *Team) wakeParked() {
	for _, h := range p.helpers {
		if h.parked.CompareAndSwap(true, false) {
			h.wake <- struct{}{}
		}
	}
}

// Close stops the helpers; the team must not be used afterwards.
func (p *Team) Close() {
	p.quit.Store(true)
	p.gen.Add(1)
	p.wakeParked()
	p.helpers = nil
}

// Span is part's share of n items cut into units of unit items (the last unit
// may be short): parts get whole units, so a split never cuts a unit.
func Span(n, unit, part, parts int) (lo, hi int) {
	units := (n + unit - 1) / unit
	lo = part * units / parts * unit
	hi = min(n, (part+1)*units/parts*unit)
	return min(lo, n), hi
}
