package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ErrInvalid is what Put's error wraps for a record it refuses to store:
// one that is not a complete record of this schema version.
var ErrInvalid = errors.New("not a valid run record")

// ErrNotFound is what Record's error wraps for a key that is not stored.
var ErrNotFound = errors.New("no run with that key")

// ErrNoStore is what OpenExisting's error wraps for a SQLite file that does
// not exist.
var ErrNoStore = errors.New("no such store")

// Open opens the results store that dsn names, creating and migrating its
// schema as needed. dsn is one of:
//
//   - "postgres://..." or "postgresql://...": a PostgreSQL database
//     (user:password@host:port/db?sslmode=..., anything pgx accepts);
//   - "host=... dbname=... password=...": the same in libpq's key=value form;
//   - anything else: the path of a SQLite file, created with its folder when
//     missing.
//
// Its errors never hold the password; they do not repeat the DSN, which
// the caller names (through Redact) as it sees fit.
func Open(ctx context.Context, dsn string) (Store, error) {
	if isPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

// OpenExisting opens a store that must already exist, for readers: a
// mistyped SQLite path is then an error wrapping ErrNoStore, not a new,
// empty store.
func OpenExisting(ctx context.Context, dsn string) (Store, error) {
	if !isPostgres(dsn) {
		if _, err := os.Stat(dsn); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoStore, err)
		}
	}
	return Open(ctx, dsn)
}

// isPostgres tells a PostgreSQL DSN from a SQLite path. A string whose
// first word is key=value ("host=db user=ci password=...", any libpq key)
// is a PostgreSQL DSN, not a file name: read as a SQLite path it would
// create a file named after the password.
func isPostgres(dsn string) bool {
	lower := strings.ToLower(dsn)
	return strings.HasPrefix(lower, "postgres://") ||
		strings.HasPrefix(lower, "postgresql://") ||
		startsWithKeyValue(lower)
}

// startsWithKeyValue says whether s starts with an identifier, optional
// spaces and '=': libpq's key=value form.
func startsWithKeyValue(s string) bool {
	key, _, ok := strings.Cut(strings.TrimLeft(s, " \t"), "=")
	key = strings.TrimRight(key, " \t")
	if !ok || key == "" {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// sqlStore is the Store of both backends: the same statements, written
// with '?' placeholders, run through one dialect.
type sqlStore struct {
	db      *sql.DB
	dialect *dialect
	secrets []string // forms of the DSN's password, scrubbed from every error
}

var _ Store = (*sqlStore)(nil)

// dialect is what differs between the backends.
type dialect struct {
	name string
	// rebind turns the '?' placeholders of a statement into the backend's.
	rebind func(query string) string
	// lock serializes migrations across processes inside tx.
	lock func(ctx context.Context, tx *sql.Tx) error
	// timeArg is a started time as the started_at column takes it.
	timeArg func(t time.Time) any
	// like is the case-insensitive LIKE operator.
	like string
	// schema picks a migration's statements for the backend.
	schema func(m migration) []string
}

// Close closes the store's connections.
func (s *sqlStore) Close() error {
	return s.fail(s.db.Close())
}

// fail prefixes err with the package and backend names, and scrubs it.
func (s *sqlStore) fail(err error) error {
	if err == nil {
		return nil
	}
	return scrub(wrap(s.dialect.name, err), s.secrets)
}

// wrap prefixes err with the package and backend names.
func wrap(backend string, err error) error {
	return &storeError{backend: backend, err: err}
}

// storeError names where an error came from and keeps it for errors.Is.
type storeError struct {
	backend string
	err     error
}

func (e *storeError) Error() string { return "store (" + e.backend + "): " + e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }
