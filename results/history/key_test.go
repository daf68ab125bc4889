package history

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/store"
)

// keyRecord is a finished reference-cpu1 run on one host, i hours after
// epoch, of the given epochs and train limit (0: all images), at sps
// samples/s.
func keyRecord(i, epochs, limit int, sps float64) *results.Record {
	started := epoch.Add(time.Duration(i) * time.Hour)
	return &results.Record{
		SchemaVersion: results.SchemaVersion, Scenario: "reference-cpu1", ScenarioFile: "scenarios/reference-cpu1.yaml",
		Engine: "native", Strategy: "single", Devices: "cpu:1", Replicas: 1, ThreadsPerReplica: 1, Reduction: "fast",
		GlobalBatch: 32, Seed: uint64(i), EpochsPlanned: epochs, TrainLimit: limit, Status: results.StatusOK,
		StartedAt: started.Format(time.RFC3339), FinishedAt: started.Add(time.Minute).Format(time.RFC3339),
		Epochs:     []results.Epoch{{Epoch: epochs, TestAccuracy: 0.98, SamplesPerSecond: sps}},
		Throughput: results.Throughput{SamplesPerSecond: sps, USPerSample: 1e6 / sps, Steps: 100},
		Host:       &hardware.Host{CPUModel: "AMD EPYC 9B45", Threads: 2, Arch: "amd64"},
		Build:      results.Build{GitCommit: fmt.Sprintf("%040x", i), Kernels: "avx512"},
	}
}

// A store holding full runs of reference-cpu1 and, after them, runs of
// `--epochs 1 --train-limit 640` (which measure a shorter, colder run, 30 %
// slower here) on the same host gives two flat series, not one series with
// a change point; the full runs, differing only in time, seed and commit,
// stay one series.
func TestShortRunsAreTheirOwnSeries(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(7, 7))
	noisy := func(v float64) float64 { return v * (1 + 0.01*rng.NormFloat64()) }
	for i := range 12 {
		if _, err := st.Put(ctx, keyRecord(i, 5, 0, noisy(26000))); err != nil {
			t.Fatal(err)
		}
	}
	for i := 12; i < 24; i++ {
		if _, err := st.Put(ctx, keyRecord(i, 1, 640, noisy(18000))); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := st.Runs(ctx, store.Filter{Scenario: "reference-cpu1"})
	if err != nil {
		t.Fatal(err)
	}
	// Grouped by scenario and host class alone, the runs would show a change.
	var all []float64
	for _, r := range runs {
		all = append(all, r.SamplesPerSecond)
	}
	if len(Detect(all, Options{})) == 0 {
		t.Fatal("the runs as one series show no change: the test proves nothing")
	}

	series, err := Build(runs, MetricSamplesPerSecond)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range series {
		got = append(got, fmt.Sprintf("%s|%d points|%d changes", s.Key, len(s.Points), len(s.Changes)))
	}
	want := []string{
		"reference-cpu1 · AMD EPYC 9B45 · 2 threads · amd64 · native avx512 on cpu:1 · 1 epoch, 640 images, batch 32|12 points|0 changes",
		"reference-cpu1 · AMD EPYC 9B45 · 2 threads · amd64 · native avx512 on cpu:1 · 5 epochs, 60000 images, batch 32|12 points|0 changes",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("series:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	var buf bytes.Buffer
	if err := WriteText(&buf, series); err != nil {
		t.Fatal(err)
	}
	for _, header := range []string{
		"reference-cpu1 · AMD EPYC 9B45 · 2 threads · amd64 · native avx512 on cpu:1 · 1 epoch, 640 images, batch 32 · samples_per_second\n",
		"reference-cpu1 · AMD EPYC 9B45 · 2 threads · amd64 · native avx512 on cpu:1 · 5 epochs, 60000 images, batch 32 · samples_per_second\n",
	} {
		if !strings.Contains(buf.String(), header) {
			t.Errorf("history text lacks the header %q:\n%s", header, buf.String())
		}
	}
}
