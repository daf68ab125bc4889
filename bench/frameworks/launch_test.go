//go:build unix

package frameworks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/bench/frameworks/frameworkstest"
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
//	ok          hello, ready, 3 steps, done
//	hang        hello, then wait forever, with a child process (sleep) in its group
//	stubborn    hang, ignoring SIGTERM
//	garbage     rank 0 prints a line that is no event
//	fail1       rank 1 says error and exits 3; rank 0 hangs
//	leavechild  hello, a child (sleep) left running, done, exit 0
//	bind        a rendezvous: rank 0 listens at MASTER_ADDR:MASTER_PORT (or
//	            fails, as torch's store does, saying the address is in use),
//	            the others connect and wait for it; then ok
func fakeAdapter(mode string) {
	rank, _ := strconv.Atoi(os.Getenv("RANK"))
	say := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	fmt.Fprintf(os.Stderr, "pid %d\n", os.Getpid())
	say(`{"event":"hello","rank":%d,"framework":"fake","versions":{"env":"WORLD_SIZE=%s MASTER_ADDR=%s MASTER_PORT=%s LOCAL_RANK=%s GLOO=%s"}}`,
		rank, os.Getenv("WORLD_SIZE"), os.Getenv("MASTER_ADDR"), os.Getenv("MASTER_PORT"), os.Getenv("LOCAL_RANK"), os.Getenv("GLOO_SOCKET_IFNAME"))
	switch {
	case mode == "bind":
		fakeRendezvous(rank)
		mode = "ok"
	case mode == "garbage" && rank == 0:
		say("hello world")
	case mode == "fail1" && rank == 1:
		fmt.Fprintln(os.Stderr, "Traceback: boom in rank 1")
		say(`{"event":"error","message":"boom"}`)
		os.Exit(3)
	case mode == "stubborn":
		signal.Ignore(syscall.SIGTERM)
	}
	if mode == "ok" {
		say(`{"event":"ready","setup_seconds":0.5}`)
		for s := 1; s <= 3; s++ {
			say(`{"event":"step","epoch":1,"step":%d,"seconds":0.01,"loss_sum":2.3,"correct":1,"samples":32}`, s)
		}
		say(`{"event":"done","seconds":1}`)
		return
	}
	child := exec.Command("sleep", "600")
	if err := child.Start(); err == nil {
		fmt.Fprintf(os.Stderr, "child %d\n", child.Process.Pid)
	}
	if mode == "leavechild" {
		say(`{"event":"done","seconds":1}`)
		return
	}
	select {}
}

// fakeRendezvous: rank 0 serves, the others connect; all return once rank
// 0 has seen everyone. A rank that cannot fails as a rank would.
func fakeRendezvous(rank int) {
	addr := net.JoinHostPort(os.Getenv("MASTER_ADDR"), os.Getenv("MASTER_PORT"))
	world, _ := strconv.Atoi(os.Getenv("WORLD_SIZE"))
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "RuntimeError: the store: %v\n", err)
		os.Exit(1)
	}
	if rank != 0 { // retrying until rank 0 listens, as torch's clients do
		c, err := net.Dial("tcp", addr)
		for deadline := time.Now().Add(10 * time.Second); err != nil && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
			c, err = net.Dial("tcp", addr)
		}
		if err != nil {
			fail(err)
		}
		c.Read(make([]byte, 1)) // until rank 0 closes it (or the group is stopped)
		return
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fail(err) // "bind: address already in use"
	}
	for range world - 1 {
		c, err := l.Accept()
		if err != nil {
			fail(err)
		}
		c.Close()
	}
	l.Close()
}

// fakeGroup is a group of n fake ranks on loopback. They carry the test's
// frameworkstest.Marker, so that what they leave can be shown to be ours.
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
		Loopback: true, Env: []string{"FAKE_ADAPTER=" + mode, frameworkstest.Marker()}, Stderr: ps.see, Grace: 200 * time.Millisecond,
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

func (p *pids) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitPids waits until rank has reported its own pid and its child's, or
// until stop is closed or 20 s have passed. It runs beside Run, on a
// goroutine of its own: it returns an error rather than fail the test.
func (p *pids) waitPids(rank int, stop <-chan struct{}) ([]int, error) {
	deadline := time.After(20 * time.Second)
	for {
		p.mu.Lock()
		got := append([]int(nil), p.byRank[rank]...)
		p.mu.Unlock()
		if len(got) == 2 {
			return got, nil
		}
		select {
		case <-stop:
			return nil, fmt.Errorf("rank %d: Run returned before it reported its pids (%v)", rank, got)
		case <-deadline:
			return nil, fmt.Errorf("rank %d reported no pids within 20 s (%v)", rank, got)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// assertAllGone fails if any process the ranks reported still runs, and
// kills it if it is provably this test's.
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
			running, err := alive(pid)
			for deadline := time.Now().Add(2 * time.Second); err == nil && running && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
				running, err = alive(pid)
			}
			if err != nil {
				t.Skipf("no-orphan check skipped: cannot tell whether process %d runs: %v", pid, err)
			}
			if running {
				t.Errorf("rank %d: process %d still runs after Run returned", rank, pid)
				killOurs(t, pid)
			}
		}
	}
}

// killOurs SIGKILLs pid only if it is this test's: a descendant, or (once
// its parent has gone) a process that carries the test's marker. A pid
// that is not, or not anymore, is left alone: it may be anyone's now.
func killOurs(t *testing.T, pid int) {
	t.Helper()
	if !descendant(pid) && !frameworkstest.HasEnv(pid, frameworkstest.Marker()) {
		t.Logf("process %d not killed: it cannot be shown to be this test's", pid)
		return
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Logf("killing process %d: %v", pid, err)
	}
}

// killChild SIGKILLs pid if it is a child of this test process; it says
// why not otherwise.
func killChild(pid int) error {
	ps, err := procs(pid)
	if err != nil {
		return err
	}
	if len(ps) != 1 || ps[0].ppid != os.Getpid() {
		return fmt.Errorf("process %d is not a child of this test (%+v): not killed", pid, ps)
	}
	return syscall.Kill(pid, syscall.SIGKILL)
}

func TestGroupRunsRanksWithTheirEnvironment(t *testing.T) {
	g, _ := fakeGroup(t, "ok", 2)
	got := runHellos(t, g)
	for _, want := range []string{
		"0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 LOCAL_RANK=0 GLOO=" + loopbackInterface(),
		"1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 LOCAL_RANK=1 GLOO=" + loopbackInterface(),
	} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("no hello with %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// runHellos runs g to the end and returns each hello as "rank env".
func runHellos(t *testing.T, g *Group) []string {
	t.Helper()
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
	return got
}

// An IPv6 rendezvous splits at its last colon, outside the brackets.
func TestGroupRendezvousIPv6(t *testing.T) {
	g, _ := fakeGroup(t, "ok", 1)
	g.Rendezvous = "[fd00::1]:29500"
	got := strings.Join(runHellos(t, g), "\n")
	if !strings.Contains(got, "MASTER_ADDR=fd00::1 MASTER_PORT=29500") {
		t.Errorf("want MASTER_ADDR=fd00::1 MASTER_PORT=29500 in %q", got)
	}
}

// A rendezvous that is no host:port fails Run before any rank starts.
func TestGroupBadRendezvous(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "fd00::1:29500", "[fd00::1]", "host:http", "host:70000", "[fd00::1]:"} {
		g, ps := fakeGroup(t, "ok", 1)
		g.Rendezvous = addr
		err := g.Run(context.Background(), func(int, Event) error { return nil })
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(addr)) {
			t.Errorf("%q: want an error naming it, got %v", addr, err)
		}
		if out := ps.text(); out != "" {
			t.Errorf("%q: a rank started: %q", addr, out)
		}
	}
}

// Killing one rank mid-run stops the others and their children: no orphan.
func TestGroupKilledRankStopsAll(t *testing.T) {
	g, ps := fakeGroup(t, "hang", 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, errc := make(chan struct{}), make(chan error, 1)
	go func() { // the stderr lines arrive on Run's goroutine: wait beside it
		got, err := ps.waitPids(1, stop)
		if err == nil {
			err = killChild(got[0])
		}
		if err != nil {
			cancel() // end the run rather than hang
		}
		errc <- err
	}()
	err := g.Run(ctx, func(int, Event) error { return nil })
	close(stop)
	if kerr := <-errc; kerr != nil {
		t.Fatal(kerr)
	}
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
			stop, errc := make(chan struct{}), make(chan error, 1)
			go func() {
				_, err0 := ps.waitPids(0, stop)
				_, err1 := ps.waitPids(1, stop)
				cancel()
				errc <- errors.Join(err0, err1)
			}()
			err := g.Run(ctx, func(int, Event) error { return nil })
			close(stop)
			if werr := <-errc; werr != nil {
				t.Fatal(werr)
			}
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
