package hardware

import (
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestParseMemTotal(t *testing.T) {
	in := "MemTotal:       24684092 kB\nMemFree:        24418068 kB\n"
	if got, want := parseMemTotal(in), uint64(24684092*1024); got != want {
		t.Errorf("parseMemTotal = %d, want %d", got, want)
	}
	if got := parseMemTotal("MemFree: 1 kB\n"); got != 0 {
		t.Errorf("no MemTotal: got %d, want 0", got)
	}
}

// TestDetectCountsFromOS: on Linux the host's thread count is what the process can use,
// the affinity mask Go's runtime counted (runtime.NumCPU) or the cgroup quota if smaller,
// whatever CPUID says; nproc, where it is installed and no quota applies, agrees.
func TestDetectCountsFromOS(t *testing.T) {
	h := Detect()
	want := runtime.NumCPU()
	if h.CgroupCPULimit > 0 {
		want = min(want, int(math.Ceil(h.CgroupCPULimit)))
	}
	if h.Threads != want || h.ThreadsFrom != FromOS {
		t.Errorf("Threads = %d (from %q), want %d from %q: NumCPU %d, cgroup limit %g, online %d, CPUID %d",
			h.Threads, h.ThreadsFrom, want, FromOS, runtime.NumCPU(), h.CgroupCPULimit, h.OnlineCPUs, h.CPUIDThreads)
	}
	if h.AffinityCPUs != runtime.NumCPU() {
		t.Errorf("AffinityCPUs = %d, want runtime.NumCPU() = %d", h.AffinityCPUs, runtime.NumCPU())
	}
	if h.PhysicalCores < 1 || h.PhysicalCores > h.Threads {
		t.Errorf("PhysicalCores = %d, want 1..%d", h.PhysicalCores, h.Threads)
	}
	if path, err := exec.LookPath("nproc"); err == nil && h.CgroupCPULimit == 0 {
		cmd := exec.Command(path)
		for _, kv := range os.Environ() { // nproc honours these; the host count does not
			if !strings.HasPrefix(kv, "OMP_NUM_THREADS=") && !strings.HasPrefix(kv, "OMP_THREAD_LIMIT=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("nproc: %v", err)
		}
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err != nil || n != h.Threads {
			t.Errorf("nproc says %q, Threads = %d", out, h.Threads)
		}
	}
}

// TestDetectModelFromOS: the model is /proc/cpuinfo's first "model name" where it has one.
func TestDetectModelFromOS(t *testing.T) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo: %v", err)
	}
	want := ""
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			want = strings.Join(strings.Fields(v), " ")
			break
		}
	}
	if want == "" {
		t.Skip("/proc/cpuinfo names no model here (arm64, say)")
	}
	h := Detect()
	if h.CPUModel != want {
		t.Errorf("CPUModel = %q, want /proc/cpuinfo's %q", h.CPUModel, want)
	}
	if h.CPUIDModel == h.CPUModel {
		t.Errorf("CPUIDModel = CPUModel = %q: want it empty where they agree", h.CPUModel)
	}
}
