package bench

import (
	"testing"

	"github.com/mirrorbench/mirrorbench/hardware"
)

func TestCountsLine(t *testing.T) {
	vm := hardware.Host{CPUModel: "AMD EPYC", CPUIDModel: "Oxide Virtual Turin-like Processor",
		PhysicalCores: 2, Threads: 2, ThreadsFrom: hardware.FromOS, CoresFrom: hardware.FromSysfsTopology,
		OnlineCPUs: 2, AffinityCPUs: 2, CPUIDCores: 254, CPUIDThreads: 254}
	for _, tc := range []struct {
		name string
		h    hardware.Host
		want string
	}{
		{"vm", vm, "2 threads usable of 2 online, 2 in the affinity mask, no cgroup quota; cores from sysfs topology; " +
			"CPUID says 254 cores / 254 threads (the whole package, or what a hypervisor shows; not used)"},
		{"quota", func() hardware.Host {
			h := vm
			h.OnlineCPUs, h.AffinityCPUs, h.CgroupCPULimit, h.CPUIDCores, h.CPUIDThreads = 8, 8, 1.5, 2, 2
			return h
		}(), "2 threads usable of 8 online, 8 in the affinity mask, a cgroup quota of 1.5 CPUs; cores from sysfs topology"},
		{"cpuid", hardware.Host{PhysicalCores: 4, Threads: 8, ThreadsFrom: hardware.FromCPUID, CoresFrom: hardware.FromCPUID, CPUIDCores: 4, CPUIDThreads: 8},
			"8 threads from CPUID (the OS gave no count); cores from CPUID (the OS gave no topology)"},
		{"old record", hardware.Host{PhysicalCores: 254, Threads: 254}, ""},
	} {
		if got := countsLine(tc.h); got != tc.want {
			t.Errorf("%s: countsLine =\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}
