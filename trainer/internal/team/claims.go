package team

import "sync/atomic"

// Claims hands out one op's chunks, numbered [0, chunks), to the parts of a
// team. Each part owns a contiguous range of them and takes them in order;
// once its range is done it takes what is left of the other parts' ranges,
// in part order after its own. So on an idle machine a part works on the
// same pieces of data every op and every step, and what it last wrote stays
// in its core's caches, while a part whose core is taken by other work (a
// shared machine) leaves its chunks to the others instead of holding up the
// op.
//
// Measured on a 2-vCPU VM: with chunks handed out first come, first served
// (one shared counter), about half of them moved between the cores every
// step, and two threads were no faster than one in the native engine's
// dense backward pass and its Adam update, which write 11 MB of parameters,
// moments and gradients per step.
type Claims struct {
	taken []claimCount // per part: chunks of its range claimed so far
}

// claimCount is one part's count, alone on its cache line: the parts claim
// concurrently.
type claimCount struct {
	n atomic.Int64
	_ [56]byte
}

// NewClaims returns the claims of a team of parts.
func NewClaims(parts int) *Claims {
	return &Claims{taken: make([]claimCount, max(parts, 1))}
}

// Reset marks every chunk unclaimed; call it before handing out the op.
func (c *Claims) Reset() {
	for i := range c.taken {
		c.taken[i].n.Store(0)
	}
}

// Next returns part's next chunk of the op's [0, chunks): from its own range
// first, then from the others'; chunks when none is left.
func (c *Claims) Next(part, chunks int) int {
	parts := len(c.taken)
	for k := range parts {
		q := (part + k) % parts
		lo, hi := q*chunks/parts, (q+1)*chunks/parts
		taken := &c.taken[q].n
		if lo+int(taken.Load()) >= hi {
			continue // done: no need to add to a counter the owner polls
		}
		if next := lo + int(taken.Add(1)-1); next < hi {
			return next
		}
	}
	return chunks
}
