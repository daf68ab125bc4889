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

// The golden report: fixed benchmark files in testdata, with a regression
// (smoke, 20% slower), an improvement (mirrored-cpu2), too few samples
// (reference-cpu1, 3 and 3: numbered warnings), a benchmark only in new,
// and a cpu that differs between the sides (a report warning). Each format
// is compared whole with testdata/report.*; go test -update rewrites them.
//
// The CSV holds unrounded figures, so the fixture keeps every p-value one
// that the U test computes exactly (fully separated samples, or constant
// ones): a p-value from the tie-corrected recurrence could differ in its
// last bit where the compiler fuses multiply-adds (arm64), and the golden
// file with it.
func goldenReport(t *testing.T) *Report {
	t.Helper()
	rep := mustCompare(t, []string{filepath.Join("testdata", "old.txt")}, []string{filepath.Join("testdata", "new.txt")}, Options{})
	// What the fixture is for: fail here, not in a diff, if it stops
	// holding each kind of row.
	verdicts := map[string]bool{}
	for _, c := range rep.Rows {
		verdicts[c.Verdict] = true
	}
	for _, v := range []string{VerdictRegression, VerdictImprovement, VerdictTooFew, VerdictOnlyNew, VerdictNoChange} {
		if !verdicts[v] {
			t.Errorf("the golden report has no %q row", v)
		}
	}
	if !rep.Failed || len(rep.Warnings) == 0 {
		t.Errorf("the golden report: failed %v, warnings %q; want a failure and a warning", rep.Failed, rep.Warnings)
	}
	return rep
}

func TestGolden(t *testing.T) {
	rep := goldenReport(t)
	for _, f := range []struct {
		file  string
		write func(io.Writer) error
	}{
		{"report.txt", rep.WriteText},
		{"report.md", rep.WriteMarkdown},
		{"report.csv", rep.WriteCSV},
	} {
		t.Run(f.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := f.write(&buf); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, f.file, buf.Bytes())
		})
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
	o97, n97 := regressionFiles(t, 0.97)
	o80, n80 := regressionFiles(t, 0.8)
	for _, tc := range []struct {
		old, new string
		opt      Options
		want     string
	}{
		{same, same, Options{}, "No significant regression: 3 no significant change (alpha 0.05, threshold 5%)"},
		{o97, n97, Options{}, "No regression beyond the 5% threshold: 1 no significant change, 2 regression (alpha 0.05, threshold 5%)"},
		{o80, n80, Options{}, "Regression: 2 of 3 comparisons fail (alpha 0.05, threshold 5%)"},
		{o80, n80, Options{AccuracyFloor: 0.99}, "Regression: 2 of 3 comparisons fail (alpha 0.05, threshold 5%, accuracy floor 0.99)"},
		{oldFew, newFew, Options{}, "Inconclusive: 3 too few samples (alpha 0.05, threshold 5%)"},
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

// TestCompareSampleOutput shows the text and Markdown of a 20% regression
// (go test -v -run SampleOutput).
