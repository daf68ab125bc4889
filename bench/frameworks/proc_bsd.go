//go:build unix && !linux

package frameworks

import "syscall"

// setParentDeathSignal: only Linux has a parent-death signal; elsewhere a
// harness killed outright (kill -9) can leave its ranks running until their
// process group's timeout ends them.
func setParentDeathSignal(*syscall.SysProcAttr) {}
