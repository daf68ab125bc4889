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
// every part at once; part 0 runs on the caller's goroutine. RunChunks is
// for ops whose parts claim their work chunk by chunk: it waits only for the
// helpers that joined before the caller finished, so a helper whose thread
// the OS has not scheduled (another process on its core) never holds up the
// op; the caller does its chunks.
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
	parts int
	fn    func(part, parts int) // the current op; published by op
	// op is the current op's state: its generation (bumped once per op) in
	// the upper 32 bits, then plainOp (a Run: every part takes part),
	// closedOp (a RunChunks the caller has finished: no helper joins any
	// more) and the number of helpers inside a RunChunks' fn.
	op      atomic.Uint64
	pending atomic.Int64 // helpers still running the current Run
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

// Bits of Team.op below the generation.
const (
	plainOp   = 1 << 31
	closedOp  = 1 << 30
	joinedOps = closedOp - 1
)

func (p *Team) work(h *helper, part int) {
	var seen uint64
	for {
		w := p.await(h, seen)
		if p.quit.Load() {
			return
		}
		seen = w >> 32
		if w&plainOp != 0 { // a Run waits for every part
			p.fn(part, p.parts)
			if p.pending.Add(-1) == 0 && p.parked.CompareAndSwap(true, false) {
				p.done <- struct{}{}
			}
			continue
		}
		// A RunChunks: join unless the caller has finished (or moved on).
		for w>>32 == seen && w&closedOp == 0 && !p.op.CompareAndSwap(w, w+1) {
			w = p.op.Load()
		}
		if w>>32 != seen || w&closedOp != 0 {
			continue // too late: the next await sees a newer op, if any
		}
		p.fn(part, p.parts)
		if p.op.Add(^uint64(0))&(closedOp|joinedOps) == closedOp && p.parked.CompareAndSwap(true, false) {
			p.done <- struct{}{} // the last helper out of a closed op wakes the caller
		}
	}
}

// await returns the op word once its generation differs from seen: after
// spinning, or after parking until run (or close) wakes the helper.
func (p *Team) await(h *helper, seen uint64) uint64 {
	budget := h.spin.limit()
	var start time.Time
	for i := 1; spinning(i, &start, budget, p.yield); i++ {
		if w := p.op.Load(); w>>32 != seen {
			h.spin.spun()
			h.spun.Add(1)
			return w
		}
	}
	h.spin.parked()
	h.slept.Add(1)
	h.parked.Store(true)
	if w := p.op.Load(); w>>32 != seen { // an op arrived while parking
		if !h.parked.CompareAndSwap(true, false) {
			<-h.wake // run already sent a wake-up: consume it
		}
		return w
	}
	<-h.wake // run or close cleared parked and sent this
	return p.op.Load()
}

// publish makes fn the next op, with the given flags, and wakes the parked.
func (p *Team) publish(fn func(part, parts int), flags uint64) {
	p.fn = fn
	gen := p.op.Load()>>32 + 1
	p.op.Store(gen<<32 | flags)
	p.wakeParked()
}

// RunChunks calls fn(part, parts) on the caller and on every helper that
// joins before the caller's own call returns, and waits for those: a helper
// that the OS has not scheduled by then is skipped, never waited for. It is
// for ops that hand out their work in chunks that any part may claim, where
// each call claims chunks until none is left: the caller's call alone then
// does all the work, and helpers only take some of it.
func (p *Team) RunChunks(fn func(part, parts int)) {
	if len(p.helpers) == 0 {
		fn(0, 1)
		return
	}
	p.publish(fn, 0)
	fn(0, p.parts)
	w := p.op.Load()
	for !p.op.CompareAndSwap(w, w|closedOp) {
		w = p.op.Load()
	}
	if w&joinedOps != 0 {
		p.wait(func() bool { return p.op.Load()&joinedOps == 0 })
	}
}

// Run calls fn(part, parts) for every part and waits for all of them.
func (p *Team) Run(fn func(part, parts int)) {
	if len(p.helpers) == 0 {
		fn(0, 1)
		return
	}
	p.pending.Store(int64(len(p.helpers)))
	p.publish(fn, plainOp)
	fn(0, p.parts)
	p.wait(func() bool { return p.pending.Load() == 0 })
}

// wait returns once finished holds (which the last helper out makes true,
// waking the caller if it parked): spinning first, then parked.
func (p *Team) wait(finished func() bool) {
	budget := p.spin.limit()
	var start time.Time
	for i := 1; spinning(i, &start, budget, p.yield); i++ {
		if finished() {
			p.spin.spun()
			p.callerSpun++
			return
		}
	}
	p.spin.parked()
	p.callerParked++
	p.parked.Store(true)
	if finished() {
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
	p.op.Add(1 << 32)
	p.wakeParked()
	p.helpers = nil
}
