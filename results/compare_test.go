package results

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const trainName = "Train/scenario=smoke/engine=native/devices=cpu/replicas=1"

// Units as the reader tidies them.
const (
	tidySecPerSample = "sec/sample"
	tidySecPerOp     = "sec/op"
)

// noisy returns n values around center with uniform noise of ±1%, from a
// fixed seed, the way repeated runs on a quiet machine scatter.
func noisySamples(seed uint64, n int, center float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	v := make([]float64, n)
	for i := range v {
		v[i] = center * (1 + 0.02*(rng.Float64()-0.5))
	}
	return v
}

// benchText writes runs in the project's benchmark format: configuration,
// unit metadata, one line per run (samples/s, ns/sample, test-acc).
func benchText(name, cpu string, sps []float64, acc float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "goos: linux\ngoarch: amd64\npkg: github.com/mirrorbench/mirrorbench\ncpu: %s\n", cpu)
	b.WriteString("Unit samples/s better=higher\nUnit ns/sample better=lower\nUnit test-acc better=higher\n")
	for _, v := range sps {
		fmt.Fprintf(&b, "Benchmark%s 200 %.2f samples/s %.1f ns/sample %g test-acc\n", name, v, 1e9/v, acc)
	}
	return b.String()
}

func writeCmpFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustCompare(t *testing.T, oldPaths, newPaths []string, opt CompareOptions) *CompareReport {
	t.Helper()
	rep, err := Compare(oldPaths, newPaths, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func cmpRow(t *testing.T, rep *CompareReport, name, unit string) Comparison {
	t.Helper()
	for _, c := range rep.Rows {
		if c.Name == name && c.Unit == unit {
			return c
		}
	}
	t.Fatalf("no row %s %s in %+v", name, unit, rep.Rows)
	return Comparison{}
}

// regressionFiles writes 10 runs a side; new's samples/s is old's times
// factor.
func regressionFiles(t *testing.T, factor float64) (oldPath, newPath string) {
	dir := t.TempDir()
	oldPath = writeCmpFile(t, filepath.Join(dir, "old.txt"), benchText(trainName, "Test CPU", noisySamples(1, 10, 25000), 0.985))
	newPath = writeCmpFile(t, filepath.Join(dir, "new.txt"), benchText(trainName, "Test CPU", noisySamples(2, 10, 25000*factor), 0.985))
	return oldPath, newPath
}

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
	opt, _ := CompareOptions{}.withDefaults()
	k := rowKey{"X", "samples/s"}

	oldVals := []float64{3, 1, 2, 10}
	c := compareRow(k, oldVals, []float64{5, 1, 3}, 1, opt)
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
	c = compareRow(k, ten, ten, 1, opt)
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
		got := compareRow(k, tc.x, tc.y, 1, opt).P
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

func TestCompareIdentical(t *testing.T) {
	oldPath, _ := regressionFiles(t, 1)
	rep := mustCompare(t, []string{oldPath}, []string{oldPath}, CompareOptions{})
	if rep.Failed || len(rep.Regressions) > 0 {
		t.Fatalf("identical files failed: %+v", rep.Regressions)
	}
	if len(rep.Rows) != 3 {
		t.Fatalf("%d rows, want 3 (samples/s, sec/sample, test-acc)", len(rep.Rows))
	}
	for _, c := range rep.Rows {
		if c.Verdict != VerdictNoChange || c.Significant || c.DeltaPct != 0 || c.P != 1 {
			t.Errorf("%s: verdict %q significant %v delta %v p %v", c.Unit, c.Verdict, c.Significant, c.DeltaPct, c.P)
		}
		if len(c.Warnings) > 0 {
			t.Errorf("%s: warnings %q", c.Unit, c.Warnings)
		}
	}
	if len(rep.Warnings) > 0 {
		t.Errorf("report warnings %q", rep.Warnings)
	}
}

func TestCompareRegression(t *testing.T) {
	oldPath, newPath := regressionFiles(t, 0.8)
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{})
	if !rep.Failed {
		t.Fatal("a 20% slowdown did not fail")
	}
	sps := cmpRow(t, rep, trainName, UnitSamplesPerSec)
	// ±1% noise cannot bridge a 20% gap: the samples are fully separated.
	if sps.Verdict != VerdictRegression || sps.Better != 1 || math.Abs(sps.P-2.0/184756) > 1e-12 {
		t.Errorf("samples/s: verdict %q better %d p %v, want regression, +1, 2/C(20,10)", sps.Verdict, sps.Better, sps.P)
	}
	if sps.DeltaPct > -18 || sps.DeltaPct < -22 {
		t.Errorf("samples/s delta %v%%, want about -20%%", sps.DeltaPct)
	}
	ns := cmpRow(t, rep, trainName, tidySecPerSample)
	if ns.Verdict != VerdictRegression || ns.Better != -1 || ns.DeltaPct < 20 {
		t.Errorf("sec/sample: verdict %q better %d delta %v, want a regression of about +25%%", ns.Verdict, ns.Better, ns.DeltaPct)
	}
	if len(rep.Regressions) != 2 {
		t.Errorf("%d regressions, want 2", len(rep.Regressions))
	}
	if acc := cmpRow(t, rep, trainName, UnitTestAcc); acc.Verdict != VerdictNoChange {
		t.Errorf("test-acc verdict %q", acc.Verdict)
	}
}

func TestCompareImprovement(t *testing.T) {
	oldPath, newPath := regressionFiles(t, 1.2)
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{})
	if rep.Failed {
		t.Fatalf("an improvement failed: %+v", rep.Regressions)
	}
	for _, unit := range []string{UnitSamplesPerSec, tidySecPerSample} {
		if c := cmpRow(t, rep, trainName, unit); c.Verdict != VerdictImprovement {
			t.Errorf("%s verdict %q, want improvement", unit, c.Verdict)
		}
	}
}

func TestCompareTooFewSamples(t *testing.T) {
	dir := t.TempDir()
	oldPath := writeCmpFile(t, filepath.Join(dir, "old.txt"), benchText(trainName, "c", noisySamples(1, 3, 25000), 0.985))
	newPath := writeCmpFile(t, filepath.Join(dir, "new.txt"), benchText(trainName, "c", noisySamples(2, 3, 20000), 0.985))
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{})
	if rep.Failed {
		t.Error("too few samples failed the comparison")
	}
	c := cmpRow(t, rep, trainName, UnitSamplesPerSec)
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
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("text:\n%s", text.String())
	if !strings.Contains(text.String(), "too few samples [1] [2] [3]") || !strings.Contains(text.String(), "[3] 3 old + 3 new samples: need >= 4") {
		t.Errorf("text lacks the numbered warnings:\n%s", text.String())
	}
	if !strings.Contains(text.String(), "\nInconclusive: 3 too few samples") {
		t.Errorf("text lacks the inconclusive verdict:\n%s", text.String())
	}
	// Constant accuracy on 3 and 3: still too few, and said why.
	if acc := cmpRow(t, rep, trainName, UnitTestAcc); acc.Verdict != VerdictTooFew || !strings.Contains(strings.Join(acc.Warnings, ";"), "smallest possible p is 0.100") {
		t.Errorf("test-acc: verdict %q warnings %q", acc.Verdict, acc.Warnings)
	}
}

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

	want := mustCompare(t, single[:1], single[1:], CompareOptions{})
	got := mustCompare(t, []string{filepath.Join(dir, "o")},
		[]string{filepath.Join(dir, "n1"), filepath.Join(dir, "n2"), n1}, CompareOptions{})
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

	if _, err := Compare([]string{t.TempDir()}, single[1:], CompareOptions{}); err == nil || !strings.Contains(err.Error(), "no *.txt files") {
		t.Errorf("empty folder: err %v", err)
	}
	if _, err := Compare([]string{filepath.Join(dir, "missing")}, single[1:], CompareOptions{}); err == nil {
		t.Error("missing path: no error")
	}
}

func TestCompareMarkdown(t *testing.T) {
	oldPath, newPath := regressionFiles(t, 0.8)
	var md bytes.Buffer
	if err := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{}).WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	if !strings.HasPrefix(out, "**Regression**: 2 of 3 comparisons fail") {
		t.Errorf("verdict line: %q", strings.SplitN(out, "\n", 2)[0])
	}
	for _, want := range []string{
		"| name | unit | old | new | delta | p (n) | verdict |",
		"| --- | --- | ---: | ---: | ---: | --- | --- |",
		"| `" + trainName + "` | samples/s |",
		"**regression**",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, out)
		}
	}

	md.Reset()
	if err := mustCompare(t, []string{oldPath}, []string{oldPath}, CompareOptions{}).WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(md.String(), "**No significant regression**: 3 no significant change") {
		t.Errorf("verdict line: %q", strings.SplitN(md.String(), "\n", 2)[0])
	}
}

func TestCompareCSV(t *testing.T) {
	oldPath, newPath := regressionFiles(t, 0.8)
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{})
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

func TestCompareThreshold(t *testing.T) {
	oldPath, newPath := regressionFiles(t, 0.97) // 3%: significant, under 5%
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{})
	if c := cmpRow(t, rep, trainName, UnitSamplesPerSec); c.Verdict != VerdictRegression || !c.Significant {
		t.Fatalf("verdict %q significant %v, want a significant regression", c.Verdict, c.Significant)
	}
	if rep.Failed {
		t.Error("a 3% regression failed a 5% threshold")
	}
	var md bytes.Buffer
	rep.WriteMarkdown(&md)
	if !strings.HasPrefix(md.String(), "**No regression beyond the 5% threshold**") {
		t.Errorf("verdict line: %q", strings.SplitN(md.String(), "\n", 2)[0])
	}
	if rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{Threshold: 0.01}); !rep.Failed {
		t.Error("a 3% regression passed a 1% threshold")
	}
}

func TestCompareAccuracyFloor(t *testing.T) {
	dir := t.TempDir()
	oldPath := writeCmpFile(t, filepath.Join(dir, "old.txt"), benchText(trainName, "c", noisySamples(1, 10, 25000), 0.985))
	newPath := writeCmpFile(t, filepath.Join(dir, "new.txt"), benchText(trainName, "c", noisySamples(2, 10, 25000), 0.975))

	rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{})
	acc := cmpRow(t, rep, trainName, UnitTestAcc)
	if acc.Verdict != VerdictRegression || rep.Failed {
		t.Errorf("without a floor: verdict %q failed %v, want a regression under the threshold", acc.Verdict, rep.Failed)
	}

	rep = mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{AccuracyFloor: 0.98})
	if !rep.Failed || len(rep.Regressions) != 1 || !strings.Contains(rep.Regressions[0].Failure, "accuracy floor 0.98") {
		t.Errorf("floor 0.98: failed %v regressions %+v", rep.Failed, rep.Regressions)
	}
	// Both sides under the floor: NEW did not lose what OLD had.
	if rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{AccuracyFloor: 0.99}); rep.Failed {
		t.Error("floor neither side met failed")
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
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{})
	name := trainName + "-2"
	for _, tc := range []struct {
		unit    string
		better  int
		verdict string
	}{
		{tidySecPerOp, -1, VerdictRegression},
		{UnitSamplesPerSec, 1, VerdictRegression},
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

func TestCompareOneSided(t *testing.T) {
	dir := t.TempDir()
	oldPath := writeCmpFile(t, filepath.Join(dir, "old.txt"), benchText("A", "c", noisySamples(1, 5, 100), 0.9)+benchText("B", "c", noisySamples(2, 5, 100), 0.9))
	newPath := writeCmpFile(t, filepath.Join(dir, "new.txt"), benchText("A", "c", noisySamples(3, 5, 100), 0.9)+benchText("C", "c", noisySamples(4, 5, 100), 0.9))
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{})
	if rep.Failed {
		t.Error("one-sided benchmarks failed the comparison")
	}
	var names []string
	for _, c := range rep.Rows {
		if c.Unit == UnitSamplesPerSec {
			names = append(names, c.Name+":"+c.Verdict)
		}
	}
	if want := []string{"A:~", "B:only in old", "C:only in new"}; !slices.Equal(names, want) {
		t.Errorf("rows %q, want %q", names, want)
	}
	if b := cmpRow(t, rep, "B", UnitSamplesPerSec); !math.IsNaN(b.DeltaPct) || !math.IsNaN(b.P) || !math.IsNaN(b.New.Median) {
		t.Errorf("only in old: delta %v p %v new median %v, want NaN", b.DeltaPct, b.P, b.New.Median)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "only in new") {
		t.Errorf("text lacks the one-sided row:\n%s", text.String())
	}
}

func TestCompareBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeCmpFile(t, filepath.Join(dir, "good.txt"), benchText("A", "c", noisySamples(1, 5, 100), 0.9))
	bad := writeCmpFile(t, filepath.Join(dir, "bad.txt"), "goos: linux\nBenchmarkA 10 abc samples/s\n")
	if _, err := Compare([]string{good}, []string{bad}, CompareOptions{}); err == nil || !strings.Contains(err.Error(), "bad.txt:2:") {
		t.Errorf("syntax error: err %v, want one naming bad.txt:2", err)
	}
	empty := writeCmpFile(t, filepath.Join(dir, "empty.txt"), "goos: linux\n")
	if _, err := Compare([]string{empty}, []string{good}, CompareOptions{}); err == nil || !strings.Contains(err.Error(), "no benchmark results") {
		t.Errorf("no results: err %v", err)
	}
	for _, opt := range []CompareOptions{{Alpha: 1.5}, {Confidence: -1}, {Threshold: math.NaN()}, {AccuracyFloor: -0.1}} {
		if _, err := Compare([]string{good}, []string{good}, opt); err == nil {
			t.Errorf("options %+v accepted", opt)
		}
	}
}

func TestCompareConfigDiffers(t *testing.T) {
	dir := t.TempDir()
	oldPath := writeCmpFile(t, filepath.Join(dir, "old.txt"), benchText(trainName, "AMD EPYC", noisySamples(1, 10, 100), 0.9))
	newPath := writeCmpFile(t, filepath.Join(dir, "new.txt"), benchText(trainName, "Intel Xeon", noisySamples(2, 10, 100), 0.9))
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{})
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], `"cpu" differs: old "AMD EPYC", new "Intel Xeon"`) {
		t.Errorf("warnings %q", rep.Warnings)
	}
	if len(rep.Rows) != 3 {
		t.Errorf("%d rows: a differing cpu must not split the rows", len(rep.Rows))
	}
}

// The files this package writes are what Compare reads.
func TestCompareReadsBenchFile(t *testing.T) {
	var records []*Record
	for i, sps := range noisySamples(5, 6, 2500) {
		records = append(records, &Record{
			Scenario: "smoke", Engine: "native", Devices: "cpu:0-1", Replicas: 2, Status: StatusOK,
			Epochs:     []Epoch{{Epoch: 1, TestAccuracy: 0.97 + 0.001*float64(i)}},
			Throughput: Throughput{SamplesPerSecond: sps, USPerSample: 1e6 / sps, Steps: 100},
		})
	}
	path := writeCmpFile(t, filepath.Join(t.TempDir(), "bench.txt"), string(BenchFile(records, "Test CPU")))
	rep := mustCompare(t, []string{path}, []string{path}, CompareOptions{})
	name := BenchName("smoke", "native", "cpu:0-1", 2)
	for unit, better := range map[string]int{UnitSamplesPerSec: 1, tidySecPerSample: -1, UnitTestAcc: 1} {
		if c := cmpRow(t, rep, name, unit); c.Better != better || c.Old.N != 6 || c.Verdict != VerdictNoChange {
			t.Errorf("%s: better %d n %d verdict %q", unit, c.Better, c.Old.N, c.Verdict)
		}
	}
}

// TestCompareSampleOutput shows the text and Markdown of a 20% regression
// (go test -v -run SampleOutput).
func TestCompareSampleOutput(t *testing.T) {
	oldPath, newPath := regressionFiles(t, 0.8)
	rep := mustCompare(t, []string{oldPath}, []string{newPath}, CompareOptions{})
	var text, md bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	t.Logf("text:\n%s\nMarkdown:\n%s", text.String(), md.String())
	if lines := strings.Split(text.String(), "\n"); !strings.HasPrefix(lines[0], "name") || !strings.Contains(text.String(), "Regression: 2 of 3 comparisons fail") {
		t.Errorf("text:\n%s", text.String())
	}
}
