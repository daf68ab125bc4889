//go:build unix

package frameworks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a fake adapter: with FAKE_ADAPTER set it
// behaves as the mode says instead of running the tests, so the launcher is
// tested without Python.
func TestMain(m *testing.M) {
	if mode := os.Getenv("FAKE_ADAPTER"); mode != "" {
		fakeAdapter(mode)
		return
	}
	os.Exit(m.Run())
}

// fakeAdapter modes:
//
//	ok        hello, ready, 3 steps, done
//	hang      hello, then wait forever, with a child process (sleep) in its group
//	stubborn  hang, ignoring SIGTERM
//	garbage   rank 0 prints a line that is no event
//	fail1     rank 1 says error and exits 3; rank 0 hangs
func fakeAdapter(mode string) {
	rank, _ := strconv.Atoi(os.Getenv("RANK"))
	say := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	fmt.Fprintf(os.Stderr, "pid %d\n", os.Getpid())
	say(`{"event":"hello","rank":%d,"framework":"fake","versions":{"env":"WORLD_SIZE=%s MASTER_ADDR=%s MASTER_PORT=%s LOCAL_RANK=%s GLOO=%s"}}`,
		rank, os.Getenv("WORLD_SIZE"), os.Getenv("MASTER_ADDR"), os.Getenv("MASTER_PORT"), os.Getenv("LOCAL_RANK"), os.Getenv("GLOO_SOCKET_IFNAME"))
	switch {
	case mode == "ok":
		say(`{"event":"ready","setup_seconds":0.5}`)
		for s := 1; s <= 3; s++ {
			say(`{"event":"step","epoch":1,"step":%d,"seconds":0.01,"loss_sum":2.3,"correct":1,"samples":32}`, s)
		}
		say(`{"event":"done","seconds":1}`)
		return
	case mode == "garbage" && rank == 0:
		say("hello world")
	case mode == "fail1" && rank == 1:
		fmt.Fprintln(os.Stderr, "Traceback: boom in rank 1")
		say(`{"event":"error","message":"boom"}`)
		os.Exit(3)
	case mode == "stubborn":
		signal.Ignore(syscall.SIGTERM)
	}
	child := exec.Command("sleep", "600")
	if err := child.Start(); err == nil {
		fmt.Fprintf(os.Stderr, "child %d\n", child.Process.Pid)
	}
	select {}
}

// fakeGroup is a group of n fake ranks on loopback.
func fakeGroup(t *testing.T, mode string, n int) (*Group, *pids) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ps := &pids{byRank: map[int][]int{}}
	ranks := make([]int, n)
	for i := range ranks {
		ranks[i] = i
	}
	return &Group{
		Command: []string{exe}, Ranks: ranks, WorldSize: n, Rendezvous: "127.0.0.1:29999",
		Loopback: true, Env: []string{"FAKE_ADAPTER=" + mode}, Stderr: ps.see, Grace: 200 * time.Millisecond,
	}, ps
}

// pids collects the process ids the fake ranks print on stderr.
type pids struct {
	mu     sync.Mutex
	byRank map[int][]int
	lines  []string
}

func (p *pids) see(rank int, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, line)
	for _, prefix := range []string{"pid ", "child "} {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			if pid, err := strconv.Atoi(rest); err == nil {
				p.byRank[rank] = append(p.byRank[rank], pid)
			}
		}
	}
}

// assertAllGone fails if any process the ranks reported still runs.
func (p *pids) assertAllGone(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.byRank) == 0 {
		t.Fatal("no rank reported its pid")
	}
	for rank, list := range p.byRank {
		for _, pid := range list {
			// A SIGKILL sent as Run returned lands within moments.
			for deadline := time.Now().Add(2 * time.Second); alive(pid) && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if alive(pid) {
				t.Errorf("rank %d: process %d still runs after Run returned", rank, pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// alive says whether pid runs (a zombie counts as gone: it is only waiting
// for its parent, and runs nothing).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) && !strings.Contains(err.Error(), "no such")
	}
	_, after, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(after, "Z")
}

func TestGroupRunsRanksWithTheirEnvironment(t *testing.T) {
	g, _ := fakeGroup(t, "ok", 2)
	var got []string
	err := g.Run(context.Background(), func(rank int, ev Event) error {
		if ev.Event == EventHello {
			got = append(got, fmt.Sprintf("%d %s", rank, ev.Versions["env"]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 LOCAL_RANK=0 GLOO=" + loopbackInterface(),
		"1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 LOCAL_RANK=1 GLOO=" + loopbackInterface(),
	} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("no hello with %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// Killing one rank mid-run stops the others and their children: no orphan.
func TestGroupKilledRankStopsAll(t *testing.T) {
	g, ps := fakeGroup(t, "hang", 2)
	go func() { // the stderr lines arrive on Run's goroutine: wait beside it
		pid := ps.waitPids(t, 1)[0]
		syscall.Kill(pid, syscall.SIGKILL)
	}()
	err := g.Run(context.Background(), func(int, Event) error { return nil })
	var re *RankError
	if !errors.As(err, &re) || re.Rank != 1 || !strings.Contains(re.Error(), "signal: killed") {
		t.Fatalf("want rank 1 killed, got %v", err)
	}
	ps.assertAllGone(t)
}

func TestGroupFailedRankReportsItsStderr(t *testing.T) {
	g, ps := fakeGroup(t, "fail1", 2)
	err := g.Run(context.Background(), func(int, Event) error { return nil })
	var re *RankError
	if !errors.As(err, &re) || re.Rank != 1 || re.Message != "boom" || !strings.Contains(re.Error(), "Traceback: boom in rank 1") {
		t.Fatalf("want rank 1's error with its stderr, got %v", err)
	}
	ps.assertAllGone(t)
}

// Ctrl-C or SIGTERM to the harness: SIGTERM to the group, SIGKILL to a rank
// that ignores it.
func TestGroupInterrupted(t *testing.T) {
	for _, mode := range []string{"hang", "stubborn"} {
		t.Run(mode, func(t *testing.T) {
			g, ps := fakeGroup(t, mode, 2)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				ps.waitPids(t, 0)
				ps.waitPids(t, 1)
				cancel()
			}()
			err := g.Run(ctx, func(int, Event) error { return nil })
			if !errors.Is(err, ErrInterrupted) {
				t.Fatalf("want ErrInterrupted, got %v", err)
			}
			ps.assertAllGone(t)
		})
	}
}

func TestGroupProtocolViolation(t *testing.T) {
	g, ps := fakeGroup(t, "garbage", 1)
	err := g.Run(context.Background(), func(int, Event) error { return nil })
	var re *RankError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), `not a protocol event`) {
		t.Fatalf("want a protocol error, got %v", err)
	}
	ps.assertAllGone(t)
}

func TestGroupHandlerErrorStopsAll(t *testing.T) {
	g, ps := fakeGroup(t, "hang", 2)
	stopErr := errors.New("unavailable here")
	err := g.Run(context.Background(), func(rank int, ev Event) error {
		if rank == 1 {
			return stopErr
		}
		return nil
	})
	if !errors.Is(err, stopErr) {
		t.Fatalf("want the handler's error, got %v", err)
	}
	ps.assertAllGone(t)
}

func TestGroupStartFailure(t *testing.T) {
	g := &Group{Command: []string{"/nonexistent/python3"}, Ranks: []int{0}}
	err := g.Run(context.Background(), func(int, Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/python3") {
		t.Fatalf("want a start error naming the interpreter, got %v", err)
	}
}

// waitPids waits until rank has reported its own pid and its child's.
func (p *pids) waitPids(t *testing.T, rank int) []int {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		p.mu.Lock()
		got := append([]int(nil), p.byRank[rank]...)
		p.mu.Unlock()
		if len(got) == 2 {
			return got
		}
	}
	t.Errorf("rank %d reported no pids", rank)
	return []int{-1}
}
