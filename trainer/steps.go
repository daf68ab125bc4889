package trainer

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/mirrorbench/mirrorbench/trainer/internal/team"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// fusedStep is the step of a single fast replica that applies Adam itself,
// block by block inside its backward pass, on its own workers (see
// FusedReplica): the gradient is the one replica's sum (there is nothing to
// reduce), and Adam reads it with the same scale 1/batch as reducedStep, so
// the weights are bitwise those of the unfused step.
type fusedStep struct {
	replica FusedReplica
	params  *Params
	opt     *Adam
	grads   *Params
	scale   float32 // 1/global batch: Adam turns the gradient sum into the mean

	// update is s.updateBlock, made once so that a step allocates nothing;
	// it applies coeffs and adds its wall time to optNanos.
	update   func(tensor, lo, hi int)
	coeffs   AdamStep
	optNanos atomic.Int64
}

func newFusedStep(rep FusedReplica, params *Params, opt *Adam, batch int) *fusedStep {
	s := &fusedStep{replica: rep, params: params, opt: opt, grads: NewParams(), scale: 1 / float32(batch)}
	s.update = s.updateBlock
	return s
}

// step reports Optimizer as the summed wall time of the update calls and
// Compute as the rest of the step. With several threads the calls run
// concurrently, so Optimizer is summed work, not elapsed time, and may exceed
// the step's share of wall time spent in Adam; it is clamped to the step's
// duration so that Compute never goes negative. AllReduce is 0.
func (s *fusedStep) step(b Batch) (Result, StepTimes, error) {
	s.coeffs = s.opt.Next()
	s.coeffs.GradScale = s.scale
	s.optNanos.Store(0)
	start := time.Now()
	res, err := s.replica.GradientsFused(s.params, b, s.grads, s.update)
	total := time.Since(start)
	if err != nil {
		return Result{}, StepTimes{}, err // no update was applied (FusedReplica's contract): nothing to commit
	}
	s.opt.Commit()
	opt := min(time.Duration(s.optNanos.Load()), total)
	return res, StepTimes{Compute: total - opt, Optimizer: opt}, nil
}

// updateBlock is the FusedReplica's update callback: Adam on one block of
// one tensor, timed.
func (s *fusedStep) updateBlock(i, lo, hi int) {
	start := time.Now()
	s.opt.Update(s.coeffs, s.params, s.grads, i, lo, hi)
	s.optNanos.Add(int64(time.Since(start)))
}

func (s *fusedStep) gradientSum() *Params { return s.grads.Clone() }

func (s *fusedStep) close() {}

// reducedStep is the step in three phases: the replicas compute the
// gradients of their units in parallel, the reduction sums the units'
// gradients, and Adam updates the parameters; all three run on one team of
// R*threads workers.
//
// A unit is a fixed part of the global batch with its own gradient buffer:
// a replica's shard in fast mode, a micro-shard in canonical mode. Replica r
// owns units [r*U/R, (r+1)*U/R), and unit u always covers the same samples.
type reducedStep struct {
	replicas []Replica
	params   *Params
	opt      *Adam
	scale    float32       // 1/global batch: Adam turns the gradient sum into the mean
	units    []*Params     // each unit's gradient; units[0] ends up as the sum
	sum      reduction     // how the units' gradients are added up
	results  []Result      // per unit
	errs     []error       // per replica
	workers  int           // R*threads
	team     *team.Team    // the workers: replicas, then element ranges
	ranges   []tensorRange // parallelRanges' pieces, made on first use
	claims   *team.Claims  // who takes which replica or range
	// subtree > 1: in canonical mode every replica is a TreeReplica owning a
	// power-of-two block of units, a complete subtree of the canonical tree,
	// which it reduces itself (GradientsTree); the reduction adds only the
	// levels above.
	subtree int
}

func newReducedStep(cfg Config, reps []Replica, params *Params, opt *Adam) *reducedStep {
	units := cfg.Replicas
	if cfg.Canonical {
		units = cfg.GlobalBatch / cfg.MicroShard
	}
	s := &reducedStep{
		replicas: reps, params: params, opt: opt, scale: 1 / float32(cfg.GlobalBatch),
		results: make([]Result, units), errs: make([]error, len(reps)),
		workers: cfg.Replicas * cfg.Threads, subtree: treeBlock(cfg, reps),
	}
	for range units {
		s.units = append(s.units, NewParams())
	}
	if cfg.Canonical {
		s.sum = canonicalReduction(s.units, s.subtree)
	} else {
		s.sum = fastReduction(s.units)
	}
	// One team for the replicas and the element-wise phases: its helpers
	// stay on their cores for the whole step, where goroutines spawned per
	// phase would queue behind the spawner.
	s.team = team.New(s.workers)
	s.claims = team.NewClaims(s.workers)
	return s
}

func (s *reducedStep) step(b Batch) (Result, StepTimes, error) {
	var times StepTimes
	start := time.Now()
	if err := s.computeGradients(b); err != nil {
		return Result{}, times, err
	}
	reduced := time.Now()
	times.Compute = reduced.Sub(start)
	s.reduce()
	optStart := time.Now()
	times.AllReduce = optStart.Sub(reduced)
	s.applyAdam()
	times.Optimizer = time.Since(optStart)

	var total Result
	for _, r := range s.results {
		total.Add(r)
	}
	return total, times, nil
}

// computeGradients runs every replica on its units, in parallel where the
// workers get their cores.
func (s *reducedStep) computeGradients(b Batch) error {
	R, U := len(s.replicas), len(s.units)
	size := b.Len() / U
	clear(s.errs)
	run := func(r int) {
		if s.subtree > 1 { // the replica forms its units' subtree of the canonical tree
			u := r * s.subtree
			tr := s.replicas[r].(TreeReplica)
			res, err := tr.GradientsTree(s.params, b.Slice(u*size, (u+s.subtree)*size), size, s.units[u])
			clear(s.results[u : u+s.subtree])
			s.results[u], s.errs[r] = res, err
			return
		}
		for u := r * U / R; u < (r+1)*U/R; u++ {
			res, err := s.replicas[r].Gradients(s.params, b.Slice(u*size, (u+1)*size), s.units[u])
			s.results[u] = res
			if err != nil {
				s.errs[r] = err
				return
			}
		}
	}
	if R == 1 {
		run(0)
	} else {
		// Each worker drives its own replicas first (the same every step,
		// their buffers in its core's caches), then those another worker
		// has not started: any goroutine may drive a replica (one at a time), so
		// a worker whose thread the OS has not scheduled leaves its replica
		// to the others instead of holding up the step (team.RunChunks).
		s.claims.Reset()
		s.team.RunChunks(func(part, parts int) {
			for r := s.claims.Next(part, R); r < R; r = s.claims.Next(part, R) {
				run(r)
			}
		})
	}
	return errors.Join(s.errs...)
}

// reduce performs the reduction's additions but the final one, which Adam
// performs as it reads (applyAdam). The work is split over element ranges,
// so the thread count never changes a sum.
func (s *reducedStep) reduce() {
	if len(s.sum.adds) == 0 {
		return
	}
	s.parallelRanges(func(i, lo, hi int) {
		for _, a := range s.sum.adds {
			kernels.Add(a.dst.T[i].Data[lo:hi], a.src.T[i].Data[lo:hi])
		}
	})
}

// applyAdam updates the parameters with the mean gradient: Adam reads the
// sum (finishing the reduction with its final addition) and scales it by
// 1/batch in the same pass.
func (s *reducedStep) applyAdam() {
	step := s.opt.Next()
	step.GradScale = s.scale
	g, final := s.units[0], s.sum.final
	s.parallelRanges(func(i, lo, hi int) {
		if final == nil {
			s.opt.Update(step, s.params, g, i, lo, hi)
		} else {
			s.opt.UpdateSum(step, s.params, g, final, i, lo, hi)
		}
	})
	s.opt.Commit()
}

// parallelRanges calls f over every tensor's elements on the team: a small
// tensor whole, a large one in rangeChunk pieces, each worker taking its own
// pieces first (the same every step: the moments it updates stay in its
// core's caches), then those another worker has left (so a worker whose core
// is taken by other work leaves its share to the others). Element-wise work
// only: the split never changes a result.
func (s *reducedStep) parallelRanges(f func(tensor, lo, hi int)) {
	if s.workers == 1 {
		for i := range s.params.T {
			f(i, 0, len(s.params.T[i].Data))
		}
		return
	}
	if s.ranges == nil {
		for i := range s.params.T {
			n := len(s.params.T[i].Data)
			for lo := 0; lo < n; lo += rangeChunk {
				s.ranges = append(s.ranges, tensorRange{i, lo, min(lo+rangeChunk, n)})
			}
		}
	}
	s.claims.Reset()
	n := len(s.ranges)
	s.team.RunChunks(func(part, parts int) {
		for c := s.claims.Next(part, n); c < n; c = s.claims.Next(part, n) {
			r := s.ranges[c]
			f(r.tensor, r.lo, r.hi)
		}
	})
}

// rangeChunk is the elements per piece of parallelRanges: 32 Ki elements,
// 22 pieces of the dense kernel, each well above a hand-off's cost.
const rangeChunk = 1 << 15

// tensorRange is elements [lo, hi) of tensor.
type tensorRange struct{ tensor, lo, hi int }

func (s *reducedStep) gradientSum() *Params {
	sum := s.units[0].Clone()
	if s.sum.final != nil {
		sum.Add(s.sum.final)
	}
	return sum
}

func (s *reducedStep) close() { s.team.Close() }
