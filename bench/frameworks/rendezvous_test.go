//go:build unix

package frameworks

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// takenPort listens on a loopback port for the test's duration and
// returns it: a rank cannot bind it.
func takenPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// fakeFreePort makes freePort return taken for its first n calls, then
// a free port; it returns the number of calls so far.
func fakeFreePort(t *testing.T, taken string, n int) func() int {
	t.Helper()
	real := freePort
	var mu sync.Mutex
	calls := 0
	freePort = func(host string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls <= n {
			return taken, nil
		}
		return real(host)
	}
	t.Cleanup(func() { freePort = real })
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return calls
	}
}

// runPorts runs g and returns the MASTER_PORT of each of rank 0's hellos.
func runPorts(g *Group) ([]string, error) {
	var ports []string
	err := g.Run(context.Background(), func(rank int, ev Event) error {
		if ev.Event == EventHello && rank == 0 {
			_, after, _ := strings.Cut(ev.Versions["env"], "MASTER_PORT=")
			ports = append(ports, strings.Fields(after)[0])
		}
		return nil
	})
	return ports, err
}

// A port that another process takes between freePort and rank 0's bind:
// the ranks say so, and Run relaunches them all with another port.
func TestGroupRelaunchesWhenPortTaken(t *testing.T) {
	taken := takenPort(t)
	calls := fakeFreePort(t, taken, 1)
	g, ps := fakeGroup(t, "bind", 2)
	g.Rendezvous = "127.0.0.1:0"
	ports, err := runPorts(g)
	if err != nil {
		t.Fatalf("want the relaunch to succeed, got %v", err)
	}
	if calls() != 2 || len(ports) != 2 || ports[0] != taken || ports[1] == taken {
		t.Errorf("freePort called %d times, rank 0 launched with ports %v; want 2, [%s, another]", calls(), ports, taken)
	}
	if !strings.Contains(ps.text(), "relaunching every rank with another port (try 2 of 3)") {
		t.Errorf("the launcher did not say it relaunched:\n%s", ps.text())
	}
	ps.assertAllGone(t)
}

// The relaunches are bounded: a port that stays taken fails the run with
// rank 0's error.
func TestGroupGivesUpOnATakenPort(t *testing.T) {
	calls := fakeFreePort(t, takenPort(t), rendezvousTries+1)
	g, ps := fakeGroup(t, "bind", 2)
	g.Rendezvous = "127.0.0.1:0"
	_, err := runPorts(g)
	var re *RankError
	if !errors.As(err, &re) || re.Rank != 0 || !strings.Contains(err.Error(), portInUse) {
		t.Errorf("want rank 0 failing on %q, got %v", portInUse, err)
	}
	if calls() != rendezvousTries {
		t.Errorf("freePort called %d times, want %d", calls(), rendezvousTries)
	}
	ps.assertAllGone(t)
}

// A port the caller chose (another node's rendezvous) is not replaced.
func TestGroupKeepsAChosenPort(t *testing.T) {
	taken := takenPort(t)
	calls := fakeFreePort(t, taken, 0)
	g, ps := fakeGroup(t, "bind", 2)
	g.Rendezvous = net.JoinHostPort("127.0.0.1", taken)
	ports, err := runPorts(g)
	if err == nil || len(ports) != 1 || calls() != 0 {
		t.Errorf("want one failed launch on port %s, no other port: error %v, ports %v, freePort called %d times", taken, err, ports, calls())
	}
	ps.assertAllGone(t)
}

// signalCheck stands in for sendGroup and records each group signal that
// found no rank of the group unreaped: the group id may be another's then.
type signalCheck struct {
	mu   sync.Mutex
	sent int
	bad  []string
}

func checkGroupSignals(t *testing.T) *signalCheck {
	t.Helper()
	c := &signalCheck{}
	real := sendGroup
	sendGroup = func(pgid int, kill bool) {
		c.see(pgid)
		real(pgid, kill)
	}
	t.Cleanup(func() { sendGroup = real })
	return c
}

// see looks for a child of this process (a rank: running, or a zombie not
// yet reaped) in the group.
func (c *signalCheck) see(pgid int) {
	all, err := procs()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent++
	if err != nil {
		c.bad = append(c.bad, "cannot list processes: "+err.Error())
		return
	}
	for _, p := range all {
		if p.ppid == os.Getpid() && p.pgid == pgid {
			return
		}
	}
	c.bad = append(c.bad, "group "+strconv.Itoa(pgid)+" signalled with every rank reaped")
}

// Every signal to the group comes while one of its ranks is unreaped,
// however the run ends; and a child the ranks leave when they all exit by
// themselves is still killed.
func TestGroupSignalsOnlyWhileARankIsUnreaped(t *testing.T) {
	for _, mode := range []string{"leavechild", "fail1", "stubborn"} {
		t.Run(mode, func(t *testing.T) {
			c := checkGroupSignals(t)
			g, ps := fakeGroup(t, mode, 2)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			g.Run(ctx, func(_ int, ev Event) error {
				if mode == "stubborn" && ev.Event == EventHello {
					cancel() // SIGTERM, ignored; SIGKILL after Grace
				}
				return nil
			})
			ps.assertAllGone(t)
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.sent == 0 || len(c.bad) > 0 {
				t.Errorf("%d group signals; wrong: %q", c.sent, c.bad)
			}
		})
	}
}
