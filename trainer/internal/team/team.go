// Package team runs one function on a fixed team of goroutines at once, for
// the parallel phases of a training step: the native engine's intra-op work
// and the trainer's replicas and element-wise updates.
package team

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Team is a persistent team of goroutines. Run hands the same function to
// every part at once; part 0 runs on the caller's goroutine.
//
// Every wait (a helper for the next op, the caller for the helpers to
// finish) spins, then parks. Spinning pays when the other side arrives
// within a step: a parked goroutine that is woken lands in the waker's run
// queue, where it waits for an idle P to be woken and steal it (on a VM,
// tens to hundreds of µs for the idle vCPU to wake) before it runs at all,
// and the op then runs late or serially. Measured on the 2-vCPU VM: with
// spin budgets that fall to a few µs, one late hand-off parks a waiter, the
// next op waits for the wake-up, parks the other side, and a two-thread step
// ends slower than one thread's (2.3-2.6 ms against 1.15 ms). Spinning does
// not pay between steps that are far apart, nor on a machine with more
// runnable threads than cores, where a spinning thread burns the time slice
// that the thread it waits for, or anyone else, needs. So a waiter spins on
// an atomic load, gives its core to any other runnable thread every few µs
// (osYield: sched_yield on Linux, which returns at once on an idle machine),
// and parks only when the wait outlasts its budget (spinner): a budget that
// a wait ended within doubles, up to maxSpin, one that had to park halves,
// down to minSpin, which still covers every wait within a step.
type Team struct {
	parts   int
	fn      func(part, parts int) // the current op; published by gen
	gen     atomic.Uint64         // bumped once per op
	pending atomic.Int64          // helpers still running the current op
	helpers []*helper
	quit    atomic.Bool
	yield   bool // fewer Ps than parts: let the others run while spinning

	// The caller's wait for the helpers.
	spin   spinner
	parked atomic.Bool
	done   chan struct{} // buffered 1: the last helper's wake-up for a parked caller

	callerSpun, callerParked int64
}

// helper is one parked-or-spinning goroutine of a team.
type helper struct {
	parked atomic.Bool
	wake   chan struct{} // buffered 1: a wake-up is never lost
	spin   spinner

	spun, slept atomic.Int64 // waits that ended spinning, parked
}

// Stats counts a team's waits (for tests and measurements): Spun are waits
// that ended while spinning, Parked those that parked; Helper* are the
// helpers', Caller* the caller's. Only Run's caller may read them, between
// Runs.
type Stats struct {
	HelperSpun, HelperParked, CallerSpun, CallerParked int64
}

// Spin budget bounds, in nanoseconds: minSpin is well above the longest
// wait within a step (the native engine's serial output layer, about 30 µs,
// and a late helper's wake-up), maxSpin a few steps.
const (
	minSpin = 250_000
	maxSpin = 2_000_000
)

// spinner is one waiter's adaptive spin budget, in nanoseconds.
type spinner struct{ budget int64 }

// limit is the budget for the next wait.
func (s *spinner) limit() int64 {
	if s.budget == 0 {
		s.budget = maxSpin
	}
	return s.budget
}

// spun records a wait that ended while spinning; parked one that parked.
func (s *spinner) spun()   { s.budget = min(2*s.budget, maxSpin) }
func (s *spinner) parked() { s.budget = max(s.budget/2, minSpin) }

// spinning reports whether a waiter at iteration i (counted from 1) that
// started checking the clock at *start may go on spinning. Every 64
// iterations it checks the clock; every 1024 (a few µs) it offers the core to
// other threads, and the P to other goroutines where the team has more parts
// than Ps.
func spinning(i int, start *time.Time, budget int64, yield bool) bool {
	if i%64 != 0 {
		return true
	}
	if i == 64 {
		*start = time.Now()
	} else if time.Since(*start).Nanoseconds() > budget {
		return false
	}
	if yield {
		runtime.Gosched()
	} else if i%1024 == 0 {
		osYield()
	}
	return true
}

// New starts a team of parts goroutines (the caller being one of them).
func New(parts int) *Team {
	p := &Team{parts: max(parts, 1), done: make(chan struct{}, 1)}
	p.yield = runtime.GOMAXPROCS(0) < p.parts
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
		if p.pending.Add(-1) == 0 && p.parked.CompareAndSwap(true, false) {
			p.done <- struct{}{}
		}
	}
}

// await returns once the generation differs from seen: after spinning, or
// after parking until run (or close) wakes the helper.
func (p *Team) await(h *helper, seen uint64) uint64 {
	budget := h.spin.limit()
	var start time.Time
	for i := 1; spinning(i, &start, budget, p.yield); i++ {
		if g := p.gen.Load(); g != seen {
			h.spin.spun()
			h.spun.Add(1)
			return g
		}
	}
	h.spin.parked()
	h.slept.Add(1)
	h.parked.Store(true)
	if g := p.gen.Load(); g != seen { // an op arrived while parking
		if !h.parked.CompareAndSwap(true, false) {
			<-h.wake // run already sent a wake-up: consume it
		}
		return g
	}
	<-h.wake // run or close cleared parked and sent this
	return p.gen.Load()
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
	budget := p.spin.limit()
	var start time.Time
	for i := 1; spinning(i, &start, budget, p.yield); i++ {
		if p.pending.Load() == 0 {
			p.spin.spun()
			p.callerSpun++
			return
		}
	}
	p.spin.parked()
	p.callerParked++
	p.parked.Store(true)
	if p.pending.Load() == 0 {
		if !p.parked.CompareAndSwap(true, false) {
			<-p.done // the last helper already sent a wake-up: consume it
		}
		return
	}
	<-p.done
}

// Stats returns the team's wait counts so far.
func (p *Team) Stats() Stats {
	st := Stats{CallerSpun: p.callerSpun, CallerParked: p.callerParked}
	for _, h := range p.helpers {
		st.HelperSpun += h.spun.Load()
		st.HelperParked += h.slept.Load()
	}
	return st
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
