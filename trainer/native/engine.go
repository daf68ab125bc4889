// Package native is the fast CPU engine: explicit forward and backward
// kernels for exactly the reference CNN (docs/reference.md), in float32, on top of
// package kernels' SGEMMs.
//
// It is opinionated about determinism: a replica's results are bitwise the
// same for any thread count and any GOMAXPROCS. Work is split over output
// elements only (samples, columns cut at kernels.ColBlock, rows), and every
// sum over samples is taken in sample order, so no thread count ever changes
// the order of a floating-point sum. GradientsTree reduces micro-shards in
// the canonical pairwise tree itself (trainer.TreeReplica): the per-sample
// work runs once over the whole batch and only the sums over samples that
// form parameter gradients are taken per micro-shard.
//
// Layouts are internal except at the edges: parameters and gradients are
// read and written in Keras's layouts through trainer.Params.
package native

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/internal/team"
)

// Engine builds native replicas. It implements trainer.Engine.
type Engine struct{}

// New returns the native engine.
func New() trainer.Engine { return Engine{} }

// Name is "native".
func (Engine) Name() string { return "native" }

// Devices is {"cpu"}.
func (Engine) Devices() []string { return []string{"cpu"} }

// NewReplica builds a replica with cfg.Threads goroutines and buffers for
// cfg.MaxBatch samples; nothing is allocated per call afterwards.
func (Engine) NewReplica(cfg trainer.ReplicaConfig) (trainer.Replica, error) {
	if cfg.Device != "" && cfg.Device != "cpu" {
		return nil, fmt.Errorf("native: device %q not supported (cpu only)", cfg.Device)
	}
	if cfg.MaxBatch < 1 {
		return nil, fmt.Errorf("native: MaxBatch = %d, want >= 1", cfg.MaxBatch)
	}
	return newReplica(max(cfg.Threads, 1), cfg.MaxBatch), nil
}

// replica holds one model's activations and scratch for up to maxBatch
// samples. One call at a time: the strategy drives each replica from one goroutine.
type replica struct {
	maxBatch int
	pool     *team.Team
	claims   *team.Claims // who takes which chunk of the current parallel op (step.go)
	closed   bool

	// The call in progress: parameters, inputs, gradients.
	p     *trainer.Params
	x     []float32
	y     []uint8
	n     int
	grads *trainer.Params
	// update, when not nil, is GradientsFused's optimizer callback: handed
	// each block of parameters once no later part of the call reads it.
	update func(tensor, lo, hi int)
	// The call's micro-shards: 1<<levels of micro samples each (one shard of
	// n for Gradients). Every parameter gradient is the pairwise tree sum of
	// the micro-shards' gradients.
	micro, levels int

	kext     []float32 // [10][32] conv kernel with the bias as its last row
	pooled   []float32 // [n][5408] conv stage output = dense input
	arg      []int32   // [n][5408] winning window position of each pooled value, -1 if none
	h        []float32 // [n][128] hidden activations
	logits   []float32 // [n][10]
	dlogits  []float32 // [n][10]
	dlogitsT []float32 // [10][n]
	dh       []float32 // [n][128]
	dhT      []float32 // [128][n]
	dx       []float32 // [n][5408] gradient at the dense input
	dk       []float32 // [n][10][32] each sample's conv kernel+bias gradient
	patch    [][]float32
	conv     [][]float32 // per part: [676][32] conv output, then its gradient
	dxTile   [][]float32 // per part: [dxChunk][n] a chunk of dxᵀ
	// Right operands of the tree's additions, one per level below the root:
	// dwTree per part, [levels][dwChunk][128] rows of the dense kernel
	// gradient; smallTree [levels][1280] for the other tensors.
	dwTree    [][]float32
	smallTree []float32
	convSum   []float32 // [10][32] the conv kernel+bias gradient, bias last

	// Method values made once, so handing them to the pool allocates nothing.
	convForwardFn, denseForwardFn, denseBackwardFn, convBackwardFn func(part, parts int)
	outWLeafFn, outBLeafFn, denseBLeafFn, convLeafFn               func(s int, dst []float32)
}

// maxLevels is the deepest tree a replica for maxBatch samples can be given:
// micro-shards hold at least one sample.
func maxLevels(maxBatch int) int { return bits.Len(uint(maxBatch)) - 1 }

func newReplica(threads, maxBatch int) *replica {
	r := &replica{
		maxBatch: maxBatch,
		pool:     team.New(threads),
		claims:   team.NewClaims(threads),
		kext:     make([]float32, patchLen*filters),
		pooled:   make([]float32, maxBatch*flat),
		arg:      make([]int32, maxBatch*flat),
		h:        make([]float32, maxBatch*hidden),
		logits:   make([]float32, maxBatch*classes),
		dlogits:  make([]float32, maxBatch*classes),
		dlogitsT: make([]float32, maxBatch*classes),
		dh:       make([]float32, maxBatch*hidden),
		dhT:      make([]float32, maxBatch*hidden),
		dx:       make([]float32, maxBatch*flat),
		dk:       make([]float32, maxBatch*patchLen*filters),
		convSum:  make([]float32, patchLen*filters),
	}
	levels := maxLevels(maxBatch)
	r.smallTree = make([]float32, levels*smallTreeLen)
	for range threads {
		r.patch = append(r.patch, make([]float32, convPos*patchLen))
		r.conv = append(r.conv, make([]float32, convPos*filters))
		r.dxTile = append(r.dxTile, make([]float32, dxChunk*maxBatch))
		r.dwTree = append(r.dwTree, make([]float32, levels*dwChunk*hidden))
	}
	r.convForwardFn = r.convForwardPart
	r.denseForwardFn = r.denseForwardPart
	r.denseBackwardFn = r.denseBackwardPart
	r.convBackwardFn = r.convBackwardPart
	r.outWLeafFn = r.outWLeaf
	r.outBLeafFn = r.outBLeaf
	r.denseBLeafFn = r.denseBLeaf
	r.convLeafFn = r.convLeaf
	return r
}

// Gradients overwrites grads with the gradient of the summed loss on b.
func (r *replica) Gradients(p *trainer.Params, b trainer.Batch, grads *trainer.Params) (trainer.Result, error) {
	return r.gradients(p, b, b.Len(), 0, grads, nil)
}

// GradientsFused is Gradients that also hands every block of parameters to
// update as soon as its gradient is final and the call no longer reads its
// value. It implements trainer.FusedReplica.
//
// The dense kernel (99.8 % of the parameters) is handed over by rows: the
// backward pass forms its gradient and, with the same rows of the kernel,
// the input gradient's columns, in chunks of rows (all rows in one on one
// thread, in denseBackwardChunks pieces on several); nothing reads those rows afterwards
// (the conv backward needs only the input gradient), so the worker that
// formed a chunk hands its rows to update as soon as it is done, in one
// call, concurrently with the other workers, inside the same parallel op: the
// optimizer runs on the replica's already spinning workers, with no goroutine
// start or hand-off of its own. (Handing over each chunk of dxChunk rows right
// after it served dx, while its rows are in cache, was measured slower on one
// thread: Adam's moments come from memory either way, and one long stream
// fetches them faster than 57 short ones; the chunks of several threads are
// 7 times as long.) The other tensors are small and
// are handed over once each, on the calling goroutine, at the end of the
// call, after everything that reads them (the forward pass, the output
// layer's input gradient; the conv kernel is read only into kext). update is
// not called when the call fails.
func (r *replica) GradientsFused(p *trainer.Params, b trainer.Batch, grads *trainer.Params, update func(tensor, lo, hi int)) (trainer.Result, error) {
	return r.gradients(p, b, b.Len(), 0, grads, update)
}

// GradientsTree overwrites grads with the canonical tree sum of the gradients
// of b's micro-shards of micro samples (b.Len() = k*micro, k a power of two):
// bitwise what Gradients on each micro-shard followed by pairwise float32
// additions, level by level, gives. It implements trainer.TreeReplica.
//
// The forward pass and the per-sample backward deltas do not depend on which
// samples share a product, so they run once over all of b; only the sums over
// samples that form the parameter gradients are taken per micro-shard, each
// in the order Gradients would use, and combined in the tree.
//
// Result.Correct counts all of b. Result.LossSum is the micro-shards' loss
// sums (each exactly Gradients' LossSum on it) added in micro-shard order,
// ((L0 + L1) + L2) + ..., as a caller summing Gradients' results would.
func (r *replica) GradientsTree(p *trainer.Params, b trainer.Batch, micro int, grads *trainer.Params) (trainer.Result, error) {
	n := b.Len()
	if micro < 1 || n%micro != 0 {
		return trainer.Result{}, fmt.Errorf("native: batch of %d is not a whole number of micro-shards of %d", n, micro)
	}
	k := n / micro
	if k < 1 || k&(k-1) != 0 {
		return trainer.Result{}, fmt.Errorf("native: %d micro-shards of %d, want a power of two", k, micro)
	}
	return r.gradients(p, b, micro, bits.Len(uint(k))-1, grads, nil)
}

// gradients is Gradients on b as 1<<levels micro-shards of micro samples,
// handing the parameters to update (if not nil) as GradientsFused describes.
func (r *replica) gradients(p *trainer.Params, b trainer.Batch, micro, levels int, grads *trainer.Params, update func(tensor, lo, hi int)) (trainer.Result, error) {
	if err := checkParams(grads); err != nil {
		return trainer.Result{}, fmt.Errorf("native: grads: %w", err)
	}
	if err := r.begin(p, b); err != nil {
		return trainer.Result{}, err
	}
	r.grads, r.micro, r.levels, r.update = grads, micro, levels, update
	r.forward()
	var res trainer.Result
	for s := range 1 << levels {
		b0 := s * micro
		rs := softmaxLoss(micro, r.logits[b0*classes:], r.y[b0:], r.dlogits[b0*classes:], r.dlogitsT[b0:], r.n)
		res.Add(rs)
	}
	r.backward()
	if update != nil {
		// Every reader of these tensors has run; the dense kernel's rows went
		// to update in the backward pass, each worker's as it finished them.
		for _, i := range [...]int{trainer.ConvW, trainer.ConvB, trainer.DenseB, trainer.OutW, trainer.OutB} {
			update(i, 0, tensorSizes[i])
		}
	}
	r.end()
	return res, nil
}

// Evaluate runs the forward pass and reports loss and correct predictions.
func (r *replica) Evaluate(p *trainer.Params, b trainer.Batch) (trainer.Result, error) {
	if err := r.begin(p, b); err != nil {
		return trainer.Result{}, err
	}
	r.forward()
	res := softmaxLoss(r.n, r.logits, r.y, nil, nil, 0)
	r.end()
	return res, nil
}

// Close stops the replica's goroutines.
func (r *replica) Close() error {
	if !r.closed {
		r.closed = true
		r.pool.Close()
	}
	return nil
}

// begin validates a call's inputs and makes them the replica's current ones.
func (r *replica) begin(p *trainer.Params, b trainer.Batch) error {
	n := b.Len()
	switch {
	case r.closed:
		return errors.New("native: replica is closed")
	case n > r.maxBatch:
		return fmt.Errorf("native: batch of %d exceeds MaxBatch %d", n, r.maxBatch)
	case len(b.X) != n*trainer.ImagePixels:
		return fmt.Errorf("native: batch has %d pixels for %d labels", len(b.X), n)
	}
	for i, label := range b.Y {
		if label >= classes {
			return fmt.Errorf("native: label %d of sample %d out of range", label, i)
		}
	}
	if err := checkParams(p); err != nil {
		return fmt.Errorf("native: params: %w", err)
	}
	r.p, r.x, r.y, r.n = p, b.X, b.Y, n
	// The conv kernel [3][3][1][32] is already [9][32]; append the bias row.
	copy(r.kext, p.T[trainer.ConvW].Data)
	copy(r.kext[taps*filters:], p.T[trainer.ConvB].Data)
	return nil
}

// end drops the references to the caller's data.
func (r *replica) end() { r.p, r.x, r.y, r.grads, r.update = nil, nil, nil, nil, nil }

// tensorSizes are the value counts of the six tensors, in Keras's order.
var tensorSizes = [trainer.NumTensors]int{taps * filters, filters, flat * hidden, hidden, hidden * classes, classes}

// checkParams rejects tensors of the wrong size: the kernels trust them.
func checkParams(p *trainer.Params) error {
	for i := range p.T {
		if len(p.T[i].Data) != tensorSizes[i] {
			return fmt.Errorf("%s has %d values, want %d", p.T[i].Name, len(p.T[i].Data), tensorSizes[i])
		}
	}
	return nil
}
