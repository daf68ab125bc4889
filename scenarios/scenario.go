package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"slices"
)

// Scenario is one decoded, defaulted, validated scenario file.
// Help documents every field. The yaml tags name the fields in the file:
// the decoder (decode.go) reads them, here and in Optimizer and Target.
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

// KerasBatch is Keras's default batch size (Model.fit's batch_size): the
// default global_batch, and the batch hardware projections assume.
const KerasBatch = 32

// KerasAdam is Keras's Adam: the defaults of tf.keras.optimizers.Adam,
// which a scenario's optimizer takes for the fields it leaves out. Keras's
// epsilon is 1e-7, not the 1e-8 of the Adam paper (and of PyTorch).
var KerasAdam = Optimizer{Name: "adam", LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}

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
	EngineOpenCL   = "opencl"  // OpenCL kernels on GPUs, or on any OpenCL device (cl:)
	EnginePyTorch  = "pytorch" // a framework engine: training runs in PyTorch

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
	if err := decode(file, idx, s); err != nil {
		return nil, err
	}
	c := &checker{s: s, file: file, idx: idx}
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
