package trainer

import (
	"errors"
	"fmt"
	"time"
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
	replicas []Replica
	path     stepPath // how a step runs, chosen once by NewTrainer
}

// stepPath is one way of taking a training step on the trainer's parameters.
type stepPath interface {
	// step trains on one global batch and reports the summed results.
	step(b Batch) (Result, StepTimes, error)
	// gradientSum is the last step's gradient: the sum over the global batch,
	// before Adam scales it to the mean (for tests).
	gradientSum() *Params
	close()
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

// NewTrainer builds R replicas, starts from a copy of init, and picks the
// step path: the fused one where a single fast replica applies Adam itself
// (FusedReplica), else replicas, then a fast or canonical reduction, then Adam.
func NewTrainer(cfg Config, init *Params) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{cfg: cfg, params: init.Clone()}
	shard := cfg.GlobalBatch / cfg.Replicas // a TreeReplica takes all its micro-shards at once
	for r := range cfg.Replicas {
		rc := ReplicaConfig{Threads: cfg.Threads, MaxBatch: max(shard, EvalChunk), Device: cfg.Device, DeviceIdx: r}
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
	opt := NewAdam(cfg.Adam)
	if fr, ok := t.replicas[0].(FusedReplica); ok && cfg.Replicas == 1 && !cfg.Canonical {
		t.path = newFusedStep(fr, t.params, opt, cfg.GlobalBatch)
	} else {
		t.path = newReducedStep(cfg, t.replicas, t.params, opt)
	}
	return t, nil
}

// Params is the one true copy of the parameters.
func (t *Trainer) Params() *Params { return t.params }

// Replicas are the trainer's replicas, in replica order: for reports of
// what an engine measured on each (device times).
func (t *Trainer) Replicas() []Replica { return t.replicas }

// Close releases the replicas.
func (t *Trainer) Close() {
	for _, r := range t.replicas {
		r.Close()
	}
	t.replicas = nil
	if t.path != nil {
		t.path.close()
		t.path = nil
	}
}

// Step trains on one global batch: gradients, all-reduce, Adam. A failed
// step leaves the parameters and the optimizer as they were.
func (t *Trainer) Step(b Batch) (Result, StepTimes, error) {
	if b.Len() != t.cfg.GlobalBatch {
		return Result{}, StepTimes{}, fmt.Errorf("batch of %d, want %d", b.Len(), t.cfg.GlobalBatch)
	}
	return t.path.step(b)
}

// Evaluate runs the forward pass of the current parameters over data, the
// chunks of EvalChunk images dealt round-robin to the replicas: the result
// of the package's Evaluate, whatever the replica count.
func (t *Trainer) Evaluate(data Batch) (Result, error) {
	return evaluate(t.replicas, t.params, data)
}
