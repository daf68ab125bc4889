package hardware

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDetectPrints shows what Detect sees; run with -v to read it.
func TestDetectPrints(t *testing.T) {
	h := Detect()
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Detect():\n%s", b)
	t.Logf("Summary(): %s", h.Summary())
	t.Logf("Fingerprint(): %s", h.Fingerprint())
	if h.Threads < 1 || h.NumCPU < 1 || h.GOMAXPROCS < 1 {
		t.Errorf("threads %d, NumCPU %d, GOMAXPROCS %d: want >= 1", h.Threads, h.NumCPU, h.GOMAXPROCS)
	}
	if h.OS == "" || h.Arch == "" {
		t.Errorf("OS %q, Arch %q: want both", h.OS, h.Arch)
	}
	if h.GPUs == nil {
		t.Error("GPUs is nil: want an empty list, so JSON says [] rather than null")
	}
}

func TestFingerprint(t *testing.T) {
	h := Host{CPUModel: "AMD EPYC", Threads: 2, Features: []string{"avx2", "fma"}, Arch: "amd64"}
	fp := h.Fingerprint()
	if len(fp) != 16 || strings.Trim(fp, "0123456789abcdef") != "" {
		t.Fatalf("Fingerprint() = %q, want 16 hex digits", fp)
	}
	same := h
	same.MemoryBytes, same.Kernel, same.GPUs = 1<<30, "6.1", []GPU{{Name: "x"}}
	if same.Fingerprint() != fp {
		t.Error("memory, kernel and GPUs changed the fingerprint; they should not")
	}
	for name, change := range map[string]func(*Host){
		"model":    func(h *Host) { h.CPUModel = "Intel" },
		"threads":  func(h *Host) { h.Threads = 4 },
		"features": func(h *Host) { h.Features = []string{"avx2"} },
		"arch":     func(h *Host) { h.Arch = "arm64" },
	} {
		other := h
		change(&other)
		if other.Fingerprint() == fp {
			t.Errorf("changing %s kept the fingerprint", name)
		}
	}
}

func TestSummary(t *testing.T) {
	h := Host{
		CPUModel: "AMD EPYC", PhysicalCores: 2, Threads: 2, Features: []string{"avx2", "fma"},
		MemoryBytes: 24684092 * 1024, OS: "linux", Kernel: "6.1.0-18-amd64", GOMAXPROCS: 2, NumCPU: 2,
	}
	want := "AMD EPYC · 2 cores / 2 threads · AVX2 FMA · 23.5 GiB · linux 6.1 · no GPU"
	if got := h.Summary(); got != want {
		t.Errorf("Summary() =\n%s\nwant\n%s", got, want)
	}
	h.GPUs = []GPU{{Name: "NVIDIA H200", MemoryMB: 143771}, {Name: "NVIDIA H200", MemoryMB: 143771}}
	h.CgroupCPULimit, h.GOMAXPROCS = 1.5, 1
	want = "AMD EPYC · 2 cores / 2 threads · cgroup limit 1.5 CPUs · GOMAXPROCS 1 · AVX2 FMA · 23.5 GiB · linux 6.1 · 2x NVIDIA H200 (140 GiB)"
	if got := h.Summary(); got != want {
		t.Errorf("Summary() =\n%s\nwant\n%s", got, want)
	}
}

func TestParseNvidiaSMI(t *testing.T) {
	out := "0, NVIDIA H200, 143771, 570.86.15, 9.0\n" +
		"1, NVIDIA GeForce GTX 1080 Ti, 11264, 535.183.01, 6.1\n" +
		"2, Tesla K80, [N/A], 470.82.01, [N/A]\n\n"
	got, err := ParseNvidiaSMI(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []GPU{
		{Index: 0, Name: "NVIDIA H200", MemoryMB: 143771, Driver: "570.86.15", ComputeCapability: "9.0"},
		{Index: 1, Name: "NVIDIA GeForce GTX 1080 Ti", MemoryMB: 11264, Driver: "535.183.01", ComputeCapability: "6.1"},
		{Index: 2, Name: "Tesla K80", Driver: "470.82.01"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d GPUs, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("GPU %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	if gpus, err := ParseNvidiaSMI(""); err != nil || len(gpus) != 0 || gpus == nil {
		t.Errorf("empty output: got %v, %v; want an empty list and no error", gpus, err)
	}
	for _, bad := range []string{
		"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
		"x, NVIDIA H200, 143771, 570.86.15, 9.0",
		"0, NVIDIA H200, lots, 570.86.15, 9.0",
	} {
		if _, err := ParseNvidiaSMI(bad); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("ParseNvidiaSMI(%q): err = %v, want an error naming line 1", bad, err)
		}
	}
}

func TestParseCgroup(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"max 100000\n", 0, true},
		{"150000 100000\n", 1.5, true},
		{"200000 100000", 2, true},
		{"garbage", 0, false},
		{"x 100000", 0, false},
	} {
		got, err := parseCPUMax(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("parseCPUMax(%q) = %g, %v; want %g, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if got, err := parseCFS("-1\n", "100000\n"); got != 0 || err != nil {
		t.Errorf("parseCFS(-1) = %g, %v; want no limit", got, err)
	}
	if got, err := parseCFS("50000\n", "100000\n"); got != 0.5 || err != nil {
		t.Errorf("parseCFS(50000/100000) = %g, %v; want 0.5", got, err)
	}
}

func TestShortKernel(t *testing.T) {
	for in, want := range map[string]string{
		"6.1.0-18-amd64": "6.1", "6.18.44-fc-v657": "6.18", "24.1.0": "24.1", "5.15": "5.15", "": "", "6": "6", "6.8-rc1": "6.8",
	} {
		if got := shortKernel(in); got != want {
			t.Errorf("shortKernel(%q) = %q, want %q", in, got, want)
		}
	}
}
