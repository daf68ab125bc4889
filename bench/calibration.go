package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// calibrationBudget is what a fresh calibration spends; tests shorten it.
var calibrationBudget = hardware.DefaultCalibrationBudget

// Calibrate measures the native engine's own sgemm on the dense layer's shape
// at 1 and all threads, and memory bandwidth, or reads them from the per-user
// cache, and attaches the result to h. The cache key names the host, the
// kernel path and the build's commit, so a changed kernel is measured anew.
// When the cache cannot be read or written, h is left without one and the
// error says why.
func Calibrate(h *hardware.Host, build results.Build) error {
	c, err := cachedCalibration("", *h, nativeKernel(build), []int{1, h.GOMAXPROCS})
	if err != nil {
		return err
	}
	h.Calibration = &c
	return nil
}

// Recalibrate forgets the cached calibration of this host, kernel and build,
// then calibrates as Calibrate does.
func Recalibrate(h *hardware.Host, build results.Build) error {
	if err := forgetCalibration("", *h, nativeKernel(build)); err != nil {
		return err
	}
	return Calibrate(h, build)
}

// forgetCalibration removes the cached calibration of h and k, if any: the
// next Calibrate measures anew.
func forgetCalibration(dir string, h hardware.Host, k hardware.Kernel) error {
	path, err := calibrationPath(dir, h, k)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// calibrationPath is where the calibration of h and k is cached.
func calibrationPath(dir string, h hardware.Host, k hardware.Kernel) (string, error) {
	dir, err := calibrationDir(dir)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "calibration-"+h.Fingerprint()+"-"+fileSafe(k.Name)+".json"), nil
}

// nativeKernel is the native engine's single-threaded C = A·B on the shape
// worth calibrating: the dense layer's forward GEMM at Keras's default batch.
func nativeKernel(build results.Build) hardware.Kernel {
	name := kernels.Path()
	if commit := build.GitCommit; len(commit) >= 12 {
		name += "@" + commit[:12]
	}
	m, n, k := trainer.DenseGEMM(scenarios.KerasBatch)
	return hardware.Kernel{Name: name, M: m, N: n, K: k, Sgemm: func(m, n, k int, a, b, c []float32) {
		kernels.SgemmNN(m, n, k, a, k, b, n, c, n, false)
	}}
}

// cachedCalibration returns the calibration cached in dir for this host and
// kernel, or calibrates and caches the result. dir "" means
// os.UserCacheDir()/mirrorbench. A cached entry that lacks one of the
// requested thread counts is measured again. When only writing fails, the
// fresh calibration is returned with the error.
func cachedCalibration(dir string, h hardware.Host, k hardware.Kernel, threads []int) (hardware.Calibration, error) {
	threads = hardware.NormalizeThreads(threads)
	fp := h.Fingerprint()
	path, dirErr := calibrationPath(dir, h, k)
	if dirErr == nil {
		if c, err := readCalibration(path); err == nil && c.Covers(fp, k, threads) {
			return c, nil
		}
	}
	c := hardware.Calibrate(k, threads, calibrationBudget)
	c.HostFingerprint = fp
	c.CachedAt = time.Now().UTC().Format(time.RFC3339)
	if dirErr != nil {
		return c, dirErr
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err == nil { // a fresh machine has no cache folder yet
		err = os.MkdirAll(filepath.Dir(path), 0o755)
	}
	if err == nil {
		err = results.WriteFileAtomic(path, append(data, '\n'))
	}
	if err != nil {
		return c, fmt.Errorf("hardware: caching calibration: %w", err)
	}
	return c, nil
}

func calibrationDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("hardware: no cache directory: %w", err)
	}
	return filepath.Join(base, "mirrorbench"), nil
}

func readCalibration(path string) (hardware.Calibration, error) {
	var c hardware.Calibration
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	err = json.Unmarshal(b, &c)
	return c, err
}

// fileSafe keeps letters, digits, '.', '-' and '_' and replaces the rest with
// '_'. Two kernel names can map to one file name, which is why a cached entry
// is only trusted when it Covers the request.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}
