package hardware

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/cpuid/v2"
)

// Host describes the machine the process runs on. Zero or empty fields mean "unknown".
//
// The CPU's name and counts come from the operating system first: in a virtual machine
// CPUID describes what the hypervisor chooses to show (a brand of its own, the host's
// core count), while the OS knows the CPUs the process can use. Records written before
// the OS was asked hold CPUID's view in CPUModel, PhysicalCores and Threads, and none of
// the fields marked "empty in older records".
type Host struct {
	CPUVendor string `json:"cpu_vendor"`
	// CPUModel is the OS's name for the CPU (/proc/cpuinfo "model name" on Linux), or
	// CPUID's brand string where the OS names none.
	CPUModel string `json:"cpu_model"`
	// CPUIDModel is CPUID's brand string where it differs from CPUModel (a hypervisor's
	// brand, say); empty where they agree, and in older records.
	CPUIDModel string `json:"cpuid_model,omitempty"`
	// PhysicalCores and Threads count what this process can use: the online CPUs in its
	// affinity mask, at most its cgroup CPU quota rounded up (what nproc prints, and
	// runtime.NumCPU unless a quota is smaller). ThreadsFrom and CoresFrom say where the
	// counts came from (FromOS, FromSysfsTopology, ... or FromCPUID where the OS said
	// nothing); empty in older records.
	PhysicalCores int    `json:"physical_cores"`
	Threads       int    `json:"threads"`
	ThreadsFrom   string `json:"threads_from,omitempty"`
	CoresFrom     string `json:"cores_from,omitempty"`
	OnlineCPUs    int    `json:"online_cpus,omitempty"`   // CPUs online in the whole machine (or VM)
	AffinityCPUs  int    `json:"affinity_cpus,omitempty"` // CPUs in the process's affinity mask
	// CPUIDCores and CPUIDThreads are CPUID's counts, which describe the whole package or,
	// in a virtual machine, whatever the hypervisor reports; empty in older records.
	CPUIDCores     int          `json:"cpuid_cores,omitempty"`
	CPUIDThreads   int          `json:"cpuid_threads,omitempty"`
	L1DataKB       int          `json:"l1d_kb"`
	L2KB           int          `json:"l2_kb"`
	L3KB           int          `json:"l3_kb"`
	Features       []string     `json:"features"` // present ones of "avx2", "fma", "avx512f", "neon"
	MemoryBytes    uint64       `json:"memory_bytes"`
	OS             string       `json:"os"`
	Arch           string       `json:"arch"`
	Kernel         string       `json:"kernel"`
	CgroupCPULimit float64      `json:"cgroup_cpu_limit"` // in cores; 0 when there is no limit
	GOMAXPROCS     int          `json:"gomaxprocs"`
	NumCPU         int          `json:"num_cpu"`
	GPUs           []GPU        `json:"gpus"`
	GPUNote        string       `json:"gpu_note,omitempty"` // why GPU detection failed, if it did
	Calibration    *Calibration `json:"calibration,omitempty"`
}

// GPU is one NVIDIA GPU as nvidia-smi reports it.
type GPU struct {
	Index             int    `json:"index"`
	Name              string `json:"name"`
	MemoryMB          int    `json:"memory_mb"` // MiB, as nvidia-smi counts them
	Driver            string `json:"driver"`
	ComputeCapability string `json:"compute_capability"`
}

// Detect describes the host. It never fails: what it cannot learn stays zero.
func Detect() Host {
	h := cpuHost()
	h.MemoryBytes = memoryBytes()
	h.Kernel = kernelRelease()
	h.GOMAXPROCS = runtime.GOMAXPROCS(0)
	h.NumCPU = runtime.NumCPU()
	h.GPUs, h.GPUNote = detectGPUs()
	return h
}

// cpuHost fills the CPU fields: CPUID's view (vendor, caches, SIMD features), then the
// OS's name and counts over CPUID's (see Host). They are cheap (CPUID and a few small
// files), and they are all the fingerprint needs, so Calibrate can use them without
// running nvidia-smi.
func cpuHost() Host {
	c := cpuid.CPU
	h := Host{
		CPUVendor:     c.VendorString,
		CPUModel:      strings.Join(strings.Fields(c.BrandName), " "),
		PhysicalCores: c.PhysicalCores,
		Threads:       c.LogicalCores,
		CPUIDCores:    max(c.PhysicalCores, 0),
		CPUIDThreads:  max(c.LogicalCores, 0),
		L1DataKB:      kib(c.Cache.L1D),
		L2KB:          kib(c.Cache.L2),
		L3KB:          kib(c.Cache.L3),
		Features:      simdFeatures(),
		OS:            runtime.GOOS,
		Arch:          runtime.GOARCH,
	}
	if h.PhysicalCores <= 0 && h.Threads > 0 {
		h.PhysicalCores = h.Threads / max(c.ThreadsPerCore, 1)
	}
	applyOSCPUs(&h, hostOSCPUs(), c.ThreadsPerCore)
	// CPUID cannot count cores on some platforms (arm64 in particular); Go's runtime asks
	// the OS for the affinity mask.
	if h.Threads <= 0 {
		h.Threads, h.ThreadsFrom = runtime.NumCPU(), FromOS
	}
	if h.PhysicalCores <= 0 {
		h.PhysicalCores = max(h.Threads/max(c.ThreadsPerCore, 1), 1)
	}
	return h
}

// ModelName is CPUModel, with CPUID's brand beside it where the two differ:
// "AMD EPYC (CPUID: Oxide Virtual Turin-like Processor)".
func (h Host) ModelName() string {
	name := orUnknown(h.CPUModel, "unknown CPU")
	if h.CPUIDModel != "" && !strings.EqualFold(h.CPUIDModel, h.CPUModel) {
		name += " (CPUID: " + h.CPUIDModel + ")"
	}
	return name
}

// UsableThreads is the number of CPUs the run could use: Threads, at most NumCPU (the
// affinity mask Go's runtime saw) and the cgroup quota rounded up. For a record written
// since the OS is asked it is Threads; for an older one, whose Threads is CPUID's count
// (a hypervisor's 254 for a 2-CPU VM, say), it corrects the count from the fields that
// came from the OS even then.
func (h Host) UsableThreads() int {
	n := h.Threads
	if h.NumCPU > 0 && (n <= 0 || h.NumCPU < n) {
		n = h.NumCPU
	}
	if h.CgroupCPULimit > 0 {
		if q := quotaCPUs(h.CgroupCPULimit); n <= 0 || q < n {
			n = q
		}
	}
	return n
}

// kib converts cpuid's byte count (-1 when unknown) to KiB (0 when unknown).
func kib(b int) int { return max(b, 0) / 1024 }

// simdFeatures lists the vector extensions that matter for float32 kernels, in a fixed order.
func simdFeatures() []string {
	feats := []struct {
		name string
		id   cpuid.FeatureID
	}{
		{"avx2", cpuid.AVX2}, {"fma", cpuid.FMA3}, {"avx512f", cpuid.AVX512F}, {"neon", cpuid.ASIMD},
	}
	out := []string{}
	for _, f := range feats {
		if cpuid.CPU.Supports(f.id) {
			out = append(out, f.name)
		}
	}
	return out
}

// Fingerprint is a short hex hash of what identifies the machine for a speed measurement:
// CPU model (with CPUID's brand where it differs), usable thread count, SIMD features and
// architecture. Memory size, kernel and GPUs are
// left out on purpose: they do not change what a CPU kernel calibration measures.
func (h Host) Fingerprint() string {
	model := h.CPUModel
	if h.CPUIDModel != "" { // a VM's OS may name only the family; the hypervisor's brand says more
		model += " (CPUID: " + h.CPUIDModel + ")"
	}
	key := strings.Join([]string{model, strconv.Itoa(h.Threads), strings.Join(h.Features, ","), h.Arch}, "|")
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}

// Summary is the host on one line, for the CLI, e.g.
// "AMD EPYC (CPUID: Oxide Virtual Turin-like Processor) · 2 cores / 2 threads · AVX2 FMA ·
// 23.5 GiB · linux 6.1 · no GPU". The counts are the usable ones; "of N online" follows
// where the affinity mask or a quota leaves fewer, "(CPUID)" marks counts the OS did not give.
func (h Host) Summary() string {
	parts := []string{h.ModelName()}
	counts := fmt.Sprintf("%d cores / %d threads", h.PhysicalCores, h.Threads)
	switch {
	case h.ThreadsFrom == FromCPUID:
		counts += " (CPUID)"
	case h.CoresFrom == FromCPUID:
		counts = fmt.Sprintf("%d cores (CPUID) / %d threads", h.PhysicalCores, h.Threads)
	}
	if h.OnlineCPUs > h.Threads {
		counts += fmt.Sprintf(" of %d online", h.OnlineCPUs)
	}
	parts = append(parts, counts)
	if h.CgroupCPULimit > 0 {
		parts = append(parts, fmt.Sprintf("cgroup limit %.3g CPUs", h.CgroupCPULimit))
	}
	if h.GOMAXPROCS > 0 && h.GOMAXPROCS != h.NumCPU {
		parts = append(parts, fmt.Sprintf("GOMAXPROCS %d", h.GOMAXPROCS))
	}
	parts = append(parts, orUnknown(strings.ToUpper(strings.Join(h.Features, " ")), "no SIMD"))
	if h.MemoryBytes > 0 {
		parts = append(parts, fmt.Sprintf("%.1f GiB", float64(h.MemoryBytes)/(1<<30)))
	} else {
		parts = append(parts, "memory unknown")
	}
	parts = append(parts, strings.TrimSpace(h.OS+" "+shortKernel(h.Kernel)))
	parts = append(parts, gpuSummary(h.GPUs))
	if len(h.GPUs) == 0 && h.GPUNote != "" {
		parts[len(parts)-1] += " (nvidia-smi failed)"
	}
	return strings.Join(parts, " · ")
}

func orUnknown(s, unknown string) string {
	if s == "" {
		return unknown
	}
	return s
}

// shortKernel keeps major.minor of a release string: "6.1.0-18-amd64" -> "6.1".
func shortKernel(k string) string {
	f := strings.SplitN(k, ".", 3)
	if len(f) < 2 {
		return k
	}
	minor, _, _ := strings.Cut(f[1], "-") // "8-rc1" -> "8"
	return f[0] + "." + minor
}

// gpuSummary groups identical GPUs: "2x NVIDIA H200 (140 GiB)".
func gpuSummary(gpus []GPU) string {
	if len(gpus) == 0 {
		return "no GPU"
	}
	var parts []string
	for i := 0; i < len(gpus); {
		j := i
		for j < len(gpus) && gpus[j].Name == gpus[i].Name && gpus[j].MemoryMB == gpus[i].MemoryMB {
			j++
		}
		parts = append(parts, fmt.Sprintf("%dx %s (%.0f GiB)", j-i, gpus[i].Name, float64(gpus[i].MemoryMB)/1024))
		i = j
	}
	return strings.Join(parts, ", ")
}

// parseCPUMax parses cgroup v2 cpu.max: "QUOTA PERIOD" or "max PERIOD" (no limit -> 0).
func parseCPUMax(s string) (float64, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, fmt.Errorf("cpu.max: want 2 fields, got %q", s)
	}
	if f[0] == "max" {
		return 0, nil
	}
	return parseCFS(f[0], f[1])
}

// parseCFS divides a cgroup v1 quota by its period; a negative quota means no limit.
func parseCFS(quota, period string) (float64, error) {
	q, err := strconv.ParseFloat(strings.TrimSpace(quota), 64)
	if err != nil {
		return 0, fmt.Errorf("cpu quota: %w", err)
	}
	p, err := strconv.ParseFloat(strings.TrimSpace(period), 64)
	if err != nil {
		return 0, fmt.Errorf("cpu period: %w", err)
	}
	if q <= 0 || p <= 0 {
		return 0, nil
	}
	return q / p, nil
}

// nvidiaSMIArgs asks for exactly the fields GPU holds, in its order.
var nvidiaSMIArgs = []string{
	"--query-gpu=index,name,memory.total,driver_version,compute_cap",
	"--format=csv,noheader,nounits",
}

// detectGPUs runs nvidia-smi if it is on PATH. No binary means no GPU and no note; a binary
// that fails (no driver loaded, say) gives no GPU and a note saying why.
func detectGPUs() ([]GPU, string) {
	path, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return []GPU{}, ""
	}
	// nvidia-smi can hang when a driver is wedged; a benchmark must not.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, nvidiaSMIArgs...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return []GPU{}, strings.TrimSpace("nvidia-smi: " + err.Error() + ": " + firstLine(stderr.String(), string(out)))
	}
	// Keep the lines that parsed; the note says which did not.
	gpus, err := ParseNvidiaSMI(string(out))
	if err != nil {
		return gpus, err.Error()
	}
	return gpus, ""
}

func firstLine(texts ...string) string {
	for _, t := range texts {
		if t = strings.TrimSpace(t); t != "" {
			line, _, _ := strings.Cut(t, "\n")
			return line
		}
	}
	return ""
}

// ParseNvidiaSMI parses the output of
// `nvidia-smi --query-gpu=index,name,memory.total,driver_version,compute_cap --format=csv,noheader,nounits`:
// one GPU a line, "0, NVIDIA H200, 143771, 570.86.15, 9.0". A field nvidia-smi reports as
// "[N/A]" or similar stays zero or empty; a line with the wrong number of fields is an error.
func ParseNvidiaSMI(out string) ([]GPU, error) {
	gpus := []GPU{}
	var errs []error
	for n, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		g, err := parseGPULine(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("nvidia-smi line %d: %w", n+1, err))
			continue
		}
		gpus = append(gpus, g)
	}
	return gpus, errors.Join(errs...)
}

func parseGPULine(line string) (GPU, error) {
	f := strings.Split(line, ",")
	if len(f) != 5 {
		return GPU{}, fmt.Errorf("want 5 comma-separated fields, got %d in %q", len(f), line)
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
		if strings.HasPrefix(f[i], "[") { // "[N/A]", "[Not Supported]"
			f[i] = ""
		}
	}
	idx, err := strconv.Atoi(f[0])
	if err != nil {
		return GPU{}, fmt.Errorf("index: %w", err)
	}
	g := GPU{Index: idx, Name: f[1], Driver: f[3], ComputeCapability: f[4]}
	if f[2] != "" {
		if g.MemoryMB, err = strconv.Atoi(f[2]); err != nil {
			return GPU{}, fmt.Errorf("memory.total: %w", err)
		}
	}
	return g, nil
}
