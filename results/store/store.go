// Package store keeps run records beyond one folder and one machine: a
// results store that many machines (CI shards, developers) write into at
// once, and that history and the dashboard read.
//
// It is opinionated:
//
//   - A record is stored whole (its JSON, so nothing is lost) beside indexed
//     columns for what people query. Its identity is its content: the
//     SHA-256 of its canonical JSON. Storing the same record twice is a no-op.
//   - Two backends behind one interface: an embedded SQLite file (the
//     default; a cgo-free driver) and PostgreSQL for a team (a postgres://
//     DSN). The schema is versioned and migrated on open.
//   - Every statement uses parameters, never string concatenation; a DSN's
//     password never appears in an error, a log or a record (Redact).
package store

import (
	"context"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
)

// Run is one stored record's indexed facts, as queries return them. The
// whole record is available through Store.Record.
type Run struct {
	Key              string // hex SHA-256 of the record's canonical JSON
	Scenario         string
	Description      string
	Engine           string
	Devices          string
	Replicas         int
	Seed             uint64
	Status           string
	Commit           string // git commit of the build, "" when unknown
	Dirty            bool
	CPUModel         string
	HostClass        string // HostClass(record.Host): CPU model, threads and arch
	StartedAt        time.Time
	SamplesPerSecond float64 // steady-state throughput; 0 when none
	USPerSample      float64
	TestAccuracy     float64 // final test accuracy; 0 when no epoch finished
	TimeToTarget     float64 // seconds to the first target; 0 when not reached
	Fingerprint      string
	// The rest of the series key (Series): how the engine ran here
	// (Config.Path), the framework's versions, the epochs planned, the
	// training images per epoch and the global batch.
	EnginePath, Versions string
	Epochs, TrainImages  int
	Batch                int
}

// Filter selects runs; empty fields select everything.
type Filter struct {
	Scenario string
	Host     string // a substring of the host class
}

// Store is a results store.
type Store interface {
	// Put stores rec (its JSON as data, exactly as read or written) and
	// reports whether it was new. A record already stored is not stored
	// again, whoever stored it first.
	Put(ctx context.Context, rec *results.Record) (added bool, err error)
	// Runs returns the runs that f selects, oldest first (by started time,
	// then key).
	Runs(ctx context.Context, f Filter) ([]Run, error)
	// Record returns the whole stored record with the given key.
	Record(ctx context.Context, key string) (*results.Record, error)
	Close() error
}
