package compare

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mirrorbench/mirrorbench/results"
	"golang.org/x/perf/benchmath"
)

// compareRow does the statistics of one row.
func compareRow(k rowKey, oldVals, newVals []float64, better int, opt Options) Comparison {
	c := Comparison{Name: k.name, Unit: k.unit, Better: better, DeltaPct: math.NaN(), P: math.NaN()}
	th := benchmath.DefaultThresholds // never nil: Compare dereferences it
	th.CompareAlpha = opt.Alpha
	oldS, oldW := summarize("old", oldVals, &th, opt.Confidence, &c.Old)
	newS, newW := summarize("new", newVals, &th, opt.Confidence, &c.New)
	c.Warnings = append(oldW, newW...)
	switch {
	case oldS == nil:
		c.Verdict = VerdictOnlyNew
		return c
	case newS == nil:
		c.Verdict = VerdictOnlyOld
		return c
	}
	c.DeltaPct = deltaPct(c.Old.Median, c.New.Median)
	c.test(oldS, newS, opt.Alpha)
	c.Verdict = c.verdict(opt.Alpha)
	c.Failure = c.failure(opt)
	return c
}

// summarize fills side from vals and returns the benchmath sample (nil when
// vals is empty) and the summary's warnings.
func summarize(label string, vals []float64, th *benchmath.Thresholds, confidence float64, side *Side) (*benchmath.Sample, []string) {
	if len(vals) == 0 {
		*side = Side{Median: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
		return nil, nil
	}
	s := benchmath.NewSample(slices.Clone(vals), th) // NewSample sorts in place
	sum := benchmath.AssumeNothing.Summary(s, confidence)
	*side = Side{N: len(s.Values), Median: sum.Center, Lo: sum.Lo, Hi: sum.Hi, Values: s.Values}
	var warns []string
	for _, w := range sum.Warnings {
		warns = append(warns, fmt.Sprintf("%s: %d samples: %v", label, side.N, w))
	}
	return s, warns
}

// deltaPct is (new-old)/old in percent. From a zero old median any change
// is infinitely large: ±Inf, which a threshold sees as large, rather than
// NaN, which it would let pass.
func deltaPct(old, new float64) float64 {
	switch {
	case old == new:
		return 0
	case old == 0:
		return math.Copysign(math.Inf(1), new)
	}
	return (new - old) / math.Abs(old) * 100
}

// test runs the U test and keeps its warnings, with the sample sizes.
func (c *Comparison) test(oldS, newS *benchmath.Sample, alpha float64) {
	cmp := benchmath.AssumeNothing.Compare(oldS, newS)
	c.P = cmp.P
	c.Significant = c.P < alpha
	kept := cmp.Warnings
	if sameConstant(oldS.Values, newS.Values) {
		// The U test refuses ("all samples are equal"); for a
		// deterministic metric such as accuracy under a fixed seed that
		// is simply no change, not something to warn about.
		kept = nil
	}
	for _, w := range kept {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d old + %d new samples: %v", cmp.N1, cmp.N2, w))
	}
	// benchmath warns only when both sides are short; 1 sample against
	// 30 cannot reach 0.05 either.
	if minP := minPossibleP(cmp.N1, cmp.N2); !c.Significant && minP > alpha && len(kept) == 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d old + %d new samples: the smallest possible p is %.3f, not below alpha %v",
			cmp.N1, cmp.N2, minP, alpha))
	}
}

// sameConstant reports whether every value of a and b is one number.
func sameConstant(a, b []float64) bool {
	for _, s := range [][]float64{a, b} {
		for _, x := range s {
			if x != a[0] {
				return false
			}
		}
	}
	return true
}

// minPossibleP is the smallest two-sided p-value the exact U test gives
// samples of n1 and n2: fully separated samples, 2/C(n1+n2, n1). Ties only
// raise it.
func minPossibleP(n1, n2 int) float64 {
	c := 1.0
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

func (c *Comparison) verdict(alpha float64) string {
	if !c.Significant {
		if minPossibleP(c.Old.N, c.New.N) > alpha {
			return VerdictTooFew
		}
		return VerdictNoChange
	}
	switch sign(c.New.Median-c.Old.Median) * c.Better {
	case 1:
		return VerdictImprovement
	case -1:
		return VerdictRegression
	}
	return VerdictChanged
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// failure says why the row fails the comparison, or "".
func (c *Comparison) failure(opt Options) string {
	var why []string
	if c.Verdict == VerdictRegression && math.Abs(c.DeltaPct) > 100*opt.Threshold {
		why = append(why, fmt.Sprintf("%+.2f%% (p=%.3f), beyond the %g%% threshold", c.DeltaPct, c.P, 100*opt.Threshold))
	}
	floor := opt.AccuracyFloor
	if floor > 0 && c.Unit == results.UnitTestAcc && c.Old.Median >= floor && c.New.Median < floor {
		why = append(why, fmt.Sprintf("median %.4g fell below the accuracy floor %.4g that old met (%.4g)", c.New.Median, floor, c.Old.Median))
	}
	return strings.Join(why, "; ")
}
