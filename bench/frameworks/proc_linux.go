package frameworks

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// setParentDeathSignal makes the kernel SIGKILL the rank when the harness
// dies (even by SIGKILL, when nothing of the harness runs to stop it).
func setParentDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }

// waitExited blocks until child pid has exited and leaves it unreaped
// (WNOWAIT), so that its pid, and the group id it may hold, stay its own
// until exec.Cmd.Wait reaps it. It says whether it could.
func waitExited(pid int) bool {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return err == nil
		}
	}
}
