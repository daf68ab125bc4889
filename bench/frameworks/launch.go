package frameworks

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Group is the processes of one run on this machine: one per local rank,
// all in one process group, so that they stop together.
type Group struct {
	Command   []string // the interpreter, the adapter and its arguments
	Ranks     []int    // the global ranks started here; Ranks[i] gets LOCAL_RANK i
	WorldSize int
	// Rendezvous is host:port of rank 0's store (MASTER_ADDR, MASTER_PORT).
	// Port 0 lets Run choose a free port on host, and choose another and
	// relaunch every rank when a rank finds it taken (rendezvousTries times
	// in all): the port is only free when chosen, and rank 0 binds it later.
	Rendezvous string
	Loopback   bool     // bind gloo to the loopback interface (a single-machine run)
	Env        []string // added to this process's environment
	// Stderr receives the ranks' stderr, line by line, as it comes, and the
	// launcher's line on a relaunch.
	Stderr func(rank int, line string)
	// Grace is how long the processes have between SIGTERM and SIGKILL
	// when the group is stopped (default 3 s).
	Grace time.Duration
}

// tailLines is how much of a failing rank's stderr its error keeps.
const tailLines = 12

// rendezvousTries bounds the launches with a port Run chose: a collision
// needs another process to take the port in the moment before rank 0 binds
// it, so a second try almost always does.
const rendezvousTries = 3

// portInUse is in a rank's stderr when its rendezvous store could not bind
// (strerror(EADDRINUSE), as torch's TCPStore and Go both report it).
const portInUse = "address already in use"

// ErrInterrupted is Run's error when ctx ended the run.
var ErrInterrupted = errors.New("interrupted")

// RankError is a rank that failed: it exited non-zero (or was killed), broke
// the protocol, or exited without finishing. Tail holds its last lines of
// stderr, Message its error event, if it sent one.
type RankError struct {
	Rank    int
	Err     error
	Message string
	Tail    []string
}

func (e *RankError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rank %d: %v", e.Rank, e.Err)
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if len(e.Tail) > 0 {
		fmt.Fprintf(&b, "; its last stderr lines: %s", strings.Join(e.Tail, " | "))
	}
	return b.String()
}

// message is what the ranks' reader goroutines hand to Run's loop.
type message struct {
	rank   int
	stdout []byte // one stdout line, or
	stderr string // one stderr line, or
	exited bool   // the process has exited, with err
	err    error
}

// Run starts the ranks and hands every event to handle, in arrival order,
// on Run's goroutine. It returns once every process has exited: nil when all
// exited 0; else the first cause of failure: handle's error (which stops the
// group), a *RankError, or ErrInterrupted when ctx ended first. Whenever it
// fails, it stops the whole group: SIGTERM, then SIGKILL after Grace.
//
// With port 0 in Rendezvous a relaunch starts over: handle then sees the
// new ranks' events from their hello on (a taken port fails a rank at its
// rendezvous, before it is ready).
func (g *Group) Run(ctx context.Context, handle func(rank int, ev Event) error) error {
	host, port, err := g.rendezvous()
	if err != nil {
		return err
	}
	if port != "0" {
		_, err := g.launch(ctx, host, port, handle)
		return err
	}
	for try := 1; ; try++ {
		if port, err = freePort(host); err != nil {
			return fmt.Errorf("choosing a rendezvous port on %s: %w", host, err)
		}
		taken, err := g.launch(ctx, host, port, handle)
		if !taken || try == rendezvousTries || ctx.Err() != nil {
			return err
		}
		if g.Stderr != nil {
			g.Stderr(g.Ranks[0], fmt.Sprintf("launcher: rendezvous port %s was taken before rank %d bound it; relaunching every rank with another port (try %d of %d)",
				port, g.Ranks[0], try+1, rendezvousTries))
		}
	}
}

// rendezvous splits Rendezvous ("": none, for a run of one process).
func (g *Group) rendezvous() (host, port string, err error) {
	if g.Rendezvous == "" {
		return "", "", nil
	}
	host, port, err = net.SplitHostPort(g.Rendezvous)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return "", "", fmt.Errorf("frameworks: rendezvous %q is no host:port: %w", g.Rendezvous, err)
	}
	return host, port, nil
}

// freePort asks the kernel for a TCP port free on host, closing it again:
// another process may take it before rank 0 binds it, which Run survives
// by relaunching. A variable, so that a test can hand out a taken port.
var freePort = func(host string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// launch runs the ranks once with the rendezvous at host:port. taken says
// that it failed because a rank found the rendezvous port in use.
func (g *Group) launch(ctx context.Context, host, port string, handle func(rank int, ev Event) error) (taken bool, err error) {
	msgs := make(chan message, 256)
	procs, err := g.start(msgs, host, port)
	if err != nil {
		return false, err
	}
	defer procs.release()
	l := &launched{g: g, procs: procs, handle: handle,
		tails: make([][]string, len(g.Ranks)), errMsgs: make([]string, len(g.Ranks))}
	done := ctx.Done()
	for running := len(g.Ranks); running > 0; {
		select {
		case <-done:
			done = nil
			l.stop(ErrInterrupted)
		case m := <-msgs:
			if l.take(m) {
				running--
			}
		}
	}
	var re *RankError
	return l.portTaken && errors.As(l.failure, &re), l.failure
}

// launched is one launch as launch's loop sees it.
type launched struct {
	g         *Group
	procs     *processes
	handle    func(rank int, ev Event) error
	tails     [][]string // each rank's last lines of stderr
	errMsgs   []string   // each rank's error event
	failure   error
	portTaken bool // a rank said the rendezvous address is in use
}

func (l *launched) stop(cause error) {
	if l.failure == nil {
		l.failure = cause
		l.procs.stop(l.g.grace())
	}
}

// take handles one message; it says whether the message is a rank's exit.
func (l *launched) take(m message) bool {
	rank := l.g.Ranks[m.rank]
	switch {
	case m.stdout != nil:
		ev, err := ParseEvent(m.stdout)
		switch {
		case err != nil:
			l.stop(&RankError{Rank: rank, Err: err, Tail: l.tails[m.rank]})
		case ev.Event == EventError:
			l.errMsgs[m.rank] = ev.Message
		case l.failure == nil:
			if err := l.handle(rank, ev); err != nil {
				l.stop(err)
			}
		}
	case m.exited:
		if m.err != nil {
			l.stop(&RankError{Rank: rank, Err: m.err, Message: l.errMsgs[m.rank], Tail: l.tails[m.rank]})
		}
		return true
	default:
		l.tails[m.rank] = appendTail(l.tails[m.rank], m.stderr)
		l.portTaken = l.portTaken || strings.Contains(strings.ToLower(m.stderr), portInUse)
		if l.g.Stderr != nil {
			l.g.Stderr(rank, m.stderr)
		}
	}
	return false
}

func (g *Group) grace() time.Duration {
	if g.Grace > 0 {
		return g.Grace
	}
	return 3 * time.Second
}

func appendTail(tail []string, line string) []string {
	if len(tail) == tailLines {
		tail = append(tail[:0:0], tail[1:]...)
	}
	return append(tail, line)
}

// start starts every rank before any is waited for, so the process group
// (led by the first) exists while the others join it.
func (g *Group) start(msgs chan<- message, host, port string) (*processes, error) {
	if len(g.Command) == 0 || len(g.Ranks) == 0 {
		return nil, errors.New("frameworks: a group needs a command and at least one rank")
	}
	ps := &processes{}
	type pipes struct{ out, err io.Reader }
	var all []pipes
	for local, rank := range g.Ranks {
		cmd := exec.Command(g.Command[0], g.Command[1:]...)
		cmd.Env = append(os.Environ(), g.rankEnv(local, rank, host, port)...)
		cmd.SysProcAttr = groupAttr(ps.pgid)
		out, err1 := cmd.StdoutPipe()
		errp, err2 := cmd.StderrPipe()
		err := errors.Join(err1, err2)
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			ps.abort()
			return nil, fmt.Errorf("starting rank %d (%s): %w", rank, g.Command[0], err)
		}
		if ps.pgid == 0 {
			ps.pgid = cmd.Process.Pid
		}
		ps.add(cmd)
		all = append(all, pipes{out, errp})
	}
	for i, p := range all {
		ps.watch(i, p.out, p.err, msgs)
	}
	return ps, nil
}

// rankEnv is torchrun's environment for one rank (PROTOCOL.md, "Starting").
func (g *Group) rankEnv(local, rank int, host, port string) []string {
	env := append([]string(nil), g.Env...)
	env = append(env,
		fmt.Sprintf("RANK=%d", rank), fmt.Sprintf("LOCAL_RANK=%d", local),
		fmt.Sprintf("WORLD_SIZE=%d", max(g.WorldSize, len(g.Ranks))),
		"MASTER_ADDR="+host, "MASTER_PORT="+port)
	if g.Loopback {
		env = append(env, "GLOO_SOCKET_IFNAME="+loopbackInterface())
	}
	return env
}

// processes are a started group.
//
// The group is signalled by its id, the first rank's pid, which names this
// group only while one of its members exists: once every rank is reaped
// (and any child of theirs gone) the id is free for the system to give to
// another process, and to the group it may lead. So the group is signalled
// only while a rank is not yet reaped (unreaped > 0, under mu), and a rank
// is counted out before it is reaped.
type processes struct {
	cmds     []*exec.Cmd
	pgid     int
	mu       sync.Mutex
	unreaped int
	kill     *time.Timer
	stopped  bool
}

func (ps *processes) add(cmd *exec.Cmd) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.cmds = append(ps.cmds, cmd)
	ps.unreaped++
}

// abort kills and reaps the ranks started so far, when a later one failed
// to start: nothing else would reap them.
func (ps *processes) abort() {
	ps.stop(0)
	for _, c := range ps.cmds {
		ps.reap(c)
	}
}

// watch reads one rank's stdout and stderr line by line and reports its exit
// once both pipes are drained (exec.Cmd.Wait must come after the reads).
func (ps *processes) watch(i int, stdout, stderr io.Reader, msgs chan<- message) {
	var reads sync.WaitGroup
	reads.Add(2)
	go func() {
		defer reads.Done()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			msgs <- message{rank: i, stdout: append([]byte(nil), sc.Bytes()...)}
		}
		io.Copy(io.Discard, stdout) // a line over the limit: keep draining
	}()
	go func() {
		defer reads.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			msgs <- message{rank: i, stderr: sc.Text()}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		reads.Wait()
		err := ps.reap(ps.cmds[i])
		msgs <- message{rank: i, exited: true, err: err}
	}()
}

// reap waits for one rank. Before the last rank is reaped, what is left of
// the group (a child a rank started itself) is killed: then the group id is
// still the group's, held by that rank, exited but not yet reaped. Where the
// system cannot wait for an exit without reaping, that sweep is skipped
// rather than risk signalling a live rank early or a stranger late.
func (ps *processes) reap(c *exec.Cmd) error {
	exited := c.Process != nil && waitExited(c.Process.Pid)
	ps.mu.Lock()
	if ps.unreaped == 1 && exited {
		ps.signal(true)
	}
	ps.unreaped--
	ps.mu.Unlock()
	return c.Wait()
}

// stop sends SIGTERM to the whole group and SIGKILL after grace (at once
// when grace is 0).
func (ps *processes) stop(grace time.Duration) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.stopped {
		return
	}
	ps.stopped = true
	if grace == 0 {
		ps.signal(true)
		return
	}
	ps.signal(false)
	ps.kill = time.AfterFunc(grace, func() {
		ps.mu.Lock()
		defer ps.mu.Unlock()
		ps.signal(true)
	})
}

// release runs when every process has exited: the SIGKILL timer, if any,
// is cancelled (it would find no rank to signal anyway).
func (ps *processes) release() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.kill != nil {
		ps.kill.Stop()
	}
}

// signal stops the group: kill says SIGKILL rather than SIGTERM. The caller
// holds mu; with every rank reaped it does nothing (see processes).
func (ps *processes) signal(kill bool) {
	if ps.unreaped == 0 {
		return
	}
	if processGroups && ps.pgid != 0 {
		sendGroup(ps.pgid, kill)
		return
	}
	for _, c := range ps.cmds { // no process groups on this system
		if c.Process != nil {
			c.Process.Kill() // a reaped one: os.ErrProcessDone, no signal
		}
	}
}

// sendGroup signals a process group; a variable, so that a test can check
// that each signal finds a rank of the group still unreaped.
var sendGroup = signalGroup
