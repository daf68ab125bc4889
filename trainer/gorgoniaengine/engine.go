// Package gorgoniaengine is the `gorgonia` engine: the reference CNN written as
// a Gorgonia graph with Gorgonia's own ops and symbolic autodiff, run by its
// tape machine in float32. It is the harness's framework baseline and its
// autodiff oracle, so it is deliberately plain Gorgonia: no custom kernels, no
// hand-written backward pass. Its speed is Gorgonia's speed.
//
// The graph, per shard of n samples (Gorgonia convolutions are NCHW):
//
//	x        [n,1,28,28]   the images; MNIST has one channel, so Keras's NHWC
//	                       bytes are already NCHW and are copied as they are
//	conv     = Rectify(BroadcastAdd(Conv2d(x, W1 [32,1,3,3]), b1 [32]))  [n,32,26,26]
//	pool     = MaxPool2D(conv, 2x2, stride 2)                            [n,32,13,13]
//	flat     = Reshape(Transpose(pool, 0,2,3,1), [n,5408])  Keras's (h,w,c) order
//	hidden   = Rectify(BroadcastAdd(Mul(flat, W2 [5408,128]), b2 [128]))
//	logits   = BroadcastAdd(Mul(hidden, W3 [128,10]), b3 [10])
//	cost     = Neg(Sum(HadamardProd(onehot, LogSoftMax(logits))))   the SUM over the shard
//
// Layouts. Parameters arrive in Keras's layouts (trainer.Params). The conv
// kernel is converted on copy: Keras [kh][kw][in][out] to Gorgonia's
// [out][in][kh][kw] going in, and back for its gradient. The dense kernel is
// used exactly as Keras stores it: the graph transposes the pooled NCHW tensor
// to NHWC before flattening, so the flatten order is Keras's h*13*32+w*32+c and
// both the kernel and its gradient need no permutation. The transpose is a
// Gorgonia op and its gradient is Gorgonia's.
//
// The loss. Keras's fit computes the cross-entropy from the logits (TF's
// sparse_softmax_cross_entropy_with_logits, no clip; docs/reference.md), and
// so does this graph, with Gorgonia's own LogSoftMax op and its gradient
// (exp(log p) times the incoming sum, minus the incoming gradient: p - onehot
// for every sample). What differs from TF, recorded in every gorgonia record
// (Numerics): gorgonia.org/tensor v0.9.24 shifts each row by the larger of
// the shard's first logit and the row's others, not by the row's own
// maximum (a bug in softMaxLastDimF32), which is the same function but can
// overflow exp where logits of different samples differ by more than about
// 88; and its exp and log are its own float32 ones.
//
// Gradients. The tape machine is built without BindDualValues, so no dual
// value accumulates anything: each parameter's gradient is the value of its
// gradient node (Node.Grad), recomputed from scratch by every run after
// vm.Reset(). Two Gradients calls on the same data give identical results
// (tested). Loss and logits are copied out by Read nodes, Gorgonia's way to
// extract a value during a run, rather than taken from Node.Value(), which
// aliases a register the compiler is free to reuse (in this graph it happens
// not to be; the Read keeps that from mattering).
//
// Shapes. Gorgonia graphs have fixed shapes: a replica builds one graph per
// distinct shard size on first use and caches it (one training graph for the
// constant training shard, forward-only graphs for evaluation). Evaluate splits
// big batches into chunks of graphChunk samples. The tape machine must be
// Reset before every run, and Reset drops every intermediate buffer, so each
// run allocates its intermediates afresh (about 34 MB and 3,200 allocations
// per training step of 32); that is Gorgonia's cost and is left in.
//
// Threads. Gorgonia offers no intra-op thread control worth having: im2col
// and col2im fan out over runtime.NumCPU() goroutines per batch item, and
// gonum's BLAS (Gorgonia's default) over GOMAXPROCS. ReplicaConfig.Threads is
// therefore accepted and ignored; bound the engine with GOMAXPROCS.
//
// Concurrency. Separate replicas may run in separate goroutines (tested under
// the race detector); one replica serialises its own calls.
//
// Initialisation. Gorgonia's initialisers are never used (they seed
// themselves from the clock); every value comes from the Params passed in.
package gorgoniaengine

import (
	"errors"
	"fmt"
	"sync"

	"github.com/mirrorbench/mirrorbench/trainer"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// graphChunk is the number of samples Evaluate pushes through one forward
// graph; larger batches (up to trainer.EvalChunk) are split, the last chunk
// may be smaller. It is a constant, not MaxBatch, so that the evaluation loss
// (float32 sums inside a chunk) does not depend on the replica's size. 100
// divides both MNIST sets; on the 2-core development machine it is as fast as
// 32 or 500 and holds about 110 MB of Gorgonia's intermediates (500 holds
// 420 MB).
const graphChunk = 100

// Numerics says how this engine's loss differs from Keras's (see the
// package comment); records of gorgonia runs carry it.
const Numerics = "loss from the logits with Gorgonia's LogSoftMax (gorgonia.org/tensor v0.9.24 shifts each row by max(first logit of the shard, the row's other logits), not the row maximum; its own float32 exp and log); Adam as the native engine"

type engine struct{}

// New returns the gorgonia engine.
func New() trainer.Engine { return engine{} }

func (engine) Name() string      { return "gorgonia" }
func (engine) Devices() []string { return []string{"cpu"} }

// NewReplica returns a CPU replica. Graphs are built lazily, one per shard
// size; cfg.Threads is ignored (see the package comment).
func (engine) NewReplica(cfg trainer.ReplicaConfig) (trainer.Replica, error) {
	if cfg.Device != "" && cfg.Device != "cpu" {
		return nil, fmt.Errorf("gorgonia engine: device %q not supported (cpu only)", cfg.Device)
	}
	if cfg.MaxBatch < 1 {
		return nil, fmt.Errorf("gorgonia engine: MaxBatch %d < 1", cfg.MaxBatch)
	}
	return &replica{
		maxBatch: cfg.MaxBatch,
		train:    map[int]*graph{},
		eval:     map[int]*graph{},
	}, nil
}

type replica struct {
	mu       sync.Mutex // a replica runs one call at a time
	maxBatch int
	train    map[int]*graph // shard size -> forward+backward graph
	eval     map[int]*graph // chunk size -> forward-only graph
	closed   bool
}

// graph is one compiled Gorgonia program for a fixed shard size n.
type graph struct {
	n      int
	g      *G.ExprGraph
	vm     G.VM
	x      *tensor.Dense // [n,1,28,28] bound to the x node
	onehot *tensor.Dense // [n,10] bound to the onehot node
	params [trainer.NumTensors]*G.Node
	values [trainer.NumTensors]*tensor.Dense // bound to params, Gorgonia layouts
	loss   G.Value                           // written by a Read node
	logits G.Value                           // written by a Read node
}

// gorgoniaShape is each parameter's shape inside the graph: Keras's shapes
// except the conv kernel, which is [out,in,kh,kw].
var gorgoniaShape = [trainer.NumTensors][]int{
	trainer.ConvW:  {trainer.ConvFilters, 1, trainer.ConvKernel, trainer.ConvKernel},
	trainer.ConvB:  {trainer.ConvFilters},
	trainer.DenseW: {trainer.Flat, trainer.Hidden},
	trainer.DenseB: {trainer.Hidden},
	trainer.OutW:   {trainer.Hidden, trainer.Classes},
	trainer.OutB:   {trainer.Classes},
}

var paramNames = [trainer.NumTensors]string{"conv_w", "conv_b", "dense_w", "dense_b", "out_w", "out_b"}

// build constructs the graph for n samples; withGrad adds the symbolic
// gradient of the cost with respect to the six parameters.
func build(n int, withGrad bool) (gr *graph, err error) {
	// Gorgonia's graph constructors panic on shape errors (G.Must); turn
	// them into errors.
	defer func() {
		if r := recover(); r != nil {
			gr, err = nil, fmt.Errorf("gorgonia engine: building graph for %d samples: %v", n, r)
		}
	}()
	g := G.NewGraph()
	gr = &graph{n: n, g: g}

	gr.x = tensor.New(tensor.WithShape(n, 1, trainer.ImageSide, trainer.ImageSide), tensor.Of(tensor.Float32))
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(gr.x.Shape()...), G.WithName("x"), G.WithValue(gr.x))
	gr.onehot = tensor.New(tensor.WithShape(n, trainer.Classes), tensor.Of(tensor.Float32))
	onehot := G.NewMatrix(g, tensor.Float32, G.WithShape(n, trainer.Classes), G.WithName("onehot"), G.WithValue(gr.onehot))

	for i, shp := range gorgoniaShape {
		gr.values[i] = tensor.New(tensor.WithShape(shp...), tensor.Of(tensor.Float32))
		gr.params[i] = G.NewTensor(g, tensor.Float32, len(shp), G.WithShape(shp...),
			G.WithName(paramNames[i]), G.WithValue(gr.values[i]))
	}
	w1, b1 := gr.params[trainer.ConvW], gr.params[trainer.ConvB]
	w2, b2 := gr.params[trainer.DenseW], gr.params[trainer.DenseB]
	w3, b3 := gr.params[trainer.OutW], gr.params[trainer.OutB]

	// Conv2D(32, 3x3, valid, stride 1) + bias + relu: [n,32,26,26].
	conv := G.Must(G.Conv2d(x, w1, tensor.Shape{trainer.ConvKernel, trainer.ConvKernel}, []int{0, 0}, []int{1, 1}, []int{1, 1}))
	conv = G.Must(G.BroadcastAdd(conv, b1, nil, []byte{0, 2, 3}))
	conv = G.Must(G.Rectify(conv))
	// MaxPooling2D(2x2): [n,32,13,13].
	pool := G.Must(G.MaxPool2D(conv, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
	// Flatten in Keras's (h, w, c) order: NCHW -> NHWC, then [n,5408].
	nhwc := G.Must(G.Transpose(pool, 0, 2, 3, 1))
	flat := G.Must(G.Reshape(nhwc, tensor.Shape{n, trainer.Flat}))
	// Dense(128, relu).
	hidden := G.Must(G.Mul(flat, w2))
	hidden = G.Must(G.BroadcastAdd(hidden, b2, nil, []byte{0}))
	hidden = G.Must(G.Rectify(hidden))
	// Dense(10): the logits (the softmax is in the loss).
	logits := G.Must(G.Mul(hidden, w3))
	logits = G.Must(G.BroadcastAdd(logits, b3, nil, []byte{0}))
	// Sum over the shard of -log softmax(logits)[label], from the logits.
	picked := G.Must(G.HadamardProd(onehot, G.Must(G.LogSoftMax(logits))))
	cost := G.Must(G.Neg(G.Must(G.Sum(picked))))

	G.Read(cost, &gr.loss)
	G.Read(logits, &gr.logits)

	if withGrad {
		if _, err := G.Grad(cost, gr.params[:]...); err != nil {
			return nil, fmt.Errorf("gorgonia engine: Grad: %w", err)
		}
	}
	gr.vm = G.NewTapeMachine(g)
	return gr, nil
}

// load copies the parameters and the shard into the graph's bound tensors.
func (gr *graph) load(p *trainer.Params, b trainer.Batch) {
	// conv kernel: Keras [kh][kw][in=1][out] -> Gorgonia [out][in=1][kh][kw].
	src := p.T[trainer.ConvW].Data
	dst := gr.values[trainer.ConvW].Data().([]float32)
	const kk = trainer.ConvKernel * trainer.ConvKernel
	for k := 0; k < kk; k++ { // k = kh*3+kw
		for o := 0; o < trainer.ConvFilters; o++ {
			dst[o*kk+k] = src[k*trainer.ConvFilters+o]
		}
	}
	for _, i := range []int{trainer.ConvB, trainer.DenseW, trainer.DenseB, trainer.OutW, trainer.OutB} {
		copy(gr.values[i].Data().([]float32), p.T[i].Data)
	}
	copy(gr.x.Data().([]float32), b.X)
	oh := gr.onehot.Data().([]float32)
	clear(oh)
	for i, y := range b.Y {
		oh[i*trainer.Classes+int(y)] = 1
	}
}

// run executes the program once and returns the loss sum and correct count.
func (gr *graph) run(b trainer.Batch) (trainer.Result, error) {
	gr.vm.Reset()
	if err := gr.vm.RunAll(); err != nil {
		return trainer.Result{}, fmt.Errorf("gorgonia engine: RunAll: %w", err)
	}
	loss, ok := gr.loss.Data().(float32)
	if !ok {
		return trainer.Result{}, fmt.Errorf("gorgonia engine: loss is %T, want float32", gr.loss.Data())
	}
	logits := gr.logits.Data().([]float32)
	correct := 0
	for i, y := range b.Y {
		row := logits[i*trainer.Classes : (i+1)*trainer.Classes]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == int(y) {
			correct++
		}
	}
	return trainer.Result{LossSum: float64(loss), Correct: correct}, nil
}

// get returns the cached graph for n samples, building it on first use.
func (r *replica) get(n int, withGrad bool) (*graph, error) {
	cache := r.eval
	if withGrad {
		cache = r.train
	}
	if gr, ok := cache[n]; ok {
		return gr, nil
	}
	gr, err := build(n, withGrad)
	if err != nil {
		return nil, err
	}
	cache[n] = gr
	return gr, nil
}

func (r *replica) check(p *trainer.Params, b trainer.Batch) error {
	if r.closed {
		return errors.New("gorgonia engine: replica is closed")
	}
	if len(b.X) != b.Len()*trainer.ImagePixels {
		return fmt.Errorf("gorgonia engine: batch has %d pixels for %d labels", len(b.X), b.Len())
	}
	for _, y := range b.Y {
		if int(y) >= trainer.Classes {
			return fmt.Errorf("gorgonia engine: label %d out of range", y)
		}
	}
	for i := range p.T {
		want := 1
		for _, d := range gorgoniaShape[i] {
			want *= d
		}
		if len(p.T[i].Data) != want {
			return fmt.Errorf("gorgonia engine: %s has %d values, want %d", p.T[i].Name, len(p.T[i].Data), want)
		}
	}
	return nil
}

// Gradients overwrites grads with the gradient of the summed loss on b.
func (r *replica) Gradients(p *trainer.Params, b trainer.Batch, grads *trainer.Params) (trainer.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.check(p, b); err != nil {
		return trainer.Result{}, err
	}
	n := b.Len()
	if n < 1 || n > r.maxBatch {
		return trainer.Result{}, fmt.Errorf("gorgonia engine: shard of %d samples, want 1..%d", n, r.maxBatch)
	}
	gr, err := r.get(n, true)
	if err != nil {
		return trainer.Result{}, err
	}
	gr.load(p, b)
	res, err := gr.run(b)
	if err != nil {
		return trainer.Result{}, err
	}
	for i, node := range gr.params {
		v, err := node.Grad()
		if err != nil {
			return trainer.Result{}, fmt.Errorf("gorgonia engine: gradient of %s: %w", paramNames[i], err)
		}
		g, ok := v.Data().([]float32)
		if !ok || len(g) != len(grads.T[i].Data) {
			return trainer.Result{}, fmt.Errorf("gorgonia engine: gradient of %s has %T of shape %v", paramNames[i], v.Data(), v.Shape())
		}
		if i == trainer.ConvW { // Gorgonia [out][in=1][kh][kw] -> Keras [kh][kw][in=1][out]
			const kk = trainer.ConvKernel * trainer.ConvKernel
			dst := grads.T[i].Data
			for k := 0; k < kk; k++ {
				for o := 0; o < trainer.ConvFilters; o++ {
					dst[k*trainer.ConvFilters+o] = g[o*kk+k]
				}
			}
			continue
		}
		copy(grads.T[i].Data, g)
	}
	return res, nil
}

// Evaluate runs the forward pass on b in chunks of at most graphChunk samples.
func (r *replica) Evaluate(p *trainer.Params, b trainer.Batch) (trainer.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.check(p, b); err != nil {
		return trainer.Result{}, err
	}
	var total trainer.Result
	for i := 0; i < b.Len(); i += graphChunk {
		chunk := b.Slice(i, min(i+graphChunk, b.Len()))
		gr, err := r.get(chunk.Len(), false)
		if err != nil {
			return trainer.Result{}, err
		}
		gr.load(p, chunk)
		res, err := gr.run(chunk)
		if err != nil {
			return trainer.Result{}, err
		}
		total.Add(res)
	}
	return total, nil
}

// Close releases the compiled graphs.
func (r *replica) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, cache := range []map[int]*graph{r.train, r.eval} {
		for n, gr := range cache {
			gr.vm.Close()
			delete(cache, n)
		}
	}
	r.closed = true
	return nil
}
