package hardware

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// naiveSgemm is the simplest correct kernel: i-k-j order so the inner loop streams rows.
func naiveSgemm(m, n, k int, a, b, c []float32) {
	for i := range m {
		ci := c[i*n : i*n+n]
		clear(ci)
		for p := range k {
			aip := a[i*k+p]
			bp := b[p*n : p*n+n]
			for j := range ci {
				ci[j] += aip * bp[j]
			}
		}
	}
}

func TestNaiveSgemm(t *testing.T) {
	// [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
	c := make([]float32, 4)
	naiveSgemm(2, 2, 2, []float32{1, 2, 3, 4}, []float32{5, 6, 7, 8}, c)
	if c[0] != 19 || c[1] != 22 || c[2] != 43 || c[3] != 50 {
		t.Fatalf("naiveSgemm = %v", c)
	}
}

// smallStream shrinks the memory benchmark's arrays for the test's duration.
func smallStream(t *testing.T) {
	old := streamElems
	streamElems = 1 << 20
	t.Cleanup(func() { streamElems = old })
}

func TestCalibrate(t *testing.T) {
	smallStream(t)
	start := time.Now()
	c := Calibrate("naive-go", naiveSgemm, []int{2, 1, 1, 0}, 200*time.Millisecond)
	t.Logf("calibration: %+v (%.2f s wall)", c, time.Since(start).Seconds())
	if len(c.SgemmGFLOPS) != 2 || c.SgemmGFLOPS[1] <= 0 || c.SgemmGFLOPS[2] <= 0 {
		t.Errorf("SgemmGFLOPS = %v, want positive figures for threads 1 and 2 only", c.SgemmGFLOPS)
	}
	if c.CopyGBs <= 0 || c.TriadGBs <= 0 {
		t.Errorf("copy %g GB/s, triad %g GB/s: want both positive", c.CopyGBs, c.TriadGBs)
	}
	if c.Kernel != "naive-go" || c.SgemmShape != "m=32 n=128 k=5408" || c.HostFingerprint != Detect().Fingerprint() {
		t.Errorf("kernel %q, shape %q, fingerprint %q", c.Kernel, c.SgemmShape, c.HostFingerprint)
	}
	if c.Seconds <= 0 || c.Seconds > 5 {
		t.Errorf("Seconds = %g, want (0, 5]", c.Seconds)
	}
}

func TestCachedCalibration(t *testing.T) {
	smallStream(t)
	old := calibrationBudget
	calibrationBudget = 50 * time.Millisecond
	t.Cleanup(func() { calibrationBudget = old })

	var calls atomic.Int64
	counting := func(m, n, k int, a, b, c []float32) { calls.Add(1); naiveSgemm(m, n, k, a, b, c) }
	dir := t.TempDir()
	h := Host{CPUModel: "Test CPU", Threads: 2, Arch: "amd64"}

	first, err := CachedCalibration(dir, h, "naive/go", counting, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() == 0 || first.HostFingerprint != h.Fingerprint() || first.CachedAt == "" {
		t.Fatalf("first call: %d sgemm calls, %+v", calls.Load(), first)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 || filepath.Base(files[0]) != "calibration-"+h.Fingerprint()+"-naive_go.json" {
		t.Fatalf("cache dir holds %v, want exactly one calibration file and no temporary", files)
	}

	calls.Store(0)
	second, err := CachedCalibration(dir, h, "naive/go", counting, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 || second.CachedAt != first.CachedAt || second.SgemmGFLOPS[1] != first.SgemmGFLOPS[1] {
		t.Errorf("second call ran the kernel %d times or changed the result: %+v vs %+v", calls.Load(), second, first)
	}

	// A thread count the cache lacks, another kernel or another host means measuring again.
	for name, run := range map[string]func() (Calibration, error){
		"threads": func() (Calibration, error) { return CachedCalibration(dir, h, "naive/go", counting, []int{1, 2}) },
		"kernel":  func() (Calibration, error) { return CachedCalibration(dir, h, "naive?go", counting, []int{1}) },
		"host": func() (Calibration, error) {
			other := h
			other.Threads = 4
			return CachedCalibration(dir, other, "naive/go", counting, []int{1})
		},
	} {
		calls.Store(0)
		if _, err := run(); err != nil || calls.Load() == 0 {
			t.Errorf("%s: err %v, %d kernel calls; want a fresh calibration", name, err, calls.Load())
		}
	}

	// A corrupt cache file is replaced, not trusted.
	path := filepath.Join(dir, "calibration-"+h.Fingerprint()+"-naive_go.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	calls.Store(0)
	if _, err := CachedCalibration(dir, h, "naive/go", counting, []int{1}); err != nil || calls.Load() == 0 {
		t.Errorf("corrupt cache: err %v, %d kernel calls", err, calls.Load())
	}
}

func TestNormalizeThreads(t *testing.T) {
	got := normalizeThreads([]int{4, 1, 0, -2, 4, 2})
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 4 {
		t.Errorf("normalizeThreads = %v, want [1 2 4]", got)
	}
	if got := normalizeThreads(nil); len(got) == 0 || got[0] != 1 {
		t.Errorf("normalizeThreads(nil) = %v, want [1 GOMAXPROCS]", got)
	}
}
