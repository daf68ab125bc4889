package compare

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
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
	// No cpu-ns/sample or ns/sample: judged on sec/op.
	c := cmpRow(t, rep, name, tidySecPerOp)
	if c.Better != -1 || c.Verdict != VerdictRegression {
		t.Errorf("sec/op: better %d verdict %q, want -1 regression", c.Better, c.Verdict)
	}
	if math.Abs(c.Old.Median-1e-3) > 2e-5 {
		t.Errorf("sec/op median %v, want about 1e-3 (1e6 ns)", c.Old.Median)
	}
	if want := []string{results.UnitSamplesPerSec, "B/op", "allocs/op"}; !slices.Equal(rep.AlsoMeasured, want) {
		t.Errorf("also measured %q, want %q", rep.AlsoMeasured, want)
	}
	if !rep.Failed {
		t.Error("a 20% slower go test run did not fail")
	}
}

// The better direction of units without metadata: benchfmt's defaults,
// this project's units, and cpu-ns/sample.
func TestBetterOf(t *testing.T) {
	for unit, want := range map[string]int{
		tidySecPerOp: -1, "B/op": -1, "allocs/op": -1, results.UnitSamplesPerSec: 1,
		tidySecPerSample: -1, "cpu-sec/sample": -1, results.UnitTestAcc: 1, "widgets": 0,
	} {
		if got := betterOf(nil, unit); got != want {
			t.Errorf("betterOf(%q) = %d, want %d", unit, got, want)
		}
	}
}

// The verdict unit is the first of PreferredUnits both sides measured.
func TestChooseUnit(t *testing.T) {
	line := func(cpu bool, v float64) string {
		s := fmt.Sprintf("BenchmarkTrain-2 10 %.0f ns/op %.1f samples/s %.0f ns/sample", v*100, 1e9/v, v)
		if cpu {
			s += fmt.Sprintf(" %.0f cpu-ns/sample", 0.9*v)
		}
		return s + " 0.9 test-acc\n"
	}
	file := func(name string, cpu bool, seed uint64) string {
		var b strings.Builder
		for _, v := range noisySamples(seed, 6, 40000) {
			b.WriteString(line(cpu, v))
		}
		return writeCmpFile(t, filepath.Join(t.TempDir(), name), b.String())
	}
	withCPU, withCPU2, without := file("a.txt", true, 1), file("b.txt", true, 2), file("c.txt", false, 3)
	for _, tc := range []struct {
		old, new, unit string
		also           []string
	}{
		{withCPU, withCPU2, "cpu-sec/sample", []string{tidySecPerOp, results.UnitSamplesPerSec, tidySecPerSample}},
		// Results from before cpu-ns/sample: judged on what both have.
		{withCPU, without, tidySecPerSample, []string{tidySecPerOp, results.UnitSamplesPerSec, "cpu-sec/sample"}},
	} {
		rep := mustCompare(t, []string{tc.old}, []string{tc.new}, Options{})
		c := cmpRow(t, rep, "Train-2", tc.unit)
		if c.Better != -1 || c.Accuracy == nil || c.Accuracy.Old != 0.9 {
			t.Errorf("%s: better %d accuracy %+v", tc.unit, c.Better, c.Accuracy)
		}
		if !slices.Equal(rep.AlsoMeasured, tc.also) {
			t.Errorf("%s: also measured %q, want %q", tc.unit, rep.AlsoMeasured, tc.also)
		}
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
	if len(rep.Rows) != 1 {
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
	if c := cmpRow(t, rep, name, tidySecPerSample); c.Better != -1 || c.Old.N != 6 || c.Verdict != VerdictNoChange || c.Accuracy == nil {
		t.Errorf("better %d n %d verdict %q accuracy %+v", c.Better, c.Old.N, c.Verdict, c.Accuracy)
	}
}
