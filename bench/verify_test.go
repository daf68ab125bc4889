package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/bench/frameworks"
	"github.com/mirrorbench/mirrorbench/results"
)

// fakeInterpreterRecord is a pytorch record whose interpreter is a script
// that, if anything ran it, would create the returned marker file.
func fakeInterpreterRecord(t *testing.T) (rec *results.Record, script, marker string) {
	t.Helper()
	dir := t.TempDir()
	script, marker = filepath.Join(dir, "python3"), filepath.Join(dir, "it-ran")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntouch '"+marker+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rec = newRecord(lookup(t, "pytorch-cpu1"), testEnv)
	rec.Status, rec.EpochsPlanned, rec.TrainLimit = results.StatusOK, 1, 64
	rec.Framework = &results.Framework{Name: "pytorch", Python: script, Deterministic: true}
	return rec, script, marker
}

// Verify never runs the interpreter a record names: only the one chosen
// (--python, MIRRORBENCH_PYTHON) or found, and it says which it used.
func TestVerifyDoesNotRunTheRecordsInterpreter(t *testing.T) {
	rec, script, marker := fakeInterpreterRecord(t)
	for _, c := range []struct{ env, flag, using string }{
		{"/nonexistent/env/python3", "", "/nonexistent/env/python3"},
		{"/nonexistent/env/python3", "/nonexistent/flag/python3", "/nonexistent/flag/python3"},
	} {
		t.Setenv(frameworks.PythonEnv, c.env)
		env := &Env{Build: testEnv.Build} // a fresh probe for each choice
		v, err := env.Verify(context.Background(), rec, c.flag)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("verify ran the record's interpreter %s", script)
		}
		want := "record ran " + script + "; verifying with " + c.using + " (pass --python to choose)"
		if !strings.Contains(strings.Join(v.Notes, "\n"), want) {
			t.Errorf("notes %q lack %q", v.Notes, want)
		}
		if v.New.Status != results.StatusSkipped || !strings.Contains(v.New.Reason, c.using) {
			t.Errorf("rerun: %s (%s), want skipped naming %s", v.New.Status, v.New.Reason, c.using)
		}
	}
}
