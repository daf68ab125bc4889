// Package frameworkstest helps tests of framework engines prove that no
// adapter process outlives its run: it finds a test's descendant processes
// by an environment entry they inherited (as net/http/httptest helps tests
// of HTTP code). It reads /proc, so it works on Linux; elsewhere it finds
// nothing.
package frameworkstest

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Marker is an environment entry unique to this test process: set it on the
// processes a test starts, and their children inherit it.
func Marker() string { return "MIRRORBENCH_TEST_PARENT=" + strconv.Itoa(os.Getpid()) }

// WithEnv lists the running processes (not this one) whose command line
// contains cmd and whose environment holds every entry given.
func WithEnv(cmd string, entries ...string) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		pid, err := strconv.Atoi(filepath.Base(proc))
		if err != nil || pid == os.Getpid() || zombie(proc) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(proc, "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), cmd) {
			continue
		}
		environ, err := os.ReadFile(filepath.Join(proc, "environ"))
		if err != nil {
			continue
		}
		env := strings.Split(string(environ), "\x00")
		if !slices.ContainsFunc(entries, func(e string) bool { return !slices.Contains(env, e) }) {
			pids = append(pids, pid)
		}
	}
	return pids
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
// flight, a process matching cmd and entries still runs; it kills those.
func AssertNoneLeft(t testing.TB, cmd string, entries ...string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		left := WithEnv(cmd, entries...)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range left {
				if p, err := os.FindProcess(pid); err == nil {
					p.Kill()
				}
			}
			t.Fatalf("processes left behind (%s with %v): %v", cmd, entries, left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
