package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mirrorbench/mirrorbench/results"
)

// seriesRecord is a finished native run of reference-cpu1 on the first
// test host, i minutes after testBase, as `run` with epochs and limit (0:
// the scenario's) would record it.
func seriesRecord(i, epochs, limit int) *results.Record {
	rec := testRecord(0)
	rec.Scenario, rec.ScenarioFile, rec.ScenarioYAML = "reference-cpu1", "scenarios/reference-cpu1.yaml", ""
	rec.Devices, rec.Strategy, rec.Replicas = "cpu:1", "single", 1
	rec.EpochsPlanned, rec.TrainLimit = epochs, limit
	rec.Build.Kernels = "avx2-fma"
	rec.Seed = uint64(i)
	started := testBase.Add(time.Duration(i) * time.Minute)
	rec.StartedAt, rec.FinishedAt = started.Format(time.RFC3339), started.Add(time.Minute).Format(time.RFC3339)
	return rec
}

// A full run and a `--epochs 1 --train-limit 640` run of one scenario on
// one host have different series keys; runs that differ only in time (and
// seed, commit, figures) have one.
func testSeriesKey(t *testing.T, dsn string) {
	st := mustOpen(t, dsn)
	mustPut(t, st, seriesRecord(0, 5, 0))
	mustPut(t, st, seriesRecord(1, 1, 640))
	mustPut(t, st, seriesRecord(2, 5, 0))
	runs, err := st.Runs(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 {
		t.Fatalf("%d runs, want 3", len(runs))
	}
	full, short, again := runs[0].Series(), runs[1].Series(), runs[2].Series()
	if full != again {
		t.Errorf("runs differing only in time have different keys:\n%v\n%v", full, again)
	}
	if full == short {
		t.Errorf("a full run and a short run share the key %v", full)
	}
	for _, c := range []struct {
		k    SeriesKey
		want string
	}{
		{full, "reference-cpu1 · AMD EPYC 9B45 · 2 threads · amd64 · native avx2-fma on cpu:1 · 5 epochs, 60000 images, batch 32"},
		{short, "reference-cpu1 · AMD EPYC 9B45 · 2 threads · amd64 · native avx2-fma on cpu:1 · 1 epoch, 640 images, batch 32"},
	} {
		if got := c.k.String(); got != c.want {
			t.Errorf("key reads\n%q, want\n%q", got, c.want)
		}
	}
}

// A store of schema version 1 (no series columns) gets them on opening,
// filled from its records; a record without epochs and batch takes its
// scenario's: the embedded smoke's 1 epoch of 2048 images.
func testMigrateSeries(t *testing.T, dsn string) {
	saved := migrations
	migrations = migrations[:1]
	st := mustOpen(t, dsn)
	migrations = saved
	ctx := context.Background()
	old := seriesRecord(0, 1, 640)
	pytorch := seriesRecord(1, 5, 0)
	pytorch.Scenario, pytorch.Engine = "pytorch-cpu1", "pytorch"
	pytorch.Framework = &results.Framework{Name: "pytorch", Versions: map[string]string{"torch": "1.13.1", "python": "3.11.2"}, Backend: results.BackendNone}
	bare := seriesRecord(2, 0, 0) // before epochs_planned and global_batch
	bare.Scenario, bare.GlobalBatch = "smoke", 0
	for _, rec := range []*results.Record{old, pytorch, bare} {
		run, data, err := rowOf(rec)
		if err != nil {
			t.Fatal(err)
		}
		s := st.(*sqlStore)
		_, err = s.db.ExecContext(ctx, s.dialect.rebind(`INSERT INTO runs (
			key, scenario, description, engine, devices, replicas, seed, status,
			git_commit, git_dirty, cpu_model, host_class, started_at,
			samples_per_second, us_per_sample, test_accuracy, time_to_target,
			fingerprint, record)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			run.Key, run.Scenario, run.Description, run.Engine, run.Devices, run.Replicas, int64(run.Seed), run.Status,
			run.Commit, run.Dirty, run.CPUModel, run.HostClass, s.dialect.timeArg(run.StartedAt),
			run.SamplesPerSecond, run.USPerSample, run.TestAccuracy, run.TimeToTarget, run.Fingerprint, string(data))
		if err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	st = mustOpen(t, dsn)
	runs, err := st.Runs(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []Config
	for _, r := range runs {
		got = append(got, r.Series().Config)
	}
	want := []Config{
		{Engine: "native", Path: "avx2-fma", Devices: "cpu:1", Replicas: 1, Epochs: 1, TrainImages: 640, Batch: 32},
		{Engine: "pytorch", Versions: "torch 1.13.1", Devices: "cpu:1", Replicas: 1, Epochs: 5, TrainImages: 60000, Batch: 32},
		{Engine: "native", Path: "avx2-fma", Devices: "cpu:1", Replicas: 1, Epochs: 1, TrainImages: 2048, Batch: 32},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("series after migrating (-want +got):\n%s", diff)
	}
	for _, rec := range []*results.Record{old, pytorch, bare} { // stored again: already there
		if mustPut(t, st, rec) {
			t.Errorf("%s: stored twice after migrating", rec.Scenario)
		}
	}
}
