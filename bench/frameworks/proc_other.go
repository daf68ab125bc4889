//go:build !unix

package frameworks

import "syscall"

// processGroups: none here; the ranks are killed one by one.
const processGroups = false

// groupAttr: no process groups here; ranks are stopped one by one.
func groupAttr(int) *syscall.SysProcAttr { return nil }

func signalGroup(int, bool) {}

func loopbackInterface() string { return "lo" }

// waitExited: no wait without reaping here; see proc_bsd.go.
func waitExited(int) bool { return false }
