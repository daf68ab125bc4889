//go:build !unix

package frameworkstest

import "testing"

// LockDDP: no flock here, so DDP tests of several packages may overlap;
// the launcher's relaunch on a taken rendezvous port still holds.
func LockDDP(t testing.TB) {
	t.Helper()
	t.Log("no cross-package DDP test lock on this system")
}
