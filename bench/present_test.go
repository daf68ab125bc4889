package bench

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mirrorbench/mirrorbench/results"
)

// Off a terminal the summary table is full width, unless $COLUMNS sets
// one; a file is no terminal either.
func TestSummaryColumns(t *testing.T) {
	t.Setenv("COLUMNS", "")
	if got := summaryColumns(&bytes.Buffer{}); got != 0 {
		t.Errorf("a buffer, no COLUMNS: %d, want 0 (full table)", got)
	}
	f, err := os.Create(t.TempDir() + "/out.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := summaryColumns(f); got != 0 {
		t.Errorf("a file: %d, want 0", got)
	}
	for env, want := range map[string]int{"100": 100, "0": 0, "-3": 0, "wide": 0} {
		t.Setenv("COLUMNS", env)
		if got := summaryColumns(&bytes.Buffer{}); got != want {
			t.Errorf("COLUMNS=%q: %d, want %d", env, got, want)
		}
	}
}

// With COLUMNS=100 no line of the summary of a reference run is wider
// than 100; Markdown stays the full table, one row a line.
func TestWriteSummaryColumns(t *testing.T) {
	rec := &results.Record{
		SchemaVersion: results.SchemaVersion, Scenario: "reference-cpu1", Engine: "native", Strategy: "single",
		Devices: "cpu:1", Replicas: 1, GlobalBatch: 32, Seed: 1, Status: results.StatusOK, Reference: "keras-mnist-mirrored",
		Epochs:     []results.Epoch{{Epoch: 5, TestAccuracy: 0.9875, SamplesPerSecond: 26115}},
		Targets:    []results.TargetResult{{Metric: "test_accuracy", Min: 0.985, ByEpoch: 5, Reached: true, Epoch: 3, Seconds: 7.3}},
		Throughput: results.Throughput{SamplesPerSecond: 26115, USPerSample: 38.3},
		Efficiency: &results.Efficiency{ShareOfPeak: 0.53},
	}
	t.Setenv("COLUMNS", "100")
	var text, md bytes.Buffer
	if err := WriteSummary(&text, []*results.Record{rec}, false); err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(text.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("line of %d columns: %s", n, line)
		}
	}
	if !strings.Contains(text.String(), "keras-mnist-mirrored") {
		t.Errorf("no reported row:\n%s", text.String())
	}
	if err := WriteSummary(&md, []*results.Record{rec}, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| vs reported (speed, acc) |") || strings.Count(md.String(), "\n") != 4 {
		t.Errorf("Markdown is not the full table:\n%s", md.String())
	}
}
