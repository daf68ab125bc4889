package native

import (
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/internal/team"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// forward runs the model on the current batch up to the logits.
func (r *replica) forward() {
	r.pool.Run(r.convForwardFn)
	r.pool.Run(r.denseForwardFn)
	t := &r.p.T
	outputForward(r.n, r.h, t[trainer.OutW].Data, t[trainer.OutB].Data, r.logits)
}

// backward runs from dlogits down to every parameter gradient. Deltas are
// per sample and computed over the whole batch at once; parameter gradients
// are sums over samples, taken per micro-shard and combined in the tree.
func (r *replica) backward() {
	g, t := &r.grads.T, &r.p.T
	r.tree(g[trainer.OutW].Data, r.outWLeafFn)
	r.tree(g[trainer.OutB].Data, r.outBLeafFn)
	outputInputGrad(r.n, r.h, t[trainer.OutW].Data, r.dlogitsT, r.dhT, r.dh)
	r.tree(g[trainer.DenseB].Data, r.denseBLeafFn)
	r.pool.Run(r.denseBackwardFn)
	r.pool.Run(r.convBackwardFn)
	r.tree(r.convSum, r.convLeafFn)
	copy(g[trainer.ConvW].Data, r.convSum[:taps*filters])
	copy(g[trainer.ConvB].Data, r.convSum[taps*filters:])
}

// smallTreeLen is the largest tensor tree reduces: the output kernel.
const smallTreeLen = hidden * classes

// tree overwrites dst with the sum over the call's micro-shards of leaf(s, ·),
// the micro-shard s's share, combined pairwise level by level in float32.
func (r *replica) tree(dst []float32, leaf func(s int, dst []float32)) {
	treeSum(r.levels, 0, dst, r.smallTree, leaf)
}

// treeSum overwrites dst with the tree sum of the 1<<levels leaves from s0 on:
// the left subtree's in dst, the right's in tmp's level-1 slot, then one
// float32 addition per element. dst holds at most smallTreeLen values.
func treeSum(levels, s0 int, dst, tmp []float32, leaf func(s int, dst []float32)) {
	if levels == 0 {
		leaf(s0, dst)
		return
	}
	treeSum(levels-1, s0, dst, tmp, leaf)
	right := tmp[(levels-1)*smallTreeLen:][:len(dst)]
	treeSum(levels-1, s0+1<<(levels-1), right, tmp, leaf)
	kernels.Add(dst, right)
}

// The leaves: micro-shard s's gradient of one tensor, in Gradients' order.

func (r *replica) outWLeaf(s int, dst []float32) {
	b := s * r.micro
	outputWeightGrad(r.micro, r.h[b*hidden:], r.dlogits[b*classes:], dst)
}

func (r *replica) outBLeaf(s int, dst []float32) {
	outputBiasGrad(r.micro, r.dlogits[s*r.micro*classes:], dst)
}

func (r *replica) denseBLeaf(s int, dst []float32) {
	denseBiasGrad(r.micro, r.dh[s*r.micro*hidden:], dst)
}

// convLeaf adds the micro-shard's samples' conv gradients in sample order:
//
//	dK[t][c] = sum_b dk[b][t][c] (t < 9),  dbias[c] = sum_b dk[b][9][c]
func (r *replica) convLeaf(s int, dst []float32) {
	const size = patchLen * filters
	sum := dst[:size]
	clear(sum)
	for b := s * r.micro; b < (s+1)*r.micro; b++ {
		for i, v := range r.dk[b*size : (b+1)*size] {
			sum[i] += v
		}
	}
}

// convForwardPart runs the conv stage for this part's samples; samples are
// independent, so the split cannot change a value.
func (r *replica) convForwardPart(part, parts int) {
	lo, hi := team.Span(r.n, 1, part, parts)
	for b := lo; b < hi; b++ {
		convForward(r.x[b*trainer.ImagePixels:], r.kext, r.patch[part], r.conv[part],
			r.pooled[b*flat:], r.arg[b*flat:])
	}
}

// denseForwardPart computes this part's hidden columns, cut at ColBlock
// multiples as package kernels requires.
func (r *replica) denseForwardPart(part, parts int) {
	j0, j1 := team.Span(hidden, colBlock, part, parts)
	if j0 < j1 {
		t := &r.p.T
		denseForward(r.n, j0, j1, r.pooled, t[trainer.DenseW].Data, t[trainer.DenseB].Data, r.h)
	}
}

// denseBackwardPart computes this part's rows of the dense kernel gradient
// and columns of the input gradient, then hands the rows to r.update (when
// set).
func (r *replica) denseBackwardPart(part, parts int) {
	f0, f1 := team.Span(flat, rowBlock, part, parts)
	if f0 < f1 {
		denseBackward(&denseBackwardArgs{
			n: r.n, micro: r.micro, levels: r.levels, f0: f0, f1: f1,
			x: r.pooled, w: r.p.T[trainer.DenseW].Data, dh: r.dh, dhT: r.dhT,
			dw: r.grads.T[trainer.DenseW].Data, dx: r.dx,
			tile: r.dxTile[part], tiles: r.dwTree[part],
			update: r.update,
		})
	}
}

// convBackwardPart computes each of this part's samples' conv gradient.
func (r *replica) convBackwardPart(part, parts int) {
	lo, hi := team.Span(r.n, 1, part, parts)
	for b := lo; b < hi; b++ {
		convBackward(r.x[b*trainer.ImagePixels:], r.patch[part], r.conv[part], r.arg[b*flat:],
			r.dx[b*flat:], r.dk[b*patchLen*filters:])
	}
}
