package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results"
)

// A framework run's summary says which phases it did not time apart, old
// framework records (zeros) as new ones (null); native runs, whose every
// phase is measured, get no such line.
func TestSummaryMarksUnmeasuredPhases(t *testing.T) {
	native := run("reference-cpu1", 0.985, 38)
	native.Timing = results.Timing{ComputeSeconds: 7, AllReduceSeconds: results.Measured(0),
		OptimizerSeconds: results.Measured(1), DataSeconds: results.Measured(0.1)}
	fw := run("pytorch-cpu1", 0.985, 190)
	fw.Engine = "pytorch"
	fw.Framework = &results.Framework{Name: "pytorch", Backend: results.BackendNone}
	fw.Timing = results.Timing{ComputeSeconds: 35}
	old := run("pytorch-mirrored-cpu2", 0.985, 120) // before null: zeros
	old.Engine, old.Devices, old.Replicas = "pytorch", "cpu:0-1", 2
	old.Framework = &results.Framework{Name: "pytorch", Backend: "gloo"}
	old.Timing = results.Timing{ComputeSeconds: 22, AllReduceSeconds: results.Measured(0),
		OptimizerSeconds: results.Measured(0), DataSeconds: results.Measured(0)}

	var buf bytes.Buffer
	if err := WriteSummary(&buf, []*results.Record{native, fw, fw, old}, nil, false); err != nil {
		t.Fatal(err)
	}
	want := "  timing: pytorch-cpu1, pytorch-mirrored-cpu2 (engine pytorch) timed each step whole, booked as compute; data, all-reduce, optimizer not measured separately\n"
	if got := buf.String(); !strings.HasSuffix(got, want) || strings.Count(got, "timing:") != 1 {
		t.Errorf("summary does not end with the one timing note:\n%s\nwant the last line:\n%s", got, want)
	}

	buf.Reset()
	if err := WriteSummary(&buf, []*results.Record{native}, nil, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "timing:") {
		t.Errorf("a native run, every phase measured, has a timing note:\n%s", buf.String())
	}
}
