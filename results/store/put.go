package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
)

// Key is a record's identity in the store: the hex SHA-256 of its
// canonical JSON, which is json.Marshal of the Record struct (fields in
// their declared order, map keys sorted, no indentation). Two records
// with the same content have the same key however their files were
// formatted; a field a file holds that Record does not know is not part
// of the identity, and is not stored.
func Key(rec *results.Record) (string, error) {
	data, err := canonical(rec)
	if err != nil {
		return "", err
	}
	return keyOf(data), nil
}

// canonical is a record's canonical JSON.
func canonical(rec *results.Record) ([]byte, error) {
	if rec == nil {
		return nil, fmt.Errorf("%w: nil record", ErrInvalid)
	}
	data, err := json.Marshal(rec)
	if err != nil { // a NaN or an infinity, which JSON cannot hold
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return data, nil
}

func keyOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// HostClass names the kind of machine a run had, for grouping runs whose
// speeds compare: CPU model, usable thread count and architecture, e.g.
// "AMD EPYC 9B45 · 2 threads · amd64"; "unknown host" for a record
// without one. The model is the OS's name for the CPU (Host.CPUModel), the
// count Host.UsableThreads: a record written before the OS was asked
// (whose counts are CPUID's, a hypervisor's 254 threads for a 2-CPU VM,
// say) gets its count corrected by the affinity and quota it recorded, but
// keeps CPUID's brand as its model, so it stays in a class of its own.
// The class is computed when a record is stored.
func HostClass(h *hardware.Host) string {
	if h == nil {
		return "unknown host"
	}
	model := h.CPUModel
	if model == "" {
		model = "unknown CPU"
	}
	n := h.UsableThreads()
	threads := strconv.Itoa(n) + " threads"
	if n == 1 {
		threads = "1 thread"
	}
	arch := h.Arch
	if arch == "" {
		arch = "unknown arch"
	}
	return model + " · " + threads + " · " + arch
}

// Put stores rec, unless a record with the same key is stored already. A
// record that is not complete is refused (ErrInvalid) and nothing stored.
func (s *sqlStore) Put(ctx context.Context, rec *results.Record) (bool, error) {
	run, data, err := rowOf(rec)
	if err != nil {
		return false, err // names only the record: no DSN, nothing to scrub
	}
	added, err := s.insert(ctx, run, data)
	return added, s.fail(err)
}

// insert adds one row in a transaction; a key already there adds nothing,
// whichever process stored it, and is no error.
func (s *sqlStore) insert(ctx context.Context, r Run, data []byte) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() // no-op after Commit
	res, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO runs (
		key, scenario, description, engine, devices, replicas, seed, status,
		git_commit, git_dirty, cpu_model, host_class, started_at,
		samples_per_second, us_per_sample, test_accuracy, time_to_target,
		fingerprint, record,
		engine_path, versions, epochs, train_images, global_batch)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO NOTHING`),
		r.Key, r.Scenario, r.Description, r.Engine, r.Devices, r.Replicas, int64(r.Seed), r.Status,
		r.Commit, r.Dirty, r.CPUModel, r.HostClass, s.dialect.timeArg(r.StartedAt),
		r.SamplesPerSecond, r.USPerSample, r.TestAccuracy, r.TimeToTarget,
		r.Fingerprint, string(data),
		r.EnginePath, r.Versions, r.Epochs, r.TrainImages, r.Batch)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, tx.Commit()
}

// rowOf checks rec and returns its indexed facts and canonical JSON. The
// checks are results.DecodeRecord's (schema version, scenario, status),
// run on the very JSON stored, so that Record can read back whatever Put
// accepted, and a started time, which ordering needs.
func rowOf(rec *results.Record) (Run, []byte, error) {
	data, err := canonical(rec)
	if err != nil {
		return Run{}, nil, err
	}
	name := "record"
	if rec.Scenario != "" {
		name = fmt.Sprintf("record of %q", rec.Scenario)
	}
	if _, err := results.DecodeRecord(name, data); err != nil {
		return Run{}, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	started, err := time.Parse(time.RFC3339, rec.StartedAt)
	if err != nil {
		return Run{}, nil, fmt.Errorf("%w: %s: started_at %q is not an RFC 3339 time", ErrInvalid, name, rec.StartedAt)
	}
	return runOf(rec, keyOf(data), started), data, nil
}

// runOf copies a checked record's indexed facts.
func runOf(rec *results.Record, key string, started time.Time) Run {
	r := Run{
		Key:              key,
		Scenario:         rec.Scenario,
		Description:      rec.Description,
		Engine:           rec.Engine,
		Devices:          rec.Devices,
		Replicas:         rec.Replicas,
		Seed:             rec.Seed,
		Status:           rec.Status,
		Commit:           rec.Build.GitCommit,
		Dirty:            rec.Build.GitDirty,
		HostClass:        HostClass(rec.Host),
		StartedAt:        started.UTC(),
		SamplesPerSecond: rec.Throughput.SamplesPerSecond,
		USPerSample:      rec.Throughput.USPerSample,
		TestAccuracy:     rec.FinalTestAccuracy(),
		TimeToTarget:     timeToTarget(rec.Targets),
		Fingerprint:      rec.Fingerprint,
	}
	if rec.Host != nil {
		r.CPUModel = rec.Host.CPUModel
	}
	r.setConfig(rec)
	return r
}

// timeToTarget is the seconds to the first target reached (in the
// record's order), or 0.
func timeToTarget(ts []results.TargetResult) float64 {
	for _, t := range ts {
		if t.Reached {
			return t.Seconds
		}
	}
	return 0
}
