package compare

import (
	"math"
	"math/rand/v2"
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
	// The change is the Hodges-Lehmann shift: of the 12 ratios new/old
	// (0.1, 0.3, 1/3, 0.5, 0.5, 1, 1, 1.5, 5/3, 2.5, 3, 5) the middle two
	// are 1, so 0%, where the ratio of the medians would say +20%.
	if c.DeltaPct != 0 {
		t.Errorf("DeltaPct %v, want 0 (Hodges-Lehmann)", c.DeltaPct)
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
	// Paired: the change is the Hodges-Lehmann estimate of the ratios,
	// here exactly 1.25.
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

// Unpaired, the estimate lies in its interval: both are order statistics
// of the same differences of log values. The ratio of the medians need
// not (it lies between the quartiles of those differences, so only a
// loose interval leaves it out): here, at alpha 0.8, it said +100%
// against an interval of [0%, +66.7%]; the Hodges-Lehmann shift is +40%.
func TestUnpairedEstimateInInterval(t *testing.T) {
	old, new := []float64{5, 1, 1, 3, 9}, []float64{7, 5, 7, 1}
	c := compareRow(rowPlan{name: "X", unit: "samples/s", old: old, new: new, better: 1}, 0.8, Options{Threshold: 0.03, Confidence: 0.95})
	if medians := deltaPct(results.Median(old), results.Median(new)); medians != 100 {
		t.Fatalf("ratio of the medians %v%%, want +100%% (the case is no longer the one it was)", medians)
	}
	if math.Abs(c.DeltaLo) > 1e-12 || math.Abs(c.DeltaHi-200.0/3) > 1e-9 || math.Abs(c.DeltaPct-40) > 1e-9 {
		t.Errorf("change %v%% in [%v%%, %v%%], want +40%% in [0%%, +66.7%%]", c.DeltaPct, c.DeltaLo, c.DeltaHi)
	}

	// And always, whatever the samples and the level.
	r := rand.New(rand.NewPCG(7, 11))
	for range 2000 {
		x, y := make([]float64, 2+r.IntN(9)), make([]float64, 2+r.IntN(9))
		for i := range x {
			x[i] = float64(1 + r.IntN(12))
		}
		for i := range y {
			y[i] = float64(1 + r.IntN(12))
		}
		alpha := []float64{0.01, 0.05, 0.2, 0.5, 0.8, 0.95}[r.IntN(6)]
		c := compareRow(rowPlan{name: "X", unit: "samples/s", old: x, new: y, better: 1}, alpha, Options{Threshold: 0.03, Confidence: 0.95})
		if !(c.DeltaLo <= c.DeltaPct && c.DeltaPct <= c.DeltaHi) {
			t.Fatalf("alpha %v, %v vs %v: change %v%% outside [%v%%, %v%%]", alpha, x, y, c.DeltaPct, c.DeltaLo, c.DeltaHi)
		}
	}
}

// Paired, equal pairs do not count towards the smallest possible p: the
// signed-rank test drops them. 8 pairs of which 5 are equal leave 3, whose
// best p is 2/2^3 = 0.25, not 2/2^8: too few to decide at 0.05, with a
// warning saying why; and pairs that are all equal are no change.
func TestPairedMinPDropsZeros(t *testing.T) {
	old := []float64{100, 100, 100, 100, 100, 100, 100, 100}
	new := []float64{100, 100, 100, 100, 100, 101, 102, 103}
	c := testRow(t, old, new, Options{Paired: true})
	if !c.Paired || c.P != 0.25 || c.minP() != 0.25 {
		t.Errorf("paired %v p %v min p %v, want paired, 0.25, 0.25", c.Paired, c.P, c.minP())
	}
	if c.Verdict != VerdictTooFew || !math.IsInf(c.MDEPct, 1) {
		t.Errorf("verdict %q could see %v, want %q, +Inf", c.Verdict, c.MDEPct, VerdictTooFew)
	}
	if w := strings.Join(c.Warnings, ";"); !strings.Contains(w, "8 pairs, 5 of them equal") || !strings.Contains(w, "other 3 is 0.25") {
		t.Errorf("warnings %q", c.Warnings)
	}
	if got := pairedMinP(nonZero([]float64{0, 0.1, 0, -0.2})); got != 0.5 {
		t.Errorf("pairedMinP of 2 non-zero of 4: %v, want 0.5", got)
	}

	c = testRow(t, old, old, Options{Paired: true})
	if c.Verdict != VerdictNoChange || c.DeltaPct != 0 || len(c.Warnings) > 0 {
		t.Errorf("all pairs equal: verdict %q change %v warnings %q, want no change, 0, none", c.Verdict, c.DeltaPct, c.Warnings)
	}
}
