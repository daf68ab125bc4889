package compare

import (
	"bytes"
	"encoding/csv"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results/internal/golden"
)

// The golden reports, each format compared whole with testdata/NAME.*;
// go test -update rewrites them.
//
// report: unpaired, from old.txt and new.txt (the project's own bench
// files, with Unit metadata): a regression (smoke, 20% slower), an
// improvement (mirrored-cpu2), too few samples (reference-cpu1, 3 and 3:
// numbered warnings), a benchmark only in new, and a cpu that differs
// between the sides (a report warning).
//
// paired: paired-old.txt and paired-new.txt, `go test -bench` output of 20
// interleaved rounds (cpu-ns/sample without metadata, wall-clock time with
// 30% drift between rounds): reference-cpu1 10% slower in CPU time (6%
// noise per pair), smoke unchanged (1.5%), mirrored-cpu2 unchanged but too
// noisy (25%) to see 3%, and its accuracy changed.
//
// The CSV holds unrounded medians and p-values, so the fixtures keep every
// p-value one that is computed exactly (fully separated samples, constant
// ones, or the signed-rank test's exact counts): a p-value from the
// tie-corrected recurrence could differ in its last bit where the compiler
// fuses multiply-adds (arm64), and the golden file with it.
func goldenReports(t *testing.T) map[string]*Report {
	t.Helper()
	read := func(old, new string, opt Options) *Report {
		return mustCompare(t, []string{filepath.Join("testdata", old)}, []string{filepath.Join("testdata", new)}, opt)
	}
	reps := map[string]*Report{
		"report": read("old.txt", "new.txt", Options{}),
		"paired": read("paired-old.txt", "paired-new.txt", Options{Paired: true}),
	}
	// What the fixtures are for: fail here, not in a diff, if they stop
	// holding each kind of row.
	verdicts := map[string]bool{}
	for _, rep := range reps {
		for _, c := range rep.Rows {
			verdicts[c.Verdict] = true
		}
		if !rep.Failed {
			t.Errorf("a golden report does not fail")
		}
	}
	for _, v := range []string{VerdictRegression, VerdictImprovement, VerdictTooFew, VerdictOnlyNew, VerdictNoChange, VerdictTooNoisy} {
		if !verdicts[v] {
			t.Errorf("the golden reports have no %q row", v)
		}
	}
	if len(reps["report"].Warnings) == 0 {
		t.Errorf("the unpaired golden report has no warning")
	}
	for _, c := range reps["paired"].Rows {
		if !c.Paired || c.Unit != "cpu-sec/sample" || c.Better != -1 {
			t.Errorf("paired golden %s: paired %v unit %s better %d", c.Name, c.Paired, c.Unit, c.Better)
		}
	}
	return reps
}

func TestGolden(t *testing.T) {
	for name, rep := range goldenReports(t) {
		for _, f := range []struct {
			ext   string
			write func(io.Writer) error
		}{
			{"txt", rep.WriteText},
			{"md", rep.WriteMarkdown},
			{"csv", rep.WriteCSV},
		} {
			t.Run(name+"."+f.ext, func(t *testing.T) {
				var buf bytes.Buffer
				if err := f.write(&buf); err != nil {
					t.Fatal(err)
				}
				golden.Check(t, name+"."+f.ext, buf.Bytes())
			})
		}
	}
}

// verdictLine is the line of WriteText that states the verdict.
func verdictLine(t *testing.T, rep *Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(buf.String(), "\n") {
		for _, head := range []string{"Regression: ", "No significant regression: ", "No regression beyond ", "Inconclusive: "} {
			if strings.HasPrefix(l, head) {
				return l
			}
		}
	}
	t.Fatalf("no verdict line in:\n%s", buf.String())
	return ""
}

// Each headline, from the strongest claim to the weakest.
func TestVerdictLine(t *testing.T) {
	dir := t.TempDir()
	few := func(center float64, path string) string {
		return writeCmpFile(t, filepath.Join(dir, path), benchText(trainName, "c", noisySamples(1, 3, center), 0.985))
	}
	oldFew, newFew := few(25000, "old3.txt"), few(20000, "new3.txt")
	same, _ := regressionFiles(t, 1)
	o99, n99 := regressionFiles(t, 0.99)
	o80, n80 := regressionFiles(t, 0.8)
	noisyOld := writeCmpFile(t, filepath.Join(dir, "noisy-old.txt"), benchText(trainName, "c", spreadSamples(1, 10, 25000, 0.2), 0.985))
	noisyNew := writeCmpFile(t, filepath.Join(dir, "noisy-new.txt"), benchText(trainName, "c", spreadSamples(2, 10, 25000, 0.2), 0.985))
	two := writeCmpFile(t, filepath.Join(dir, "two.txt"), benchText("A", "c", noisySamples(1, 10, 100), 0.9)+benchText("B", "c", noisySamples(2, 10, 100), 0.9))
	for _, tc := range []struct {
		old, new string
		opt      Options
		want     string
	}{
		{same, same, Options{}, "No significant regression: 1 no significant change (alpha 0.05; threshold 3%)"},
		{o99, n99, Options{}, "No regression beyond the 3% threshold: 1 regression (alpha 0.05; threshold 3%)"},
		{o80, n80, Options{}, "Regression: 1 of 1 benchmarks fail (alpha 0.05; threshold 3%)"},
		{o80, n80, Options{AccuracyFloor: 0.99}, "Regression: 1 of 1 benchmarks fail (alpha 0.05; threshold 3%; accuracy floor 0.99)"},
		{oldFew, newFew, Options{}, "Inconclusive: 1 too few samples (alpha 0.05; threshold 3%)"},
		{noisyOld, noisyNew, Options{}, "Inconclusive: 1 too noisy (alpha 0.05; threshold 3%)"},
		{two, two, Options{Paired: true}, "No significant regression: 2 no significant change (paired; alpha 0.05 over 2 benchmarks: 0.025 each; threshold 3%)"},
	} {
		rep := mustCompare(t, []string{tc.old}, []string{tc.new}, tc.opt)
		if got := verdictLine(t, rep); got != tc.want {
			t.Errorf("%s vs %s %+v:\n got %q\nwant %q", filepath.Base(tc.old), filepath.Base(tc.new), tc.opt, got, tc.want)
		}
	}
}

func TestCompareCSV(t *testing.T) {
	oldPath, newPath := regressionFiles(t, 0.8)
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, Options{})
	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(rep.Rows)+1 {
		t.Fatalf("%d records, want header + %d", len(recs), len(rep.Rows))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for i, rec := range recs[1:] {
		c := rep.Rows[i]
		if rec[col["name"]] != c.Name || rec[col["unit"]] != c.Unit || rec[col["verdict"]] != c.Verdict {
			t.Errorf("record %v, row %s %s %s", rec, c.Name, c.Unit, c.Verdict)
		}
		delta, err := strconv.ParseFloat(rec[col["delta_pct"]], 64)
		if err != nil || delta != c.DeltaPct {
			t.Errorf("delta_pct %q (%v), want %v", rec[col["delta_pct"]], err, c.DeltaPct)
		}
	}
}
