package history

import (
	"crypto/sha1"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/store"
)

var epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fixedRuns are the golden runs: scenario "mnist-mlp" on two host classes,
// the first with a 20 % throughput drop at its 13th point (commit 12, run
// twice) and a recovery of 15 % at its 25th; a failed run, a run without a
// value, an unknown commit and a dirty build; and "smoke" on one host
// class, flat. The noise is 1 % (seeded), so the changes are certain.
func fixedRuns() []store.Run {
	rng := rand.New(rand.NewPCG(42, 42))
	var runs []store.Run
	add := func(scenario, host string, i, commit int, sps, usps float64) {
		r := store.Run{
			Key:      fmt.Sprintf("%s-%s-%03d", scenario, host[:4], i),
			Scenario: scenario, HostClass: host, Status: results.StatusOK,
			Commit:           fmt.Sprintf("%x", sha1.Sum([]byte{byte(commit)})),
			StartedAt:        epoch.Add(time.Duration(i) * 7 * time.Hour),
			SamplesPerSecond: sps * (1 + 0.01*rng.NormFloat64()),
			USPerSample:      usps * (1 + 0.01*rng.NormFloat64()),
			TestAccuracy:     0.97,
		}
		runs = append(runs, r)
	}
	for i := range 32 {
		level := 12000.0
		switch {
		case i >= 24:
			level *= 0.8 * 1.15
		case i >= 12:
			level *= 0.8
		}
		add("mnist-mlp", "Intel Xeon 8488C, 16 threads, amd64", i, min(i, 12+max(i-13, 0)), level, 1e6/level)
	}
	for i := range 8 {
		add("mnist-mlp", "Apple M2, 8 threads, arm64", i, i, 9000, 1e6/9000)
		add("smoke", "Apple M2, 8 threads, arm64", i, i, 500, 2000)
	}
	runs[3].Status = "failed"
	runs[5].SamplesPerSecond = 0
	runs[6].Commit = ""
	runs[30].Dirty = true
	runs[40].Status = results.StatusTargetMissed
	return runs
}

func TestBuild(t *testing.T) {
	series, err := Build(fixedRuns(), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range series {
		got = append(got, fmt.Sprintf("%s|%s|%s|%d|%d", s.Scenario, s.HostClass, s.Metric, len(s.Points), len(s.Changes)))
	}
	want := []string{
		"mnist-mlp|Apple M2, 8 threads, arm64|samples_per_second|8|0",
		"mnist-mlp|Intel Xeon 8488C, 16 threads, amd64|samples_per_second|30|2",
		"smoke|Apple M2, 8 threads, arm64|samples_per_second|8|0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("series:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	s := series[1]
	for i := 1; i < len(s.Points); i++ {
		if s.Points[i].Time.Before(s.Points[i-1].Time) {
			t.Errorf("points %d and %d out of time order", i-1, i)
		}
	}
	// Two runs failed or had no value before the drop, so it is at point 10.
	if c := s.Changes; c[0].Index != 10 || c[1].Index != 22 {
		t.Errorf("changes at %d and %d, want 10 and 22", c[0].Index, c[1].Index)
	}
	if p := s.Points[10]; p.Commit != p.Run.Commit || p.Key != p.Run.Key || p.Value != p.Run.SamplesPerSecond {
		t.Errorf("point %+v does not carry its run's facts", p)
	}
}

func TestBuildMetrics(t *testing.T) {
	runs := fixedRuns()
	for _, m := range Metrics() {
		series, err := Build(runs, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range series {
			if s.Metric != m {
				t.Errorf("Build(%q) made a series of %q", m, s.Metric)
			}
		}
	}
	// No run reached a target: no time_to_target series at all.
	if s, _ := Build(runs, MetricTimeToTarget); len(s) != 0 {
		t.Errorf("time_to_target: %d series from runs without a value, want none", len(s))
	}
	_, err := Build(runs, "speed")
	if err == nil || !strings.Contains(err.Error(), `"speed"`) || !strings.Contains(err.Error(), strings.Join(Metrics(), ", ")) {
		t.Errorf("Build with an unknown metric: %v, want an error naming it and listing %v", err, Metrics())
	}
}

func TestBuildKeepsRunsAtOneCommit(t *testing.T) {
	var runs []store.Run
	for i := range 4 {
		runs = append(runs, store.Run{Key: fmt.Sprint(3 - i), Scenario: "s", HostClass: "h", Status: results.StatusOK,
			Commit: "abc", StartedAt: epoch, SamplesPerSecond: float64(10 + i)})
	}
	series, err := Build(runs, MetricSamplesPerSecond)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range series[0].Points {
		keys = append(keys, p.Key)
	}
	if got := strings.Join(keys, ","); got != "0,1,2,3" {
		t.Errorf("points at one time and commit: keys %s, want 0,1,2,3 (one point per run, by key)", got)
	}
}
