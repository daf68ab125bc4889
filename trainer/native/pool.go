package native

import "sync"

// pool is a replica's persistent team of goroutines. run hands the same
// function to every part at once; part 0 runs on the caller's goroutine.
// Persistent helpers cost a channel send per part per op, where a goroutine
// per op would cost a spawn and a stack.
type pool struct {
	parts int
	jobs  []chan job
	wg    sync.WaitGroup
}

// job is one part of one parallel op. fn is a method value made once per
// replica, so sending it allocates nothing.
type job struct {
	fn   func(part, parts int)
	part int
}

func newPool(threads int) *pool {
	p := &pool{parts: max(threads, 1)}
	for range p.parts - 1 {
		ch := make(chan job)
		p.jobs = append(p.jobs, ch)
		go func() {
			for j := range ch {
				j.fn(j.part, p.parts)
				p.wg.Done()
			}
		}()
	}
	return p
}

// run calls fn(part, parts) for every part and waits for all of them.
func (p *pool) run(fn func(part, parts int)) {
	p.wg.Add(len(p.jobs))
	for i, ch := range p.jobs {
		ch <- job{fn, i + 1}
	}
	fn(0, p.parts)
	p.wg.Wait()
}

func (p *pool) close() {
	for _, ch := range p.jobs {
		close(ch)
	}
	p.jobs = nil
}

// span is part's share of n items cut into units of unit items (the last unit
// may be short): parts get whole units, so a split never cuts a unit.
func span(n, unit, part, parts int) (lo, hi int) {
	units := (n + unit - 1) / unit
	lo = part * units / parts * unit
	hi = min(n, (part+1)*units/parts*unit)
	return min(lo, n), hi
}
