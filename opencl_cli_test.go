//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/trainer/opencl/cl"
)

// Without an OpenCL library, the opencl scenarios are skipped, each record
// naming the library that is missing, and the run exits 0. The command runs
// in its own process (the test binary as main), where the library the
// environment names does not exist.
func TestNoOpenCLSkipsOpenCLScenarios(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "run", "--store", "", "--quiet", "--out", dir, "opencl-cl2", "mirrored-gpu2", "reference-gpu1")
	cmd.Env = append(os.Environ(), "MIRRORBENCH_AS_MAIN=1", cl.LibraryEnv+"=/nonexistent/libOpenCL.so.1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("exit: %v, want 0\n%s", err, out)
	}
	recs, _, err := results.ReadRecords([]string{dir})
	if err != nil || len(recs) != 3 {
		t.Fatalf("%d records (%v), want 3", len(recs), err)
	}
	for _, r := range recs {
		if r.Status != results.StatusSkipped || !strings.Contains(r.Reason, "/nonexistent/libOpenCL.so.1") {
			t.Errorf("%s: %s (%s), want skipped naming the library", r.Scenario, r.Status, r.Reason)
		}
	}
}

// An opencl scenario asking for more devices than there are is skipped,
// saying what OpenCL found; a bad device spec exits 2 at its line.
func TestOpenCLDeviceSpecs(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: bad\nengine: opencl\ndevices: gpu:0x0\nstrategy: mirrored\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "run", "--store", "", "--quiet", "--out", filepath.Join(dir, "out"), bad)
	if code != 2 || !strings.Contains(errOut, bad+":3: devices:") {
		t.Errorf("gpu:0x0: exit %d, stderr %q; want 2 naming %s:3", code, errOut, bad)
	}
	if _, err := cl.Open(); err != nil {
		testdeps.Missing(t, testdeps.OpenCL, "no OpenCL here: %v", err)
	}
	many := filepath.Join(dir, "many.yaml")
	if err := os.WriteFile(many, []byte("name: many\nengine: opencl\ndevices: cl:0,4000\nstrategy: mirrored\nepochs: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out2")
	code, _, errOut = runCLI(t, "run", "--store", "", "--quiet", "--out", out, many)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs, _, err := results.ReadRecords([]string{out})
	if err != nil || len(recs) != 1 {
		t.Fatalf("%d records (%v)", len(recs), err)
	}
	if r := recs[0]; r.Status != results.StatusSkipped || !strings.Contains(r.Reason, "cl 4000 not found") {
		t.Errorf("%s (%s), want skipped: device 4000 not found", r.Status, r.Reason)
	}
}
