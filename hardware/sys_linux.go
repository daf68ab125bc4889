package hardware

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// hostOSCPUs asks Linux about the CPUs: /proc, /sys and the affinity mask.
func hostOSCPUs() osCPUs {
	return readOSCPUs(os.DirFS("/"), affinityCPUs())
}

// affinityCPUs lists the CPUs in the process's affinity mask (sched_getaffinity, as
// nproc and Go's runtime ask); nil if the kernel will not say.
func affinityCPUs() []int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil
	}
	cpus := []int{}
	for c := 0; c < len(set)*64; c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus
}

// memoryBytes reads MemTotal from /proc/meminfo; 0 if it cannot.
func memoryBytes() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseMemTotal(string(b))
}

// kernelRelease is what `uname -r` prints.
func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// parseMemTotal finds "MemTotal:  24684092 kB" and returns bytes.
func parseMemTotal(meminfo string) uint64 {
	for _, line := range strings.Split(meminfo, "\n") {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024 // the kernel's "kB" is KiB
	}
	return 0
}
