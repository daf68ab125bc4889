package history_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/history"
	"github.com/mirrorbench/mirrorbench/results/store"
)

// BenchmarkHistory10k is what `history` does over a SQLite store of 10,000
// runs of one scenario on one host (10 % noise, a 5 % step halfway): read
// the runs, build the series with its change points, print it. The goal is
// under 1 s per op.
//
//	go test -run '^$' -bench History10k -benchtime 5x ./results/history
func BenchmarkHistory10k(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "h.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	host := &hardware.Host{CPUModel: "Bench CPU", Threads: 2, Arch: "amd64"}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 10000
	for i := range n {
		sps := 10000 * (1 + 0.1*rng.NormFloat64())
		if i >= n/2 {
			sps *= 0.95
		}
		if _, err := st.Put(ctx, benchRecord(i, start.Add(time.Duration(i)*time.Minute), sps, host)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		runs, err := st.Runs(ctx, store.Filter{Scenario: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		series, err := history.Build(runs, history.MetricSamplesPerSecond)
		if err != nil || len(series) != 1 || len(series[0].Points) != n {
			b.Fatalf("series %d, err %v", len(series), err)
		}
		if err := history.WriteText(io.Discard, series); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRecord(i int, started time.Time, sps float64, host *hardware.Host) *results.Record {
	return &results.Record{
		SchemaVersion: results.SchemaVersion, Scenario: "bench", Engine: "native", Strategy: "single",
		Devices: "cpu", Replicas: 1, Seed: uint64(i), GlobalBatch: 32, Status: results.StatusOK,
		StartedAt: started.Format(time.RFC3339), Host: host,
		Build:      results.Build{GitCommit: fmt.Sprintf("%040x", i)},
		Epochs:     []results.Epoch{{Epoch: 1, TestAccuracy: 0.98, SamplesPerSecond: sps}},
		Targets:    []results.TargetResult{},
		Throughput: results.Throughput{SamplesPerSecond: sps, USPerSample: 1e6 / sps},
	}
}
