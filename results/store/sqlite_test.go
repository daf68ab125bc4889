package store

import (
	"path/filepath"
	"testing"
)

// TestSQLite runs the suite on SQLite files, each in a folder Open must
// create.
func TestSQLite(t *testing.T) {
	runSuite(t, func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "new", "folder", "runs.db")
	})
}
