//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/bench/frameworks/frameworkstest"
	"github.com/mirrorbench/mirrorbench/internal/testdeps"
	"github.com/mirrorbench/mirrorbench/results"
)

// The test binary doubles as the command: with MIRRORBENCH_AS_MAIN set it
// runs main, so a test can signal a real mirrorbench process.
func TestMain(m *testing.M) {
	if os.Getenv("MIRRORBENCH_AS_MAIN") != "" {
		main()
	}
	os.Exit(m.Run())
}

// SIGTERM to the harness during pytorch-mirrored-cpu2: exit 1, a complete
// record that says interrupted, and no adapter process left behind.
func TestSIGTERMDuringPyTorchRun(t *testing.T) {
	if code, out, _ := runCLI(t, "frameworks"); code != 0 || !strings.Contains(out, "runs here") {
		testdeps.Missing(t, testdeps.Torch, "%s", strings.TrimSpace(out))
	}
	frameworkstest.LockDDP(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "run", "--store", "", "--quiet", "--out", dir,
		"--epochs", "1", "--train-limit", "12800", "pytorch-mirrored-cpu2")
	cmd.Env = append(os.Environ(), "MIRRORBENCH_AS_MAIN=1", frameworkstest.Marker())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	record := waitForTraining(t, dir)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1", err)
	}
	r, err := results.ReadRecord(record)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != results.StatusInterrupted || !strings.Contains(r.Reason, "interrupted during epoch 1") {
		t.Errorf("record: %s (%s), want interrupted during epoch 1", r.Status, r.Reason)
	}
	frameworkstest.AssertNoneLeft(t, "mirrorbench-job-", frameworkstest.Marker())
}

// waitForTraining waits until the run's record says training has started
// (its checkpoint at the first step) and returns the record's path.
func waitForTraining(t *testing.T, dir string) string {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "pytorch-mirrored-cpu2-*.json"))
		if len(files) == 1 {
			if r, err := results.ReadRecord(files[0]); err == nil && strings.Contains(r.Reason, "as training starts") {
				return files[0]
			}
		}
	}
	t.Fatal("training did not start within 2 minutes")
	return ""
}
