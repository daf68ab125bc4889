package frameworks

import "syscall"

// setParentDeathSignal makes the kernel SIGKILL the rank when the harness
// dies (even by SIGKILL, when nothing of the harness runs to stop it).
func setParentDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
