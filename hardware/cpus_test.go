package hardware

import (
	"slices"
	"testing"
	"testing/fstest"
)

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string][]int{
		"0-1":            {0, 1},
		"0,2-3":          {0, 2, 3},
		"0-3,8,10-11\n":  {0, 1, 2, 3, 8, 10, 11},
		"5":              {5},
		"":               {},
		"\n":             {},
		"2-3,0-1":        {0, 1, 2, 3},
		"0-2,1-3":        {0, 1, 2, 3},
		" 0 , 4-5 ":      {0, 4, 5},
		"0-0,127":        {0, 127},
		"1023,0,511-512": {0, 511, 512, 1023},
	} {
		got, err := parseCPUList(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseCPUList(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"a", "3-1", "1-", "-1", "0,,1", "0-x", "0-99999999"} {
		if got, err := parseCPUList(bad); err == nil {
			t.Errorf("parseCPUList(%q) = %v; want an error", bad, got)
		}
	}
}

// cpuinfoVM is /proc/cpuinfo of a 2-vCPU VM whose hypervisor's CPUID says "Oxide Virtual
// Turin-like Processor" and 254 cores, shortened to the lines that matter and a few others.
const cpuinfoVM = `processor	: 0
vendor_id	: AuthenticAMD
cpu family	: 26
model		: 2
model name	: AMD EPYC
physical id	: 0
siblings	: 2
core id		: 0
cpu cores	: 2
flags		: fpu vme avx2 fma avx512f

processor	: 1
vendor_id	: AuthenticAMD
cpu family	: 26
model		: 2
model name	: AMD EPYC
physical id	: 0
siblings	: 2
core id		: 1
cpu cores	: 2
flags		: fpu vme avx2 fma avx512f

`

// cpuinfoSMT is a 1-socket, 2-core, 4-thread Intel host: CPUs 0 and 2 share core 0.
const cpuinfoSMT = `processor	: 0
model name	: Intel(R) Core(TM)   i5-7200U CPU @ 2.50GHz
physical id	: 0
siblings	: 4
core id		: 0
cpu cores	: 2
processor	: 1
model name	: Intel(R) Core(TM)   i5-7200U CPU @ 2.50GHz
physical id	: 0
siblings	: 4
core id		: 1
cpu cores	: 2
processor	: 2
model name	: Intel(R) Core(TM)   i5-7200U CPU @ 2.50GHz
physical id	: 0
siblings	: 4
core id		: 0
cpu cores	: 2
processor	: 3
model name	: Intel(R) Core(TM)   i5-7200U CPU @ 2.50GHz
physical id	: 0
siblings	: 4
core id		: 1
cpu cores	: 2
`

// cpuinfoARM is an arm64 host's: no model name, no ids, a trailing block without a processor.
const cpuinfoARM = `processor	: 0
BogoMIPS	: 50.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32
CPU implementer	: 0x41
CPU part	: 0xd0c

processor	: 1
BogoMIPS	: 50.00
CPU implementer	: 0x41
CPU part	: 0xd0c

Hardware	: Example board
`

// cpuinfoRatio states siblings and cpu cores but no ids: 2 threads per core.
const cpuinfoRatio = `processor	: 0
model name	: Example CPU
siblings	: 8
cpu cores	: 4

processor	: 1
model name	: Example CPU
siblings	: 8
cpu cores	: 4
`

func TestParseCPUInfo(t *testing.T) {
	got := parseCPUInfo(cpuinfoSMT)
	want := []cpuInfoEntry{
		{Processor: 0, Model: "Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz", PhysicalID: 0, CoreID: 0, Siblings: 4, CPUCores: 2},
		{Processor: 1, Model: "Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz", PhysicalID: 0, CoreID: 1, Siblings: 4, CPUCores: 2},
		{Processor: 2, Model: "Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz", PhysicalID: 0, CoreID: 0, Siblings: 4, CPUCores: 2},
		{Processor: 3, Model: "Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz", PhysicalID: 0, CoreID: 1, Siblings: 4, CPUCores: 2},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parseCPUInfo(SMT) =\n%+v\nwant\n%+v", got, want)
	}
	got = parseCPUInfo(cpuinfoARM)
	want = []cpuInfoEntry{
		{Processor: 0, PhysicalID: -1, CoreID: -1, Siblings: -1, CPUCores: -1},
		{Processor: 1, PhysicalID: -1, CoreID: -1, Siblings: -1, CPUCores: -1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parseCPUInfo(arm64) =\n%+v\nwant\n%+v", got, want)
	}
	if got := parseCPUInfo(""); len(got) != 0 {
		t.Errorf("parseCPUInfo(\"\") = %+v, want nothing", got)
	}
}

// topology adds sysfs topology files to fsys: cpu i is in package pkg[i], core core[i].
func topology(fsys fstest.MapFS, pkg, core []string) fstest.MapFS {
	for i := range pkg {
		dir := "sys/devices/system/cpu/cpu" + string(rune('0'+i)) + "/topology/"
		fsys[dir+"physical_package_id"] = &fstest.MapFile{Data: []byte(pkg[i] + "\n")}
		fsys[dir+"core_id"] = &fstest.MapFile{Data: []byte(core[i] + "\n")}
	}
	return fsys
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestReadOSCPUs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fsys     fstest.MapFS
		affinity []int
		want     osCPUs
	}{
		{
			name:     "2-vCPU VM, ids from cpuinfo",
			fsys:     fstest.MapFS{"proc/cpuinfo": file(cpuinfoVM), "sys/devices/system/cpu/online": file("0-1\n")},
			affinity: []int{0, 1},
			want:     osCPUs{Model: "AMD EPYC", Online: 2, Affinity: 2, Threads: 2, Cores: 2, CoresFrom: FromCPUInfoIDs},
		},
		{
			name: "SMT host, taskset to two threads of one core",
			fsys: topology(fstest.MapFS{"proc/cpuinfo": file(cpuinfoSMT), "sys/devices/system/cpu/online": file("0-3\n")},
				[]string{"0", "0", "0", "0"}, []string{"0", "1", "0", "1"}),
			affinity: []int{0, 2},
			want:     osCPUs{Model: "Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz", Online: 4, Affinity: 2, Threads: 2, Cores: 1, CoresFrom: FromSysfsTopology},
		},
		{
			name:     "SMT host, all threads, ids from cpuinfo",
			fsys:     fstest.MapFS{"proc/cpuinfo": file(cpuinfoSMT), "sys/devices/system/cpu/online": file("0-3\n")},
			affinity: []int{0, 1, 2, 3},
			want:     osCPUs{Model: "Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz", Online: 4, Affinity: 4, Threads: 4, Cores: 2, CoresFrom: FromCPUInfoIDs},
		},
		{
			name: "two packages: the same core id in each is two cores",
			fsys: topology(fstest.MapFS{"sys/devices/system/cpu/online": file("0-3")},
				[]string{"0", "0", "1", "1"}, []string{"0", "1", "0", "1"}),
			affinity: []int{0, 1, 2, 3},
			want:     osCPUs{Online: 4, Affinity: 4, Threads: 4, Cores: 4, CoresFrom: FromSysfsTopology},
		},
		{
			name:     "online list with a hole",
			fsys:     fstest.MapFS{"proc/cpuinfo": file(cpuinfoSMT), "sys/devices/system/cpu/online": file("0,2-3\n")},
			affinity: []int{0, 1, 2, 3},
			// CPUs 0 and 2 share core 0, CPU 3 is core 1.
			want: osCPUs{Model: "Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz", Online: 3, Affinity: 4, Threads: 3, Cores: 2, CoresFrom: FromCPUInfoIDs},
		},
		{
			name: "cgroup v2 quota in a nested group, none at the root",
			fsys: fstest.MapFS{
				"proc/cpuinfo":                               file(cpuinfoRatio),
				"sys/devices/system/cpu/online":              file("0-7\n"),
				"proc/self/cgroup":                           file("0::/user.slice/job.scope\n"),
				"sys/fs/cgroup/cpu.max":                      file("max 100000\n"),
				"sys/fs/cgroup/user.slice/job.scope/cpu.max": file("150000 100000\n"),
				"sys/fs/cgroup/user.slice/cpu.max":           file("max 100000\n"),
			},
			affinity: []int{0, 1, 2, 3, 4, 5, 6, 7},
			// 8 threads at 2 a core is 4 cores; the 1.5-CPU quota leaves 2 threads, so at most 2 cores.
			want: osCPUs{Model: "Example CPU", Online: 8, Affinity: 8, Quota: 1.5, Threads: 2, Cores: 2, CoresFrom: FromCPUInfoRatio},
		},
		{
			name: "cgroup v2 quota at the root, the tightest of two levels",
			fsys: fstest.MapFS{
				"sys/devices/system/cpu/online": file("0-7"),
				"proc/self/cgroup":              file("0::/a\n"),
				"sys/fs/cgroup/cpu.max":         file("300000 100000\n"),
				"sys/fs/cgroup/a/cpu.max":       file("400000 100000\n"),
			},
			affinity: []int{0, 1, 2, 3, 4, 5, 6, 7},
			want:     osCPUs{Online: 8, Affinity: 8, Quota: 3, Threads: 3},
		},
		{
			name: "cgroup v2 max: no quota",
			fsys: fstest.MapFS{
				"sys/devices/system/cpu/online": file("0-3"),
				"proc/self/cgroup":              file("0::/\n"),
				"sys/fs/cgroup/cpu.max":         file("max 100000\n"),
			},
			affinity: []int{0, 1, 2, 3},
			want:     osCPUs{Online: 4, Affinity: 4, Threads: 4},
		},
		{
			name: "cgroup v1 quota at a container's root, proc/self/cgroup naming the host's path",
			fsys: fstest.MapFS{
				"proc/cpuinfo":                                file(cpuinfoVM),
				"sys/devices/system/cpu/online":               file("0-1\n"),
				"proc/self/cgroup":                            file("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n"),
				"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us":  file("100000\n"),
				"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": file("100000\n"),
			},
			affinity: []int{0, 1},
			want:     osCPUs{Model: "AMD EPYC", Online: 2, Affinity: 2, Quota: 1, Threads: 1, Cores: 1, CoresFrom: FromCPUInfoIDs},
		},
		{
			name: "cgroup v1 without a quota (-1)",
			fsys: fstest.MapFS{
				"sys/devices/system/cpu/online":       file("0-1\n"),
				"proc/self/cgroup":                    file("1:cpu:/\n"),
				"sys/fs/cgroup/cpu/cpu.cfs_quota_us":  file("-1\n"),
				"sys/fs/cgroup/cpu/cpu.cfs_period_us": file("100000\n"),
			},
			affinity: []int{0, 1},
			want:     osCPUs{Online: 2, Affinity: 2, Threads: 2},
		},
		{
			name:     "arm64: no model name, no ids, topology in sysfs",
			fsys:     topology(fstest.MapFS{"proc/cpuinfo": file(cpuinfoARM), "sys/devices/system/cpu/online": file("0-1")}, []string{"0", "0"}, []string{"0", "1"}),
			affinity: []int{0, 1},
			want:     osCPUs{Online: 2, Affinity: 2, Threads: 2, Cores: 2, CoresFrom: FromSysfsTopology},
		},
		{
			name:     "arm64 without topology: no core count",
			fsys:     fstest.MapFS{"proc/cpuinfo": file(cpuinfoARM), "sys/devices/system/cpu/online": file("0-1")},
			affinity: []int{0, 1},
			want:     osCPUs{Online: 2, Affinity: 2, Threads: 2},
		},
		{
			name:     "no sysfs: the affinity mask alone",
			fsys:     fstest.MapFS{"proc/cpuinfo": file(cpuinfoVM)},
			affinity: []int{1},
			want:     osCPUs{Model: "AMD EPYC", Affinity: 1, Threads: 1, Cores: 1, CoresFrom: FromCPUInfoIDs},
		},
		{
			name: "no affinity: the online list alone",
			fsys: fstest.MapFS{"sys/devices/system/cpu/online": file("0-1")},
			want: osCPUs{Online: 2, Threads: 2},
		},
		{
			name: "nothing",
			fsys: fstest.MapFS{},
			want: osCPUs{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readOSCPUs(tc.fsys, tc.affinity); got != tc.want {
				t.Errorf("readOSCPUs =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestAncestors(t *testing.T) {
	got := ancestors("m", "a/b")
	if want := []string{"m/a/b", "m/a", "m"}; !slices.Equal(got, want) {
		t.Errorf("ancestors(m, a/b) = %q, want %q", got, want)
	}
	if got := ancestors("m", ""); !slices.Equal(got, []string{"m"}) {
		t.Errorf("ancestors(m, \"\") = %q, want [m]", got)
	}
}

// cpuidVM is what CPUID shows inside the VM of cpuinfoVM.
func cpuidVM() Host {
	return Host{CPUVendor: "AuthenticAMD", CPUModel: "Oxide Virtual Turin-like Processor", PhysicalCores: 254, Threads: 254,
		CPUIDCores: 254, CPUIDThreads: 254, Features: []string{"avx2", "fma", "avx512f"},
		MemoryBytes: 24684092 * 1024, OS: "linux", Arch: "amd64", Kernel: "6.18.44", GOMAXPROCS: 2, NumCPU: 2}
}

func TestApplyOSCPUs(t *testing.T) {
	h := cpuidVM()
	applyOSCPUs(&h, readOSCPUs(fstest.MapFS{"proc/cpuinfo": file(cpuinfoVM), "sys/devices/system/cpu/online": file("0-1\n")}, []int{0, 1}), 1)
	if h.CPUModel != "AMD EPYC" || h.CPUIDModel != "Oxide Virtual Turin-like Processor" ||
		h.PhysicalCores != 2 || h.Threads != 2 || h.ThreadsFrom != FromOS || h.CoresFrom != FromCPUInfoIDs ||
		h.CPUIDCores != 254 || h.CPUIDThreads != 254 || h.OnlineCPUs != 2 || h.AffinityCPUs != 2 {
		t.Errorf("VM: %+v", h)
	}
	want := "AMD EPYC (CPUID: Oxide Virtual Turin-like Processor) · 2 cores / 2 threads · AVX2 FMA AVX512F · 23.5 GiB · linux 6.18 · no GPU"
	if got := h.Summary(); got != want {
		t.Errorf("VM Summary() =\n%s\nwant\n%s", got, want)
	}

	// The OS gives nothing: CPUID's view stays, and says so.
	h = cpuidVM()
	applyOSCPUs(&h, osCPUs{}, 1)
	if h.CPUModel != "Oxide Virtual Turin-like Processor" || h.CPUIDModel != "" || h.Threads != 254 || h.PhysicalCores != 254 ||
		h.ThreadsFrom != FromCPUID || h.CoresFrom != FromCPUID {
		t.Errorf("no OS facts: %+v", h)
	}
	want = "Oxide Virtual Turin-like Processor · 254 cores / 254 threads (CPUID) · AVX2 FMA AVX512F · 23.5 GiB · linux 6.18 · no GPU"
	if got := h.Summary(); got != want {
		t.Errorf("no OS facts Summary() =\n%s\nwant\n%s", got, want)
	}

	// Threads from the OS, no topology: cores from CPUID's threads per core; the same
	// model name in another case is no difference.
	h = cpuidVM()
	h.CPUModel = "EXAMPLE CPU"
	applyOSCPUs(&h, osCPUs{Model: "Example CPU", Online: 8, Affinity: 6, Threads: 6}, 2)
	if h.CPUModel != "Example CPU" || h.CPUIDModel != "" || h.Threads != 6 || h.PhysicalCores != 3 ||
		h.ThreadsFrom != FromOS || h.CoresFrom != FromCPUID {
		t.Errorf("no topology: %+v", h)
	}
	want = "Example CPU · 3 cores (CPUID) / 6 threads of 8 online · AVX2 FMA AVX512F · 23.5 GiB · linux 6.18 · no GPU"
	if got := h.Summary(); got != want {
		t.Errorf("no topology Summary() =\n%s\nwant\n%s", got, want)
	}
}

func TestUsableThreads(t *testing.T) {
	for _, tc := range []struct {
		h    Host
		want int
	}{
		{Host{Threads: 254, NumCPU: 2}, 2}, // an old record: CPUID's count, the runtime's affinity count
		{Host{Threads: 2, NumCPU: 2}, 2},
		{Host{Threads: 8, NumCPU: 8, CgroupCPULimit: 1.5}, 2},
		{Host{Threads: 8, NumCPU: 8, CgroupCPULimit: 0.25}, 1},
		{Host{Threads: 4, NumCPU: 8, CgroupCPULimit: 6}, 4},
		{Host{Threads: 4}, 4},
		{Host{NumCPU: 3}, 3},
		{Host{}, 0},
	} {
		if got := tc.h.UsableThreads(); got != tc.want {
			t.Errorf("%+v.UsableThreads() = %d, want %d", tc.h, got, tc.want)
		}
	}
}
