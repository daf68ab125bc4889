package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// migrationLockID names the advisory lock that migrations hold on
// PostgreSQL: any fixed number, the same in every mirrorbench ("mirror"
// in ASCII).
const migrationLockID int64 = 0x6d6972726f72

var postgresDialect = &dialect{
	name:   "postgres",
	rebind: dollarParams,
	// A transaction-scoped advisory lock: two processes migrating a new
	// database queue here, and a crashed one releases it with its session.
	lock: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockID)
		return err
	},
	// TIMESTAMPTZ keeps microseconds: a finer Run.StartedAt is truncated
	// (the stored record keeps it whole).
	timeArg: func(t time.Time) any { return t },
	like:    "ILIKE", // case-insensitive, as LIKE is in SQLite
	schema:  func(m migration) []string { return m.postgres },
}

// openPostgres connects to the database that dsn names.
func openPostgres(ctx context.Context, dsn string) (Store, error) {
	hide := secrets(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, scrub(wrap("postgres", err), hide)
	}
	if cfg.Password != "" { // it may come from PGPASSWORD or a passfile too
		hide = append(hide, cfg.Password)
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil { // names the server and user, unlike a failed migration
		db.Close()
		return nil, scrub(wrap("postgres", err), hide)
	}
	if err := migrate(ctx, db, postgresDialect); err != nil {
		db.Close()
		return nil, scrub(wrap("postgres", err), hide)
	}
	return &sqlStore{db: db, dialect: postgresDialect, secrets: hide}, nil
}

// dollarParams turns the '?' placeholders of a statement into PostgreSQL's
// $1, $2, ...; the package's statements hold no '?' otherwise.
func dollarParams(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		n++
		b.WriteString("$" + strconv.Itoa(n))
	}
	return b.String()
}
