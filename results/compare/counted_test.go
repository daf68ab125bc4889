package compare

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCounted writes a counted file as bench/internal/counted does: names
// without the -N suffix, one line per benchmark.
func writeCounted(t *testing.T, name string, lines map[string][2]float64) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\ncounter: cachegrind, timed steps 1 and 2, difference\n")
	for _, bench := range []string{"reference-cpu1/engine=native/devices=cpu/replicas=1", "smoke/engine=native/devices=cpu/replicas=1"} {
		v, ok := lines[bench]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "BenchmarkTrain/scenario=%s \t1\t%.0f instr/sample\t%.0f est-cycles/sample\n", bench, v[0], v[1])
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func pairedWithCounts(t *testing.T, old, new map[string][2]float64, opt Options) *Report {
	t.Helper()
	opt.Paired = true
	return mustCompare(t,
		[]string{filepath.Join("testdata", "paired-old.txt"), writeCounted(t, "old.txt", old)},
		[]string{filepath.Join("testdata", "paired-new.txt"), writeCounted(t, "new.txt", new)}, opt)
}

// TestCountedVerdict: counted lines match the timed benchmarks by name less
// the GOMAXPROCS suffix; instr/sample beyond the count threshold fails,
// within it is reported, below CountNoise is no change; est-cycles never
// fails; benchmarks without a count are listed as judged on time alone;
// the timed rows are what they are without counts.
func TestCountedVerdict(t *testing.T) {
	const cpu1, smoke = "reference-cpu1/engine=native/devices=cpu/replicas=1", "smoke/engine=native/devices=cpu/replicas=1"
	old := map[string][2]float64{cpu1: {918000, 1000000}, smoke: {918000, 1000000}}
	timedOnly := mustCompare(t, []string{filepath.Join("testdata", "paired-old.txt")},
		[]string{filepath.Join("testdata", "paired-new.txt")}, Options{Paired: true})

	for _, tc := range []struct {
		name          string
		cpu1, smoke   float64 // new instr/sample
		cycles        float64 // new est-cycles/sample of both
		verdict1      string
		countedFailed bool
	}{
		{"same", 918000, 918001, 1000000, VerdictNoChange, false},
		{"+2%", 918000 * 1.02, 918000, 1000000, VerdictRegression, true},
		{"+0.2%: reported, passes", 918000 * 1.002, 918000, 1000000, VerdictRegression, false},
		{"-3%", 918000 * 0.97, 918000, 1000000, VerdictImprovement, false},
		{"cycles +20%: not judged", 918000, 918000, 1200000, VerdictNoChange, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := pairedWithCounts(t, old, map[string][2]float64{cpu1: {tc.cpu1, tc.cycles}, smoke: {tc.smoke, tc.cycles}}, Options{})
			if len(rep.Rows) != len(timedOnly.Rows) {
				t.Fatalf("%d timed rows with counts, %d without", len(rep.Rows), len(timedOnly.Rows))
			}
			for i := range rep.Rows {
				if a, b := rep.Rows[i], timedOnly.Rows[i]; a.Name != b.Name || a.Unit != b.Unit || a.Verdict != b.Verdict || a.P != b.P {
					t.Errorf("timed row %d differs with counts: %s %s %s, without %s %s %s", i, a.Name, a.Unit, a.Verdict, b.Name, b.Unit, b.Verdict)
				}
			}
			if len(rep.Counted) != 4 {
				t.Fatalf("%d counted rows, want 4: %+v", len(rep.Counted), rep.Counted)
			}
			c := rep.Counted[0]
			if !strings.HasSuffix(c.Name, "replicas=1-2") || c.Unit != UnitInstrPerSample || !c.Judged {
				t.Errorf("first counted row %s %s judged=%v: want the timed name and instr/sample", c.Name, c.Unit, c.Judged)
			}
			if c.Verdict != tc.verdict1 {
				t.Errorf("reference-cpu1 counted verdict %q, want %q (change %.3f%%)", c.Verdict, tc.verdict1, c.DeltaPct)
			}
			if got := len(rep.countedFailures()) > 0; got != tc.countedFailed {
				t.Errorf("counted failure %v, want %v", got, tc.countedFailed)
			}
			if rep.Failed != (tc.countedFailed || timedOnly.Failed) {
				t.Errorf("Failed %v, counted %v, timed %v", rep.Failed, tc.countedFailed, timedOnly.Failed)
			}
			if len(rep.TimeOnly) != 1 || !strings.Contains(rep.TimeOnly[0], "mirrored-cpu2") {
				t.Errorf("time only: %q, want mirrored-cpu2", rep.TimeOnly)
			}
			var text bytes.Buffer
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"counted: ", "timed: ", "judged on time alone", "counts cannot see", "avx2-fma"} {
				if !strings.Contains(text.String(), want) {
					t.Errorf("text lacks %q:\n%s", want, text.String())
				}
			}
			if tc.countedFailed && !strings.Contains(text.String(), "instr/sample (counted): ") {
				t.Errorf("text does not name the counted failure:\n%s", text.String())
			}
			var md bytes.Buffer
			if err := rep.WriteMarkdown(&md); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(md.String(), "| benchmark | unit | old | new | change | verdict |") {
				t.Errorf("markdown lacks the counted table:\n%s", md.String())
			}
		})
	}
}

// TestCountedAlone: files of counts only give counted rows and no timed
// ones; a regression fails, and the headline says Regression.
func TestCountedAlone(t *testing.T) {
	const cpu1 = "reference-cpu1/engine=native/devices=cpu/replicas=1"
	rep := mustCompare(t, []string{writeCounted(t, "o.txt", map[string][2]float64{cpu1: {1e6, 1e6}})},
		[]string{writeCounted(t, "n.txt", map[string][2]float64{cpu1: {1.01e6, 1e6}})}, Options{})
	if len(rep.Rows) != 0 || len(rep.Counted) != 2 || !rep.Failed {
		t.Fatalf("rows %d, counted %d, failed %v", len(rep.Rows), len(rep.Counted), rep.Failed)
	}
	if head, _ := rep.verdict(); head != "Regression" {
		t.Errorf("headline %q", head)
	}
	if d := rep.Counted[0].DeltaPct; math.Abs(d-1) > 1e-9 {
		t.Errorf("change %v%%, want 1%%", d)
	}
}

// TestCountedNoCountsUnchanged: without counted results nothing is said of
// counts (the timed report is as before).
func TestCountedNoCountsUnchanged(t *testing.T) {
	rep := mustCompare(t, []string{filepath.Join("testdata", "paired-old.txt")},
		[]string{filepath.Join("testdata", "paired-new.txt")}, Options{Paired: true})
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "counted") || rep.Counted != nil || rep.TimeOnly != nil {
		t.Errorf("a report without counts mentions them:\n%s", text.String())
	}
}
