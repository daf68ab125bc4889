package bench

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// A calibration is measured once per host, kernel and thread counts, then
// read from the cache; anything else measures again.
func TestCachedCalibration(t *testing.T) {
	old := calibrationBudget
	calibrationBudget = 50 * time.Millisecond
	t.Cleanup(func() { calibrationBudget = old })

	var calls atomic.Int64
	kernel := func(name string) hardware.Kernel {
		return hardware.Kernel{Name: name, M: 8, N: 16, K: 32, Sgemm: func(m, n, k int, a, b, c []float32) {
			calls.Add(1)
			kernels.SgemmNN(m, n, k, a, k, b, n, c, n, false)
		}}
	}
	dir := t.TempDir()
	h := hardware.Host{CPUModel: "Test CPU", Threads: 2, Arch: "amd64"}

	first, err := cachedCalibration(dir, h, kernel("naive/go"), []int{1})
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
	second, err := cachedCalibration(dir, h, kernel("naive/go"), []int{1})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 || second.CachedAt != first.CachedAt || second.SgemmGFLOPS[1] != first.SgemmGFLOPS[1] {
		t.Errorf("second call ran the kernel %d times or changed the result: %+v vs %+v", calls.Load(), second, first)
	}

	// A thread count the cache lacks, another kernel or another host means measuring again.
	other := h
	other.Threads = 4
	for name, run := range map[string]func() (hardware.Calibration, error){
		"threads": func() (hardware.Calibration, error) {
			return cachedCalibration(dir, h, kernel("naive/go"), []int{1, 2})
		},
		"kernel": func() (hardware.Calibration, error) { return cachedCalibration(dir, h, kernel("naive?go"), []int{1}) },
		"host": func() (hardware.Calibration, error) {
			return cachedCalibration(dir, other, kernel("naive/go"), []int{1})
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
	if _, err := cachedCalibration(dir, h, kernel("naive/go"), []int{1}); err != nil || calls.Load() == 0 {
		t.Errorf("corrupt cache: err %v, %d kernel calls", err, calls.Load())
	}
}

// On a fresh machine the cache folder does not exist yet: the first
// calibration creates it (os.UserCacheDir()/mirrorbench under a new HOME).
func TestCalibrationCreatesItsFolder(t *testing.T) {
	old := calibrationBudget
	calibrationBudget = 10 * time.Millisecond
	t.Cleanup(func() { calibrationBudget = old })
	dir := filepath.Join(t.TempDir(), ".cache", "mirrorbench")
	k := hardware.Kernel{Name: "naive/go", M: 8, N: 16, K: 32, Sgemm: func(m, n, k int, a, b, c []float32) {
		kernels.SgemmNN(m, n, k, a, k, b, n, c, n, false)
	}}
	h := hardware.Host{CPUModel: "Test CPU", Threads: 2, Arch: "amd64"}
	if _, err := cachedCalibration(dir, h, k, []int{1}); err != nil {
		t.Fatalf("first calibration in a folder that does not exist yet: %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "calibration-*.json")); len(files) != 1 {
		t.Errorf("cache folder holds %v, want one calibration file", files)
	}
}
