package trainer

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrorbench/mirrorbench/trainer/internal/team"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// Config describes how to train: which engine, how many replicas of how many
// threads, and how gradients are reduced.
//
// One replica is the `single` strategy; R > 1 is `mirrored`: the global batch
// is split evenly, each replica computes the gradient of its shard, the
// gradients are all-reduced in a fixed order into the mean over the global
// batch, one Adam step updates the one parameter copy, and every replica
// reads that copy on the next step.
type Config struct {
	Engine      Engine
	Device      string // device kind: "cpu" or "gpu"
	DeviceIDs   []int  // one per replica when the devices are a list; else nil
	Replicas    int    // R >= 1
	Threads     int    // intra-op threads per replica, >= 1
	GlobalBatch int
	// Canonical selects the reduction whose result does not depend on R: the
	// gradient is always the sum of the same micro-shards of MicroShard
	// samples, combined in the same binary tree, whoever computed them.
	Canonical  bool
	MicroShard int
	Adam       AdamConfig
	EvalChunk  int // test images per Evaluate call; default 500
}

// StepTimes splits one step's wall time into its phases.
type StepTimes struct {
	Compute   time.Duration // slowest replica's forward+backward
	AllReduce time.Duration // combining replica gradients into the mean
	Optimizer time.Duration // the Adam update
}

// Add accumulates o into s.
func (s *StepTimes) Add(o StepTimes) {
	s.Compute += o.Compute
	s.AllReduce += o.AllReduce
	s.Optimizer += o.Optimizer
}

// Trainer owns the parameters, the optimizer and the replicas.
type Trainer struct {
	cfg      Config
	params   *Params
	opt      *Adam
	replicas []Replica
	// grads holds one gradient buffer per unit of work: per replica in fast
	// mode, per micro-shard in canonical mode. grads[0] ends up as the mean.
	grads   []*Params
	results []Result
	errs    []error
	workers int
	team    *team.Team // workers goroutines: replicas, then element ranges
	// subtree > 1: in canonical mode every replica is a TreeReplica owning a
	// power-of-two block of units, a complete subtree of the canonical tree,
	// which it reduces itself; the trainer adds only the levels above.
	subtree int

	// fused is the one replica when it applies Adam inside its backward pass
	// (see FusedReplica): one replica, fast reduction. Step then calls
	// GradientsFused with updateFn (made once, so a step allocates nothing),
	// which applies step, this step's coefficients, and adds its wall time to
	// optNanos.
	fused    FusedReplica
	updateFn func(tensor, lo, hi int)
	step     AdamStep
	optNanos atomic.Int64
}

// Validate checks the configuration's arithmetic: the batch must split evenly.
func (c *Config) Validate() error {
	switch {
	case c.Engine == nil:
		return errors.New("no engine")
	case c.Replicas < 1:
		return fmt.Errorf("replicas = %d, want >= 1", c.Replicas)
	case c.Threads < 1:
		return fmt.Errorf("threads = %d, want >= 1", c.Threads)
	case c.GlobalBatch < 1 || c.GlobalBatch%c.Replicas != 0:
		return fmt.Errorf("global batch %d is not divisible by %d replicas", c.GlobalBatch, c.Replicas)
	}
	if c.Canonical {
		if c.MicroShard < 1 || c.GlobalBatch%c.MicroShard != 0 {
			return fmt.Errorf("global batch %d is not divisible into micro-shards of %d", c.GlobalBatch, c.MicroShard)
		}
		if n := c.GlobalBatch / c.MicroShard; n%c.Replicas != 0 {
			return fmt.Errorf("%d micro-shards cannot be split evenly over %d replicas", n, c.Replicas)
		}
	}
	return nil
}

// NewTrainer builds R replicas and starts from a copy of init.
func NewTrainer(cfg Config, init *Params) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.EvalChunk <= 0 {
		cfg.EvalChunk = 500
	}
	shard := cfg.GlobalBatch / cfg.Replicas // a TreeReplica takes all its micro-shards at once
	units := cfg.Replicas
	if cfg.Canonical {
		units = cfg.GlobalBatch / cfg.MicroShard
	}
	t := &Trainer{
		cfg: cfg, params: init.Clone(), opt: NewAdam(cfg.Adam),
		results: make([]Result, units), errs: make([]error, cfg.Replicas),
		workers: cfg.Replicas * cfg.Threads,
	}
	// One team for the replicas and the element-wise phases: its helpers
	// stay on their cores for the whole step, where goroutines spawned per
	// phase would queue behind the spawner.
	t.team = team.New(t.workers)
	for range units {
		t.grads = append(t.grads, NewParams())
	}
	for r := range cfg.Replicas {
		rc := ReplicaConfig{Threads: cfg.Threads, MaxBatch: max(shard, cfg.EvalChunk), Device: cfg.Device, DeviceIdx: r}
		if cfg.DeviceIDs != nil {
			rc.DeviceIdx = cfg.DeviceIDs[r]
		}
		rep, err := cfg.Engine.NewReplica(rc)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("replica %d: %w", r, err)
		}
		t.replicas = append(t.replicas, rep)
	}
	t.subtree = treeBlock(cfg, t.replicas)
	if fr, ok := t.replicas[0].(FusedReplica); ok && cfg.Replicas == 1 && !cfg.Canonical {
		t.fused, t.updateFn = fr, t.fusedUpdate
	}
	return t, nil
}

// treeBlock is the number of canonical units each replica reduces itself:
// more than 1 only when every replica can (TreeReplica) and its block of
// units is a power of two, hence a complete subtree of the pairwise tree.
func treeBlock(cfg Config, reps []Replica) int {
	if !cfg.Canonical {
		return 1
	}
	k := cfg.GlobalBatch / cfg.MicroShard / cfg.Replicas
	if k < 2 || k&(k-1) != 0 {
		return 1
	}
	for _, r := range reps {
		if _, ok := r.(TreeReplica); !ok {
			return 1
		}
	}
	return k
}

// Params is the one true copy of the parameters.
func (t *Trainer) Params() *Params { return t.params }

// GradientSum is the last step's all-reduced gradient: the sum over the global
// batch, before Adam scales it to the mean. It finishes the reduction's last
// addition (which Step leaves to Adam's pass) into a new Params.
func (t *Trainer) GradientSum() *Params {
	sum := t.grads[0].Clone()
	if last := t.lastPartner(); last > 0 {
		sum.Add(t.grads[last])
	}
	return sum
}

// Close releases the replicas.
func (t *Trainer) Close() {
	for _, r := range t.replicas {
		r.Close()
	}
	t.replicas = nil
	if t.team != nil {
		t.team.Close()
		t.team = nil
	}
}

// Step trains on one global batch: gradients, all-reduce, Adam.
func (t *Trainer) Step(b Batch) (Result, StepTimes, error) {
	if b.Len() != t.cfg.GlobalBatch {
		return Result{}, StepTimes{}, fmt.Errorf("batch of %d, want %d", b.Len(), t.cfg.GlobalBatch)
	}
	var times StepTimes
	if t.fused != nil {
		var err error
		if times, err = t.stepFused(b); err != nil {
			return Result{}, times, err
		}
	} else {
		start := time.Now()
		if err := t.computeGradients(b); err != nil {
			return Result{}, times, err
		}
		reduced := time.Now()
		times.Compute = reduced.Sub(start)
		t.allReduce()
		optStart := time.Now()
		times.AllReduce = optStart.Sub(reduced)
		t.applyAdam()
		times.Optimizer = time.Since(optStart)
	}

	var total Result
	for _, r := range t.results {
		total.LossSum += r.LossSum
		total.Correct += r.Correct
	}
	return total, times, nil
}

// stepFused is the step of a single fast replica that applies Adam itself,
// block by block inside its backward pass, on its own workers: the gradient
// is the one replica's sum (there is nothing to reduce), and Adam
// reads it with the same scale 1/batch as applyAdam, so the weights are
// bitwise those of the unfused step.
//
// Optimizer is the summed wall time of the update calls and Compute the rest
// of the step. With several threads the calls run concurrently, so Optimizer
// is summed work, not elapsed time, and may exceed the step's share of wall
// time spent in Adam; it is clamped to the step's duration so that Compute
// never goes negative. AllReduce is 0.
func (t *Trainer) stepFused(b Batch) (StepTimes, error) {
	t.step = t.opt.Begin()
	t.step.GradScale = float32(1) / float32(t.cfg.GlobalBatch)
	t.optNanos.Store(0)
	start := time.Now()
	res, err := t.fused.GradientsFused(t.params, b, t.grads[0], t.updateFn)
	total := time.Since(start)
	if err != nil {
		t.opt.t-- // no update was applied (FusedReplica's contract): undo Begin
		return StepTimes{}, err
	}
	t.results[0] = res
	opt := min(time.Duration(t.optNanos.Load()), total)
	return StepTimes{Compute: total - opt, Optimizer: opt}, nil
}

// fusedUpdate is the FusedReplica's update callback: Adam on one block of
// one tensor, timed.
func (t *Trainer) fusedUpdate(i, lo, hi int) {
	start := time.Now()
	t.opt.Update(t.step, t.params, t.grads[0], i, lo, hi)
	t.optNanos.Add(int64(time.Since(start)))
}

// computeGradients runs every replica on its shard, in parallel. Replica r
// owns units [r*U/R, (r+1)*U/R): its shard in fast mode, its micro-shards in
// canonical mode; unit u always covers the same samples.
func (t *Trainer) computeGradients(b Batch) error {
	R, U := len(t.replicas), len(t.grads)
	size := b.Len() / U
	run := func(r int) {
		if t.subtree > 1 { // the replica forms its units' subtree of the canonical tree
			u := r * t.subtree
			tr := t.replicas[r].(TreeReplica)
			res, err := tr.GradientsTree(t.params, b.Slice(u*size, (u+t.subtree)*size), size, t.grads[u])
			clear(t.results[u : u+t.subtree])
			t.results[u], t.errs[r] = res, err
			return
		}
		for u := r * U / R; u < (r+1)*U/R; u++ {
			res, err := t.replicas[r].Gradients(t.params, b.Slice(u*size, (u+1)*size), t.grads[u])
			t.results[u] = res
			if err != nil {
				t.errs[r] = err
				return
			}
		}
	}
	if R == 1 {
		run(0)
	} else {
		t.team.Run(func(part, parts int) {
			for r := part; r < R; r += parts {
				run(r)
			}
		})
	}
	return errors.Join(t.errs...)
}

// allReduce sums the units' gradients into grads[0], all but the last
// addition, which Adam performs as it reads (see lastPartner). Fast mode adds
// the units in order (g0+g1+g2+...); canonical mode adds neighbours pairwise,
// level by level, a tree fixed by the micro-shard count alone. Either way the
// work is split over element ranges, so the thread count never changes a sum.
func (t *Trainer) allReduce() {
	if len(t.grads) <= 2 {
		return
	}
	last := t.lastPartner()
	t.parallelRanges(func(i, lo, hi int) {
		if t.cfg.Canonical {
			for stride := t.subtree; stride < len(t.grads); stride *= 2 {
				for u := 0; u+stride < len(t.grads); u += 2 * stride {
					if u == 0 && u+stride == last {
						continue
					}
					kernels.Add(t.grads[u].T[i].Data[lo:hi], t.grads[u+stride].T[i].Data[lo:hi])
				}
			}
			return
		}
		for u := 1; u < last; u++ {
			kernels.Add(t.grads[0].T[i].Data[lo:hi], t.grads[u].T[i].Data[lo:hi])
		}
	})
}

// lastPartner is the unit whose addition into grads[0] ends the reduction:
// the last unit in fast mode, the root's right child in the canonical tree
// (the largest power of two below the unit count); -1 when nothing is left
// to add.
func (t *Trainer) lastPartner() int {
	u := len(t.grads)
	if u == 1 || t.subtree >= u { // one unit, or one replica reduced them all
		return -1
	}
	if !t.cfg.Canonical {
		return u - 1
	}
	p := 1
	for p*2 < u {
		p *= 2
	}
	return p
}

// applyAdam updates the parameters with the mean gradient: Adam reads the
// sum (finishing the reduction with its last addition) and scales it by
// 1/batch in the same pass.
func (t *Trainer) applyAdam() {
	step := t.opt.Begin()
	step.GradScale = float32(1) / float32(t.cfg.GlobalBatch)
	last := t.lastPartner()
	t.parallelRanges(func(i, lo, hi int) {
		if last < 0 {
			t.opt.Update(step, t.params, t.grads[0], i, lo, hi)
		} else {
			t.opt.UpdateSum(step, t.params, t.grads[0], t.grads[last], i, lo, hi)
		}
	})
}

// parallelRanges calls f over every tensor's elements on the trainer's team,
// each large tensor split into one contiguous range per worker. Element-wise
// work only: the split never changes a result.
func (t *Trainer) parallelRanges(f func(tensor, lo, hi int)) {
	const minSplit = 1 << 14
	if t.workers == 1 {
		for i := range t.params.T {
			f(i, 0, len(t.params.T[i].Data))
		}
		return
	}
	t.team.Run(func(part, parts int) {
		for i := range t.params.T {
			n := len(t.params.T[i].Data)
			switch {
			case n >= minSplit:
				f(i, part*n/parts, (part+1)*n/parts)
			case part == 0:
				f(i, 0, n)
			}
		}
	})
}

// Evaluate runs the forward pass over data in chunks of EvalChunk, the chunks
// dealt round-robin to the replicas and summed in chunk order.
func (t *Trainer) Evaluate(data Batch) (Result, error) {
	chunk := t.cfg.EvalChunk
	n := (data.Len() + chunk - 1) / chunk
	res := make([]Result, n)
	errs := make([]error, len(t.replicas))
	var wg sync.WaitGroup
	for r, rep := range t.replicas {
		wg.Go(func() {
			for c := r; c < n; c += len(t.replicas) {
				res[c], errs[r] = rep.Evaluate(t.params, data.Slice(c*chunk, min((c+1)*chunk, data.Len())))
				if errs[r] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	var total Result
	for _, r := range res {
		total.LossSum += r.LossSum
		total.Correct += r.Correct
	}
	return total, errors.Join(errs...)
}
