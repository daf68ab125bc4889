package scenarios

import "fmt"

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
	setDefault(c, "devices", &s.Devices, kindCPU) // one replica, one thread
	setDefault(c, "strategy", &s.Strategy, StrategySingle)
	setDefault(c, "reduction", &s.Reduction, ReductionFast)
	setDefault(c, "micro_shard", &s.MicroShard, 8)
	setDefault(c, "global_batch", &s.GlobalBatch, KerasBatch)
	setDefault(c, "epochs", &s.Epochs, 5)
	if !c.idx.present("seeds") {
		setDefault(c, "seed", &s.Seed, 1)
	}
	setDefault(c, "warmup_steps", &s.WarmupSteps, 20)
	o, keras := &s.Optimizer, KerasAdam
	setDefault(c, "optimizer.name", &o.Name, keras.Name)
	setDefault(c, "optimizer.learning_rate", &o.LearningRate, keras.LearningRate)
	setDefault(c, "optimizer.beta_1", &o.Beta1, keras.Beta1)
	setDefault(c, "optimizer.beta_2", &o.Beta2, keras.Beta2)
	setDefault(c, "optimizer.epsilon", &o.Epsilon, keras.Epsilon)
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
