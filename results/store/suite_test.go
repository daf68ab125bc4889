package store

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mirrorbench/mirrorbench/results"
)

// runSuite runs the checks both backends must pass; newDSN names a new,
// empty store for each.
func runSuite(t *testing.T, newDSN func(t *testing.T) string) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newDSN(t)) })
	t.Run("Filter", func(t *testing.T) { testFilter(t, newDSN(t)) })
	t.Run("Rejected", func(t *testing.T) { testRejected(t, newDSN(t)) })
	t.Run("Reopen", func(t *testing.T) { testReopen(t, newDSN(t)) })
	t.Run("MigrationRace", func(t *testing.T) { testMigrationRace(t, newDSN(t)) })
	t.Run("ConcurrentUploaders", func(t *testing.T) { testConcurrentUploaders(t, newDSN(t)) })
	t.Run("SeriesKey", func(t *testing.T) { testSeriesKey(t, newDSN(t)) })
	t.Run("MigrateSeries", func(t *testing.T) { testMigrateSeries(t, newDSN(t)) })
}

func mustOpen(t testing.TB, dsn string) Store {
	t.Helper()
	st, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func mustPut(t testing.TB, st Store, rec *results.Record) bool {
	t.Helper()
	added, err := st.Put(context.Background(), rec)
	if err != nil {
		t.Fatalf("Put(%s seed %d): %v", rec.Scenario, rec.Seed, err)
	}
	return added
}

// count is the store's rows, and its distinct keys.
func count(t testing.TB, st Store) (rows, keys int) {
	t.Helper()
	err := st.(*sqlStore).db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT key) FROM runs`).Scan(&rows, &keys)
	if err != nil {
		t.Fatal(err)
	}
	return rows, keys
}

func testRoundTrip(t *testing.T, dsn string) {
	ctx := context.Background()
	st := mustOpen(t, dsn)
	recs := testRecords(0, 12)
	for i := len(recs) - 1; i >= 0; i-- { // stored newest first: Runs must sort
		if !mustPut(t, st, recs[i]) {
			t.Fatalf("record %d: added = false for a new record", i)
		}
	}
	if mustPut(t, st, testRecord(5)) { // an equal copy, not the same pointer
		t.Fatal("a record stored twice was added twice")
	}
	runs, err := st.Runs(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(recs) {
		t.Fatalf("Runs: %d runs, want %d", len(runs), len(recs))
	}
	for i, r := range runs {
		key, err := Key(recs[i])
		if err != nil {
			t.Fatal(err)
		}
		if r.Key != key {
			t.Fatalf("run %d: key %s, want %s (runs out of time order?)", i, r.Key, key)
		}
		got, err := st.Record(ctx, r.Key)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(recs[i], got); diff != "" {
			t.Fatalf("record %d round trip (-put +stored):\n%s", i, diff)
		}
	}
	want := Run{
		Key: runs[4].Key, Scenario: "mnist-cnn", Description: "generated record 4", Engine: "native",
		Devices: "cpu", Replicas: 1, Seed: testRecord(4).Seed, Status: "ok", Commit: "c0ffee04",
		CPUModel: "AMD EPYC 9B45", HostClass: "AMD EPYC 9B45 · 2 threads · amd64",
		StartedAt: testBase.Add(4 * time.Minute), SamplesPerSecond: 1006, USPerSample: 1e6 / 1006.0,
		TestAccuracy: 0.9 + 4.0/1000, TimeToTarget: 44.5, Fingerprint: "fp0004",
		Epochs: 2, TrainImages: 512, Batch: 32,
	}
	if diff := cmp.Diff(want, runs[4]); diff != "" {
		t.Errorf("run 4 (-want +got):\n%s", diff)
	}
	if _, err := st.Record(ctx, "no-such-key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Record of an unknown key: %v, want ErrNotFound", err)
	}
}

func testFilter(t *testing.T, dsn string) {
	st := mustOpen(t, dsn)
	for _, rec := range testRecords(0, 12) {
		mustPut(t, st, rec)
	}
	for _, tc := range []struct {
		f    Filter
		want int
	}{
		{Filter{}, 12},
		{Filter{Scenario: "smoke"}, 4},
		{Filter{Scenario: "smok"}, 0}, // the scenario matches whole
		{Filter{Host: "EPYC"}, 6},
		{Filter{Host: "epyc 9b45 · 2 threads"}, 6}, // ignoring case
		{Filter{Host: "100%"}, 6},
		{Filter{Host: "%"}, 6}, // literal, not a wildcard
		{Filter{Host: "_"}, 6},
		{Filter{Host: "Odd CPU"}, 0}, // '_' is no wildcard either
		{Filter{Host: `\`}, 0},
		{Filter{Host: "'; DROP TABLE runs; --"}, 0},
		{Filter{Scenario: "smoke", Host: "arm64"}, 2},
	} {
		runs, err := st.Runs(context.Background(), tc.f)
		if err != nil {
			t.Fatalf("Runs(%+v): %v", tc.f, err)
		}
		if len(runs) != tc.want {
			t.Errorf("Runs(%+v): %d runs, want %d", tc.f, len(runs), tc.want)
		}
	}
}

func testRejected(t *testing.T, dsn string) {
	st := mustOpen(t, dsn)
	bad := map[string]func(r *results.Record){
		"schema version": func(r *results.Record) { r.SchemaVersion = results.SchemaVersion + 1 },
		"no scenario":    func(r *results.Record) { r.Scenario = "" },
		"no status":      func(r *results.Record) { r.Status = "" },
		"started_at":     func(r *results.Record) { r.StartedAt = "yesterday" },
		"NaN":            func(r *results.Record) { r.Throughput.SamplesPerSecond = math.NaN() },
	}
	for name, spoil := range bad {
		rec := testRecord(1)
		spoil(rec)
		added, err := st.Put(context.Background(), rec)
		if !errors.Is(err, ErrInvalid) || added {
			t.Errorf("%s: Put = %v, %v; want false, ErrInvalid", name, added, err)
		}
	}
	if _, err := st.Put(context.Background(), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil record: %v, want ErrInvalid", err)
	}
	if rows, _ := count(t, st); rows != 0 {
		t.Errorf("%d rows stored from rejected records", rows)
	}
}

func testReopen(t *testing.T, dsn string) {
	st := mustOpen(t, dsn)
	mustPut(t, st, testRecord(0))
	st.Close()
	for range 2 {
		st = mustOpen(t, dsn)
		if rows, _ := count(t, st); rows != 1 {
			t.Fatalf("after reopening: %d rows, want 1", rows)
		}
		var n, latest int
		err := st.(*sqlStore).db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &latest)
		if err != nil {
			t.Fatal(err)
		}
		if n != len(migrations) || latest != migrations[len(migrations)-1].version {
			t.Fatalf("schema_migrations: %d rows up to version %d, want %d", n, latest, len(migrations))
		}
		st.Close()
	}
}

// testMigrationRace opens a new store from two goroutines at once (as two
// processes would): both must succeed.
func testMigrationRace(t *testing.T, dsn string) {
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			st, err := Open(context.Background(), dsn)
			if err == nil {
				_, err = st.Put(context.Background(), testRecord(i))
				st.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("opener %d: %v", i, err)
		}
	}
}

// testConcurrentUploaders has 8 uploaders, each with its own Open, store
// 100 records each while also storing their neighbour's (so that every
// record races with another copy of itself), then all of them again.
func testConcurrentUploaders(t *testing.T, dsn string) {
	const uploaders, each = 8, 100
	sets := make([][]*results.Record, uploaders)
	for i := range sets {
		sets[i] = testRecords(i*each, each)
	}
	upload := func() int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		added := 0
		for i := range uploaders {
			wg.Go(func() {
				st, err := Open(context.Background(), dsn)
				if err != nil {
					t.Errorf("uploader %d: %v", i, err)
					return
				}
				defer st.Close()
				mine, next := sets[i], sets[(i+1)%uploaders]
				for j := range each {
					for _, rec := range []*results.Record{mine[j], next[j]} {
						a, err := st.Put(context.Background(), rec)
						if err != nil {
							t.Errorf("uploader %d: %v", i, err)
							return
						}
						mu.Lock()
						added += map[bool]int{true: 1}[a]
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		return added
	}
	st := mustOpen(t, dsn)
	for round, want := range []int{uploaders * each, 0} {
		if added := upload(); added != want {
			t.Errorf("round %d: %d reported added, want %d", round, added, want)
		}
		if rows, keys := count(t, st); rows != uploaders*each || keys != rows {
			t.Fatalf("round %d: %d rows, %d keys; want %d", round, rows, keys, uploaders*each)
		}
	}
}
