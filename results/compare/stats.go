package compare

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorbench/mirrorbench/results"
	"golang.org/x/perf/benchmath"
)

// compareRow does the statistics of one benchmark, at the per-benchmark
// alpha.
func compareRow(p rowPlan, alpha float64, opt Options) Comparison {
	nan := math.NaN()
	c := Comparison{Name: p.name, Unit: p.unit, Better: p.better, Accuracy: accuracyOf(p),
		DeltaPct: nan, DeltaLo: nan, DeltaHi: nan, P: nan, MDEPct: nan}
	th := benchmath.DefaultThresholds // never nil: Compare dereferences it
	th.CompareAlpha = alpha
	oldS, oldW := summarize("old", p.old, &th, opt.Confidence, &c.Old)
	newS, newW := summarize("new", p.new, &th, opt.Confidence, &c.New)
	c.Warnings = append(oldW, newW...)
	switch {
	case oldS == nil:
		c.Verdict = VerdictOnlyNew
	case newS == nil:
		c.Verdict = VerdictOnlyOld
	default:
		if c.pairable(p, opt.Paired) {
			c.pairedTest(p.old, p.new, alpha)
		} else {
			c.unpairedTest(oldS, newS, alpha)
		}
		c.Verdict = c.verdict(alpha, opt.Threshold)
	}
	c.Failure = c.failure(opt)
	return c
}

// accuracyOf is the test-acc beside the verdict; nil when there is none.
func accuracyOf(p rowPlan) *Accuracy {
	o, n := p.accOld, p.accNew
	if p.unit == results.UnitTestAcc {
		o, n = p.old, p.new
	}
	if len(o) == 0 && len(n) == 0 {
		return nil
	}
	return &Accuracy{Old: results.Median(o), New: results.Median(n)}
}

func (c *Comparison) warn(format string, args ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...))
}

// pairable says whether the samples can be paired, and warns when pairing
// was asked for but cannot be done.
func (c *Comparison) pairable(p rowPlan, paired bool) bool {
	switch {
	case !paired:
		return false
	case len(p.old) != len(p.new):
		c.warn("%d old but %d new samples cannot be paired: compared unpaired (Mann-Whitney U)", len(p.old), len(p.new))
		return false
	case len(p.old) < 2:
		return false // too few either way; said so already
	}
	_, okOld := logs(p.old)
	_, okNew := logs(p.new)
	if !okOld || !okNew {
		c.warn("values that are not positive and finite have no log ratio: compared unpaired (Mann-Whitney U)")
		return false
	}
	return true
}

// pairedTest pairs old[i] with new[i]: the signed-rank test, the
// Hodges-Lehmann estimate and the Walsh-average interval of the log ratios
// (so the estimate always lies in its interval), and the minimum detectable
// effect from the spread of the log ratios.
func (c *Comparison) pairedTest(old, new []float64, alpha float64) {
	n := len(old)
	d := make([]float64, n)
	for i := range old {
		d[i] = math.Log(new[i] / old[i])
	}
	c.Paired = true
	c.P = signedRankP(d)
	c.Significant = c.P < alpha
	c.DeltaPct = pctOfLog(hodgesLehmann(d))
	lo, hi := pairedCI(d, alpha)
	c.DeltaLo, c.DeltaHi = pctOfLog(lo), pctOfLog(hi)
	c.MDEPct = mdePct(sdev(d)/math.Sqrt(float64(n)), alpha)
	c.nonZero = nonZero(d)
	switch minP := pairedMinP(c.nonZero); {
	case c.nonZero == 0:
		// Every pair is equal (a deterministic metric such as accuracy
		// under a fixed seed): simply no change, as unpaired.
	case !c.Significant && minP > alpha && c.nonZero < n:
		c.warn("%d pairs, %d of them equal: the signed-rank test drops those, and the smallest possible p of the other %d is %.3g, not below alpha %.3g",
			n, n-c.nonZero, c.nonZero, minP, alpha)
	case !c.Significant && minP > alpha:
		c.warn("%d pairs: the smallest possible p is %.3g, not below alpha %.3g", n, minP, alpha)
	}
}

// unpairedTest runs the U test on the sides, and takes the estimate, its
// interval and the minimum detectable effect from their log values: the
// Hodges-Lehmann shift with the interval that belongs to the U test. Where
// a value is not positive and finite (no log), or the sides are too large
// for the pairwise differences, the change is that of the medians, without
// an interval.
func (c *Comparison) unpairedTest(oldS, newS *benchmath.Sample, alpha float64) {
	c.DeltaPct = deltaPct(c.Old.Median, c.New.Median)
	c.test(oldS, newS, alpha)
	x, okx := logs(oldS.Values)
	y, oky := logs(newS.Values)
	if !okx || !oky {
		return
	}
	est, lo, hi := shiftCI(x, y, alpha)
	if !math.IsNaN(est) {
		c.DeltaPct = pctOfLog(est)
	}
	c.DeltaLo, c.DeltaHi = pctOfLog(lo), pctOfLog(hi)
	s1, s2 := sdev(x), sdev(y)
	n1, n2 := float64(len(x)), float64(len(y))
	c.MDEPct = mdePct(math.Sqrt(float64(s1*s1/n1)+float64(s2*s2/n2)), alpha)
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
		// benchmath prints alpha in full: 0.016666666666666666.
		text := strings.ReplaceAll(w.Error(), strconv.FormatFloat(alpha, 'g', -1, 64), strconv.FormatFloat(alpha, 'g', 3, 64))
		c.warn("%d old + %d new samples: %s", cmp.N1, cmp.N2, text)
	}
	// benchmath warns only when both sides are short; 1 sample against
	// 30 cannot reach 0.05 either.
	if minP := minPossibleP(cmp.N1, cmp.N2); !c.Significant && minP > alpha && len(kept) == 0 {
		c.warn("%d old + %d new samples: the smallest possible p is %.3g, not below alpha %.3g", cmp.N1, cmp.N2, minP, alpha)
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

// minP is the smallest p-value the row's test could give its sample sizes.
func (c *Comparison) minP() float64 {
	if c.Paired {
		return pairedMinP(c.nonZero)
	}
	return minPossibleP(c.Old.N, c.New.N)
}

// verdict judges a row both sides have: too few samples (which sets
// MDEPct to +Inf) or too much noise to say, no change, or a significant
// change in the better or the worse direction of the estimate.
func (c *Comparison) verdict(alpha, threshold float64) string {
	if !c.Significant {
		switch {
		case c.Paired && c.nonZero == 0:
			return VerdictNoChange // every pair equal: no change, whatever n
		case c.minP() > alpha:
			c.MDEPct = math.Inf(1) // no change of any size could be significant
			return VerdictTooFew
		case c.MDEPct > 100*threshold:
			return VerdictTooNoisy
		}
		return VerdictNoChange
	}
	switch sign(c.DeltaPct) * c.Better {
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
		why = append(why, fmt.Sprintf("%+.1f%% (%s), beyond the %g%% threshold", c.DeltaPct, pClause(c.P), 100*opt.Threshold))
	}
	floor, acc := opt.AccuracyFloor, c.Accuracy
	if floor > 0 && acc != nil && acc.Old >= floor && acc.New < floor {
		why = append(why, fmt.Sprintf("test-acc median %.4g fell below the accuracy floor %.4g that old met (%.4g)", acc.New, floor, acc.Old))
	}
	return strings.Join(why, "; ")
}

// hodgesLehmann is the median of the Walsh averages (d[i]+d[j])/2, i <= j:
// the estimate that belongs to the signed-rank test and its interval. Above
// maxWalshN pairs, where the interval falls back to the sign test, it is the
// median of d.
func hodgesLehmann(d []float64) float64 {
	if len(d) > maxWalshN {
		return results.Median(d)
	}
	w := make([]float64, 0, len(d)*(len(d)+1)/2)
	for i := range d {
		for j := i; j < len(d); j++ {
			w = append(w, (d[i]+d[j])/2)
		}
	}
	return results.Median(w)
}
