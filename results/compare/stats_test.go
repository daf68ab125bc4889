package compare

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results"
)

// exactUTestP is an independent two-sided Mann-Whitney p-value for samples
// without ties: enumerate every way to pick which len(x) of the pooled
// ranks belong to x, and count those whose U is as extreme as observed.
func exactUTestP(x, y []float64) float64 {
	n1, n := len(x), len(x)+len(y)
	u := func(xs, ys []float64) (u float64) {
		for _, a := range xs {
			for _, b := range ys {
				if a > b {
					u++
				}
			}
		}
		return u
	}
	obs := u(x, y)
	lo := math.Min(obs, float64(n1*len(y))-obs)
	var extreme, total float64
	for mask := 0; mask < 1<<n; mask++ {
		var xs, ys []float64
		for r := range n {
			if mask&(1<<r) != 0 {
				xs = append(xs, float64(r))
			} else {
				ys = append(ys, float64(r))
			}
		}
		if len(xs) != n1 {
			continue
		}
		total++
		if u(xs, ys) <= lo {
			extreme++
		}
	}
	return math.Min(1, 2*extreme/total)
}

func TestCompareArithmetic(t *testing.T) {
	oldVals := []float64{3, 1, 2, 10}
	c := testRow(t, oldVals, []float64{5, 1, 3}, Options{})
	if c.Old.Median != 2.5 || c.New.Median != 3 {
		t.Errorf("medians %v, %v; want 2.5 (mean of 2 and 3), 3", c.Old.Median, c.New.Median)
	}
	if !slices.Equal(oldVals, []float64{3, 1, 2, 10}) {
		t.Errorf("input reordered: %v", oldVals)
	}
	if want := (3 - 2.5) / 2.5 * 100; math.Abs(c.DeltaPct-want) > 1e-12 {
		t.Errorf("DeltaPct %v, want %v", c.DeltaPct, want)
	}

	// 95% CI of the median of 10: [x(2), x(9)] covers with probability
	// 1 - 2*P(Binomial(10, 1/2) <= 1) = 1 - 22/1024 = 0.979; the narrower
	// [x(3), x(8)] only 1 - 2*56/1024 = 0.891.
	ten := []float64{9, 2, 7, 4, 10, 1, 6, 3, 8, 5}
	c = testRow(t, ten, ten, Options{})
	if c.Old.Lo != 2 || c.Old.Hi != 9 || c.Old.Median != 5.5 {
		t.Errorf("median %v CI [%v, %v], want 5.5 [2, 9]", c.Old.Median, c.Old.Lo, c.Old.Hi)
	}

	cases := []struct {
		x, y []float64
		want float64 // by hand; 0 means use only the enumeration
	}{
		// Fully separated 6 and 6: only 2 of the C(12,6) = 924 splits
		// are as extreme.
		{[]float64{1, 2, 3, 4, 5, 6}, []float64{7, 8, 9, 10, 11, 12}, 2.0 / 924},
		// 4 and 4, U = 1: splits with U <= 1 are 2 of 70 each way.
		{[]float64{1, 2, 3, 5}, []float64{4, 6, 7, 8}, 4.0 / 70},
		{[]float64{1.5, 4.2, 3.3, 9.1}, []float64{2.2, 8.8, 7.7, 6.1}, 0},
		{[]float64{10, 12, 11, 15, 14}, []float64{13, 16, 17}, 0},
		{[]float64{5, 1, 9}, []float64{2, 8, 4, 7, 6}, 0},
	}
	for _, tc := range cases {
		got := testRow(t, tc.x, tc.y, Options{}).P
		want := exactUTestP(tc.x, tc.y)
		if tc.want != 0 && math.Abs(want-tc.want) > 1e-15 {
			t.Fatalf("enumeration %v, hand %v: the test's own arithmetic is off", want, tc.want)
		}
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("P(%v vs %v) = %v, want %v", tc.x, tc.y, got, want)
		}
	}

	if got, want := minPossibleP(4, 4), 2.0/70; math.Abs(got-want) > 1e-15 {
		t.Errorf("minPossibleP(4,4) = %v, want %v", got, want)
	}
}

// A side's median is results.Median, as the tables' is: benchmath's
// summary centre, the mean of the two middle values for an even count.
func TestSideMedianIsResultsMedian(t *testing.T) {
	for _, vals := range [][]float64{{3, 1, 2, 10}, {5, 1, 3}, noisySamples(3, 10, 100), noisySamples(4, 7, 2e-5)} {
		c := testRow(t, vals, vals, Options{})
		if want := results.Median(vals); c.Old.Median != want {
			t.Errorf("median of %v: %v, results.Median %v", vals, c.Old.Median, want)
		}
	}
}

func TestCompareIdentical(t *testing.T) {
	oldPath, _ := regressionFiles(t, 1)
	for _, paired := range []bool{false, true} {
		rep := mustCompare(t, []string{oldPath}, []string{oldPath}, Options{Paired: paired})
		if rep.Failed || len(rep.Regressions) > 0 {
			t.Fatalf("identical files failed: %+v", rep.Regressions)
		}
		if len(rep.Rows) != 1 {
			t.Fatalf("%d rows, want 1: one verdict per benchmark", len(rep.Rows))
		}
		c := cmpRow(t, rep, trainName, tidySecPerSample)
		if c.Verdict != VerdictNoChange || c.Significant || c.DeltaPct != 0 || c.P != 1 || c.Paired != paired {
			t.Errorf("paired %v: verdict %q significant %v delta %v p %v paired %v", paired, c.Verdict, c.Significant, c.DeltaPct, c.P, c.Paired)
		}
		if len(c.Warnings) > 0 {
			t.Errorf("warnings %q", c.Warnings)
		}
		if a := c.Accuracy; a == nil || a.Old != 0.985 || a.New != 0.985 {
			t.Errorf("accuracy %+v, want 0.985 on both sides", a)
		}
		if !slices.Equal(rep.AlsoMeasured, []string{results.UnitSamplesPerSec}) {
			t.Errorf("also measured %q, want samples/s", rep.AlsoMeasured)
		}
	}
	if rep := mustCompare(t, []string{oldPath}, []string{oldPath}, Options{}); len(rep.Warnings) > 0 {
		t.Errorf("report warnings %q", rep.Warnings)
	}
}

func TestCompareRegression(t *testing.T) {
	oldPath, newPath := regressionFiles(t, 0.8)
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, Options{})
	if !rep.Failed || len(rep.Regressions) != 1 {
		t.Fatalf("a 20%% slowdown: failed %v, %d regressions, want 1", rep.Failed, len(rep.Regressions))
	}
	c := cmpRow(t, rep, trainName, tidySecPerSample)
	// ±1% noise cannot bridge a 20% gap: the samples are fully separated.
	if c.Verdict != VerdictRegression || c.Better != -1 || math.Abs(c.P-2.0/184756) > 1e-12 {
		t.Errorf("verdict %q better %d p %v, want regression, -1, 2/C(20,10)", c.Verdict, c.Better, c.P)
	}
	if c.DeltaPct < 23 || c.DeltaPct > 27 {
		t.Errorf("delta %v%%, want about +25%%", c.DeltaPct)
	}
	if !(c.DeltaLo > 20 && c.DeltaLo < c.DeltaPct && c.DeltaPct < c.DeltaHi && c.DeltaHi < 30) {
		t.Errorf("interval [%v, %v] around %v", c.DeltaLo, c.DeltaHi, c.DeltaPct)
	}
}

func TestCompareImprovement(t *testing.T) {
	oldPath, newPath := regressionFiles(t, 1.2)
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, Options{})
	if rep.Failed {
		t.Fatalf("an improvement failed: %+v", rep.Regressions)
	}
	if c := cmpRow(t, rep, trainName, tidySecPerSample); c.Verdict != VerdictImprovement {
		t.Errorf("verdict %q, want improvement", c.Verdict)
	}
}

func TestCompareTooFewSamples(t *testing.T) {
	dir := t.TempDir()
	oldPath := writeCmpFile(t, filepath.Join(dir, "old.txt"), benchText(trainName, "c", noisySamples(1, 3, 25000), 0.985))
	newPath := writeCmpFile(t, filepath.Join(dir, "new.txt"), benchText(trainName, "c", noisySamples(2, 3, 20000), 0.985))
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, Options{})
	if rep.Failed {
		t.Error("too few samples failed the comparison")
	}
	c := cmpRow(t, rep, trainName, tidySecPerSample)
	if c.Verdict != VerdictTooFew {
		t.Errorf("verdict %q, want %q", c.Verdict, VerdictTooFew)
	}
	// 3 and 3 fully separated give p = 2/C(6,3) = 0.1: the best possible.
	if math.Abs(c.P-0.1) > 1e-12 {
		t.Errorf("p %v, want 0.1", c.P)
	}
	all := strings.Join(c.Warnings, "\n")
	for _, want := range []string{"3 old + 3 new samples: need >= 4 samples", "old: 3 samples: need >= 6 samples for confidence interval"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings %q lack %q", c.Warnings, want)
		}
	}
	// Paired, 3 pairs can give p = 2/8 at best.
	rep = mustCompare(t, []string{oldPath}, []string{newPath}, Options{Paired: true})
	if c := cmpRow(t, rep, trainName, tidySecPerSample); c.Verdict != VerdictTooFew || !c.Paired ||
		!strings.Contains(strings.Join(c.Warnings, ";"), "3 pairs: the smallest possible p is 0.25, not below alpha 0.05") {
		t.Errorf("paired: verdict %q paired %v warnings %q", c.Verdict, c.Paired, c.Warnings)
	}
}

func TestCompareThreshold(t *testing.T) {
	oldPath, newPath := regressionFiles(t, 0.99) // about 2%: significant, under 3%
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, Options{})
	if c := cmpRow(t, rep, trainName, tidySecPerSample); c.Verdict != VerdictRegression || !c.Significant {
		t.Fatalf("verdict %q significant %v, want a significant regression", c.Verdict, c.Significant)
	}
	if rep.Failed {
		t.Error("a 2% regression failed a 3% threshold")
	}
	if rep := mustCompare(t, []string{oldPath}, []string{newPath}, Options{Threshold: 0.01}); !rep.Failed {
		t.Error("a 2% regression passed a 1% threshold")
	}
}

func TestCompareAccuracyFloor(t *testing.T) {
	dir := t.TempDir()
	oldPath := writeCmpFile(t, filepath.Join(dir, "old.txt"), benchText(trainName, "c", noisySamples(1, 10, 25000), 0.985))
	newPath := writeCmpFile(t, filepath.Join(dir, "new.txt"), benchText(trainName, "c", noisySamples(2, 10, 25000), 0.975))

	rep := mustCompare(t, []string{oldPath}, []string{newPath}, Options{})
	c := cmpRow(t, rep, trainName, tidySecPerSample)
	if a := c.Accuracy; a == nil || a.Old != 0.985 || a.New != 0.975 || rep.Failed {
		t.Errorf("without a floor: accuracy %+v failed %v, want 0.985 -> 0.975 and no failure", a, rep.Failed)
	}

	rep = mustCompare(t, []string{oldPath}, []string{newPath}, Options{AccuracyFloor: 0.98})
	if !rep.Failed || len(rep.Regressions) != 1 || !strings.Contains(rep.Regressions[0].Failure, "accuracy floor 0.98") {
		t.Errorf("floor 0.98: failed %v regressions %+v", rep.Failed, rep.Regressions)
	}
	// Both sides under the floor: NEW did not lose what OLD had.
	if rep := mustCompare(t, []string{oldPath}, []string{newPath}, Options{AccuracyFloor: 0.99}); rep.Failed {
		t.Error("floor neither side met failed")
	}
}

func TestCompareOneSided(t *testing.T) {
	dir := t.TempDir()
	oldPath := writeCmpFile(t, filepath.Join(dir, "old.txt"), benchText("A", "c", noisySamples(1, 5, 100), 0.9)+benchText("B", "c", noisySamples(2, 5, 100), 0.9))
	newPath := writeCmpFile(t, filepath.Join(dir, "new.txt"), benchText("A", "c", noisySamples(3, 5, 100), 0.9)+benchText("C", "c", noisySamples(4, 5, 100), 0.9))
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, Options{})
	if rep.Failed {
		t.Error("one-sided benchmarks failed the comparison")
	}
	var names []string
	for _, c := range rep.Rows {
		names = append(names, c.Name+":"+c.Verdict)
	}
	if want := []string{"A:~", "B:only in old", "C:only in new"}; !slices.Equal(names, want) {
		t.Errorf("rows %q, want %q", names, want)
	}
	if b := cmpRow(t, rep, "B", tidySecPerSample); !math.IsNaN(b.DeltaPct) || !math.IsNaN(b.P) || !math.IsNaN(b.New.Median) || !math.IsNaN(b.MDEPct) {
		t.Errorf("only in old: delta %v p %v new median %v mde %v, want NaN", b.DeltaPct, b.P, b.New.Median, b.MDEPct)
	}
	// Only A is compared: alpha is not divided.
	if rep.Compared != 1 || rep.AlphaEach != DefaultAlpha {
		t.Errorf("compared %d at %v, want 1 at %v", rep.Compared, rep.AlphaEach, DefaultAlpha)
	}
}

// Pairing needs equal counts and positive values; otherwise the U test,
// with a warning saying why.
func TestPairedFallback(t *testing.T) {
	old, new := spreadSamples(1, 10, 100, 0.05), spreadSamples(2, 9, 100, 0.05)
	c := testRow(t, old, new, Options{Paired: true})
	if c.Paired || !strings.Contains(strings.Join(c.Warnings, ";"), "10 old but 9 new samples cannot be paired: compared unpaired") {
		t.Errorf("paired %v warnings %q", c.Paired, c.Warnings)
	}
	c = testRow(t, append([]float64{0}, old[1:]...), old, Options{Paired: true})
	if c.Paired || !strings.Contains(strings.Join(c.Warnings, ";"), "not positive") || !math.IsNaN(c.MDEPct) {
		t.Errorf("a zero: paired %v MDE %v warnings %q", c.Paired, c.MDEPct, c.Warnings)
	}
	// Paired: the change is the median ratio, here exactly 1.25.
	ratios := []float64{1.2, 1.25, 1.3, 1.25, 1.1, 1.4, 1.25}
	scaled := make([]float64, len(old[:7]))
	for i, v := range old[:7] {
		scaled[i] = v * ratios[i]
	}
	c = testRow(t, old[:7], scaled, Options{Paired: true})
	if !c.Paired || math.Abs(c.DeltaPct-25) > 1e-9 || math.Abs(c.P-2.0/128) > 1e-15 || c.Verdict != VerdictImprovement {
		t.Errorf("paired: delta %v p %v verdict %q, want +25%%, 2/128, improvement (samples/s)", c.DeltaPct, c.P, c.Verdict)
	}
}

// Alpha is divided among the benchmarks compared.
func TestBonferroni(t *testing.T) {
	var oldText, newText strings.Builder
	for i, name := range []string{"A", "B", "C", "D"} {
		oldText.WriteString(benchText(name, "c", noisySamples(uint64(2*i+1), 10, 100), 0.9))
		newText.WriteString(benchText(name, "c", noisySamples(uint64(2*i+2), 10, 100), 0.9))
	}
	newText.WriteString(benchText("E", "c", noisySamples(9, 10, 100), 0.9)) // not compared
	dir := t.TempDir()
	rep := mustCompare(t, []string{writeCmpFile(t, filepath.Join(dir, "old.txt"), oldText.String())},
		[]string{writeCmpFile(t, filepath.Join(dir, "new.txt"), newText.String())}, Options{})
	if rep.Compared != 4 || rep.AlphaEach != 0.0125 {
		t.Errorf("compared %d at %v, want 4 at 0.0125", rep.Compared, rep.AlphaEach)
	}
	if got := verdictLine(t, rep); !strings.Contains(got, "(alpha 0.05 over 4 benchmarks: 0.0125 each; threshold 3%)") {
		t.Errorf("verdict line %q", got)
	}
	for _, c := range rep.Rows[:4] {
		if c.Significant != (c.P < 0.0125) {
			t.Errorf("%s: p %v significant %v at 0.0125", c.Name, c.P, c.Significant)
		}
	}
}
