// Package compare compares two sets of benchmark results: the engine of
// `mirrorbench compare OLD NEW`, which tells a pull request whether the
// trainer got faster or slower and whether its accuracy held.
//
// It is opinionated, the way benchstat is:
//
//   - Nothing is assumed about how a measurement is distributed. A side is
//     summarised by its median and the confidence interval of the median,
//     and the sides are compared with the Mann-Whitney U test
//     (benchmath.AssumeNothing). "assume=exact" unit metadata is ignored.
//   - A difference counts only when it is significant (p < Alpha). The
//     delta printed for a change that is not significant is "~": a number
//     there invites reading noise.
//   - Too few samples is a verdict of its own, never a quiet "~": when the
//     smallest p-value the U test could give these sample sizes is above
//     Alpha (3 and 3 samples: 0.1), the comparison could not have found a
//     regression, and it says so. Too few samples never fails a pull
//     request, but a report where nothing could be decided is headed
//     "Inconclusive", not "No significant regression".
//   - A regression fails the comparison only when it is significant, in the
//     unit's bad direction, and larger than Threshold. Smaller ones are
//     reported but do not fail a pull request.
//   - Benchmark files carry no accuracy targets. AccuracyFloor supplies one:
//     NEW falling below a floor that OLD met fails the comparison,
//     significant or not (under fixed seeds accuracy is deterministic, so
//     one sample is exact).
//   - Results match by full benchmark name (benchproc's ".fullname", the
//     GOMAXPROCS suffix included) and unit. File configuration (goos, cpu,
//     the file name) is not part of the match, but configuration that
//     differs between the sides is reported: the numbers may then not be
//     comparable.
//   - Units are benchfmt's tidied units: ns/sample is read as sec/sample and
//     ns/op as sec/op, and values are in those units.
//   - Input is read strictly: a malformed benchmark line is an error naming
//     file:line, not a dropped sample.
package compare

import (
	"fmt"
)

// Defaults of Options, used where a field is 0.
const (
	DefaultThreshold  = 0.05
	DefaultAlpha      = 0.05
	DefaultConfidence = 0.95
)

// Options control a comparison. A zero field takes its default.
type Options struct {
	// Threshold is the fraction a significant regression must exceed to
	// fail the comparison (default 0.05, 5%). To fail on every
	// significant regression, use a tiny positive value.
	Threshold float64
	// Alpha is the significance level of the U test (default 0.05).
	Alpha float64
	// Confidence is the level of each median's confidence interval
	// (default 0.95).
	Confidence float64
	// AccuracyFloor, when above 0, is a minimum test-acc on the files'
	// scale (a fraction): a benchmark whose old median meets it and whose
	// new median does not fails the comparison. 0 turns the check off.
	AccuracyFloor float64
}

// withDefaults fills zero fields and rejects values that make no sense.
func (o Options) withDefaults() (Options, error) {
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	if o.Alpha == 0 {
		o.Alpha = DefaultAlpha
	}
	if o.Confidence == 0 {
		o.Confidence = DefaultConfidence
	}
	// The negated comparisons also reject NaN.
	switch {
	case !(o.Threshold > 0):
		return o, fmt.Errorf("compare: threshold %v must be above 0", o.Threshold)
	case !(o.Alpha > 0 && o.Alpha < 1):
		return o, fmt.Errorf("compare: alpha %v must be between 0 and 1", o.Alpha)
	case !(o.Confidence > 0 && o.Confidence < 1):
		return o, fmt.Errorf("compare: confidence %v must be between 0 and 1", o.Confidence)
	case !(o.AccuracyFloor >= 0):
		return o, fmt.Errorf("compare: accuracy floor %v must not be negative", o.AccuracyFloor)
	}
	return o, nil
}

// Verdicts of a Comparison.
const (
	VerdictImprovement = "improvement"
	VerdictRegression  = "regression"
	VerdictChanged     = "changed" // significant, but the unit has no better direction (or the medians are equal)
	VerdictNoChange    = "~"
	VerdictTooFew      = "too few samples"
	VerdictOnlyOld     = "only in old"
	VerdictOnlyNew     = "only in new"
)

// Side is one side's sample of one benchmark and unit.
type Side struct {
	N int
	// Median is benchmath's, the centre of the summary that gives Lo and
	// Hi; it equals results.Median (the mean of the two middle values for
	// an even N). NaN when N is 0.
	Median float64
	// Lo and Hi bound the confidence interval of the median
	// (benchmath.AssumeNothing); ±Inf when N is too small for one.
	Lo, Hi float64
	Values []float64 // ascending
}

// Comparison is one (benchmark name, unit) row.
type Comparison struct {
	Name     string
	Unit     string // tidied: sec/sample, sec/op, samples/s, ...
	Old, New Side
	// DeltaPct is (new-old)/old*100 of the medians; NaN when the
	// benchmark is on one side only, ±Inf when the old median is 0.
	DeltaPct float64
	// P is the Mann-Whitney U p-value; NaN when not computed.
	P           float64
	Significant bool // P < Alpha
	// Better is +1 when higher values are better, -1 when lower are,
	// 0 when unknown.
	Better   int
	Verdict  string   // one of the Verdict constants
	Warnings []string // benchmath's warnings, with the sample sizes
	// Failure says why this row fails the comparison; "" when it does not.
	Failure string
}

// Report is the outcome of Compare.
type Report struct {
	Rows        []Comparison
	Regressions []Comparison // the rows that fail: Failure != ""
	Failed      bool         // some row fails: the caller exits 1
	Warnings    []string     // about the inputs as a whole
	Options     Options
}

// Compare reads Go benchmark-format results from the old and the new paths
// and compares them row by row. A path is a file, or a folder standing for
// the *.txt files directly in it, in name order; all files of a side merge.
// Rows come in the order benchmarks first appear, old side first.
func Compare(oldPaths, newPaths []string, opt Options) (*Report, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	br, err := newBenchReader()
	if err != nil {
		return nil, err
	}
	oldS, err := br.readSide("old", oldPaths)
	if err != nil {
		return nil, err
	}
	newS, err := br.readSide("new", newPaths)
	if err != nil {
		return nil, err
	}
	units := br.r.Units()
	rep := &Report{Options: opt, Warnings: configWarnings(oldS, newS)}
	for _, k := range rowOrder(oldS, newS) {
		c := compareRow(k, oldS.values[k], newS.values[k], betterOf(units, k.unit), opt)
		rep.Rows = append(rep.Rows, c)
		if c.Failure != "" {
			rep.Regressions = append(rep.Regressions, c)
			rep.Failed = true
		}
	}
	return rep, nil
}
