//go:build unix

package frameworks

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
)

// What the tests need to know of a process, to tell whether it still runs
// and whether it is theirs: from /proc on Linux, from ps(1) elsewhere.

type procInfo struct {
	pid, ppid, pgid int
	state           string // "Z...": a zombie, exited and waiting to be reaped
}

// procs describes the processes given (all, when none are), leaving out
// those that do not exist.
func procs(pids ...int) ([]procInfo, error) {
	if runtime.GOOS == "linux" {
		return procsFromProc(pids)
	}
	return procsFromPs(pids)
}

func procsFromProc(pids []int) ([]procInfo, error) {
	var paths []string
	for _, pid := range pids {
		paths = append(paths, fmt.Sprintf("/proc/%d/stat", pid))
	}
	if len(pids) == 0 {
		paths, _ = filepath.Glob("/proc/[0-9]*/stat")
	}
	var out []procInfo
	for _, path := range paths {
		stat, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			continue // gone, or gone while being read
		}
		if err != nil {
			return nil, err
		}
		pid, _ := strconv.Atoi(strings.Fields(string(stat))[0])
		_, after, _ := strings.Cut(string(stat), ") ") // the name may hold spaces
		f := strings.Fields(after)
		if len(f) < 3 {
			return nil, fmt.Errorf("%s: %q", path, stat)
		}
		ppid, _ := strconv.Atoi(f[1])
		pgid, _ := strconv.Atoi(f[2])
		out = append(out, procInfo{pid: pid, ppid: ppid, pgid: pgid, state: f[0]})
	}
	return out, nil
}

func procsFromPs(pids []int) ([]procInfo, error) {
	args := []string{"-o", "pid=,ppid=,pgid=,stat="}
	if len(pids) == 0 {
		args = append(args, "-A")
	}
	var list []string
	for _, pid := range pids {
		list = append(list, strconv.Itoa(pid))
	}
	if len(list) > 0 {
		args = append(args, "-p", strings.Join(list, ","))
	}
	var stderr bytes.Buffer
	cmd := exec.Command("ps", args...)
	cmd.Stderr = &stderr
	text, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && len(text) == 0 && stderr.Len() == 0 {
		return nil, nil // ps -p of processes that do not exist
	}
	if err != nil {
		return nil, fmt.Errorf("ps %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	var out []procInfo
	for _, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		var p procInfo
		if _, err := fmt.Sscan(line, &p.pid, &p.ppid, &p.pgid, &p.state); err != nil {
			return nil, fmt.Errorf("ps: %q: %v", line, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// alive says whether pid runs (a zombie counts as gone: it is only waiting
// for its parent, and runs nothing).
func alive(pid int) (bool, error) {
	if pid <= 0 {
		return false, fmt.Errorf("no process id: %d", pid)
	}
	ps, err := procs(pid)
	return err == nil && len(ps) == 1 && !strings.HasPrefix(ps[0].state, "Z"), err
}

// descendant says whether pid is this process's child, grandchild...
func descendant(pid int) bool {
	for range 64 { // deeper than any test's tree
		if pid <= 1 {
			return false
		}
		ps, err := procs(pid)
		if err != nil || len(ps) != 1 {
			return false
		}
		if ps[0].ppid == os.Getpid() {
			return true
		}
		pid = ps[0].ppid
	}
	return false
}

// The ps path, which other systems take, agrees with /proc here; a child
// is a descendant, and seen as a zombie once it exits; this process's
// parent is no descendant.
func TestProcsFromPsAgree(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("skipped: compares ps with Linux's /proc")
	}
	if _, err := exec.LookPath("ps"); err != nil {
		testdeps.Missing(t, testdeps.Ps, "no ps here")
	}
	child := exec.Command("true")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Wait()
	pid := child.Process.Pid // ours, and unreaped until Wait: its own
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ps, _ := procsFromProc([]int{pid}); len(ps) == 1 && strings.HasPrefix(ps[0].state, "Z") {
			break
		}
	}
	pids := []int{os.Getpid(), os.Getppid(), pid}
	a, err1 := procsFromProc(pids)
	b, err2 := procsFromPs(pids)
	if err1 != nil || err2 != nil || len(a) != 3 || len(b) != 3 {
		t.Fatalf("/proc: %v %v; ps: %v %v", a, err1, b, err2)
	}
	byPid := map[int]procInfo{}
	for _, q := range b {
		byPid[q.pid] = q
	}
	for _, p := range a {
		q := byPid[p.pid]
		if p.ppid != q.ppid || p.pgid != q.pgid || p.pid == pid && (p.state[0] != 'Z' || q.state[0] != 'Z') {
			t.Errorf("/proc says %+v, ps %+v", p, q)
		}
	}
	if gone, err := procsFromPs([]int{1<<22 + 1}); err != nil || len(gone) != 0 {
		t.Errorf("ps of no such process: %v, %v", gone, err)
	}
	if running, err := alive(pid); running || err != nil || !descendant(pid) || descendant(os.Getppid()) {
		t.Errorf("exited child: alive %v (%v), descendant %v; parent a descendant: %v", running, err, descendant(pid), descendant(os.Getppid()))
	}
}
