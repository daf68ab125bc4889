package native

import "github.com/mirrorbench/mirrorbench/trainer"

// forward runs the model on the current batch up to the logits.
func (r *replica) forward() {
	r.pool.run(r.convForwardFn)
	r.pool.run(r.denseForwardFn)
	t := &r.p.T
	outputForward(r.n, r.h, t[trainer.OutW].Data, t[trainer.OutB].Data, r.logits)
}

// backward runs from dlogits down to every parameter gradient.
func (r *replica) backward() {
	g, t, n := &r.grads.T, &r.p.T, r.n
	outputBackward(n, r.h, t[trainer.OutW].Data, r.dlogits, r.dlogitsT,
		g[trainer.OutW].Data, g[trainer.OutB].Data, r.dhT, r.dh)
	denseBiasGrad(n, r.dh, g[trainer.DenseB].Data)
	r.pool.run(r.denseBackwardFn)
	r.pool.run(r.convBackwardFn)
	r.sumConvGrads()
}

// convForwardPart runs the conv stage for this part's samples; samples are
// independent, so the split cannot change a value.
func (r *replica) convForwardPart(part, parts int) {
	lo, hi := span(r.n, 1, part, parts)
	for b := lo; b < hi; b++ {
		convForward(r.x[b*trainer.ImagePixels:], r.kext, r.patch[part], r.conv[part],
			r.pooled[b*flat:], r.arg[b*flat:])
	}
}

// denseForwardPart computes this part's hidden columns, cut at ColBlock
// multiples as package kernels requires.
func (r *replica) denseForwardPart(part, parts int) {
	j0, j1 := span(hidden, colBlock, part, parts)
	if j0 < j1 {
		t := &r.p.T
		denseForward(r.n, j0, j1, r.pooled, t[trainer.DenseW].Data, t[trainer.DenseB].Data, r.h)
	}
}

// denseBackwardPart computes this part's rows of the dense kernel gradient
// and columns of the input gradient.
func (r *replica) denseBackwardPart(part, parts int) {
	f0, f1 := span(flat, rowBlock, part, parts)
	if f0 < f1 {
		denseBackward(r.n, f0, f1, r.pooled, r.p.T[trainer.DenseW].Data, r.dh, r.dhT,
			r.grads.T[trainer.DenseW].Data, r.dx, r.dxTile[part])
	}
}

// convBackwardPart computes each of this part's samples' conv gradient.
func (r *replica) convBackwardPart(part, parts int) {
	lo, hi := span(r.n, 1, part, parts)
	for b := lo; b < hi; b++ {
		convBackward(r.x[b*trainer.ImagePixels:], r.patch[part], r.conv[part], r.arg[b*flat:],
			r.dx[b*flat:], r.dk[b*patchLen*filters:])
	}
}

// sumConvGrads adds the samples' conv gradients in sample order:
//
//	dK[t][c] = sum_b dk[b][t][c] (t < 9),  dbias[c] = sum_b dk[b][9][c]
func (r *replica) sumConvGrads() {
	const size = patchLen * filters
	var sum [size]float32
	for b := range r.n {
		for i, v := range r.dk[b*size : (b+1)*size] {
			sum[i] += v
		}
	}
	copy(r.grads.T[trainer.ConvW].Data, sum[:taps*filters])
	copy(r.grads.T[trainer.ConvB].Data, sum[taps*filters:])
}
