package hardware

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// SgemmFunc computes C = A·B for row-major float32 matrices, A m×k, B k×n, C m×n, on the
// calling goroutine (single-threaded: Calibrate supplies the parallelism).
type SgemmFunc func(m, n, k int, a, b, c []float32)

// Calibration is what this host achieved on the micro-benchmarks.
type Calibration struct {
	// SgemmGFLOPS maps a thread count T to the summed throughput of T goroutines, each running
	// the kernel on its own matrices. T independent copies measure how the kernel scales with
	// cores (shared caches, memory bandwidth, SMT) without depending on how it splits work.
	SgemmGFLOPS     map[int]float64 `json:"sgemm_gflops"`
	SgemmShape      string          `json:"sgemm_shape"`
	CopyGBs         float64         `json:"copy_gbs"`  // STREAM copy, all GOMAXPROCS goroutines
	TriadGBs        float64         `json:"triad_gbs"` // STREAM triad, all GOMAXPROCS goroutines
	Kernel          string          `json:"kernel"`
	Seconds         float64         `json:"seconds"` // wall time the calibration took
	HostFingerprint string          `json:"host_fingerprint"`
	CachedAt        string          `json:"cached_at,omitempty"` // RFC 3339, set when written to the cache
}

// The dense layer's forward GEMM at batch 32: [32×5408]·[5408×128]. With its two backward
// siblings it holds 84 % of the model's arithmetic and 99.7 % of its weights: the kernel
// worth calibrating.
const (
	sgemmM = DefaultBatch
	sgemmN = hiddenSize
	sgemmK = flatSize
)

// DefaultCalibrationBudget is the wall time Calibrate aims for when given none.
const DefaultCalibrationBudget = 2 * time.Second

// calibrationBudget is what CachedCalibration spends; tests shorten it.
var calibrationBudget = DefaultCalibrationBudget

// streamElems is the length of each memory-benchmark array: 4 Mi float64 = 32 MiB, so copy
// touches 64 MiB and triad 96 MiB, more than the L3 of most hosts: the figure is mostly DRAM
// bandwidth. On hosts with a larger last-level cache it is partly cache bandwidth.
var streamElems = 4 << 20

// Calibrate times sgemm on the dense layer's shape at each thread count (default: 1 and
// GOMAXPROCS), then memory copy and triad bandwidth. Half the budget (default 2 s) goes to
// the kernel, split evenly over the thread counts, half to memory. Each measurement runs at
// least once after a warm-up call, so a slow kernel can overrun a small budget. A nil sgemm
// measures memory only. HostFingerprint is filled from CPUID; CachedAt is left empty.
func Calibrate(kernelName string, sgemm SgemmFunc, threads []int, budget time.Duration) Calibration {
	if budget <= 0 {
		budget = DefaultCalibrationBudget
	}
	threads = normalizeThreads(threads)
	start := time.Now()
	c := Calibration{
		SgemmGFLOPS:     map[int]float64{},
		SgemmShape:      fmt.Sprintf("m=%d n=%d k=%d", sgemmM, sgemmN, sgemmK),
		Kernel:          kernelName,
		HostFingerprint: cpuHost().Fingerprint(),
	}
	if sgemm != nil {
		per := budget / 2 / time.Duration(len(threads))
		for _, t := range threads {
			c.SgemmGFLOPS[t] = timeSgemm(sgemm, t, per)
		}
	}
	c.CopyGBs, c.TriadGBs = timeStream(budget / 2)
	c.Seconds = time.Since(start).Seconds()
	return c
}

// normalizeThreads sorts, deduplicates and drops non-positive counts; none means 1 and
// GOMAXPROCS.
func normalizeThreads(threads []int) []int {
	var out []int
	for _, t := range threads {
		if t > 0 {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		out = []int{1, runtime.GOMAXPROCS(0)}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// timeSgemm runs `threads` goroutines, each on its own matrices, for about d after a common
// start, and returns their summed GFLOP/s.
func timeSgemm(sgemm SgemmFunc, threads int, d time.Duration) float64 {
	const flops = 2 * sgemmM * sgemmN * sgemmK
	rates := make([]float64, threads)
	var ready, done sync.WaitGroup
	ready.Add(threads)
	done.Add(threads)
	start := make(chan struct{})
	for i := range threads {
		go func() {
			defer done.Done()
			a, b, c := sgemmOperands(i)
			sgemm(sgemmM, sgemmN, sgemmK, a, b, c) // warm-up: page faults, caches, lazy init
			ready.Done()
			<-start
			t0 := time.Now()
			n := 0
			for n == 0 || time.Since(t0) < d {
				sgemm(sgemmM, sgemmN, sgemmK, a, b, c)
				n++
			}
			rates[i] = float64(n) * flops / time.Since(t0).Seconds() / 1e9
		}()
	}
	ready.Wait() // every goroutine warm: the timed loops overlap fully
	close(start)
	done.Wait()
	var sum float64
	for _, r := range rates {
		sum += r
	}
	return sum
}

// sgemmOperands returns A, B, C for the calibration shape, filled with small values that
// depend on seed (no NaNs, no denormals, nothing a kernel could shortcut).
func sgemmOperands(seed int) (a, b, c []float32) {
	a = make([]float32, sgemmM*sgemmK)
	b = make([]float32, sgemmK*sgemmN)
	c = make([]float32, sgemmM*sgemmN)
	for i := range a {
		a[i] = float32((i+seed)%17) / 17
	}
	for i := range b {
		b[i] = float32((i*7+seed)%13)/13 - 0.5
	}
	return a, b, c
}

// timeStream measures STREAM copy (b = a) and triad (a = b + s·c) bandwidth with all
// GOMAXPROCS goroutines, alternating the two for about d, and keeps each one's best pass, as
// STREAM does. Bytes count as STREAM counts them: 16 per element for copy, 24 for triad
// (write-allocate traffic is not counted).
func timeStream(d time.Duration) (copyGBs, triadGBs float64) {
	n := streamElems
	a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
	parallel(n, func(lo, hi int) { // touch every page before timing
		for i := lo; i < hi; i++ {
			a[i], b[i], c[i] = 1, 2, 0.5
		}
	})
	copyPass := func(lo, hi int) { copy(b[lo:hi], a[lo:hi]) }
	triadPass := func(lo, hi int) {
		const s = 3.0
		aa, bb, cc := a[lo:hi], b[lo:hi], c[lo:hi]
		bb, cc = bb[:len(aa)], cc[:len(aa)] // lets the compiler drop bounds checks
		for i := range aa {
			aa[i] = bb[i] + s*cc[i]
		}
	}
	var bestCopy, bestTriad time.Duration
	t0 := time.Now()
	for bestCopy == 0 || time.Since(t0) < d {
		bestCopy = best(bestCopy, timed(func() { parallel(n, copyPass) }))
		bestTriad = best(bestTriad, timed(func() { parallel(n, triadPass) }))
	}
	return 16 * float64(n) / bestCopy.Seconds() / 1e9, 24 * float64(n) / bestTriad.Seconds() / 1e9
}

// parallel splits [0, n) into GOMAXPROCS contiguous chunks and runs f on each concurrently.
func parallel(n int, f func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for i := range w {
		lo, hi := n*i/w, n*(i+1)/w
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}

func timed(f func()) time.Duration {
	t0 := time.Now()
	f()
	return time.Since(t0)
}

// best keeps the shorter duration; 0 means "none yet".
func best(cur, d time.Duration) time.Duration {
	if cur == 0 || d < cur {
		return d
	}
	return cur
}

// CachedCalibration returns the calibration cached in dir for this host and kernel, or
// calibrates (DefaultCalibrationBudget) and caches the result. dir "" means
// os.UserCacheDir()/mirrorbench. The cache key is the host fingerprint plus the kernel name;
// a cached entry that lacks one of the requested thread counts is measured again. The file
// is written atomically (temporary file + rename), so a concurrent reader never sees half of
// it. When only writing fails, the fresh calibration is returned with the error.
func CachedCalibration(dir string, h Host, kernelName string, sgemm SgemmFunc, threads []int) (Calibration, error) {
	threads = normalizeThreads(threads)
	fp := h.Fingerprint()
	dir, dirErr := cacheDir(dir)
	path := filepath.Join(dir, "calibration-"+fp+"-"+fileSafe(kernelName)+".json")
	if dirErr == nil {
		if c, err := readCalibration(path); err == nil && c.covers(fp, kernelName, threads) {
			return c, nil
		}
	}
	c := Calibrate(kernelName, sgemm, threads, calibrationBudget)
	c.HostFingerprint = fp
	c.CachedAt = time.Now().UTC().Format(time.RFC3339)
	if dirErr != nil {
		return c, dirErr
	}
	if err := writeJSONAtomic(path, c); err != nil {
		return c, fmt.Errorf("hardware: caching calibration: %w", err)
	}
	return c, nil
}

func cacheDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("hardware: no cache directory: %w", err)
	}
	return filepath.Join(base, "mirrorbench"), nil
}

// covers reports whether c answers a request; the file name alone is not trusted, because
// fileSafe can map two kernel names to one name.
func (c Calibration) covers(fp, kernel string, threads []int) bool {
	if c.HostFingerprint != fp || c.Kernel != kernel {
		return false
	}
	for _, t := range threads {
		if _, ok := c.SgemmGFLOPS[t]; !ok {
			return false
		}
	}
	return true
}

// fileSafe keeps letters, digits, '.', '-' and '_' and replaces the rest with '_'.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

func readCalibration(path string) (Calibration, error) {
	var c Calibration
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	err = json.Unmarshal(b, &c)
	return c, err
}

// writeJSONAtomic writes v to a temporary file in path's directory and renames it over path.
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".calibration-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
