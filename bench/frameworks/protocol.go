// Package frameworks trains the reference CNN in another framework through
// an adapter program, as PROTOCOL.md (beside this file) describes: the
// harness writes a job, starts one adapter process per rank in one process
// group, reads the ranks' JSON-line events, and stops every process of the
// group together when one fails, on Ctrl-C and on SIGTERM.
//
// It knows the protocol and process management, not the model: package
// bench makes the initial weights and the batch order, hands them over in
// the job, and turns the events into a run record. The adapters themselves
// (the Python package mirrorbench_torch) are embedded in the binary and
// written out for each run.
package frameworks

import (
	"encoding/json"
	"fmt"
)

// ProtocolVersion is the version of PROTOCOL.md this harness speaks.
const ProtocolVersion = 2

// Job is what an adapter trains: one file, shared by every rank.
type Job struct {
	Protocol      int          `json:"protocol"`
	Scenario      string       `json:"scenario"`
	Device        Device       `json:"device"`
	Distributed   *Distributed `json:"distributed"`
	GlobalBatch   int          `json:"global_batch"`
	Epochs        int          `json:"epochs"`
	StepsPerEpoch int          `json:"steps_per_epoch"`
	Optimizer     Optimizer    `json:"optimizer"`
	Data          Data         `json:"data"`
	Order         string       `json:"order"`         // int32 LE training indices, epoch by epoch
	InitWeights   string       `json:"init_weights"`  // safetensors, Keras layout
	FinalWeights  string       `json:"final_weights"` // written by rank 0
	Deterministic bool         `json:"deterministic"`
	EvalBatch     int          `json:"eval_batch"`
}

// Device is where each process trains: cpu with Threads intra-op threads, or
// the gpu IDs[LOCAL_RANK].
type Device struct {
	Kind    string `json:"kind"`
	Threads int    `json:"threads"`
	IDs     []int  `json:"ids"`
}

// Distributed is the process group of a run of several processes.
type Distributed struct {
	Backend        string `json:"backend"` // gloo or nccl
	WorldSize      int    `json:"world_size"`
	TimeoutSeconds int    `json:"timeout_seconds"`
}

// Optimizer is Keras's Adam.
type Optimizer struct {
	Name         string  `json:"name"`
	LearningRate float64 `json:"learning_rate"`
	Beta1        float64 `json:"beta_1"`
	Beta2        float64 `json:"beta_2"`
	Epsilon      float64 `json:"epsilon"`
}

// Data names the MNIST files, which the harness has checked, and how many
// training images the run uses (the first TrainImages).
type Data struct {
	Dir         string     `json:"dir"`
	Files       []DataFile `json:"files"`
	TrainImages int        `json:"train_images"`
}

// DataFile is one MNIST file and its SHA-256.
type DataFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Event kinds (PROTOCOL.md, "Events").
const (
	EventHello       = "hello"
	EventUnavailable = "unavailable"
	EventReady       = "ready"
	EventStep        = "step"
	EventEpoch       = "epoch"
	EventWeights     = "weights"
	EventDone        = "done"
	EventError       = "error"
)

// Event is one line of an adapter's stdout. Which fields are set depends on
// Event; fields an adapter adds beyond these are ignored.
type Event struct {
	Event string `json:"event"`

	// hello
	Protocol          int               `json:"protocol,omitempty"`
	Rank              int               `json:"rank,omitempty"`
	Framework         string            `json:"framework,omitempty"`
	Versions          map[string]string `json:"versions,omitempty"`
	Backend           string            `json:"backend,omitempty"`
	GPUs              int               `json:"gpus,omitempty"`
	Deterministic     bool              `json:"deterministic,omitempty"`
	DeterministicNote string            `json:"deterministic_note,omitempty"`

	// unavailable, error
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`

	// ready, done: seconds since the process started
	SetupSeconds float64 `json:"setup_seconds,omitempty"`

	// step, epoch
	Epoch   int     `json:"epoch,omitempty"`
	Step    int     `json:"step,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	LossSum float64 `json:"loss_sum,omitempty"`
	Correct int     `json:"correct,omitempty"`
	Samples int     `json:"samples,omitempty"`

	// epoch
	TrainLoss     float64 `json:"train_loss,omitempty"`
	TrainAccuracy float64 `json:"train_accuracy,omitempty"`
	TestLoss      float64 `json:"test_loss,omitempty"`
	TestAccuracy  float64 `json:"test_accuracy,omitempty"`
	TrainSeconds  float64 `json:"train_seconds,omitempty"`
	EvalSeconds   float64 `json:"eval_seconds,omitempty"`

	// weights
	Path string `json:"path,omitempty"`
}

// ParseEvent decodes one stdout line. A line that is not a JSON object with
// a known event is an error: the adapter broke the protocol (a stray print
// belongs on stderr).
func ParseEvent(line []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(line, &ev); err != nil {
		return ev, fmt.Errorf("not a protocol event (%v): %.200q", err, line)
	}
	switch ev.Event {
	case EventHello, EventUnavailable, EventReady, EventStep, EventEpoch, EventWeights, EventDone, EventError:
		return ev, nil
	}
	return ev, fmt.Errorf("unknown event %q in %.200q", ev.Event, line)
}
