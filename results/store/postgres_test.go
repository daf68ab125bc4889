package store

import (
	"context"
	"strings"
	"testing"
)

// TestPostgres runs the suite on a real PostgreSQL server, a new database
// for each check.
func TestPostgres(t *testing.T) {
	srv := startPostgres(t)
	runSuite(t, srv.newDatabase)
	t.Run("ErrorsHidePassword", func(t *testing.T) {
		wrong := "wrong-" + srv.password
		for _, dsn := range []string{
			strings.Replace(srv.dsn("postgres"), srv.password, wrong, 1), // refused login
			srv.dsn("no_such_database"),
		} {
			_, err := Open(context.Background(), dsn)
			if err == nil {
				t.Fatalf("Open(%s) worked", Redact(dsn))
			}
			t.Logf("%v", err)
			if strings.Contains(err.Error(), srv.password) {
				t.Errorf("error holds the password: %v", err)
			}
		}
	})
}
