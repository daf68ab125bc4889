package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"slices"
)

// Help documents the scenario file format. It is printed by
// `mirrorbench help scenarios`; keep it in step with Scenario below.
const Help = `
A scenario is a YAML file that describes one training run of the reference
MNIST CNN (Keras: Conv2D 32 3x3, MaxPool 2x2, Dense 128, Dense 10; Adam).
Unknown fields, wrong types, null values and YAML aliases are errors. A field
that is absent takes its default; a field that is present is checked as
written (an explicit 0 is never replaced by a default).

          name: the scenario's name, [a-z0-9-]+, not starting with '-' (required)
   description: free text shown by 'list' (optional)
        engine: gorgonia | native (default native)
                gorgonia is the framework baseline, native the fast kernels
       devices: where the replicas run (default cpu), see DEVICES below
      strategy: single | mirrored (default single)
                single: one replica; devices must not list more than one id
                mirrored: the global batch is split evenly over the replicas,
                gradients are averaged in a fixed order, one optimizer step
      replicas: number of model replicas
                single: must be 1 (default 1)
                mirrored with an id list (cpu:0-3, gpu:0,1): must equal the
                  number of ids (default: that number)
                mirrored with gpu:all: must be absent or 0, meaning every GPU
                  found at run time
                mirrored with cpu or cpu:1: required, >= 1; R replicas of one
                  thread each (cpu:N with N > 1 and cpu:all are rejected)
     reduction: fast | canonical (default fast)
                fast: each replica reduces its own shard
                canonical: the batch is cut into fixed micro-shards, so the
                  sums, and the weights, do not depend on the replica count
   micro_shard: canonical micro-shard size (default 8); only with reduction
                canonical; must divide global_batch, and global_batch /
                micro_shard must be divisible by replicas
  global_batch: samples per optimizer step over all replicas (default 32, as
                Keras); >= 1; divisible by replicas (with gpu:all, checked
                when the GPUs are counted at run time)
        epochs: passes over the training images (default 5); >= 1
          seed: seed of every random stream: init, shuffle (default 1)
         seeds: a seed sweep, e.g. [1, 2, 3]: one run per seed; distinct
                values; when set, seed must be absent
   train_limit: use the first N training images; 0 = all 60000 (default 0);
                else 1..60000 and >= global_batch
  warmup_steps: first optimizer steps left out of the steady-state
                throughput (default 20); >= 0 and less than the steps of one
                epoch (train images / global_batch, no partial batch)
     optimizer: a mapping:
                          name: adam (default adam; the only one)
                 learning_rate: > 0 (default 0.001)
                        beta_1: in [0, 1) (default 0.9)
                        beta_2: in [0, 1) (default 0.999)
                       epsilon: > 0 (default 1e-7, Keras; not 1e-8)
       targets: a list of goals the run must reach, each a mapping:
                   metric: test_accuracy | train_accuracy (required)
                      min: the accuracy to reach, in [0, 1] (required)
                 by_epoch: reached at the end of this epoch or before;
                           1..epochs (default epochs)
     reference: id of the reported result compared against (default
                keras-mnist-mirrored: the document's TF 2.0 run)

DEVICES
          cpu: one replica, one thread (same as cpu:1)
        cpu:N: one replica, N >= 1 intra-op threads
      cpu:all: one replica, every core (resolved at run time)
  cpu:0-3, cpu:0,1, cpu:0-1,4: a list of CPU replicas of one thread each;
               a single number after cpu: is a thread count, so a list of one
               is written cpu:2-2
  gpu:0, gpu:0,1, gpu:0-3: GPUs by id (a single number is an id)
      gpu:all: every GPU found at run time (strategy mirrored only)

EXAMPLE

  name: mirrored-cpu2
  description: the reference model mirrored over two CPU replicas
  engine: native
  devices: cpu:0-1
  strategy: mirrored
  replicas: 2
  global_batch: 32
  epochs: 5
  seed: 1
  optimizer: {name: adam, learning_rate: 0.001}
  targets:
    - metric: test_accuracy
      min: 0.985
      by_epoch: 5
`

// Scenario is one decoded, defaulted, validated scenario file.
// Help documents every field.
type Scenario struct {
	Name        string     `yaml:"name"`
	Description string     `yaml:"description"`
	Engine      string     `yaml:"engine"`
	Devices     string     `yaml:"devices"`
	Strategy    string     `yaml:"strategy"`
	Replicas    int        `yaml:"replicas"` // 0 only with gpu:all: all GPUs found at run time
	Reduction   string     `yaml:"reduction"`
	MicroShard  int        `yaml:"micro_shard"`
	GlobalBatch int        `yaml:"global_batch"`
	Epochs      int        `yaml:"epochs"`
	Seed        uint64     `yaml:"seed"`  // 0 while Seeds holds a sweep
	Seeds       []uint64   `yaml:"seeds"` // a sweep; Expand makes one scenario per seed
	TrainLimit  int        `yaml:"train_limit"`
	WarmupSteps int        `yaml:"warmup_steps"`
	Optimizer   Optimizer  `yaml:"optimizer"`
	Targets     []Target   `yaml:"targets"`
	Reference   string     `yaml:"reference"`
	Device      DeviceSpec `yaml:"-"` // Devices, parsed
	File        string     `yaml:"-"` // "scenarios/NAME.yaml" for the embedded suite, else the path
	Hash        string     `yaml:"-"` // hex SHA-256 of the file's bytes
	Source      string     `yaml:"-"` // the file's text, kept in run records so a run can be verified
}

// Optimizer is the optimizer block of a scenario. Only Keras's Adam exists.
type Optimizer struct {
	Name         string  `yaml:"name"`
	LearningRate float64 `yaml:"learning_rate"`
	Beta1        float64 `yaml:"beta_1"`
	Beta2        float64 `yaml:"beta_2"`
	Epsilon      float64 `yaml:"epsilon"`
}

// Target is a goal a run must reach: Metric >= Min at the end of epoch
// ByEpoch or earlier. Both metrics are accuracies: higher is better.
type Target struct {
	Metric  string  `yaml:"metric"`
	Min     float64 `yaml:"min"`
	ByEpoch int     `yaml:"by_epoch"`
}

// Values the format accepts.
const (
	EngineGorgonia = "gorgonia"
	EngineNative   = "native"

	StrategySingle   = "single"
	StrategyMirrored = "mirrored"

	ReductionFast      = "fast"
	ReductionCanonical = "canonical"

	MetricTestAccuracy  = "test_accuracy"
	MetricTrainAccuracy = "train_accuracy"

	// TrainImages is the size of the MNIST training set; TrainLimit 0 means all.
	TrainImages = 60000
)

// Parse decodes one scenario file strictly, applies the defaults and
// validates it. file names the input in errors. Every error about the
// input is an *Error.
func Parse(file string, data []byte) (*Scenario, error) {
	idx, err := decodeNodes(file, data)
	if err != nil {
		return nil, err
	}
	s := new(Scenario)
	if err := decodeStrict(file, data, idx, s); err != nil {
		return nil, err
	}
	c := &checker{s: s, file: file, idx: idx}
	if err := c.checkScalars(); err != nil {
		return nil, err
	}
	c.applyDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	s.File = file
	sum := sha256.Sum256(data)
	s.Hash = hex.EncodeToString(sum[:])
	s.Source = string(data)
	return s, nil
}

// Load reads and parses the scenario file at path.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Validate checks an already parsed scenario again, for callers that change
// fields after Parse (a command-line --epochs, say). It applies no defaults
// and, having no file at hand, its errors carry no line.
func (s *Scenario) Validate() error {
	c := &checker{s: s, file: s.File}
	return c.validate()
}

// Expand returns one scenario per seed of a sweep, each a copy of s with
// Seed set and Seeds nil; without a sweep it returns s itself.
func (s *Scenario) Expand() []*Scenario {
	if len(s.Seeds) == 0 {
		return []*Scenario{s}
	}
	out := make([]*Scenario, 0, len(s.Seeds))
	for _, seed := range s.Seeds {
		c := s.clone()
		c.Seed = seed
		c.Seeds = nil
		out = append(out, c)
	}
	return out
}

// clone copies s deeply, so that copies can be changed independently.
func (s *Scenario) clone() *Scenario {
	c := *s
	c.Seeds = slices.Clone(s.Seeds)
	c.Targets = slices.Clone(s.Targets)
	c.Device.IDs = slices.Clone(s.Device.IDs)
	return &c
}
