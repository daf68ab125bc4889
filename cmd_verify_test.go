package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
)

// verify of someone else's pytorch record does not run the interpreter the
// record names (here a script that would leave a marker file): it runs the
// one --python names, and says so.
func TestVerifyRunsOnlyTheChosenInterpreter(t *testing.T) {
	dir := t.TempDir()
	script, marker := filepath.Join(dir, "python3"), filepath.Join(dir, "it-ran")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntouch '"+marker+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Lookup("pytorch-cpu1")
	if err != nil {
		t.Fatal(err)
	}
	rec := results.Record{
		SchemaVersion: results.SchemaVersion, Scenario: sc.Name, ScenarioFile: sc.File, ScenarioHash: sc.Hash,
		ScenarioYAML: sc.Source, Seed: sc.Seed, EpochsPlanned: 1, TrainLimit: 64, Status: results.StatusOK,
		Framework: &results.Framework{Name: "pytorch", Python: script, Deterministic: true},
	}
	data, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "theirs.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "verify", "--quiet", "--python", "/nonexistent/python3", path)
	if _, err := os.Stat(marker); err == nil {
		t.Fatalf("verify ran the record's interpreter %s", script)
	}
	want := "note: record ran " + script + "; verifying with /nonexistent/python3 (pass --python to choose)"
	if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "NOT reproduced") {
		t.Errorf("exit %d (want 1, the rerun skipped), output lacks %q:\n%s\n%s", code, want, out, errOut)
	}
}
