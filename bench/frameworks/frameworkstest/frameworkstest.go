// Package frameworkstest helps tests of framework engines prove that no
// adapter process outlives its run: it finds a test's descendant processes
// by an environment entry they inherited (as net/http/httptest helps tests
// of HTTP code). It reads /proc, so it works on Linux; elsewhere the checks
// that need it skip the test, saying why, rather than pass unchecked.
package frameworkstest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Marker is an environment entry unique to this test process: set it on the
// processes a test starts, and their children inherit it.
func Marker() string { return "MIRRORBENCH_TEST_PARENT=" + strconv.Itoa(os.Getpid()) }

// Unsupported says why processes cannot be found by their environment
// here ("" where they can): it takes /proc/PID/environ, which is Linux's.
func Unsupported() string {
	if runtime.GOOS != "linux" {
		return fmt.Sprintf("finding processes by their environment needs Linux's /proc; this is %s", runtime.GOOS)
	}
	if _, err := os.ReadFile("/proc/self/environ"); err != nil {
		return fmt.Sprintf("finding processes by their environment needs /proc: %v", err)
	}
	return ""
}

// NeedProcesses skips the test, saying why, where processes cannot be
// found by their environment.
func NeedProcesses(t testing.TB) {
	t.Helper()
	if why := Unsupported(); why != "" {
		t.Skip("skipped: " + why)
	}
}

// WithEnv lists the running processes (not this one) whose command line
// contains cmd and whose environment holds every entry given. It finds
// none where Unsupported says why.
func WithEnv(cmd string, entries ...string) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		pid, err := strconv.Atoi(filepath.Base(proc))
		if err != nil || pid == os.Getpid() || zombie(proc) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(proc, "cmdline"))
		if err == nil && strings.Contains(string(cmdline), cmd) && HasEnv(pid, entries...) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// HasEnv says whether process pid's environment holds every entry given
// (false where it cannot be read, as off Linux).
func HasEnv(pid int, entries ...string) bool {
	if pid <= 0 {
		return false
	}
	environ, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		return false
	}
	env := strings.Split(string(environ), "\x00")
	return !slices.ContainsFunc(entries, func(e string) bool { return !slices.Contains(env, e) })
}

// zombie says whether a process has exited and only waits for its parent.
func zombie(proc string) bool {
	stat, err := os.ReadFile(filepath.Join(proc, "stat"))
	if err != nil {
		return true
	}
	_, after, _ := strings.Cut(string(stat), ") ")
	return strings.HasPrefix(after, "Z")
}

// AssertNoneLeft fails the test if, after a short grace for signals in
// flight, a process matching cmd and entries still runs; it kills those
// (they carry the entries, so they are the test's own). Where processes
// cannot be found it skips the test, saying why: it could not fail there.
func AssertNoneLeft(t testing.TB, cmd string, entries ...string) {
	t.Helper()
	if why := Unsupported(); why != "" {
		t.Skip("no-orphan check skipped: " + why)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		left := WithEnv(cmd, entries...)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range left {
				if p, err := os.FindProcess(pid); err == nil && HasEnv(pid, entries...) {
					p.Kill()
				}
			}
			t.Fatalf("processes left behind (%s with %v): %v", cmd, entries, left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
