package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the cgo-free SQLite driver, "sqlite"
)

// sqliteParams configure every connection to a SQLite store:
//
//   - busy_timeout: a writer waits up to 30 s for another's transaction
//     (CI shards sharing a file) instead of failing with SQLITE_BUSY;
//   - WAL: readers do not block the writer, nor it them;
//   - synchronous NORMAL: in WAL mode a commit survives a crashed process,
//     and a power cut loses at most the last commits, never the file; it
//     spares an fsync per Put;
//   - _txlock=immediate: every transaction starts with BEGIN IMMEDIATE,
//     taking the write lock at once, so two writers queue on the busy
//     timeout rather than deadlocking when both upgrade a read lock.
const sqliteParams = "_busy_timeout=30000&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate"

// sqliteTimeLayout is started_at in SQLite: UTC, fixed width, so that the
// text sorts in time order.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000000Z"

var sqliteDialect = &dialect{
	name:    "sqlite",
	rebind:  func(q string) string { return q },
	lock:    func(context.Context, *sql.Tx) error { return nil }, // BEGIN IMMEDIATE is the lock
	timeArg: func(t time.Time) any { return t.UTC().Format(sqliteTimeLayout) },
	like:    "LIKE", // case-insensitive for ASCII
	schema:  func(m migration) []string { return m.sqlite },
}

// openSQLite opens (creating) the SQLite file at path.
func openSQLite(ctx context.Context, path string) (Store, error) {
	fail := func(err error) error { return scrub(wrap("sqlite", err), secrets(path)) }
	if path == "" {
		return nil, fail(fmt.Errorf("no file given"))
	}
	// The driver reads what follows a '?' as its parameters.
	if strings.ContainsRune(path, '?') {
		return nil, fail(fmt.Errorf("a SQLite file name may not contain '?'"))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fail(err)
	}
	db, err := sql.Open("sqlite", path+"?"+sqliteParams)
	if err != nil {
		return nil, fail(err)
	}
	// One connection per store: a process's goroutines queue in Go rather
	// than in SQLite's busy handler; other processes still share the file.
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db, sqliteDialect); err != nil {
		db.Close()
		return nil, fail(err)
	}
	return &sqlStore{db: db, dialect: sqliteDialect}, nil
}
