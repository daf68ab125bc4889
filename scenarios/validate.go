package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
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

// intFields are the integer fields, with list indices removed from paths.
// yaml.v3 silently truncates 1.5 into an int field; these must be !!int.
var intFields = map[string]bool{
	"replicas": true, "micro_shard": true, "global_batch": true, "epochs": true,
	"seed": true, "seeds": true, "train_limit": true, "warmup_steps": true,
	"targets.by_epoch": true,
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// checkScalars rejects null values and non-integers in integer fields.
func (c *checker) checkScalars() error {
	for _, e := range c.idx.entries {
		v := e.val
		if v.Kind != yaml.ScalarNode {
			continue
		}
		switch {
		case v.ShortTag() == "!!null" && e.key != nil:
			return c.errorf(e.path, "has no value; remove the line to use the default")
		case v.ShortTag() == "!!null":
			return c.errorf(e.path, "null is not a value")
		case intFields[indexRE.ReplaceAllString(e.path, "")] && v.ShortTag() != "!!int":
			return c.errorf(e.path, "want an integer, got %s", tagWords(v.ShortTag(), v.Value))
		}
	}
	return nil
}

// setDefault sets *field to v when the file does not set path.
func setDefault[T any](c *checker, path string, field *T, v T) {
	if !c.idx.present(path) {
		*field = v
	}
}

// applyDefaults fills in every field the file leaves out.
func (c *checker) applyDefaults() {
	s := c.s
	setDefault(c, "engine", &s.Engine, EngineNative)
	setDefault(c, "devices", &s.Devices, "cpu")
	setDefault(c, "strategy", &s.Strategy, StrategySingle)
	setDefault(c, "reduction", &s.Reduction, ReductionFast)
	setDefault(c, "micro_shard", &s.MicroShard, 8)
	setDefault(c, "global_batch", &s.GlobalBatch, 32)
	setDefault(c, "epochs", &s.Epochs, 5)
	if !c.idx.present("seeds") {
		setDefault(c, "seed", &s.Seed, 1)
	}
	setDefault(c, "warmup_steps", &s.WarmupSteps, 20)
	setDefault(c, "optimizer.name", &s.Optimizer.Name, "adam")
	setDefault(c, "optimizer.learning_rate", &s.Optimizer.LearningRate, 0.001)
	setDefault(c, "optimizer.beta_1", &s.Optimizer.Beta1, 0.9)
	setDefault(c, "optimizer.beta_2", &s.Optimizer.Beta2, 0.999)
	setDefault(c, "optimizer.epsilon", &s.Optimizer.Epsilon, 1e-7)
	setDefault(c, "reference", &s.Reference, "keras-mnist-mirrored")
	for i := range s.Targets {
		setDefault(c, fmt.Sprintf("targets[%d].by_epoch", i), &s.Targets[i].ByEpoch, s.Epochs)
	}
	// The replica count follows from the strategy and the devices; a bad
	// devices string is reported by validate, in its turn.
	if d, err := ParseDevices(s.Devices); err == nil {
		setDefault(c, "replicas", &s.Replicas, defaultReplicas(s.Strategy, d))
	}
}

// defaultReplicas: 1 for single; for mirrored the listed ids, 0 for
// gpu:all (all GPUs found at run time), and 0 for the CPU thread forms,
// which validate rejects: there the user must say how many.
func defaultReplicas(strategy string, d DeviceSpec) int {
	switch {
	case strategy != StrategyMirrored:
		return 1
	case d.isList():
		return len(d.IDs)
	}
	return 0
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

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func (c *checker) checkName() *Error {
	switch name := c.s.Name; {
	case name == "" && !c.idx.present("name"):
		return c.errorf("name", "missing; every scenario needs a name")
	case !idRE.MatchString(name):
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
	return c.errorf(field, "unknown %s %q; want %s", noun, value, strings.Join(want, " or "))
}

func (c *checker) checkEngine() *Error {
	return c.oneOf("engine", "engine", c.s.Engine, EngineGorgonia, EngineNative)
}

func (c *checker) checkDevices() *Error {
	d, err := ParseDevices(c.s.Devices)
	if err != nil {
		return c.errorf("devices", "%v", err)
	}
	c.s.Device = d
	return nil
}

func (c *checker) checkStrategy() *Error {
	return c.oneOf("strategy", "strategy", c.s.Strategy, StrategySingle, StrategyMirrored)
}

func (c *checker) checkReduction() *Error {
	return c.oneOf("reduction", "reduction", c.s.Reduction, ReductionFast, ReductionCanonical)
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
			return c.errorf("devices", "gpu:all needs strategy mirrored; strategy single runs one replica (use gpu:0)")
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
		return c.errorf("replicas", "gpu:all takes the replica count from the GPUs found at run time; remove replicas or list the GPUs (gpu:0-3)")
	case d.Kind == "cpu" && !d.isList() && d.Threads != 1:
		return c.errorf("devices", "strategy mirrored takes CPU replicas as a list (cpu:0-3) or as cpu with replicas: R, not the thread count %s", s.Devices)
	case d.Kind == "cpu" && !d.isList() && s.Replicas < 1:
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
	if err := c.oneOf("optimizer.name", "optimizer", o.Name, "adam"); err != nil {
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
	if !idRE.MatchString(c.s.Reference) {
		return c.errorf("reference", "%q is not a result id (lowercase letters, digits and '-')", c.s.Reference)
	}
	return nil
}
