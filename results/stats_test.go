package results

import (
	"math"
	"slices"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		want float64
	}{
		{[]float64{7}, 7},
		{[]float64{3, 1, 2}, 2},
		{[]float64{3, 1, 2, 10}, 2.5}, // the mean of the middle two, not the upper one
		{[]float64{4, 4, 1, 9}, 4},
		{[]float64{-1, 1}, 0},
	} {
		in := slices.Clone(tc.v)
		if got := Median(in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.v, got, tc.want)
		}
		if !slices.Equal(in, tc.v) {
			t.Errorf("Median(%v) reordered its input to %v", tc.v, in)
		}
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
}

func TestIsFinite(t *testing.T) {
	for v, want := range map[float64]bool{0: true, -3.5: true, math.MaxFloat64: true, math.Inf(1): false, math.Inf(-1): false} {
		if got := IsFinite(v); got != want {
			t.Errorf("IsFinite(%v) = %v, want %v", v, got, want)
		}
	}
	if IsFinite(math.NaN()) {
		t.Error("IsFinite(NaN) = true")
	}
}
