package history

import (
	"flag"
	"slices"
	"testing"
)

var measure = flag.Bool("measure", false, "measure detection and false-change rates (slow)")

// The measurement behind the figures in the package doc:
//
//	go test ./results/history/ -run TestMeasure -measure -v
//
// It takes about 20 s on two cores. The columns: points either side of
// the step, the share of series with any change, with one within ±5, ±10
// and ±20 points of the step, and quantiles of the distance from the step
// to the nearest change where there is one.
const (
	measureSteps = 1000 // series per step size and noise
	measureFlat  = 2000 // flat series per length and noise
)

var noises = []struct {
	name string
	f    noise
}{{"log-normal", logNormal}, {"gaussian", gaussian}}

func TestMeasure(t *testing.T) {
	if !*measure {
		t.Skip("run with -measure")
	}
	for _, nz := range noises {
		t.Logf("%s noise, cv 10 %%, 5 %% step, %d series each:", nz.name, measureSteps)
		t.Logf("  %8s %8s %8s %8s %8s %8s %8s", "each side", "any", "±5", "±10", "±20", "err p50", "err p80")
		for _, side := range []int{10, 20, 40, 80, 120, 160, 240, 320} {
			ts := runTrials(measureSteps, side, Options{}, func(seed uint64) []float64 {
				return stepSeries(seed, side, side, 0.95, 0.10, nz.f)
			})
			t.Logf("  %8d %7.1f%% %7.1f%% %7.1f%% %7.1f%% %8d %8d", side, pct(ts, -1), pct(ts, 5), pct(ts, 10), pct(ts, 20),
				errQuantile(ts, 0.5), errQuantile(ts, 0.8))
		}
		for _, n := range []int{50, 100, 200, 500} {
			ts := runTrials(measureFlat, 0, Options{}, func(seed uint64) []float64 {
				return stepSeries(seed, n, 0, 1, 0.10, nz.f)
			})
			t.Logf("  flat, %3d points: %.1f %% of %d series raise a change", n, pct(ts, -1), measureFlat)
		}
	}
}

// pct is the percentage of trials with a change within ±tol of the step,
// or with any change when tol < 0.
func pct(ts []trial, tol int) float64 {
	n := 0
	for _, t := range ts {
		if t.changes > 0 && (tol < 0 || t.err <= tol) {
			n++
		}
	}
	return 100 * float64(n) / float64(len(ts))
}

// errQuantile is the q quantile of the distance from the step to the
// nearest change, over the trials with a change.
func errQuantile(ts []trial, q float64) int {
	var e []int
	for _, t := range ts {
		if t.changes > 0 {
			e = append(e, t.err)
		}
	}
	if len(e) == 0 {
		return -1
	}
	slices.Sort(e)
	return e[int(q*float64(len(e)-1))]
}
