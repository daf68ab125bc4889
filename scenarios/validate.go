package scenarios

import (
	"fmt"
	"math"
	"strings"
)

// checker applies defaults to and validates one scenario. idx, when not
// nil, says which fields the file sets and where.
type checker struct {
	s    *Scenario
	file string
	idx  *index
}

// errorf reports a problem with field, on the field's line (or that of its
// nearest enclosing field when the file does not set it).
func (c *checker) errorf(field, format string, args ...any) *Error {
	return &Error{File: c.file, Line: c.idx.line(field), Field: field, Msg: fmt.Sprintf(format, args...)}
}

// errorAt reports a problem with fields[0] on the line of the first of
// fields the file sets: a rule that ties several fields together is blamed
// where the user wrote one of them, even when fields[0] took its default.
func (c *checker) errorAt(fields []string, format string, args ...any) *Error {
	e := c.errorf(fields[0], format, args...)
	for _, f := range fields {
		if c.idx.present(f) {
			e.Line = c.idx.line(f)
			break
		}
	}
	return e
}

// validate runs the checks in the order a reader of the file meets the
// fields and reports the first failure.
func (c *checker) validate() error {
	checks := []func() *Error{
		c.checkName, c.checkEngine, c.checkDevices, c.checkStrategy,
		c.checkReduction, c.checkCounts, c.checkSeeds, c.checkReplicas,
		c.checkBatchSplit, c.checkMicroShard, c.checkTrainLimit,
		c.checkWarmup, c.checkOptimizer, c.checkTargets, c.checkReference,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// isID reports whether s is an id: lowercase letters, digits and '-', not
// starting with '-'.
func isID(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func (c *checker) checkName() *Error {
	switch name := c.s.Name; {
	case name == "" && !c.idx.present("name"):
		return c.errorf("name", "missing; every scenario needs a name")
	case !isID(name):
		return c.errorf("name", "%q must be lowercase letters, digits and '-', not starting with '-'", name)
	}
	return nil
}

// oneOf checks that field's value is one of want.
func (c *checker) oneOf(field, noun, value string, want ...string) *Error {
	for _, w := range want {
		if value == w {
			return nil
		}
	}
	last := len(want) - 1
	alternatives := want[last]
	if last > 0 {
		alternatives = strings.Join(want[:last], ", ") + " or " + want[last]
	}
	return c.errorf(field, "unknown %s %q; want %s", noun, value, alternatives)
}

func (c *checker) checkEngine() *Error {
	return c.oneOf("engine", "engine", c.s.Engine, EngineGorgonia, EngineNative, EngineOpenCL, EnginePyTorch)
}

func (c *checker) checkDevices() *Error {
	d, err := ParseDevices(c.s.Devices)
	if err != nil {
		return c.errorf("devices", "%v", err)
	}
	c.s.Device = d
	switch e := c.s.Engine; {
	case e == EngineOpenCL && d.Kind == kindCPU:
		return c.errorAt([]string{"devices", "engine"}, "engine opencl runs on OpenCL devices: gpu:0, gpu:0,1, gpu:all, gpu:0x2 or cl:0-1 (any OpenCL device, pocl's CPU devices included), not %s", c.s.Devices)
	case e != EngineOpenCL && d.Kind == kindCL:
		return c.errorAt([]string{"devices", "engine"}, "%s (any OpenCL device) needs engine opencl, not %s", c.s.Devices, e)
	case e != EngineOpenCL && d.Shared():
		return c.errorAt([]string{"devices", "engine"}, "%s shares a device between replicas, which only engine opencl does (engine is %s)", c.s.Devices, e)
	}
	return nil
}

func (c *checker) checkStrategy() *Error {
	return c.oneOf("strategy", "strategy", c.s.Strategy, StrategySingle, StrategyMirrored)
}

func (c *checker) checkReduction() *Error {
	if err := c.oneOf("reduction", "reduction", c.s.Reduction, ReductionFast, ReductionCanonical); err != nil {
		return err
	}
	if c.s.Engine == EnginePyTorch && c.s.Reduction != ReductionFast {
		return c.errorAt([]string{"reduction", "engine"}, "engine pytorch reduces with DistributedDataParallel's all-reduce: reduction must be fast, not %s", c.s.Reduction)
	}
	return nil
}

// checkCounts checks the integer fields that stand on their own.
func (c *checker) checkCounts() *Error {
	s := c.s
	switch {
	case s.Epochs < 1:
		return c.errorf("epochs", "%d is below 1", s.Epochs)
	case s.GlobalBatch < 1:
		return c.errorf("global_batch", "%d is below 1", s.GlobalBatch)
	case s.MicroShard < 1:
		return c.errorf("micro_shard", "%d is below 1", s.MicroShard)
	case s.WarmupSteps < 0:
		return c.errorf("warmup_steps", "%d is below 0", s.WarmupSteps)
	case s.TrainLimit < 0 || s.TrainLimit > TrainImages:
		return c.errorf("train_limit", "%d is outside 0 (all %d images) and 1..%d", s.TrainLimit, TrainImages, TrainImages)
	}
	return nil
}

func (c *checker) checkSeeds() *Error {
	s := c.s
	if len(s.Seeds) == 0 {
		if c.idx.present("seeds") {
			return c.errorf("seeds", "empty list; remove it or list at least one seed")
		}
		return nil
	}
	if c.idx.present("seed") {
		return c.errorf("seeds", "set either seed or seeds, not both (seed is at line %d)", c.idx.line("seed"))
	}
	for i, seed := range s.Seeds {
		for j := range i {
			if s.Seeds[j] == seed {
				return c.errorf(fmt.Sprintf("seeds[%d]", i), "seed %d is listed twice", seed)
			}
		}
	}
	return nil
}

// checkReplicas enforces the strategy and device rules of Help.
func (c *checker) checkReplicas() *Error {
	s, d := c.s, c.s.Device
	if s.Strategy == StrategySingle {
		switch {
		case d.All:
			return c.errorf("devices", "%[1]s:all needs strategy mirrored; strategy single runs one replica (use %[1]s:0)", d.Kind)
		case len(d.IDs) > 1:
			return c.errorf("devices", "%s lists %d devices but strategy single runs one replica (use strategy: mirrored)", s.Devices, len(d.IDs))
		case s.Replicas != 1:
			return c.errorf("replicas", "strategy single runs 1 replica, not %d", s.Replicas)
		}
		return nil
	}
	switch {
	case d.isList() && s.Replicas != len(d.IDs):
		return c.errorf("replicas", "%d does not match the %d devices of %s", s.Replicas, len(d.IDs), s.Devices)
	case d.All && s.Replicas != 0:
		return c.errorf("replicas", "%[1]s:all takes the replica count from the devices found at run time; remove replicas or list the devices (%[1]s:0-3)", d.Kind)
	case d.Kind == kindCPU && !d.isList() && d.Threads != 1:
		return c.errorf("devices", "strategy mirrored takes CPU replicas as a list (cpu:0-3) or as cpu with replicas: R, not the thread count %s", s.Devices)
	case d.Kind == kindCPU && !d.isList() && s.Replicas < 1:
		return c.errorAt([]string{"replicas", "strategy"}, "strategy mirrored on %s needs replicas >= 1 (R replicas of one thread each), or a list such as cpu:0-1", s.Devices)
	}
	return nil
}

// checkBatchSplit: mirrored splits the global batch evenly. With gpu:all the
// count is known only at run time, so the caller must check it then.
func (c *checker) checkBatchSplit() *Error {
	s := c.s
	if s.Replicas > 0 && s.GlobalBatch%s.Replicas != 0 {
		return c.errorAt([]string{"global_batch", "replicas", "devices", "strategy"},
			"%d is not divisible by replicas (%d)", s.GlobalBatch, s.Replicas)
	}
	return nil
}

// checkMicroShard: canonical reduction cuts the batch into fixed
// micro-shards and hands each replica a whole number of them.
func (c *checker) checkMicroShard() *Error {
	s := c.s
	if s.Reduction != ReductionCanonical {
		if c.idx.present("micro_shard") {
			return c.errorf("micro_shard", "applies only to reduction canonical (reduction is %s)", s.Reduction)
		}
		return nil
	}
	if s.GlobalBatch%s.MicroShard != 0 {
		return c.errorAt([]string{"micro_shard", "global_batch", "reduction"},
			"%d does not divide global_batch (%d)", s.MicroShard, s.GlobalBatch)
	}
	shards := s.GlobalBatch / s.MicroShard
	if s.Replicas > 0 && shards%s.Replicas != 0 {
		return c.errorAt([]string{"micro_shard", "replicas", "global_batch", "reduction"},
			"global_batch %d makes %d micro-shards of %d, which do not split evenly over %d replicas",
			s.GlobalBatch, shards, s.MicroShard, s.Replicas)
	}
	return nil
}

func (c *checker) checkTrainLimit() *Error {
	s := c.s
	if s.TrainLimit != 0 && s.TrainLimit < s.GlobalBatch {
		return c.errorf("train_limit", "%d images make no full batch of %d", s.TrainLimit, s.GlobalBatch)
	}
	return nil
}

// images is the number of training images a run uses.
func (s *Scenario) images() int {
	if s.TrainLimit == 0 {
		return TrainImages
	}
	return s.TrainLimit
}

func (c *checker) checkWarmup() *Error {
	s := c.s
	if steps := s.images() / s.GlobalBatch; s.WarmupSteps >= steps {
		return c.errorAt([]string{"warmup_steps", "train_limit", "global_batch"},
			"%d leaves no step to measure: an epoch has %d steps", s.WarmupSteps, steps)
	}
	return nil
}

func (c *checker) checkOptimizer() *Error {
	o := c.s.Optimizer
	if err := c.oneOf("optimizer.name", "optimizer", o.Name, KerasAdam.Name); err != nil {
		return err
	}
	positive := func(x float64) bool { return x > 0 && !math.IsInf(x, 1) }
	unit := func(x float64) bool { return x >= 0 && x < 1 } // false for NaN
	switch {
	case !positive(o.LearningRate):
		return c.errorf("optimizer.learning_rate", "%v must be a finite number > 0", o.LearningRate)
	case !unit(o.Beta1):
		return c.errorf("optimizer.beta_1", "%v is outside [0, 1)", o.Beta1)
	case !unit(o.Beta2):
		return c.errorf("optimizer.beta_2", "%v is outside [0, 1)", o.Beta2)
	case !positive(o.Epsilon):
		return c.errorf("optimizer.epsilon", "%v must be a finite number > 0", o.Epsilon)
	}
	return nil
}

func (c *checker) checkTargets() *Error {
	for i, t := range c.s.Targets {
		p := fmt.Sprintf("targets[%d]", i)
		if t.Metric == "" && !c.idx.present(p+".metric") {
			return c.errorf(p+".metric", "missing; want %s or %s", MetricTestAccuracy, MetricTrainAccuracy)
		}
		if err := c.oneOf(p+".metric", "metric", t.Metric, MetricTestAccuracy, MetricTrainAccuracy); err != nil {
			return err
		}
		switch {
		case c.idx != nil && !c.idx.present(p+".min"):
			return c.errorf(p+".min", "missing; the accuracy to reach, in [0, 1]")
		case !(t.Min >= 0 && t.Min <= 1):
			return c.errorf(p+".min", "%v is outside [0, 1]", t.Min)
		case t.ByEpoch < 1 || t.ByEpoch > c.s.Epochs:
			return c.errorAt([]string{p + ".by_epoch", "epochs"}, "%d is outside 1..%d (epochs)", t.ByEpoch, c.s.Epochs)
		}
	}
	return nil
}

func (c *checker) checkReference() *Error {
	if !isID(c.s.Reference) {
		return c.errorf("reference", "%q is not a result id (lowercase letters, digits and '-')", c.s.Reference)
	}
	return nil
}
