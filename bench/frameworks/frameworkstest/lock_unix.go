//go:build unix

package frameworkstest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// LockDDP holds, until the test ends, a lock that every test running a
// DDP group takes: go test runs packages' tests in parallel processes, and
// two groups at once on this machine would contend for its cores (slowing
// both past their timeouts) and meet at the same rendezvous when one's
// chosen port goes to the other. The lock is a file under os.TempDir(),
// locked with flock, so a test that dies releases it.
func LockDDP(t testing.TB) {
	t.Helper()
	path := filepath.Join(os.TempDir(), "mirrorbench-ddp-tests.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("the DDP test lock: %v", err)
	}
	if flock(f, syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		t.Logf("waiting for %s: another test runs a DDP group", path)
		err = flock(f, syscall.LOCK_EX)
	}
	if err != nil {
		f.Close()
		t.Fatalf("the DDP test lock %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() }) // closing the file releases the lock
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
