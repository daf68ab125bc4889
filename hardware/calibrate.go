package hardware

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// SgemmFunc computes C = A·B for row-major float32 matrices, A m×k, B k×n, C m×n, on the
// calling goroutine (single-threaded: Calibrate supplies the parallelism).
type SgemmFunc func(m, n, k int, a, b, c []float32)

// Kernel is the matrix multiply a calibration times, handed in by the caller with the shape
// worth timing (this package knows no trainer and no model).
type Kernel struct {
	Name    string // e.g. the kernel path, "avx512"; part of the cache key
	Sgemm   SgemmFunc
	M, N, K int
}

func (k Kernel) shape() string { return fmt.Sprintf("m=%d n=%d k=%d", k.M, k.N, k.K) }

// Calibration is what this host achieved on the micro-benchmarks.
type Calibration struct {
	// SgemmGFLOPS maps a thread count T to the summed throughput of T goroutines, each running
	// the kernel on its own matrices. T independent copies measure how the kernel scales with
	// cores (shared caches, memory bandwidth, SMT) without depending on how it splits work.
	SgemmGFLOPS map[int]float64 `json:"sgemm_gflops"`
	// SgemmSpread maps a thread count to (best - worst) / best over the calibration's
	// bursts: how steady the machine was while it was measured.
	SgemmSpread     map[int]float64 `json:"sgemm_spread,omitempty"`
	SgemmShape      string          `json:"sgemm_shape"`
	CopyGBs         float64         `json:"copy_gbs"`  // STREAM copy, all GOMAXPROCS goroutines
	TriadGBs        float64         `json:"triad_gbs"` // STREAM triad, all GOMAXPROCS goroutines
	Kernel          string          `json:"kernel"`
	Seconds         float64         `json:"seconds"` // wall time the calibration took
	HostFingerprint string          `json:"host_fingerprint"`
	CachedAt        string          `json:"cached_at,omitempty"` // RFC 3339, set when written to the cache
}

// DefaultCalibrationBudget is the wall time Calibrate aims for when given none.
const DefaultCalibrationBudget = 2 * time.Second

// streamElems is the length of each memory-benchmark array: 4 Mi float64 = 32 MiB, so copy
// touches 64 MiB and triad 96 MiB, more than the L3 of most hosts: the figure is mostly DRAM
// bandwidth. On hosts with a larger last-level cache it is partly cache bandwidth.
var streamElems = 4 << 20

// Calibrate times the kernel on its shape at each thread count (default: 1 and GOMAXPROCS),
// then memory copy and triad bandwidth. Half the budget (default 2 s) goes to the kernel,
// split evenly over the thread counts, half to memory. Each measurement runs at least once
// after a warm-up call, so a slow kernel can overrun a small budget. A nil Sgemm measures
// memory only. HostFingerprint is filled from CPUID; CachedAt is left empty.
func Calibrate(k Kernel, threads []int, budget time.Duration) Calibration {
	if budget <= 0 {
		budget = DefaultCalibrationBudget
	}
	threads = NormalizeThreads(threads)
	start := time.Now()
	c := Calibration{
		SgemmGFLOPS:     map[int]float64{},
		SgemmSpread:     map[int]float64{},
		SgemmShape:      k.shape(),
		Kernel:          k.Name,
		HostFingerprint: cpuHost().Fingerprint(),
	}
	if k.Sgemm != nil {
		per := budget / 2 / time.Duration(len(threads)*calibrationBursts)
		for _, t := range threads {
			c.SgemmGFLOPS[t], c.SgemmSpread[t] = bestBurst(k, t, per)
		}
	}
	c.CopyGBs, c.TriadGBs = timeStream(budget / 2)
	c.Seconds = time.Since(start).Seconds()
	return c
}

// calibrationBursts is how many short bursts the kernel's time is split into. Other load
// on the machine only ever slows a burst down, so the best burst is the figure that a busy
// moment cannot poison (Chen and Revels, "Robust benchmarking in noisy environments", 2016).
const calibrationBursts = 5

// bestBurst times calibrationBursts bursts of about d each and returns the best rate and the
// bursts' spread, (best - worst) / best.
func bestBurst(k Kernel, threads int, d time.Duration) (best, spread float64) {
	worst := math.Inf(1)
	for range calibrationBursts {
		r := timeSgemm(k, threads, d)
		best, worst = max(best, r), min(worst, r)
	}
	if best <= 0 {
		return 0, 0
	}
	return best, (best - worst) / best
}

// NormalizeThreads sorts, deduplicates and drops non-positive counts; none means 1 and
// GOMAXPROCS.
func NormalizeThreads(threads []int) []int {
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
func timeSgemm(k Kernel, threads int, d time.Duration) float64 {
	flops := 2 * float64(k.M) * float64(k.N) * float64(k.K)
	rates := make([]float64, threads)
	var ready, done sync.WaitGroup
	ready.Add(threads)
	done.Add(threads)
	start := make(chan struct{})
	for i := range threads {
		go func() {
			defer done.Done()
			a, b, c := sgemmOperands(k, i)
			k.Sgemm(k.M, k.N, k.K, a, b, c) // warm-up: page faults, caches, lazy init
			ready.Done()
			<-start
			t0 := time.Now()
			n := 0
			for n == 0 || time.Since(t0) < d {
				k.Sgemm(k.M, k.N, k.K, a, b, c)
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

// sgemmOperands returns A, B, C for the kernel's shape, filled with small values that
// depend on seed (no NaNs, no denormals, nothing a kernel could shortcut).
func sgemmOperands(k Kernel, seed int) (a, b, c []float32) {
	a = make([]float32, k.M*k.K)
	b = make([]float32, k.K*k.N)
	c = make([]float32, k.M*k.N)
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

// Covers reports whether c answers a request for this host fingerprint, kernel (name and
// shape) and thread counts: a cached calibration is only reused when it does.
func (c Calibration) Covers(fp string, k Kernel, threads []int) bool {
	if c.HostFingerprint != fp || c.Kernel != k.Name || c.SgemmShape != k.shape() {
		return false
	}
	for _, t := range threads {
		if _, ok := c.SgemmGFLOPS[t]; !ok {
			return false
		}
	}
	return true
}
