// Package opencl is the GPU engine: the reference CNN's forward and backward
// passes as OpenCL C kernels (kernels.cl, embedded in the binary), run
// through package cl on any OpenCL device: GPUs (NVIDIA, AMD, Intel) and, for
// CI, CPU implementations such as pocl.
//
// Its numerics are the native engine's "fma" numerics, bit for bit: every
// value is computed by one work-item, in the order the native engine's SGEMM
// micro-kernels compute it (one fused multiply-add per product, in p order,
// from +0 or from the bias), with plain float32 additions where the native
// engine adds (bias sums, the canonical tree), and the loss - whose exp and
// log the native engine takes in float64 - on the host, with the native
// engine's code. The kernels are built with neither
// -cl-fast-relaxed-math, -cl-mad-enable nor -cl-denorms-are-zero, under
// FP_CONTRACT OFF.
//
// A replica owns one context and one command queue on its device; two
// replicas on one device (gpu:0x2) are two contexts, two queues. Each call
// uploads the parameters (the strategy owns the one true copy and applies
// Adam on the host, as for the CPU engines), runs the kernels, reads back
// the logits (the loss is the host's) and the gradient. The replica forms
// the canonical micro-shard tree itself (trainer.TreeReplica).
package opencl

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"sync"
	"time"

	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/opencl/cl"
)

// Source is the kernels' OpenCL C source.
//
//go:embed kernels.cl
var Source string

// Name is the engine's name in scenarios.
const Name = "opencl"

// Numerics says how the engine's arithmetic departs from Keras's formulas:
// that of the native engine's fma path.
const Numerics = "the native engine's fma numerics on an OpenCL device: its summation orders and fused multiply-adds " +
	"in OpenCL C (FP_CONTRACT OFF, explicit fma), exp and log on the host; Adam and the reduction on the host"

// Device kinds: "gpu" indexes the GPUs, "cl" every OpenCL device.
const (
	KindGPU = "gpu"
	KindCL  = "cl"
)

// Engine builds OpenCL replicas. It implements trainer.Engine.
type Engine struct{}

// New returns the OpenCL engine.
func New() trainer.Engine { return Engine{} }

// Name is "opencl".
func (Engine) Name() string { return Name }

// Devices is {"gpu", "cl"}.
func (Engine) Devices() []string { return []string{KindGPU, KindCL} }

// Find lists the devices of a kind (GPUs, or every OpenCL device for "cl")
// in the order ids index them, or says why there are none.
func Find(kind string) ([]*cl.Device, *cl.System, error) {
	sys, err := cl.Open()
	if err != nil {
		return nil, nil, err
	}
	switch kind {
	case KindGPU:
		gpus := sys.GPUs()
		if len(gpus) == 0 {
			return nil, sys, fmt.Errorf("no OpenCL GPU: %s", sys.Summary())
		}
		return gpus, sys, nil
	case KindCL:
		return sys.Devices, sys, nil
	}
	return nil, sys, fmt.Errorf("device kind %q: want gpu or cl", kind)
}

// BuildOptions are the options the kernels are built with on d: OpenCL C
// 1.2 and, where the device offers it, correctly rounded float division and
// square root (Adam's kernel needs both).
func BuildOptions(d *cl.Device) string {
	opts := "-cl-std=CL1.2"
	if d.CorrectDivSqrt {
		opts += " -cl-fp32-correctly-rounded-divide-sqrt"
	}
	return opts
}

// NewReplica builds a replica on device cfg.DeviceIdx of kind cfg.Device.
func (Engine) NewReplica(cfg trainer.ReplicaConfig) (trainer.Replica, error) {
	if cfg.MaxBatch < 1 {
		return nil, fmt.Errorf("opencl: MaxBatch = %d, want >= 1", cfg.MaxBatch)
	}
	devs, _, err := Find(cfg.Device)
	if err != nil {
		return nil, fmt.Errorf("opencl: %w", err)
	}
	if cfg.DeviceIdx < 0 || cfg.DeviceIdx >= len(devs) {
		return nil, fmt.Errorf("opencl: %s device %d not found (%d found)", cfg.Device, cfg.DeviceIdx, len(devs))
	}
	return newReplica(devs[cfg.DeviceIdx], cfg.MaxBatch)
}

// Shapes (trainer/model.go) and the packed parameter layout of kernels.cl.
const (
	pix     = trainer.ImagePixels
	flat    = trainer.Flat
	hidden  = trainer.Hidden
	classes = trainer.Classes
	dkLen   = (trainer.ConvKernel*trainer.ConvKernel + 1) * trainer.ConvFilters
	nParam  = 693962
	local   = 64 // work-group size, where the device allows it
	// denseGroup is kernels.cl's DF: the samples one work-item of
	// dense_forward computes.
	denseGroup = 4
)

// offsets are the tensors' offsets in the packed buffers, in Keras's order.
var offsets = [trainer.NumTensors + 1]int{0, 288, 320, 692544, 692672, 693952, nParam}

// kernel names, in the order of replica.k.
const (
	kConvForward = iota
	kDenseForward
	kOutputForward
	kOutWLeaf
	kOutBLeaf
	kHiddenGrad
	kDenseBLeaf
	kDenseWLeaf
	kDenseDx
	kConvBackward
	kConvLeaf
	kTreeAdd
	numKernels
)

var kernelNames = [numKernels]string{
	"conv_forward", "dense_forward", "output_forward", "out_w_leaf", "out_b_leaf", "hidden_grad",
	"dense_b_leaf", "dense_w_leaf", "dense_dx", "conv_backward", "conv_leaf", "tree_add",
}

// Stats are a replica's times so far: device times from the queue's
// profiling events (CL_PROFILING_COMMAND_START to _END), host wall time per
// call, split between gradient calls (training steps) and evaluation.
type Stats struct {
	Train, Eval Phase
	BuildTime   time.Duration // compiling the program (host wall time)
}

// Phase sums one kind of call.
type Phase struct {
	Calls     int
	Wall      time.Duration            // host wall time of the calls
	Kernels   time.Duration            // all kernels, on the device
	Transfers time.Duration            // host <-> device copies, on the device
	PerKernel map[string]time.Duration // by kernel name
	Upload    int64                    // bytes written to the device
	Download  int64                    // bytes read back
}

func (p Phase) clone() Phase {
	c := p
	c.PerKernel = make(map[string]time.Duration, len(p.PerKernel))
	for k, v := range p.PerKernel {
		c.PerKernel[k] = v
	}
	return c
}

// replica is one model on one device.
type replica struct {
	ctx      *cl.Ctx
	prog     cl.Program
	k        [numKernels]cl.Kernel
	maxBatch int
	local    int
	closed   bool

	params, x, pooled, arg, h, logits, dl, dh, dx, dk, leaves cl.Mem
	leafCap                                                   int // leaves' capacity in micro-shards

	hostLogits, hostDl []float32

	// The call in progress: its events and bytes moved, added to stats
	// (under mu) when it ends.
	events   []event
	up, down int64

	mu    sync.Mutex
	stats Stats
}

type event struct {
	ev     cl.Event
	kernel int // -1: a transfer
}

func newReplica(d *cl.Device, maxBatch int) (r *replica, err error) {
	ctx, err := cl.NewCtx(d)
	if err != nil {
		return nil, fmt.Errorf("opencl: %s: %w", d.Name, err)
	}
	r = &replica{ctx: ctx, maxBatch: maxBatch, local: local}
	defer func() {
		if err != nil {
			r.Close()
			r = nil
		}
	}()
	if d.MaxWorkGroup > 0 && int(d.MaxWorkGroup) < local {
		r.local = 0
	}
	start := time.Now()
	if r.prog, err = ctx.Build(Source, BuildOptions(d)); err != nil {
		return nil, fmt.Errorf("opencl: building the kernels for %s: %w", d.Name, err)
	}
	r.stats.BuildTime = time.Since(start)
	for i, name := range kernelNames {
		if r.k[i], err = ctx.Kernel(r.prog, name); err != nil {
			return nil, fmt.Errorf("opencl: %w", err)
		}
	}
	for _, b := range []struct {
		m *cl.Mem
		n int
	}{
		{&r.params, nParam}, {&r.x, maxBatch * pix}, {&r.pooled, maxBatch * flat}, {&r.arg, maxBatch * flat},
		{&r.h, maxBatch * hidden}, {&r.logits, maxBatch * classes}, {&r.dl, maxBatch * classes},
		{&r.dh, maxBatch * hidden}, {&r.dx, maxBatch * flat}, {&r.dk, maxBatch * dkLen},
	} {
		if *b.m, err = ctx.Buffer(b.n); err != nil {
			return nil, fmt.Errorf("opencl: allocating on %s: %w", d.Name, err)
		}
	}
	r.hostLogits = make([]float32, maxBatch*classes)
	r.hostDl = make([]float32, maxBatch*classes)
	return r, nil
}

// Reporter is what an OpenCL replica tells a record: its device and the
// times of its calls. Every replica NewReplica returns implements it.
type Reporter interface {
	Device() *cl.Device
	Stats() Stats
}

// Device is the replica's device.
func (r *replica) Device() *cl.Device { return r.ctx.Device }

// Stats returns the times so far.
func (r *replica) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Stats{Train: r.stats.Train.clone(), Eval: r.stats.Eval.clone(), BuildTime: r.stats.BuildTime}
}

// Gradients overwrites grads with the gradient of the summed loss on b.
func (r *replica) Gradients(p *trainer.Params, b trainer.Batch, grads *trainer.Params) (trainer.Result, error) {
	return r.gradients(p, b, b.Len(), grads)
}

// GradientsTree is Gradients as the canonical tree of b's micro-shards of
// micro samples (trainer.TreeReplica).
func (r *replica) GradientsTree(p *trainer.Params, b trainer.Batch, micro int, grads *trainer.Params) (trainer.Result, error) {
	n := b.Len()
	if micro < 1 || n%micro != 0 {
		return trainer.Result{}, fmt.Errorf("opencl: batch of %d is not a whole number of micro-shards of %d", n, micro)
	}
	if k := n / micro; k&(k-1) != 0 {
		return trainer.Result{}, fmt.Errorf("opencl: %d micro-shards of %d, want a power of two", k, micro)
	}
	return r.gradients(p, b, micro, grads)
}

func (r *replica) gradients(p *trainer.Params, b trainer.Batch, micro int, grads *trainer.Params) (res trainer.Result, err error) {
	if err := checkParams(grads); err != nil {
		return res, fmt.Errorf("opencl: grads: %w", err)
	}
	n := b.Len()
	if err := r.check(p, b); err != nil {
		return res, err
	}
	defer r.end(&err, &r.stats.Train, time.Now())
	if err := r.upload(p, b); err != nil {
		return res, err
	}
	k := n / micro
	if err := r.ensureLeaves(k); err != nil {
		return res, err
	}
	if err := r.forward(n); err != nil {
		return res, err
	}
	if err := r.read(r.logits, 0, r.hostLogits[:n*classes]); err != nil {
		return res, err
	}
	for s := range k {
		b0 := s * micro
		res.Add(softmaxLoss(micro, r.hostLogits[b0*classes:], b.Y[b0:], r.hostDl[b0*classes:]))
	}
	if err := r.write(r.dl, 0, r.hostDl[:n*classes]); err != nil {
		return res, err
	}
	m, ks := int32(micro), int32(k)
	steps := []struct {
		kernel int
		items  int
		args   []any
	}{
		{kOutWLeaf, k * hidden * classes, []any{r.h, r.dl, r.leaves, m, ks}},
		{kOutBLeaf, k * classes, []any{r.dl, r.leaves, m, ks}},
		{kHiddenGrad, n * hidden, []any{r.h, r.params, r.dl, r.dh, int32(n)}},
		{kDenseBLeaf, k * hidden, []any{r.dh, r.leaves, m, ks}},
		{kDenseWLeaf, k * flat * hidden, []any{r.pooled, r.dh, r.leaves, m, ks}},
		{kDenseDx, n * flat, []any{r.params, r.dh, r.dx, int32(n)}},
		{kConvBackward, n * dkLen, []any{r.x, r.arg, r.dx, r.dk, int32(n)}},
		{kConvLeaf, k * dkLen, []any{r.dk, r.leaves, m, ks}},
	}
	for _, s := range steps {
		if err := r.run(s.kernel, s.items, s.args...); err != nil {
			return res, err
		}
	}
	for stride := 1; stride < k; stride *= 2 {
		pairs := k / (2 * stride)
		if err := r.run(kTreeAdd, pairs*nParam, r.leaves, int32(stride), int32(pairs)); err != nil {
			return res, err
		}
	}
	for i := range grads.T {
		if err := r.read(r.leaves, offsets[i], grads.T[i].Data); err != nil {
			return res, err
		}
	}
	return res, nil
}

// Evaluate runs the forward pass only.
func (r *replica) Evaluate(p *trainer.Params, b trainer.Batch) (res trainer.Result, err error) {
	n := b.Len()
	if err := r.check(p, b); err != nil {
		return res, err
	}
	defer r.end(&err, &r.stats.Eval, time.Now())
	if err := r.upload(p, b); err != nil {
		return res, err
	}
	if err := r.forward(n); err != nil {
		return res, err
	}
	if err := r.read(r.logits, 0, r.hostLogits[:n*classes]); err != nil {
		return res, err
	}
	return softmaxLoss(n, r.hostLogits, b.Y, nil), nil
}

// check validates a call's inputs.
func (r *replica) check(p *trainer.Params, b trainer.Batch) error {
	n := b.Len()
	switch {
	case r.closed:
		return errors.New("opencl: replica is closed")
	case n < 1:
		return errors.New("opencl: empty batch")
	case n > r.maxBatch:
		return fmt.Errorf("opencl: batch of %d exceeds MaxBatch %d", n, r.maxBatch)
	case len(b.X) != n*pix:
		return fmt.Errorf("opencl: batch has %d pixels for %d labels", len(b.X), n)
	}
	for i, label := range b.Y {
		if label >= classes {
			return fmt.Errorf("opencl: label %d of sample %d out of range", label, i)
		}
	}
	if err := checkParams(p); err != nil {
		return fmt.Errorf("opencl: params: %w", err)
	}
	return nil
}

// upload writes the parameters and the images to the device.
func (r *replica) upload(p *trainer.Params, b trainer.Batch) error {
	// Non-blocking writes: p and b stay untouched until the call returns,
	// and every call ends with a blocking read, after which the in-order
	// queue has passed them.
	for i := range p.T {
		if err := r.write(r.params, offsets[i], p.T[i].Data); err != nil {
			return err
		}
	}
	return r.write(r.x, 0, b.X)
}

// forward runs the model up to the logits.
func (r *replica) forward(n int) error {
	nn := int32(n)
	if err := r.run(kConvForward, n*flat, r.x, r.params, r.pooled, r.arg, nn); err != nil {
		return err
	}
	if err := r.run(kDenseForward, (n+denseGroup-1)/denseGroup*hidden, r.pooled, r.params, r.h, nn); err != nil {
		return err
	}
	return r.run(kOutputForward, n*classes, r.h, r.params, r.logits, nn)
}

// end waits for the queue, then adds the call's profiling events, wall
// time and bytes moved to phase.
func (r *replica) end(err *error, phase *Phase, start time.Time) {
	if ferr := r.ctx.Finish(); ferr != nil && *err == nil {
		*err = fmt.Errorf("opencl: %w", ferr)
	}
	wall := time.Since(start)
	r.mu.Lock()
	defer r.mu.Unlock()
	if phase.PerKernel == nil {
		phase.PerKernel = map[string]time.Duration{}
	}
	phase.Calls++
	phase.Wall += wall
	phase.Upload += r.up
	phase.Download += r.down
	r.up, r.down = 0, 0
	for _, e := range r.events {
		ns, perr := r.ctx.Duration(e.ev)
		r.ctx.ReleaseEvent(e.ev)
		if perr != nil {
			continue
		}
		d := time.Duration(ns)
		if e.kernel < 0 {
			phase.Transfers += d
		} else {
			phase.Kernels += d
			phase.PerKernel[kernelNames[e.kernel]] += d
		}
	}
	r.events = r.events[:0]
}

// run sets kernel's arguments and enqueues it over items work-items.
func (r *replica) run(kernel, items int, args ...any) error {
	k := r.k[kernel]
	if err := r.ctx.SetArgs(k, args...); err != nil {
		return fmt.Errorf("opencl: %s: %w", kernelNames[kernel], err)
	}
	global := items
	if r.local > 0 {
		global = (items + r.local - 1) / r.local * r.local
	}
	ev, err := r.ctx.Run(k, global, r.local)
	if err != nil {
		return fmt.Errorf("opencl: %s: %w", kernelNames[kernel], err)
	}
	r.events = append(r.events, event{ev, kernel})
	return nil
}

func (r *replica) write(m cl.Mem, off int, src []float32) error {
	ev, err := r.ctx.Write(m, off, src, false)
	if err != nil {
		return fmt.Errorf("opencl: upload: %w", err)
	}
	r.up += int64(len(src) * 4)
	r.events = append(r.events, event{ev, -1})
	return nil
}

func (r *replica) read(m cl.Mem, off int, dst []float32) error {
	ev, err := r.ctx.Read(m, off, dst)
	if err != nil {
		return fmt.Errorf("opencl: read back: %w", err)
	}
	r.down += int64(len(dst) * 4)
	r.events = append(r.events, event{ev, -1})
	return nil
}

// ensureLeaves makes room for k micro-shards' gradients.
func (r *replica) ensureLeaves(k int) error {
	if k <= r.leafCap {
		return nil
	}
	k = 1 << bits.Len(uint(k-1)) // grow to a power of two
	m, err := r.ctx.Buffer(k * nParam)
	if err != nil {
		return fmt.Errorf("opencl: allocating %d gradient buffers: %w", k, err)
	}
	r.ctx.ReleaseMem(r.leaves)
	r.leaves, r.leafCap = m, k
	return nil
}

// Close releases the device objects.
func (r *replica) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	for _, m := range []cl.Mem{r.params, r.x, r.pooled, r.arg, r.h, r.logits, r.dl, r.dh, r.dx, r.dk, r.leaves} {
		r.ctx.ReleaseMem(m)
	}
	for _, k := range r.k {
		r.ctx.ReleaseKernel(k)
	}
	r.ctx.ReleaseProgram(r.prog)
	r.ctx.Release()
	return nil
}

// checkParams rejects tensors of the wrong size: the packed layout trusts them.
func checkParams(p *trainer.Params) error {
	for i := range p.T {
		if want := offsets[i+1] - offsets[i]; len(p.T[i].Data) != want {
			return fmt.Errorf("%s has %d values, want %d", p.T[i].Name, len(p.T[i].Data), want)
		}
	}
	return nil
}

// softmaxLoss is the native engine's (trainer/native/output.go), on the
// host, so that exp and log are the same functions: each sample's
// cross-entropy from the logits and, when dlogits is not nil, its gradient.
func softmaxLoss(n int, logits []float32, y []uint8, dlogits []float32) trainer.Result {
	var res trainer.Result
	var p [classes]float32
	for b := range n {
		z := logits[b*classes : (b+1)*classes]
		label := int(y[b])
		zmax := z[0]
		for _, v := range z {
			zmax = max(zmax, v)
		}
		var sum float32
		var shifted [classes]float32
		for k, v := range z {
			shifted[k] = v - zmax
			p[k] = float32(math.Exp(float64(shifted[k])))
			sum += p[k]
		}
		res.LossSum += float64(float32(math.Log(float64(sum))) - shifted[label])
		for k := range p {
			p[k] /= sum
		}
		best := 0
		for k, v := range p {
			if v > p[best] {
				best = k
			}
		}
		if best == label {
			res.Correct++
		}
		if dlogits == nil {
			continue
		}
		d := dlogits[b*classes : (b+1)*classes]
		for k := range d {
			d[k] = p[k]
			if k == label {
				d[k] -= 1
			}
		}
	}
	return res
}

// Describe is one line about a device for records and logs.
func Describe(d *cl.Device) string {
	parts := []string{d.Name, d.Vendor, d.Version, "driver " + d.DriverVersion, d.CVersion}
	return strings.Join(parts, ", ")
}
