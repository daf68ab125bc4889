// Package results owns what a run leaves behind: the run record (a JSON
// document, schema_version 1), its storage, and the file in the Go
// benchmark format that benchstat and package compare read. It knows
// nothing of how a run was trained, and it prints nothing: the tables and
// plots of runs are package report's, the comparison of two sets of runs
// is package compare's.
//
// It is opinionated about storage:
//
//   - A file is written whole or not at all (WriteFileAtomic): a killed run
//     leaves the old file or none, never half a record.
//   - A record is read strictly: the wrong schema_version, or no scenario
//     or status, is an error naming the file, not a record of zeros.
//   - A folder is read leniently: ReadRecords skips what is not a record
//     and hands back why, as warnings beside the records, for the caller
//     to show; it prints nothing itself.
//   - The statistics that the tables share are defined once here: Median
//     (the mean of the two middle values for an even count) and IsFinite.
package results

import (
	"encoding/json"
	"fmt"

	"github.com/mirrorbench/mirrorbench/hardware"
)

// SchemaVersion is the version of the Record layout.
const SchemaVersion = 1

// Run statuses.
const (
	StatusOK           = "ok"
	StatusTargetMissed = "target_missed"
	StatusSkipped      = "skipped"
	StatusInterrupted  = "interrupted"
	StatusFailed       = "failed"
)

// Record is one run of one scenario.
type Record struct {
	SchemaVersion int          `json:"schema_version"`
	Scenario      string       `json:"scenario"`
	Description   string       `json:"description,omitempty"`
	ScenarioFile  string       `json:"scenario_file"`
	ScenarioHash  string       `json:"scenario_sha256"`
	ScenarioYAML  string       `json:"scenario_yaml"` // the file as run: what verify re-runs
	InitWeights   *WeightsFile `json:"init_weights,omitempty"`
	ExportWeights *WeightsFile `json:"export_weights,omitempty"`
	Reference     string       `json:"reference,omitempty"`

	Engine            string    `json:"engine"`
	Numerics          string    `json:"numerics,omitempty"` // how the engine departs from Keras's arithmetic (docs/reference.md)
	Strategy          string    `json:"strategy"`
	Devices           string    `json:"devices"`
	Replicas          int       `json:"replicas"`
	ThreadsPerReplica int       `json:"threads_per_replica"`
	Reduction         string    `json:"reduction"`
	MicroShard        int       `json:"micro_shard,omitempty"`
	GlobalBatch       int       `json:"global_batch"`
	Seed              uint64    `json:"seed"`
	EpochsPlanned     int       `json:"epochs_planned"`
	TrainLimit        int       `json:"train_limit"`
	Optimizer         Optimizer `json:"optimizer"`

	Status     string  `json:"status"`
	Reason     string  `json:"reason"`
	StartedAt  string  `json:"started_at"`
	FinishedAt string  `json:"finished_at"`
	WallSecs   float64 `json:"wall_seconds"`
	// LoadAtStart is the machine's 1-minute load average when the run
	// started (0 where the system does not tell): a busy machine makes
	// slow, noisy runs.
	LoadAtStart float64 `json:"load_at_start,omitempty"`

	Epochs      []Epoch        `json:"epochs"`
	Targets     []TargetResult `json:"targets"`
	Throughput  Throughput     `json:"throughput"`
	Timing      Timing         `json:"timing"`
	Efficiency  *Efficiency    `json:"efficiency,omitempty"`
	Fingerprint string         `json:"fingerprint"`
	// Framework describes the framework that trained (engine pytorch);
	// nil for the Go engines.
	Framework *Framework `json:"framework,omitempty"`
	// OpenCL describes the devices of engine opencl and its device times;
	// nil for the other engines.
	OpenCL  *OpenCL        `json:"opencl,omitempty"`
	Host    *hardware.Host `json:"host"`
	Build   Build          `json:"build"`
	Dataset Dataset        `json:"dataset"`
}

// Framework is what a framework engine ran on, as its adapter reported it.
type Framework struct {
	Name     string            `json:"name"`     // "pytorch"
	Versions map[string]string `json:"versions"` // python, torch, numpy, blas, onednn, cuda, cudnn, nccl
	Python   string            `json:"python"`   // the interpreter
	// Backend is the distributed backend of a mirrored run (gloo, nccl), or
	// BackendNone for one process.
	Backend string `json:"backend"`
	Nodes   int    `json:"nodes,omitempty"` // machines of a multi-node run
	// Deterministic says whether a rerun gives the same bits; when false,
	// verify compares within a tolerance, and DeterministicNote says why.
	Deterministic     bool   `json:"deterministic"`
	DeterministicNote string `json:"deterministic_note,omitempty"`
	// Where the adapter's time went, in seconds: from its start to its
	// first step (imports, data, model, process group), in training steps,
	// and in all, start to end.
	SetupSeconds   float64 `json:"setup_seconds"`
	StepSeconds    float64 `json:"step_seconds"`
	AdapterSeconds float64 `json:"adapter_seconds"`
}

// BackendNone is the Backend of a framework run of one process.
const BackendNone = "none (one process)"

// WeightsFile is a safetensors file a run started from or wrote.
type WeightsFile struct {
	Path        string `json:"path"`
	SHA256      string `json:"sha256"`
	Fingerprint string `json:"fingerprint"` // of the weights in it
}

// Optimizer is the optimizer's settings as run.
type Optimizer struct {
	Name         string  `json:"name"`
	LearningRate float64 `json:"learning_rate"`
	Beta1        float64 `json:"beta_1"`
	Beta2        float64 `json:"beta_2"`
	Epsilon      float64 `json:"epsilon"`
}

// Epoch is one epoch's figures; train figures are means over its batches.
type Epoch struct {
	Epoch            int     `json:"epoch"`
	TrainLoss        float64 `json:"train_loss"`
	TrainAccuracy    float64 `json:"train_accuracy"`
	TestLoss         float64 `json:"test_loss"`
	TestAccuracy     float64 `json:"test_accuracy"`
	Seconds          float64 `json:"seconds"`
	SamplesPerSecond float64 `json:"samples_per_second"`
}

// TargetResult says whether and when a target was reached.
type TargetResult struct {
	Metric  string  `json:"metric"`
	Min     float64 `json:"min"`
	ByEpoch int     `json:"by_epoch"`
	Reached bool    `json:"reached"`
	Epoch   int     `json:"epoch,omitempty"`   // first epoch at or above Min
	Seconds float64 `json:"seconds,omitempty"` // since the run started, at the end of that epoch
}

// Throughput is the steady state: the first WarmupSteps steps are excluded.
type Throughput struct {
	SamplesPerSecond float64 `json:"samples_per_second"`
	USPerSample      float64 `json:"us_per_sample"`
	Steps            int     `json:"steps"`
	WarmupSteps      int     `json:"warmup_steps"`
	// ScalingEfficiency is BurstSPS / (replicas x threads x BaselineSPS):
	// the run's configuration and one replica on one thread, timed in
	// alternating short bursts after the run; 0 when unmeasured.
	ScalingEfficiency float64 `json:"scaling_efficiency,omitempty"`
	BaselineSPS       float64 `json:"baseline_samples_per_second,omitempty"`
	BurstSPS          float64 `json:"burst_samples_per_second,omitempty"`
	// StepCV is the coefficient of variation of the steady steps' wall
	// times: how noisy the figures above are. Above NoisyStepCV a run's
	// speed is marked as not comparable.
	StepCV float64 `json:"step_cv,omitempty"`
}

// NoisyStepCV is the step-time variation above which a run's speed is too
// noisy to compare: steps of one configuration on a quiet machine vary by a
// few per cent; a quarter means other load shared the cores.
const NoisyStepCV = 0.25

// Noisy says whether the run's speed was measured amid too much noise to be
// compared with another run's.
func (t Throughput) Noisy() bool { return t.StepCV > NoisyStepCV }

// Efficiency relates the steady-state speed to the host's calibrated peak.
type Efficiency struct {
	FLOPPerSample  float64 `json:"flop_per_sample"`
	AchievedGFLOPS float64 `json:"achieved_gflops"`
	PeakGFLOPS     float64 `json:"peak_gflops"`   // calibrated sgemm, at the run's thread count
	ShareOfPeak    float64 `json:"share_of_peak"` // achieved / peak
}

// Timing splits the run's training steps into phases, in seconds. A phase
// the engine did not time apart is nil, null in the JSON: the Go engines
// time every phase (0 is a measured zero, such as the all-reduce of one
// replica); a framework engine times each step whole, books it as compute,
// and leaves data, all-reduce and optimizer null. Records written before
// these could be null hold 0 there (see UnmeasuredPhases).
type Timing struct {
	// ComputeSeconds is the forward and backward passes; for an engine that
	// times the step whole, the whole step (the phases it includes are null).
	ComputeSeconds   float64  `json:"compute_seconds"`
	AllReduceSeconds *float64 `json:"all_reduce_seconds"`
	OptimizerSeconds *float64 `json:"optimizer_seconds"`
	DataSeconds      *float64 `json:"data_seconds"`
	EvalSeconds      float64  `json:"eval_seconds"`
}

// Measured is a phase's measured seconds, for Timing's fields that may be
// unmeasured.
func Measured(seconds float64) *float64 { return &seconds }

// The names of Timing's phases, as summaries print them.
const (
	PhaseData      = "data"
	PhaseAllReduce = "all-reduce"
	PhaseOptimizer = "optimizer"
)

// UnmeasuredPhases names the phases of the training step that the run did
// not time apart, in the step's order (data, all-reduce, optimizer): those
// that are null, and, in a framework record (Framework set), those that are
// 0, which is how framework records written before null said it. A record
// with no compute time (one that never trained) has none: it timed nothing.
func (r *Record) UnmeasuredPhases() []string {
	if r.Timing.ComputeSeconds <= 0 {
		return nil
	}
	var out []string
	for _, p := range []struct {
		name string
		v    *float64
	}{{PhaseData, r.Timing.DataSeconds}, {PhaseAllReduce, r.Timing.AllReduceSeconds}, {PhaseOptimizer, r.Timing.OptimizerSeconds}} {
		if p.v == nil || (r.Framework != nil && *p.v == 0) {
			out = append(out, p.name)
		}
	}
	return out
}

// Build is the provenance of the binary that ran.
type Build struct {
	GoVersion string            `json:"go_version"`
	Module    string            `json:"module"`
	Modules   map[string]string `json:"modules"`
	GitCommit string            `json:"git_commit"`
	GitDirty  bool              `json:"git_dirty"`
	GOOS      string            `json:"goos"`
	GOARCH    string            `json:"goarch"`
	Kernels   string            `json:"kernels,omitempty"` // SIMD path of the native engine
}

// Dataset names the data files and their SHA-256.
type Dataset struct {
	Name        string        `json:"name"`
	Dir         string        `json:"dir"`
	Files       []DatasetFile `json:"files"`
	TrainImages int           `json:"train_images"`
	TestImages  int           `json:"test_images"`
}

// DatasetFile is one data file.
type DatasetFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// FinalTestAccuracy is the last epoch's test accuracy, or 0.
func (r *Record) FinalTestAccuracy() float64 {
	if len(r.Epochs) == 0 {
		return 0
	}
	return r.Epochs[len(r.Epochs)-1].TestAccuracy
}

// DecodeRecord parses a record; name is used in errors.
func DecodeRecord(name string, data []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: not a run record: %v", name, err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schema_version %d, want %d", name, r.SchemaVersion, SchemaVersion)
	}
	if r.Scenario == "" || r.Status == "" {
		return nil, fmt.Errorf("%s: not a run record: scenario or status missing", name)
	}
	return &r, nil
}
