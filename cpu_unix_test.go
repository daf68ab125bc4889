//go:build unix

package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// processCPU is the CPU time this process has used, all threads together:
// time spent descheduled (another process on the core) does not count.
func processCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
