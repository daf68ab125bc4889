package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
)

// runColumns are the columns a Run is scanned from, in scanRun's order.
const runColumns = `key, scenario, description, engine, devices, replicas, seed, status,
	git_commit, git_dirty, cpu_model, host_class, started_at,
	samples_per_second, us_per_sample, test_accuracy, time_to_target, fingerprint,
	engine_path, versions, epochs, train_images, global_batch`

// Runs returns the runs f selects, oldest first, then by key. The
// statement is built from fixed fragments; f's values are parameters. Host
// matches a substring of the host class, ignoring ASCII case, with '%' and
// '_' in it taken literally.
func (s *sqlStore) Runs(ctx context.Context, f Filter) ([]Run, error) {
	var where []string
	var args []any
	if f.Scenario != "" {
		where = append(where, `scenario = ?`)
		args = append(args, f.Scenario)
	}
	if f.Host != "" {
		where = append(where, `host_class `+s.dialect.like+` ? ESCAPE '\'`)
		args = append(args, "%"+escapeLike(f.Host)+"%")
	}
	q := `SELECT ` + runColumns + ` FROM runs`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY started_at, key`
	runs, err := s.queryRuns(ctx, s.dialect.rebind(q), args)
	return runs, s.fail(err)
}

func (s *sqlStore) queryRuns(ctx context.Context, q string, args []any) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// scanRun reads one row of runColumns.
func scanRun(rows *sql.Rows) (Run, error) {
	var r Run
	var seed int64
	var started timeColumn
	err := rows.Scan(&r.Key, &r.Scenario, &r.Description, &r.Engine, &r.Devices, &r.Replicas, &seed, &r.Status,
		&r.Commit, &r.Dirty, &r.CPUModel, &r.HostClass, &started,
		&r.SamplesPerSecond, &r.USPerSample, &r.TestAccuracy, &r.TimeToTarget, &r.Fingerprint,
		&r.EnginePath, &r.Versions, &r.Epochs, &r.TrainImages, &r.Batch)
	r.Seed = uint64(seed) // stored as its bits: see runsSchema
	r.StartedAt = started.t
	return r, err
}

// escapeLike makes s match itself literally in a LIKE pattern whose
// escape character is '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// timeColumn scans started_at: a time from PostgreSQL, fixed-width text
// from SQLite.
type timeColumn struct{ t time.Time }

func (c *timeColumn) Scan(v any) error {
	switch v := v.(type) {
	case time.Time:
		c.t = v.UTC()
		return nil
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	}
	return fmt.Errorf("started_at: unexpected %T", v)
}

func (c *timeColumn) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("started_at: %v", err)
	}
	c.t = t.UTC()
	return nil
}

// Record returns the stored record with the given key, decoded as
// results.ReadRecord decodes a file; a key not stored is ErrNotFound.
func (s *sqlStore) Record(ctx context.Context, key string) (*results.Record, error) {
	var data string
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT record FROM runs WHERE key = ?`), key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.fail(fmt.Errorf("%w: %s", ErrNotFound, key))
	}
	if err != nil {
		return nil, s.fail(err)
	}
	rec, err := results.DecodeRecord("run "+key, []byte(data))
	return rec, s.fail(err)
}
