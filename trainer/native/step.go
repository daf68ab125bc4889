package native

import (
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// forward runs the model on the current batch up to the logits.
func (r *replica) forward() {
	r.run(r.convForwardFn)
	r.run(r.denseForwardFn)
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
	r.run(r.denseBackwardFn)
	r.run(r.convBackwardFn)
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

// The parallel ops hand out their work in chunks fixed by the op (samples,
// column blocks, row blocks), never by the number of parts, and every output
// element is computed whole by one chunk, so the bits do not depend on who
// computed what. The team's parts claim the chunks through team.Claims: each
// its own range first (the same data every step, which stays in its core's
// caches), then what another part has left (a part whose core is busy with
// other work holds up nobody).

// run hands fn to the team with every chunk unclaimed. The caller's part
// alone can do every chunk, so the team does not wait for a helper that has
// not started by the time the caller is done (team.RunChunks).
func (r *replica) run(fn func(part, parts int)) {
	r.claims.Reset()
	r.pool.RunChunks(fn)
}

// claim returns part's next chunk of the current op's [0, chunks); chunks
// when none is left.
func (r *replica) claim(part, chunks int) int { return r.claims.Next(part, chunks) }

// convForwardPart runs the conv stage, one sample per chunk; samples are
// independent, so the split cannot change a value.
func (r *replica) convForwardPart(part, parts int) {
	for b := r.claim(part, r.n); b < r.n; b = r.claim(part, r.n) {
		convForward(r.x[b*trainer.ImagePixels:], r.kext, r.patch[part], r.conv[part],
			r.pooled[b*flat:], r.arg[b*flat:])
	}
}

// denseForwardCols is the hidden columns per chunk of the dense forward pass
// on several parts (one AVX-512 tile wide, a multiple of kernels.ColBlock as
// a split over columns must be); one part computes all columns in one product.
const denseForwardCols = 2 * kernels.ColBlock

// denseForwardPart computes hidden columns, denseForwardCols per chunk.
func (r *replica) denseForwardPart(part, parts int) {
	cols := hidden
	if parts > 1 {
		cols = denseForwardCols
	}
	t := &r.p.T
	chunks := (hidden + cols - 1) / cols
	for c := r.claim(part, chunks); c < chunks; c = r.claim(part, chunks) {
		denseForward(r.n, c*cols, min((c+1)*cols, hidden), r.pooled, t[trainer.DenseW].Data, t[trainer.DenseB].Data, r.h)
	}
}

// denseBackwardChunks is how many chunks of kernel rows the dense backward
// pass is cut into on several parts: eight pieces of 672 or 680 rows (cut at
// multiples of the transpose's 8 rows; any row split is exact), so that two
// or four parts own equal shares (team.Claims hands each a contiguous
// range); one part takes all rows at once.
const denseBackwardChunks = 8

// denseBackwardRow is where chunk c of chunks starts (flat when c = chunks).
func denseBackwardRow(c, chunks int) int { return c * flat / chunks &^ 7 }

// denseBackwardPart computes chunks of rows of the dense kernel gradient and
// the matching columns of the input gradient, handing each chunk's rows to
// r.update (when set) once done.
func (r *replica) denseBackwardPart(part, parts int) {
	chunks := denseBackwardChunks
	if parts == 1 {
		chunks = 1
	}
	for c := r.claim(part, chunks); c < chunks; c = r.claim(part, chunks) {
		denseBackward(&denseBackwardArgs{
			n: r.n, micro: r.micro, levels: r.levels, f0: denseBackwardRow(c, chunks), f1: denseBackwardRow(c+1, chunks),
			x: r.pooled, w: r.p.T[trainer.DenseW].Data, dh: r.dh, dhT: r.dhT,
			dw: r.grads.T[trainer.DenseW].Data, dx: r.dx,
			tile: r.dxTile[part], tiles: r.dwTree[part],
			update: r.update,
		})
	}
}

// convBackwardPart computes each sample's conv gradient, one per chunk.
func (r *replica) convBackwardPart(part, parts int) {
	for b := r.claim(part, r.n); b < r.n; b = r.claim(part, r.n) {
		convBackward(r.x[b*trainer.ImagePixels:], r.patch[part], r.conv[part], r.arg[b*flat:],
			r.dx[b*flat:], r.dk[b*patchLen*filters:])
	}
}
