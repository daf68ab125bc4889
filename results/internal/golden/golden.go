// Package golden checks the whole of a test's output against a file under
// the package's testdata/ folder: a changed column, heading or rounding
// fails the test, where a check for substrings would let it pass.
//
// The files are written by the code, never by hand: run
//
//	go test ./results/... -update
//
// and review the diff of testdata/ as part of the change.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Check compares got with testdata/name, or with -update writes it there.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("output differs from %s (-want +got); if the change is meant, rerun with -update and review the diff:\n%s", path, diff)
	}
}
