package history

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveSplit is bestSplit by definition: every split, every pair, O(n³).
func naiveSplit(x []float64, minSize int) (tau int, q float64) {
	q = math.Inf(-1)
	for t := minSize; t <= len(x)-minSize; t++ {
		a, b := x[:t], x[t:]
		m, k := float64(len(a)), float64(len(b))
		e := 2*pairSum(a, b)/(m*k) - withinSum(a)/(m*(m-1)/2) - withinSum(b)/(k*(k-1)/2)
		if qt := m * k / (m + k) * e; qt > q {
			tau, q = t, qt
		}
	}
	return tau, q
}

func pairSum(a, b []float64) (s float64) {
	for _, u := range a {
		for _, v := range b {
			s += math.Abs(u - v)
		}
	}
	return s
}

func withinSum(a []float64) (s float64) {
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			s += math.Abs(a[i] - a[j])
		}
	}
	return s
}

func TestBestSplitMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{6, 7, 20, 61} {
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Round(rng.NormFloat64()*4) / 4 // ties on purpose
			if i > n/3 {
				x[i] += 0.5
			}
		}
		bounds := []int{0, n}
		w := newWork(n, 3)
		gotTau, gotQ := w.bestSplit(x, segmentRanks(x, bounds))
		wantTau, wantQ := naiveSplit(x, 3)
		if gotTau != wantTau || math.Abs(gotQ-wantQ) > 1e-9*math.Max(1, math.Abs(wantQ)) {
			t.Errorf("n=%d: bestSplit = %d, %g; by definition %d, %g", n, gotTau, gotQ, wantTau, wantQ)
		}
	}
}

func TestDetectTooShortOrFlat(t *testing.T) {
	for _, v := range [][]float64{nil, {1}, {1, 2, 3, 4, 5}, slices.Repeat([]float64{7}, 50)} {
		if got := Detect(v, Options{}); len(got) != 0 {
			t.Errorf("Detect(%v) = %+v, want no change", v, got)
		}
	}
}

func TestDetectSteps(t *testing.T) {
	v := stepSeries(7, 30, 30, 0.8, 0.02, logNormal)
	v = append(v, stepSeries(8, 0, 30, 0.8*1.3, 0.02, logNormal)...)
	got := Detect(v, Options{})
	if len(got) != 2 || got[0].Index != 30 || got[1].Index != 60 {
		t.Fatalf("Detect found %+v, want changes at 30 and 60", got)
	}
	for i, want := range []float64{0.8, 1.3} {
		c := got[i]
		if math.Abs(c.Ratio-want) > 0.02 || c.P > DefaultAlpha || c.Ratio != c.After/c.Before {
			t.Errorf("change %d = %+v, want ratio about %g, p <= %g", i, c, want, DefaultAlpha)
		}
	}
	if got[0].After != got[1].Before {
		t.Errorf("the segment between the changes has two medians: %g and %g", got[0].After, got[1].Before)
	}
}

// A 5 % step is a 5 % step at any scale; the seed alone decides the draws.
func TestDetectScaleFreeAndDeterministic(t *testing.T) {
	v := stepSeries(3, 40, 40, 0.9, 0.05, logNormal)
	want := Detect(v, Options{Seed: 9})
	if len(want) == 0 {
		t.Fatal("no change found in a 10 % step in 5 % noise")
	}
	for _, scale := range []float64{1e-6, 1, 1e9} {
		s := make([]float64, len(v))
		for i := range v {
			s[i] = v[i] * scale
		}
		got := Detect(s, Options{Seed: 9})
		if len(got) != len(want) || got[0].Index != want[0].Index || got[0].P != want[0].P {
			t.Errorf("scale %g: %+v, want %+v", scale, got, want)
		}
	}
}

func BenchmarkDetect(b *testing.B) {
	v := stepSeries(1, 250, 250, 0.9, 0.10, logNormal)
	b.ReportAllocs()
	for b.Loop() {
		Detect(v, Options{})
	}
}

// The package doc's figures, on the series TestMeasure draws (the same
// seeds and counts): with 120 points either side, a 5 % step in 10 %
// log-normal noise raises a change in at least 80 % of series (measured
// 85.5 %), and the nearest change is within ±20 points of the step in at
// least 75 % of those (77 %); on flat series of 100 points, at most 6 % of
// series raise a change (α = 0.05, measured 5.4 %).
func TestDetectionRates(t *testing.T) {
	const side = 120
	ts := runTrials(measureSteps, side, Options{}, func(seed uint64) []float64 {
		return stepSeries(seed, side, side, 0.95, 0.10, logNormal)
	})
	found, near := pct(ts, -1), pct(ts, 20)
	t.Logf("5 %% step, %d+%d points: a change in %.1f %%, within ±20 in %.1f %% (%.1f %% of those found)", side, side, found, near, 100*near/found)
	if found < 80 || near/found < 0.75 {
		t.Errorf("5 %% step in 10 %% noise, %d points either side: a change in %.1f %% of series (want >= 80 %%), within ±20 points in %.1f %% of those (want >= 75 %%)",
			side, found, 100*near/found)
	}
	flat := runTrials(measureFlat, 0, Options{}, func(seed uint64) []float64 {
		return stepSeries(seed, 100, 0, 1, 0.10, logNormal)
	})
	t.Logf("flat, 100 points: a change in %.1f %%", pct(flat, -1))
	if f := pct(flat, -1); f > 6 {
		t.Errorf("flat series of 100 points in 10 %% noise: %.1f %% raise a change, want <= 6 %%", f)
	}
}
