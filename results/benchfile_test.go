package results

import (
	"runtime"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results/internal/golden"
)

// The benchmark file, whole, against testdata/benchfile.txt, with the
// host's goos and goarch written as GOOS and GOARCH. go test -update
// rewrites the file.
func TestBenchFileGolden(t *testing.T) {
	mirrored := sampleRecord()
	mirrored.Scenario, mirrored.Devices, mirrored.Replicas = "mirrored-cpu2", "cpu:0-1", 2
	mirrored.Throughput.SamplesPerSecond, mirrored.Throughput.USPerSample = 8000, 125
	missed := sampleRecord()
	missed.Scenario, missed.Status = "smoke-short", StatusTargetMissed
	missed.Targets[0].Reached = false
	// Runs without steady-state figures have no result line.
	failed := sampleRecord()
	failed.Scenario, failed.Status = "diverged", StatusFailed
	skipped := sampleRecord()
	skipped.Scenario, skipped.Status = "mirrored-gpu2", StatusSkipped
	out := string(BenchFile([]*Record{sampleRecord(), mirrored, missed, failed, skipped}, "Test CPU"))
	out = strings.NewReplacer("goos: "+runtime.GOOS+"\n", "goos: GOOS\n", "goarch: "+runtime.GOARCH+"\n", "goarch: GOARCH\n").Replace(out)
	golden.Check(t, "benchfile.txt", []byte(out))
}
