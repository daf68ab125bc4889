package results

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results/internal/golden"
)

func sampleRecord() *Record {
	return &Record{
		SchemaVersion: SchemaVersion, Scenario: "smoke", Engine: "native", Strategy: "single",
		Devices: "cpu", Replicas: 1, GlobalBatch: 32, Seed: 1, Status: StatusOK,
		Epochs:     []Epoch{{Epoch: 1, TrainLoss: 0.5, TrainAccuracy: 0.85, TestLoss: 0.3, TestAccuracy: 0.91, Seconds: 2, SamplesPerSecond: 1000}},
		Targets:    []TargetResult{{Metric: "test_accuracy", Min: 0.8, ByEpoch: 1, Reached: true, Epoch: 1, Seconds: 2.5}},
		Throughput: Throughput{SamplesPerSecond: 5000, USPerSample: 200, Steps: 59, WarmupSteps: 5},
	}
}

// FuzzDecodeRecord: the record reader never panics, and what it accepts
// survives a write and a read unchanged.
func FuzzDecodeRecord(f *testing.F) {
	data, err := json.Marshal(sampleRecord())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte(`{"schema_version": 1, "scenario": "x", "status": "ok", "epochs": [{"epoch": "1"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord("fuzz.json", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		path := filepath.Join(t.TempDir(), "r.json")
		if err := WriteRecord(path, r); err != nil {
			return // e.g. NaN cannot be written as JSON: rejected, not corrupted
		}
		back, err := ReadRecord(path)
		if err != nil {
			t.Fatalf("a record that was read cannot be read back: %v", err)
		}
		if diff := cmp.Diff(r, back); diff != "" {
			t.Errorf("round trip changed the record:\n%s", diff)
		}
	})
}

// fullRecord sets every part of a record, for the golden file.
func fullRecord() *Record {
	r := sampleRecord()
	r.Description = "one epoch on one CPU thread"
	r.ScenarioFile, r.ScenarioHash, r.ScenarioYAML = "scenarios/smoke.yaml", "5e1f", "name: smoke\n"
	r.InitWeights = &WeightsFile{Path: "init.safetensors", SHA256: "a1b2", Fingerprint: "c3d4"}
	r.Reference = "keras-mnist-mirrored"
	r.ThreadsPerReplica, r.Reduction, r.EpochsPlanned, r.TrainLimit = 1, "ring", 1, 512
	r.Optimizer = Optimizer{Name: "adam", LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
	r.StartedAt, r.FinishedAt, r.WallSecs = "2025-01-02T03:04:05Z", "2025-01-02T03:04:07Z", 2.25
	r.Throughput.ScalingEfficiency, r.Throughput.BaselineSPS, r.Throughput.BurstSPS = 0.9, 5100, 4600
	r.Timing = Timing{ComputeSeconds: 1.5, AllReduceSeconds: Measured(0.1), OptimizerSeconds: Measured(0.2), DataSeconds: Measured(0.05), EvalSeconds: 0.3}
	r.Efficiency = &Efficiency{FLOPPerSample: 2.4e6, AchievedGFLOPS: 12, PeakGFLOPS: 48, ShareOfPeak: 0.25}
	r.Fingerprint = "f00d"
	r.Host = &hardware.Host{CPUModel: "Test CPU", Threads: 2, OS: "linux", Arch: "amd64", GOMAXPROCS: 2, NumCPU: 2}
	r.Build = Build{GoVersion: "go1.26.0", Module: "github.com/mirrorbench/mirrorbench", Modules: map[string]string{"gonum.org/v1/gonum": "v0.16.0"}, GOOS: "linux", GOARCH: "amd64"}
	r.Dataset = Dataset{Name: "mnist", Dir: "data/mnist", Files: []DatasetFile{{Name: "train-images-idx3-ubyte.gz", SHA256: "e5f6"}}, TrainImages: 60000, TestImages: 10000}
	return r
}

// The record as stored, whole, against testdata/record.json: a field
// renamed, dropped or added changes the JSON that schema_version 1
// promises, and fails here. go test -update rewrites the file.
func TestRecordGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	if err := WriteRecord(path, fullRecord()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "record.json", data)
}

// A framework record's phases that were not timed apart are null in the
// JSON, come back nil, and are named by UnmeasuredPhases; a native record
// keeps every phase, zeros included.
func TestTimingUnmeasuredRoundTrip(t *testing.T) {
	fw := fullRecord()
	fw.Engine = "pytorch"
	fw.Framework = &Framework{Name: "pytorch", Versions: map[string]string{"torch": "2.1.2"}, Backend: BackendNone, StepSeconds: 1.5}
	fw.Timing = Timing{ComputeSeconds: 1.5, EvalSeconds: 0.3}
	path := filepath.Join(t.TempDir(), "fw.json")
	if err := WriteRecord(path, fw); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"all_reduce_seconds": null`, `"optimizer_seconds": null`, `"data_seconds": null`, `"compute_seconds": 1.5`} {
		if !strings.Contains(string(data), field) {
			t.Errorf("framework record lacks %s:\n%s", field, data)
		}
	}
	back, err := ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fw, back); diff != "" {
		t.Errorf("round trip changed the record:\n%s", diff)
	}
	if got, want := back.UnmeasuredPhases(), []string{PhaseData, PhaseAllReduce, PhaseOptimizer}; !slices.Equal(got, want) {
		t.Errorf("framework record: unmeasured %v, want %v", got, want)
	}

	native := fullRecord()
	native.Timing = Timing{ComputeSeconds: 1.5, AllReduceSeconds: Measured(0), OptimizerSeconds: Measured(0.2), DataSeconds: Measured(0.05)}
	data, err = json.Marshal(native)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"timing":{"compute_seconds":1.5,"all_reduce_seconds":0,"optimizer_seconds":0.2,"data_seconds":0.05,`; !strings.Contains(string(data), want) {
		t.Errorf("native record: every phase must be a number, a measured 0 included: %s", data)
	}
	if got := native.UnmeasuredPhases(); len(got) != 0 {
		t.Errorf("native record: unmeasured %v, want none", got)
	}
}

// Framework records written before null existed hold 0 for the phases
// they did not time: they still decode, and read as unmeasured; a record of
// the Go engines with the same zeros reads as measured.
func TestTimingOldRecords(t *testing.T) {
	old := `{"schema_version": 1, "scenario": "pytorch-cpu1", "status": "ok", "engine": "pytorch",
		"framework": {"name": "pytorch", "versions": {"torch": "1.13.1"}, "backend": "none (one process)"},
		"timing": {"compute_seconds": 90.5, "all_reduce_seconds": 0, "optimizer_seconds": 0, "data_seconds": 0, "eval_seconds": 4}}`
	r, err := DecodeRecord("old.json", []byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if r.Timing.DataSeconds == nil || *r.Timing.DataSeconds != 0 {
		t.Errorf("data_seconds 0 decoded as %v", r.Timing.DataSeconds)
	}
	if got, want := r.UnmeasuredPhases(), []string{PhaseData, PhaseAllReduce, PhaseOptimizer}; !slices.Equal(got, want) {
		t.Errorf("old framework record: unmeasured %v, want %v", got, want)
	}
	r.Framework, r.Engine = nil, "native"
	if got := r.UnmeasuredPhases(); len(got) != 0 {
		t.Errorf("native record with measured zeros: unmeasured %v, want none", got)
	}
}
