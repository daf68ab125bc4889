package report

import (
	"bytes"
	"testing"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/internal/golden"
)

// run is a finished run of scenario on one CPU thread: seed 1, one epoch,
// a test-accuracy target reached.
func run(scenario string, acc, us float64) *results.Record {
	return &results.Record{
		SchemaVersion: results.SchemaVersion, Scenario: scenario, Engine: "native", Strategy: "single",
		Devices: "cpu", Replicas: 1, Reduction: "ring", GlobalBatch: 32, Seed: 1, Status: results.StatusOK,
		Epochs:     []results.Epoch{{Epoch: 1, TrainLoss: 0.5, TrainAccuracy: 0.85, TestLoss: 0.3, TestAccuracy: acc, Seconds: 2, SamplesPerSecond: 1e6 / us}},
		Targets:    []results.TargetResult{{Metric: "test_accuracy", Min: 0.9, ByEpoch: 1, Reached: acc >= 0.9, Epoch: 1, Seconds: 2.5}},
		Throughput: results.Throughput{SamplesPerSecond: 1e6 / us, USPerSample: us, Steps: 59, WarmupSteps: 5},
	}
}

// summaryRecords hold one of each kind of row: a single run (with its share
// of peak), a replicated run with its scaling efficiency, repeated runs of
// one seed, a seed sweep of four runs (an even count: the median is the mean
// of the middle two) with a target missed, a skipped and a failed run.
func summaryRecords() []*results.Record {
	single := run("smoke", 0.9912, 182.4)
	single.Efficiency = &results.Efficiency{ShareOfPeak: 0.314}

	mirrored := run("mirrored-cpu2", 0.9887, 97.3)
	mirrored.Devices, mirrored.Replicas, mirrored.Reduction = "cpu:0-1", 2, "canonical"
	mirrored.Throughput.ScalingEfficiency = 0.87
	mirrored.Throughput.StepCV = 0.41 // other load shared the cores: marked noisy

	var repeated []*results.Record
	for _, us := range []float64{410, 402, 415} {
		r := run("reference-cpu1", 0.9801, us)
		r.Seed = 42
		repeated = append(repeated, r)
	}

	var sweep []*results.Record
	for i, c := range []struct{ acc, us float64 }{{0.9921, 181}, {0.9934, 176}, {0.8990, 190}, {0.9915, 183}} {
		r := run("seed-sweep", c.acc, c.us)
		r.Seed = uint64(i + 1)
		if !r.Targets[0].Reached {
			r.Status = results.StatusTargetMissed
		}
		sweep = append(sweep, r)
	}

	skipped := &results.Record{
		SchemaVersion: results.SchemaVersion, Scenario: "mirrored-gpu2", Engine: "native", Devices: "gpu:0,1", Replicas: 2,
		Status:  results.StatusSkipped,
		Reason:  `engine "native" has no gpu support in this build; devices gpu:0,1 need 2 GPU(s), no NVIDIA GPU found`,
		Targets: []results.TargetResult{{Metric: "test_accuracy", Min: 0.99, ByEpoch: 5}},
	}
	failed := &results.Record{
		SchemaVersion: results.SchemaVersion, Scenario: "reference-gorgonia", Engine: "gorgonia", Devices: "cpu", Replicas: 1,
		Status: results.StatusFailed, Reason: "epoch 1: loss is NaN at step 12",
	}

	recs := []*results.Record{single, mirrored}
	recs = append(recs, repeated...)
	recs = append(recs, sweep...)
	return append(recs, skipped, failed)
}

var reportedRun = &Reported{Label: "keras-mnist-mirrored (reported)", USPerSample: 275, TestAccuracy: 0.9935}

// The summary table, whole, as text and as Markdown, against
// testdata/summary.*; go test -update rewrites them.
func TestSummaryGolden(t *testing.T) {
	for _, tc := range []struct {
		file     string
		markdown bool
	}{
		{"summary.txt", false},
		{"summary.md", true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSummary(&buf, summaryRecords(), reportedRun, tc.markdown); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tc.file, buf.Bytes())
		})
	}
}

// Without a reported result there is no reported row, and the column
// comparing with it stays empty.
func TestSummaryGoldenUnreported(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, summaryRecords()[:2], nil, false); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "summary-unreported.txt", buf.Bytes())
}
