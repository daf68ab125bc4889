package store

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkPut is the cost of storing one new record in a SQLite store,
// what `run --store` adds per run beyond opening it (goal: under 50 ms).
func BenchmarkPut(b *testing.B) {
	st := mustOpen(b, filepath.Join(b.TempDir(), "runs.db"))
	ctx := context.Background()
	i := 0
	for b.Loop() {
		rec := testRecord(i) // new each time: a duplicate would cost less
		i++
		if _, err := st.Put(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenPut is Open, Put and Close of an existing SQLite store: all
// that `run --store` adds to a run.
func BenchmarkOpenPut(b *testing.B) {
	path := filepath.Join(b.TempDir(), "runs.db")
	mustOpen(b, path).Close() // created and migrated beforehand
	ctx := context.Background()
	i := 0
	for b.Loop() {
		st, err := Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Put(ctx, testRecord(i)); err != nil {
			b.Fatal(err)
		}
		i++
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRuns10k is Runs of one scenario with 10,000 stored runs (and
// 2,000 of others) on SQLite, what history and the dashboard read (goal:
// under 1 s).
func BenchmarkRuns10k(b *testing.B) {
	const n, others = 10000, 2000
	st := mustOpen(b, filepath.Join(b.TempDir(), "runs.db"))
	ctx := context.Background()
	for i := range n + others {
		rec := testRecord(i)
		if i < n {
			rec.Scenario = "target"
		}
		if _, err := st.Put(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		runs, err := st.Runs(ctx, Filter{Scenario: "target"})
		if err != nil {
			b.Fatal(err)
		}
		if len(runs) != n {
			b.Fatalf("%d runs, want %d", len(runs), n)
		}
	}
}
