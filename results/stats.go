package results

import (
	"math"
	"slices"
)

// Median is the middle value of v, or the mean of the two middle values
// when len(v) is even; NaN when v is empty. It sorts a copy: v keeps its
// order.
func Median(v []float64) float64 {
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[n/2]
}

// IsFinite reports whether v is a number and not ±Inf: the one check that
// a figure can be scaled, plotted or printed as a number.
func IsFinite(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}
