package compare

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const trainName = "Train/scenario=smoke/engine=native/devices=cpu/replicas=1"

// Units as the reader tidies them.
const (
	tidySecPerSample = "sec/sample"
	tidySecPerOp     = "sec/op"
)

// noisySamples returns n values around center with uniform noise of ±1%, from a
// fixed seed, the way repeated runs on a quiet machine scatter.
func noisySamples(seed uint64, n int, center float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	v := make([]float64, n)
	for i := range v {
		v[i] = center * (1 + 0.02*(rng.Float64()-0.5))
	}
	return v
}

// spreadSamples returns n values around center with log-normal noise of
// the given sd, from a fixed seed: a noisy machine.
func spreadSamples(seed uint64, n int, center, sd float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	v := make([]float64, n)
	for i := range v {
		v[i] = center * math.Exp(sd*rng.NormFloat64())
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

// testRow compares old and new as one samples/s row (higher is better) at
// the options' alpha, unpaired unless opt.Paired.
func testRow(t *testing.T, old, new []float64, opt Options) Comparison {
	t.Helper()
	opt, err := opt.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return compareRow(rowPlan{name: "X", unit: "samples/s", old: old, new: new, better: 1}, opt.Alpha, opt)
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

func mustCompare(t *testing.T, oldPaths, newPaths []string, opt Options) *Report {
	t.Helper()
	rep, err := Compare(oldPaths, newPaths, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// cmpRow is the row of a benchmark, which must be judged on unit.
func cmpRow(t *testing.T, rep *Report, name, unit string) Comparison {
	t.Helper()
	for _, c := range rep.Rows {
		if c.Name == name {
			if c.Unit != unit {
				t.Fatalf("%s judged on %s, want %s", name, c.Unit, unit)
			}
			return c
		}
	}
	t.Fatalf("no row %s in %+v", name, rep.Rows)
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
