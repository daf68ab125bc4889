package hardware

import (
	"golang.org/x/sys/unix"
)

// memoryBytes asks the kernel for the physical memory size; 0 if it cannot.
func memoryBytes() uint64 {
	n, err := unix.SysctlUint64("hw.memsize")
	if err != nil {
		return 0
	}
	return n
}

// kernelRelease is what `uname -r` prints.
func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// hostOSCPUs says nothing on macOS: the CPU fields keep what the cpuid package reports.
func hostOSCPUs() osCPUs { return osCPUs{} }
