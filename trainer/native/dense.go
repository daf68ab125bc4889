package native

import (
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// Shapes of the hidden dense layer.
const hidden = trainer.Hidden // 128 units over flat = 5408 inputs

// denseForward computes columns [j0, j1) of the hidden layer for n samples:
//
//	h[b][u] = relu(bias[u] + sum_f x[b][f] * w[f][u])
//
// The sum starts from the bias (C is preloaded, then accumulated into).
func denseForward(n, j0, j1 int, x, w, bias, h []float32) {
	for b := range n {
		copy(h[b*hidden+j0:b*hidden+j1], bias[j0:j1])
	}
	kernels.SgemmNN(n, j1-j0, flat, x, flat, w[j0:], hidden, h[j0:], hidden, true)
	for b := range n {
		row := h[b*hidden+j0 : b*hidden+j1]
		for u, v := range row {
			row[u] = max(v, 0)
		}
	}
}

// denseBackward computes rows [f0, f1) of the kernel gradient and columns
// [f0, f1) of the input gradient, for n samples in 1<<levels micro-shards of
// micro samples:
//
//	dw[f][u] = tree sum over micro-shards s of dw_s[f][u],  dw_s[f][u] = sum_{b in s} x[b][f] * dh[b][u]
//	dx[b][f] = sum_u w[f][u] * dhT[u][b]
//
// Both are row splits of the weight matrix. With micro-shards, dw is formed
// dwChunk rows at a time, so that a chunk's micro-shard products (in tiles)
// and their sums stay in cache and dw's rows are written once. dx is computed
// transposed, as w·dhT, a chunk of rows at a time into tile (chunk x n), then
// transposed into place while the chunk is in cache.
//
// With update (GradientsFused), rows [f0, f1) of the dense kernel are handed
// to update at the end, on this worker: their gradient is final and they have
// served dx, and nothing reads them again.
func denseBackward(n, micro, levels, f0, f1 int, x, w, dh, dhT, dw, dx, tile, tiles []float32, update func(tensor, lo, hi int)) {
	if levels == 0 { // one shard: one product
		kernels.SgemmTN(f1-f0, hidden, n, x[f0:], flat, dh, hidden, dw[f0*hidden:], hidden, false)
	}
	for f := f0; f < f1; f += dxChunk {
		rows := min(dxChunk, f1-f)
		if levels > 0 {
			for g := f; g < f+rows; g += dwChunk {
				gr := min(dwChunk, f+rows-g)
				denseWeightTree(levels, 0, micro, g, gr, x, dh, dw[g*hidden:(g+gr)*hidden], tiles)
			}
		}
		kernels.SgemmNN(rows, n, hidden, w[f*hidden:], hidden, dhT, n, tile, n, false)
		kernels.Transpose(rows, n, tile, n, dx[f:], flat)
	}
	if update != nil {
		update(trainer.DenseW, f0*hidden, f1*hidden)
	}
}

// denseWeightTree writes into dst rows [f, f+rows) of the dense kernel
// gradient summed over the 1<<levels micro-shards from s0 on: the left
// subtree's sum in dst, the right's in tiles' level-1 tile, then one float32
// addition each. A leaf is one micro-shard's product, K = micro in sample order.
func denseWeightTree(levels, s0, micro, f, rows int, x, dh, dst, tiles []float32) {
	if levels == 0 {
		b := s0 * micro
		kernels.SgemmTN(rows, hidden, micro, x[b*flat+f:], flat, dh[b*hidden:], hidden, dst, hidden, false)
		return
	}
	denseWeightTree(levels-1, s0, micro, f, rows, x, dh, dst, tiles)
	right := tiles[(levels-1)*dwChunk*hidden:][:len(dst)]
	denseWeightTree(levels-1, s0+1<<(levels-1), micro, f, rows, x, dh, right, tiles)
	kernels.Add(dst, right)
}

// dxChunk is the rows of dxᵀ computed per step of denseBackward: a multiple of
// the micro-kernel's 6 rows and the transpose's 8.
const dxChunk = 96

// dwChunk is the rows of the dense kernel gradient reduced over the tree at a
// time (a multiple of the micro-kernel's 6 rows): the rows and the tiles added
// into them, 24 KiB each, stay in the core's first-level cache.
const dwChunk = 48

// denseBiasGrad sums the hidden gradient over n samples, in sample order:
//
//	db[u] = sum_b dh[b][u]
func denseBiasGrad(n int, dh, db []float32) {
	clear(db[:hidden])
	for b := range n {
		for u, v := range dh[b*hidden : (b+1)*hidden] {
			db[u] += v
		}
	}
}

// Work split granularity: hidden columns in kernel column blocks; weight rows
// in whole micro-kernel tiles (any row split is exact; whole tiles are faster).
const (
	colBlock = kernels.ColBlock
	rowBlock = 6
)
