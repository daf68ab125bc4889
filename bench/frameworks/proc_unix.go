//go:build unix

package frameworks

import (
	"net"
	"syscall"
)

// processGroups: the ranks share a process group, stopped by one signal.
const processGroups = true

// groupAttr puts a rank into process group pgid (0: a new group, led by the
// rank itself). The group is not the terminal's foreground group, so Ctrl-C
// reaches the harness alone, which then stops the ranks itself. On Linux each
// rank also dies with the harness, even a harness killed outright.
func groupAttr(pgid int) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true, Pgid: pgid}
	setParentDeathSignal(attr)
	return attr
}

// signalGroup sends SIGTERM (or SIGKILL) to every process of the group.
func signalGroup(pgid int, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	syscall.Kill(-pgid, sig) // ESRCH: the group is gone already
}

// loopbackInterface is the name of the interface that holds 127.0.0.1.
func loopbackInterface() string {
	ifs, err := net.Interfaces()
	if err == nil {
		for _, i := range ifs {
			if i.Flags&net.FlagLoopback != 0 {
				return i.Name
			}
		}
	}
	return "lo"
}
