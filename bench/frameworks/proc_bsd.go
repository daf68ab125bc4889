//go:build unix && !linux

package frameworks

import "syscall"

// setParentDeathSignal: only Linux has a parent-death signal; elsewhere a
// harness killed outright (kill -9) can leave its ranks running until their
// process group's timeout ends them.
func setParentDeathSignal(*syscall.SysProcAttr) {}

// waitExited: no portable wait without reaping here (Linux's waitid with
// WNOWAIT), so a child that a rank leaves behind when every rank exits by
// itself is not swept (see processes.reap); a stopped group's children are
// still signalled with it.
func waitExited(int) bool { return false }
