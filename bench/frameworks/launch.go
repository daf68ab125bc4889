package frameworks

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Group is the processes of one run on this machine: one per local rank,
// all in one process group, so that they stop together.
type Group struct {
	Command    []string // the interpreter, the adapter and its arguments
	Ranks      []int    // the global ranks started here; Ranks[i] gets LOCAL_RANK i
	WorldSize  int
	Rendezvous string   // host:port of rank 0's store (MASTER_ADDR, MASTER_PORT)
	Loopback   bool     // bind gloo to the loopback interface (a single-machine run)
	Env        []string // added to this process's environment
	// Stderr receives the ranks' stderr, line by line, as it comes.
	Stderr func(rank int, line string)
	// Grace is how long the processes have between SIGTERM and SIGKILL
	// when the group is stopped (default 3 s).
	Grace time.Duration
}

// tailLines is how much of a failing rank's stderr its error keeps.
const tailLines = 12

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
func (g *Group) Run(ctx context.Context, handle func(rank int, ev Event) error) error {
	msgs := make(chan message, 256)
	procs, err := g.start(msgs)
	if err != nil {
		return err
	}
	tails := make([][]string, len(g.Ranks))
	errMsgs := make([]string, len(g.Ranks))
	var failure error
	stop := func(cause error) {
		if failure == nil {
			failure = cause
			procs.stop(g.grace())
		}
	}
	defer procs.release()
	done := ctx.Done()
	for running := len(g.Ranks); running > 0; {
		select {
		case <-done:
			done = nil
			stop(ErrInterrupted)
		case m := <-msgs:
			rank := g.Ranks[m.rank]
			switch {
			case m.stdout != nil:
				ev, err := ParseEvent(m.stdout)
				switch {
				case err != nil:
					stop(&RankError{Rank: rank, Err: err, Tail: tails[m.rank]})
				case ev.Event == EventError:
					errMsgs[m.rank] = ev.Message
				case failure == nil:
					if err := handle(rank, ev); err != nil {
						stop(err)
					}
				}
			case m.exited:
				running--
				if m.err != nil {
					stop(&RankError{Rank: rank, Err: m.err, Message: errMsgs[m.rank], Tail: tails[m.rank]})
				}
			default:
				tails[m.rank] = appendTail(tails[m.rank], m.stderr)
				if g.Stderr != nil {
					g.Stderr(rank, m.stderr)
				}
			}
		}
	}
	return failure
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
func (g *Group) start(msgs chan<- message) (*processes, error) {
	if len(g.Command) == 0 || len(g.Ranks) == 0 {
		return nil, errors.New("frameworks: a group needs a command and at least one rank")
	}
	ps := &processes{}
	type pipes struct{ out, err io.Reader }
	var all []pipes
	for local, rank := range g.Ranks {
		cmd := exec.Command(g.Command[0], g.Command[1:]...)
		cmd.Env = append(os.Environ(), g.rankEnv(local, rank)...)
		cmd.SysProcAttr = groupAttr(ps.pgid)
		out, err1 := cmd.StdoutPipe()
		errp, err2 := cmd.StderrPipe()
		err := errors.Join(err1, err2)
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			ps.stop(0)
			for _, started := range ps.cmds {
				started.Wait() // reap them: nothing else will
			}
			return nil, fmt.Errorf("starting rank %d (%s): %w", rank, g.Command[0], err)
		}
		if ps.pgid == 0 {
			ps.pgid = cmd.Process.Pid
		}
		ps.cmds = append(ps.cmds, cmd)
		all = append(all, pipes{out, errp})
	}
	for i, p := range all {
		ps.watch(i, p.out, p.err, msgs)
	}
	return ps, nil
}

// rankEnv is torchrun's environment for one rank (PROTOCOL.md, "Starting").
func (g *Group) rankEnv(local, rank int) []string {
	host, port, _ := strings.Cut(g.Rendezvous, ":")
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
type processes struct {
	cmds    []*exec.Cmd
	pgid    int
	mu      sync.Mutex
	kill    *time.Timer
	stopped bool
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
		err := ps.cmds[i].Wait()
		msgs <- message{rank: i, exited: true, err: err}
	}()
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
	ps.kill = time.AfterFunc(grace, func() { ps.signal(true) })
}

// release runs when every process has exited: what is left of the group
// (a child the adapter started itself) is killed, and the timer cancelled.
func (ps *processes) release() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.kill != nil {
		ps.kill.Stop()
	}
	ps.signal(true)
}

// signal stops the group: kill says SIGKILL rather than SIGTERM.
func (ps *processes) signal(kill bool) {
	if processGroups && ps.pgid != 0 {
		signalGroup(ps.pgid, kill)
		return
	}
	for _, c := range ps.cmds { // no process groups on this system
		if c.Process != nil {
			c.Process.Kill()
		}
	}
}
