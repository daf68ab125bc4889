package trainer

// Batch is a set of samples: X holds Len()*784 pixels in [0,1] (row-major
// 28x28, channels_last with one channel), Y the class labels 0..9.
type Batch struct {
	X []float32
	Y []uint8
}

// Len is the number of samples.
func (b Batch) Len() int { return len(b.Y) }

// Slice returns samples [i, j) without copying.
func (b Batch) Slice(i, j int) Batch {
	return Batch{X: b.X[i*ImagePixels : j*ImagePixels], Y: b.Y[i:j]}
}

// Result is what a replica reports for a shard.
type Result struct {
	LossSum float64 // sum over the shard of Keras's cross-entropy (from the logits)
	Correct int     // samples whose arg-max prediction equals the label
}

// Add accumulates o into r: the results of shards, summed in the order Add
// is called (the loss sum is float64, so the order is part of the bits).
func (r *Result) Add(o Result) {
	r.LossSum += o.LossSum
	r.Correct += o.Correct
}

// Replica is one copy of the model on one device. The strategy owns the one
// true copy of the parameters and passes it on every call; a replica reads it
// (or copies it to its device) and never writes it.
//
// Loss per sample is Keras's in fit and evaluate: from the logits z,
// loss = log(sum_j exp(z_j - max z)) - (z[label] - max z), no clip
// (docs/reference.md). Gradients are of the SUM of per-sample losses over the
// shard (not the mean), in the layouts of Params; the strategy scales them.
type Replica interface {
	// Gradients overwrites grads with d(sum of losses)/d(params) on the shard.
	Gradients(p *Params, b Batch, grads *Params) (Result, error)
	// Evaluate runs the forward pass only.
	Evaluate(p *Params, b Batch) (Result, error)
	// Close releases the replica's resources.
	Close() error
}

// ReplicaConfig tells an engine how to build a replica.
type ReplicaConfig struct {
	Threads   int // intra-op goroutines (CPU engines); >= 1
	MaxBatch  int // the largest shard Gradients or Evaluate will be given
	Device    string
	DeviceIdx int
}

// Engine builds replicas of the reference model on one kind of device.
type Engine interface {
	Name() string
	// Devices lists the device kinds this build of the engine can use ("cpu", "gpu").
	Devices() []string
	NewReplica(cfg ReplicaConfig) (Replica, error)
}

// TreeReplica is a Replica that forms the canonical micro-shard tree itself:
// GradientsTree overwrites grads with the sum over b's consecutive micro-shards of
// `micro` samples (b.Len() = k*micro, k a power of two), each micro-shard's gradient
// of its summed loss combined pairwise level by level — ((g0+g1)+(g2+g3)) for k = 4 —
// bitwise equal to calling Gradients on each micro-shard and adding the results with
// float32 additions in that tree. Result is the sum over b.
type TreeReplica interface {
	Replica
	GradientsTree(p *Params, b Batch, micro int, grads *Params) (Result, error)
}

// FusedReplica is a Replica that applies the optimizer inside its backward
// pass: it calls update on each block of parameters as soon as the block's
// gradient is final and no later part of the step reads the block's old value
// (e.g. the dense kernel's rows right after they served the input gradient),
// on its own workers, so the optimizer needs no parallel pass of its own
// after the step.
//
// GradientsFused is Gradients (grads receives the full gradient of the summed
// loss, and update reads it from there) plus the calls to update: update may
// be called concurrently, on disjoint ranges [lo, hi) of tensor, and every
// element of every tensor is covered by exactly one call. It is the caller's
// update that writes p, so the replica must never read an element of p after
// handing its range to update. On error, update has not been called.
//
// The trainer uses it only when one replica computes the whole global batch's
// gradient (one replica, fast reduction), where the replica's gradient is the
// one Adam applies.
type FusedReplica interface {
	Replica
	GradientsFused(p *Params, b Batch, grads *Params, update func(tensor, lo, hi int)) (Result, error)
}
