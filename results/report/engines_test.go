package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/internal/golden"
)

// engineRecords: native and pytorch at 1 thread (pytorch twice), 2 threads
// and 2 replicas, and a skipped GPU run.
func engineRecords() []*results.Record {
	torch := &results.Framework{Name: "pytorch", Versions: map[string]string{"torch": "1.13.0", "python": "3.11.2", "blas": "openblas 0.3.21"}}
	rec := func(engine string, replicas, threads int, us float64) *results.Record {
		r := &results.Record{Scenario: engine + "-x", Engine: engine, Devices: "cpu", Replicas: replicas, ThreadsPerReplica: threads, Status: results.StatusOK}
		r.Throughput.USPerSample = us
		if engine == "pytorch" {
			r.Framework = torch
		}
		return r
	}
	return []*results.Record{
		rec("native", 1, 1, 100), rec("pytorch", 1, 1, 800), rec("pytorch", 1, 1, 900),
		rec("native", 1, 2, 60), rec("pytorch", 1, 2, 500),
		rec("native", 2, 1, 55), rec("pytorch", 2, 1, 450),
		{Scenario: "pytorch-mirrored-gpu2", Engine: "pytorch", Devices: "gpu:0,1", Replicas: 2, Status: results.StatusSkipped, Reason: "torch sees 0 CUDA GPU(s)"},
	}
}

// The side-by-side table, whole, as text and Markdown, against
// testdata/engines.*; go test -update rewrites them.
func TestEnginesGolden(t *testing.T) {
	for _, tc := range []struct {
		file     string
		markdown bool
	}{{"engines.txt", false}, {"engines.md", true}} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteEngines(&buf, engineRecords(), tc.markdown); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tc.file, buf.Bytes())
		})
	}
}

// The figures that matter, independent of layout: speed-ups and scaling.
func TestEnginesFigures(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteEngines(&buf, engineRecords(), true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"| 1 thread ", "| 850.0 [800.0-900.0] (n=2) ", "| 8.50x ", // median of 800 and 900, over native's 100
		"| 2 replicas x 1 thread ", "| 8.18x ", // 450 / 55
		"native against its own 1 thread (samples/s over cores x 1-thread samples/s): 2 threads 83%, 2 replicas x 1 thread 91%",
		"pytorch against its own 1 thread (samples/s over cores x 1-thread samples/s): 2 threads 85%, 2 replicas x 1 thread 94%",
		"pytorch-mirrored-gpu2 (pytorch) left out: skipped torch sees 0 CUDA GPU(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if err := WriteEngines(&buf, engineRecords()[7:], false); err == nil {
		t.Error("no error for records without a measured speed")
	}
}
