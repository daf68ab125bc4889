package store

import (
	"fmt"
	"time"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
)

// testScenarios are what generated records cycle through.
var testScenarios = []string{"smoke", "mnist-cnn", "mnist-mlp"}

// testBase is the started time of record 0.
var testBase = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// testHosts are the hosts generated records cycle through; the second has
// LIKE's wildcards in its model, to check that Filter.Host takes them
// literally.
var testHosts = []*hardware.Host{
	{CPUVendor: "AuthenticAMD", CPUModel: "AMD EPYC 9B45", PhysicalCores: 1, Threads: 2,
		Features: []string{"avx2", "fma"}, MemoryBytes: 8 << 30, OS: "linux", Arch: "amd64",
		GOMAXPROCS: 2, NumCPU: 2},
	{CPUVendor: "Odd", CPUModel: "Odd_CPU 100%", PhysicalCores: 4, Threads: 8,
		Features: []string{"neon"}, OS: "linux", Arch: "arm64", GOMAXPROCS: 8, NumCPU: 8,
		Calibration: &hardware.Calibration{SgemmGFLOPS: map[int]float64{1: 40.5, 8: 300.25}, Kernel: "neon"}},
}

// testRecord is a complete record, different for every i: scenario, seed,
// started time, throughput and host vary; nothing is trained.
func testRecord(i int) *results.Record {
	scenario := testScenarios[i%len(testScenarios)]
	started := testBase.Add(time.Duration(i) * time.Minute)
	sps := 1000 + 1.5*float64(i)
	acc := 0.9 + float64(i%50)/1000
	return &results.Record{
		SchemaVersion: results.SchemaVersion,
		Scenario:      scenario,
		Description:   "generated record " + fmt.Sprint(i),
		ScenarioFile:  "scenarios/" + scenario + ".yaml",
		ScenarioHash:  fmt.Sprintf("%064x", i),
		ScenarioYAML:  "name: " + scenario + "\n",
		Engine:        "native",
		Strategy:      "mirrored",
		Devices:       "cpu",
		Replicas:      1 + i%2,
		Seed:          uint64(i) * 0x9e3779b97f4a7c15, // large seeds: the high bit set too
		GlobalBatch:   32,
		EpochsPlanned: 2,
		TrainLimit:    512,
		Optimizer:     results.Optimizer{Name: "adam", LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7},
		Status:        results.StatusOK,
		StartedAt:     started.Format(time.RFC3339),
		FinishedAt:    started.Add(90 * time.Second).Format(time.RFC3339),
		WallSecs:      90.25,
		Epochs: []results.Epoch{
			{Epoch: 1, TrainLoss: 0.5, TrainAccuracy: 0.8, TestLoss: 0.4, TestAccuracy: acc - 0.05, Seconds: 40, SamplesPerSecond: sps},
			{Epoch: 2, TrainLoss: 0.3, TrainAccuracy: 0.9, TestLoss: 0.2, TestAccuracy: acc, Seconds: 41, SamplesPerSecond: sps},
		},
		Targets: []results.TargetResult{
			{Metric: "test_accuracy", Min: 0.99, ByEpoch: 2},
			{Metric: "test_accuracy", Min: 0.8, ByEpoch: 2, Reached: true, Epoch: 1, Seconds: 40.5 + float64(i)},
		},
		Throughput:  results.Throughput{SamplesPerSecond: sps, USPerSample: 1e6 / sps, Steps: 100, WarmupSteps: 5},
		Timing:      results.Timing{ComputeSeconds: 70, AllReduceSeconds: results.Measured(2), OptimizerSeconds: results.Measured(3), DataSeconds: results.Measured(1)},
		Fingerprint: fmt.Sprintf("fp%04d", i),
		Host:        testHosts[i%len(testHosts)],
		Build: results.Build{GoVersion: "go1.26", Module: "github.com/mirrorbench/mirrorbench",
			Modules: map[string]string{"gonum.org/v1/gonum": "v0.16.0"}, GitCommit: fmt.Sprintf("c0ffee%02d", i%7),
			GitDirty: i%3 == 0, GOOS: "linux", GOARCH: "amd64"},
		Dataset: results.Dataset{Name: "mnist", Files: []results.DatasetFile{{Name: "train", SHA256: "ab"}}},
	}
}

// testRecords are records from, from+1, ..., from+n-1.
func testRecords(from, n int) []*results.Record {
	recs := make([]*results.Record, n)
	for i := range recs {
		recs[i] = testRecord(from + i)
	}
	return recs
}
