package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
)

// migration is one step of the schema. Steps are applied in order, each
// once, and recorded in schema_migrations; a released step is never
// edited, only followed by a new one.
type migration struct {
	version  int
	name     string
	sqlite   []string
	postgres []string
	// backfill, when set, runs after the statements, in their transaction:
	// it fills new columns of the rows already stored, from their records.
	backfill func(ctx context.Context, tx *sql.Tx, d *dialect) error
}

// migrations is the schema's history, oldest first.
var migrations = []migration{
	{
		version:  1,
		name:     "runs table",
		sqlite:   runsSchema.sqlite(),
		postgres: runsSchema.postgres(),
	},
	{
		version:  2,
		name:     "series key columns",
		sqlite:   seriesSchema.sqlite(),
		postgres: seriesSchema.postgres(),
		backfill: backfillSeries,
	},
}

// schemaText is DDL shared by both backends, with {BOOL}, {TIME} and
// {REAL} standing for the column types that differ.
type schemaText []string

func (s schemaText) sqlite() []string {
	// started_at is fixed-width UTC text (see sqliteTime), so it sorts as
	// it reads; git_dirty is 0 or 1.
	return s.with(strings.NewReplacer("{BOOL}", "INTEGER", "{TIME}", "TEXT", "{REAL}", "REAL"))
}

func (s schemaText) postgres() []string {
	return s.with(strings.NewReplacer("{BOOL}", "BOOLEAN", "{TIME}", "TIMESTAMPTZ", "{REAL}", "DOUBLE PRECISION"))
}

func (s schemaText) with(r *strings.Replacer) []string {
	out := make([]string, len(s))
	for i, stmt := range s {
		out[i] = r.Replace(stmt)
	}
	return out
}

// runsSchema is version 1. record holds the record's canonical JSON as
// text (not JSONB, which would reorder it); the other columns are copies
// of its fields for queries. seed holds the uint64's bits as a signed
// 64-bit integer, the widest both backends have. The build's commit is
// git_commit (and git_dirty) because COMMIT is an SQL keyword.
var runsSchema = schemaText{
	`CREATE TABLE runs (
		key                TEXT PRIMARY KEY,
		scenario           TEXT NOT NULL,
		description        TEXT NOT NULL,
		engine             TEXT NOT NULL,
		devices            TEXT NOT NULL,
		replicas           INTEGER NOT NULL,
		seed               BIGINT NOT NULL,
		status             TEXT NOT NULL,
		git_commit         TEXT NOT NULL,
		git_dirty          {BOOL} NOT NULL,
		cpu_model          TEXT NOT NULL,
		host_class         TEXT NOT NULL,
		started_at         {TIME} NOT NULL,
		samples_per_second {REAL} NOT NULL,
		us_per_sample      {REAL} NOT NULL,
		test_accuracy      {REAL} NOT NULL,
		time_to_target     {REAL} NOT NULL,
		fingerprint        TEXT NOT NULL,
		record             TEXT NOT NULL
	)`,
	// History and the dashboard read one scenario, or one host class, in
	// time order; key breaks ties the way Runs orders them.
	`CREATE INDEX runs_scenario_started ON runs (scenario, started_at, key)`,
	`CREATE INDEX runs_host_class_started ON runs (host_class, started_at, key)`,
	`CREATE INDEX runs_started ON runs (started_at, key)`,
}

// seriesSchema is version 2: the columns that, with scenario, host_class,
// engine, devices and replicas, make a run's series key (SeriesKey), so that
// a short run (--epochs, --train-limit) or another kernel path or framework
// version is a series of its own rather than a change point. Rows stored
// before it are filled from their records (backfillSeries).
var seriesSchema = schemaText{
	`ALTER TABLE runs ADD COLUMN engine_path TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE runs ADD COLUMN versions TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE runs ADD COLUMN epochs INTEGER NOT NULL DEFAULT 0`,
	`ALTER TABLE runs ADD COLUMN train_images INTEGER NOT NULL DEFAULT 0`,
	`ALTER TABLE runs ADD COLUMN global_batch INTEGER NOT NULL DEFAULT 0`,
}

// backfillSeries fills version 2's columns of the rows already stored, from
// each row's record, as Put fills them for a new one (Run.setConfig). All
// rows are read before any is written: a connection cannot do both at once.
// Put stored only records that decode; one that no longer would keeps the
// columns' defaults (an unknown configuration) rather than keep the store
// from opening.
func backfillSeries(ctx context.Context, tx *sql.Tx, d *dialect) error {
	rows, err := tx.QueryContext(ctx, `SELECT key, record FROM runs`)
	if err != nil {
		return err
	}
	type row struct{ key, record string }
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.record); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range all {
		rec, err := results.DecodeRecord("run "+r.key, []byte(r.record))
		if err != nil {
			continue
		}
		var run Run
		run.setConfig(rec)
		_, err = tx.ExecContext(ctx, d.rebind(`UPDATE runs SET engine_path = ?, versions = ?, epochs = ?, train_images = ?, global_batch = ? WHERE key = ?`),
			run.EnginePath, run.Versions, run.Epochs, run.TrainImages, run.Batch, r.key)
		if err != nil {
			return err
		}
	}
	return nil
}

// queryer is what *sql.DB and *sql.Tx share for reading.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// migrate brings the schema up to date. Opening a current store only
// reads; otherwise the missing steps run in one transaction that holds the
// backend's migration lock, so two processes opening a new store at once
// apply each step once and both succeed.
func migrate(ctx context.Context, db *sql.DB, d *dialect) error {
	if applied, err := appliedVersions(ctx, db); err == nil { // no table yet is an error: migrate
		if upToDate, err := current(applied); err != nil || upToDate {
			return err
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback() // no-op after Commit
	if err := d.lock(ctx, tx); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return err
	}
	if _, err := current(applied); err != nil {
		return err
	}
	for _, m := range migrations {
		if !applied[m.version] {
			if err := apply(ctx, tx, d, m); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// apply runs one migration and records it.
func apply(ctx context.Context, tx *sql.Tx, d *dialect, m migration) error {
	for _, stmt := range d.schema(m) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrate to version %d (%s): %w", m.version, m.name, err)
		}
	}
	if m.backfill != nil {
		if err := m.backfill(ctx, tx, d); err != nil {
			return fmt.Errorf("migrate to version %d (%s): %w", m.version, m.name, err)
		}
	}
	_, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.version, m.name, time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("migrate to version %d (%s): %w", m.version, m.name, err)
	}
	return nil
}

// appliedVersions reads schema_migrations.
func appliedVersions(ctx context.Context, q queryer) (map[int]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrate: read versions: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("migrate: read versions: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read versions: %w", err)
	}
	return applied, nil
}

// current reports whether every known migration is applied. A version this
// binary does not know means a newer mirrorbench migrated the store: an
// error, since this one would misread the schema.
func current(applied map[int]bool) (bool, error) {
	latest := migrations[len(migrations)-1].version
	for v := range applied {
		if v > latest {
			return false, fmt.Errorf("schema version %d is newer than this mirrorbench knows (%d): upgrade mirrorbench", v, latest)
		}
	}
	for _, m := range migrations {
		if !applied[m.version] {
			return false, nil
		}
	}
	return true, nil
}
