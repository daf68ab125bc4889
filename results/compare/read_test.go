package compare

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results"
)

func TestCompareFolders(t *testing.T) {
	dir := t.TempDir()
	oldVals, newVals := noisySamples(1, 10, 25000), noisySamples(2, 10, 20000)
	single := []string{
		writeCmpFile(t, filepath.Join(dir, "old.txt"), benchText(trainName, "c", oldVals, 0.985)),
		writeCmpFile(t, filepath.Join(dir, "new.txt"), benchText(trainName, "c", newVals, 0.985)),
	}
	// Old: one folder of two files (and a file that is not *.txt).
	writeCmpFile(t, filepath.Join(dir, "o", "a.txt"), benchText(trainName, "c", oldVals[:5], 0.985))
	writeCmpFile(t, filepath.Join(dir, "o", "b.txt"), benchText(trainName, "c", oldVals[5:], 0.985))
	writeCmpFile(t, filepath.Join(dir, "o", "notes.md"), "BenchmarkBroken x y\n")
	// New: two folders, one of them also named through its file.
	n1 := writeCmpFile(t, filepath.Join(dir, "n1", "r.txt"), benchText(trainName, "c", newVals[:4], 0.985))
	writeCmpFile(t, filepath.Join(dir, "n2", "r.txt"), benchText(trainName, "c", newVals[4:], 0.985))

	want := mustCompare(t, single[:1], single[1:], Options{})
	got := mustCompare(t, []string{filepath.Join(dir, "o")},
		[]string{filepath.Join(dir, "n1"), filepath.Join(dir, "n2"), n1}, Options{})
	if len(got.Rows) != len(want.Rows) {
		t.Fatalf("%d rows, want %d", len(got.Rows), len(want.Rows))
	}
	for i, g := range got.Rows {
		w := want.Rows[i]
		if g.Old.N != 10 || g.New.N != 10 || g.P != w.P || g.Old.Median != w.Old.Median || g.New.Median != w.New.Median {
			t.Errorf("%s: n=%d+%d p=%v medians %v %v, want n=10 p=%v medians %v %v",
				g.Unit, g.Old.N, g.New.N, g.P, g.Old.Median, g.New.Median, w.P, w.Old.Median, w.New.Median)
		}
	}

	if _, err := Compare([]string{t.TempDir()}, single[1:], Options{}); err == nil || !strings.Contains(err.Error(), "no *.txt files") {
		t.Errorf("empty folder: err %v", err)
	}
	if _, err := Compare([]string{filepath.Join(dir, "missing")}, single[1:], Options{}); err == nil {
		t.Error("missing path: no error")
	}
}

func TestCompareGoTestOutput(t *testing.T) {
	// `go test -bench` output: no unit metadata, a GOMAXPROCS suffix,
	// ns/op, B/op and allocs/op beside the reported metrics.
	gotest := func(nsPerOp float64, allocs int) string {
		var b strings.Builder
		b.WriteString("goos: linux\ngoarch: amd64\npkg: github.com/mirrorbench/mirrorbench\ncpu: c\n")
		for i, v := range noisySamples(uint64(allocs), 10, nsPerOp) {
			fmt.Fprintf(&b, "BenchmarkTrain/scenario=smoke/engine=native/devices=cpu/replicas=1-2   \t      20\t %.0f ns/op\t %.1f samples/s\t %.0f B/op\t %d allocs/op\n",
				v, 32e9/v, 4096.0+float64(i%2), allocs)
		}
		b.WriteString("PASS\nok  \tgithub.com/mirrorbench/mirrorbench\t12.3s\n")
		return b.String()
	}
	dir := t.TempDir()
	oldPath := writeCmpFile(t, filepath.Join(dir, "old.txt"), gotest(1e6, 10))
	newPath := writeCmpFile(t, filepath.Join(dir, "new.txt"), gotest(1.2e6, 12))
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, Options{})
	name := trainName + "-2"
	for _, tc := range []struct {
		unit    string
		better  int
		verdict string
	}{
		{tidySecPerOp, -1, VerdictRegression},
		{results.UnitSamplesPerSec, 1, VerdictRegression},
		{"B/op", -1, VerdictNoChange},
		{"allocs/op", -1, VerdictRegression},
	} {
		c := cmpRow(t, rep, name, tc.unit)
		if c.Better != tc.better || c.Verdict != tc.verdict {
			t.Errorf("%s: better %d verdict %q, want %d %q", tc.unit, c.Better, c.Verdict, tc.better, tc.verdict)
		}
	}
	if ns := cmpRow(t, rep, name, tidySecPerOp); math.Abs(ns.Old.Median-1e-3) > 2e-5 {
		t.Errorf("sec/op median %v, want about 1e-3 (1e6 ns)", ns.Old.Median)
	}
	if !rep.Failed {
		t.Error("a 20% slower go test run did not fail")
	}
}

func TestCompareBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeCmpFile(t, filepath.Join(dir, "good.txt"), benchText("A", "c", noisySamples(1, 5, 100), 0.9))
	bad := writeCmpFile(t, filepath.Join(dir, "bad.txt"), "goos: linux\nBenchmarkA 10 abc samples/s\n")
	if _, err := Compare([]string{good}, []string{bad}, Options{}); err == nil || !strings.Contains(err.Error(), "bad.txt:2:") {
		t.Errorf("syntax error: err %v, want one naming bad.txt:2", err)
	}
	empty := writeCmpFile(t, filepath.Join(dir, "empty.txt"), "goos: linux\n")
	if _, err := Compare([]string{empty}, []string{good}, Options{}); err == nil || !strings.Contains(err.Error(), "no benchmark results") {
		t.Errorf("no results: err %v", err)
	}
	for _, opt := range []Options{{Alpha: 1.5}, {Confidence: -1}, {Threshold: math.NaN()}, {AccuracyFloor: -0.1}} {
		if _, err := Compare([]string{good}, []string{good}, opt); err == nil {
			t.Errorf("options %+v accepted", opt)
		}
	}
}

func TestCompareConfigDiffers(t *testing.T) {
	dir := t.TempDir()
	oldPath := writeCmpFile(t, filepath.Join(dir, "old.txt"), benchText(trainName, "AMD EPYC", noisySamples(1, 10, 100), 0.9))
	newPath := writeCmpFile(t, filepath.Join(dir, "new.txt"), benchText(trainName, "Intel Xeon", noisySamples(2, 10, 100), 0.9))
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, Options{})
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], `"cpu" differs: old "AMD EPYC", new "Intel Xeon"`) {
		t.Errorf("warnings %q", rep.Warnings)
	}
	if len(rep.Rows) != 3 {
		t.Errorf("%d rows: a differing cpu must not split the rows", len(rep.Rows))
	}
}

// The files this package writes are what Compare reads.
func TestCompareReadsBenchFile(t *testing.T) {
	var records []*results.Record
	for i, sps := range noisySamples(5, 6, 2500) {
		records = append(records, &results.Record{
			Scenario: "smoke", Engine: "native", Devices: "cpu:0-1", Replicas: 2, Status: results.StatusOK,
			Epochs:     []results.Epoch{{Epoch: 1, TestAccuracy: 0.97 + 0.001*float64(i)}},
			Throughput: results.Throughput{SamplesPerSecond: sps, USPerSample: 1e6 / sps, Steps: 100},
		})
	}
	path := writeCmpFile(t, filepath.Join(t.TempDir(), "bench.txt"), string(results.BenchFile(records, "Test CPU")))
	rep := mustCompare(t, []string{path}, []string{path}, Options{})
	name := results.BenchName("smoke", "native", "cpu:0-1", 2)
	for unit, better := range map[string]int{results.UnitSamplesPerSec: 1, tidySecPerSample: -1, results.UnitTestAcc: 1} {
		if c := cmpRow(t, rep, name, unit); c.Better != better || c.Old.N != 6 || c.Verdict != VerdictNoChange {
			t.Errorf("%s: better %d n %d verdict %q", unit, c.Better, c.Old.N, c.Verdict)
		}
	}
}
