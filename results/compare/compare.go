// Package compare compares two sets of benchmark results: the engine of
// `mirrorbench compare OLD NEW`, which tells a pull request whether the
// trainer got faster or slower and whether its accuracy held.
//
// It is opinionated, the way benchstat is:
//
//   - One verdict per benchmark, on one metric: the first of
//     PreferredUnits that both sides measured, CPU time per sample before
//     wall-clock time (see PreferredUnits). The same run's samples/s and
//     sec/sample are one number in two units, and three verdicts on it
//     would triple the chances of a false alarm. Other units are listed as
//     measured, not judged.
//   - Nothing is assumed about how a measurement is distributed. Unpaired,
//     a side is summarised by its median and the confidence interval of
//     the median, the sides are compared with the Mann-Whitney U test
//     (benchmath.AssumeNothing), the change is the Hodges-Lehmann
//     shift (the median of the pairwise differences of log values, new
//     minus old), and its interval comes from the order statistics of the
//     same differences, so that the estimate lies in its interval (the
//     ratio of the medians need not). "assume=exact" unit metadata is
//     ignored.
//   - Paired (Options.Paired), for rounds run interleaved old/new: the
//     i-th old sample is paired with the i-th new one in file order, so that
//     the machine's drift between rounds cancels in each round's ratio. The
//     test is the Wilcoxon signed-rank test on log(new/old) (exact for up to
//     50 non-zero differences, by dynamic programming over the ranks, ties
//     included; above, the normal approximation with tie and continuity
//     corrections); the change is the Hodges-Lehmann estimate (the median of
//     the pairwise (Walsh) averages of the log ratios), and its interval comes
//     from the order statistics of the same Walsh averages, with the critical
//     value of the untied signed-rank distribution (the sign test's order
//     statistics above 2000 pairs). On a noisy 2-core VM wall-clock
//     sec/sample varied 28-54% between rounds, the paired log ratios of CPU
//     time 9-15%. Sides of different sizes cannot be paired: they are
//     compared unpaired, with a warning.
//   - Alpha is the suite's false-alarm rate, not each benchmark's: each
//     benchmark is tested at Alpha divided by the number of benchmarks
//     compared (Bonferroni; 0.05 over 4 benchmarks is 0.0125 each), and the
//     verdict line says so. The change's interval has level 1 - that alpha,
//     so that it excludes 0 when the change is significant (ties aside).
//   - A difference counts only when it is significant. The change printed
//     for one that is not is "~" (with its interval): a point estimate there
//     invites reading noise.
//   - A regression fails the comparison only when it is significant, in the
//     unit's bad direction, and its estimate is larger than Threshold
//     (default 3%). With a true 5% slowdown the estimate lands below 5%
//     about half the time, so a 5% threshold would miss half the slowdowns
//     it is meant to catch. Simulated (sim_test.go: paired, 20 rounds, 9%
//     noise per pair, 30% drift between rounds, alpha 0.0125), a 10%
//     slowdown fails 96% of the time and unchanged code 0.2%; compared
//     unpaired, the drift hides the same slowdown (0.4%).
//   - Every comparison says what it could have seen: the minimum detectable
//     effect ("could see"), the change it would find with 80% power at its
//     alpha given the noise it measured: (z_{1-alpha/2} + z_{0.8}) times the
//     standard error of the log-scale estimate (paired, sd/sqrt(n) of the
//     log ratios; unpaired, sqrt(s1^2/n1 + s2^2/n2) of the log values),
//     divided by the rank tests' efficiency sqrt(3/pi), as a ratio. It is
//     a normal approximation, optimistic for few samples: at 20 pairs and
//     9% noise it says 7.1%, where simulation finds 72% power (80% near
//     7.9%). Too few samples (the smallest p-value the test could give is
//     above alpha: "could see" is ∞; paired, 2/2^m for the m pairs that
//     differ, since the signed-rank test drops equal pairs, and pairs that
//     are all equal are simply no change) and too much noise (no significant
//     change, and the minimum detectable effect is above Threshold) are
//     verdicts of their own, never a quiet "~". Neither fails a pull
//     request, but a report where nothing could be decided is headed
//     "Inconclusive", not "No significant regression".
//   - Benchmark files carry no accuracy targets. AccuracyFloor supplies one,
//     checked beside the verdicts on test-acc: NEW falling below a floor
//     that OLD met fails the comparison, significant or not (under fixed
//     seeds accuracy is deterministic, so one sample is exact).
//   - Results match by full benchmark name (benchproc's ".fullname", the
//     GOMAXPROCS suffix included) and unit. File configuration (goos, cpu,
//     the file name) is not part of the match, but configuration that
//     differs between the sides is reported: the numbers may then not be
//     comparable.
//   - Units are benchfmt's tidied units: ns/sample is read as sec/sample,
//     ns/op as sec/op and cpu-ns/sample as cpu-sec/sample, and values are
//     in those units.
//   - Input is read strictly: a malformed benchmark line is an error naming
//     file:line, not a dropped sample.
package compare

import (
	"fmt"

	"github.com/mirrorbench/mirrorbench/results"
)

// Defaults of Options, used where a field is 0.
const (
	DefaultThreshold  = 0.03
	DefaultAlpha      = 0.05
	DefaultConfidence = 0.95
)

// PreferredUnits is the order in which a benchmark's verdict unit is
// chosen: the first unit here that both sides measured, else the first
// other unit both sides measured (test-acc last). Entries are matched in
// benchfmt's tidied form, so ns/sample stands for sec/sample.
//
// CPU time per sample comes first: it does not count the time the process
// was descheduled by other load on the machine, the largest part of
// wall-clock noise on a shared machine, yet it still counts extra work of
// any shape (more instructions, more threads spinning, more GC). A change
// that only makes the trainer wait longer (I/O, sleeping, lost
// parallelism at the same CPU cost) shows in wall-clock time only: list
// ns/sample first to judge on it.
var PreferredUnits = []string{results.UnitCPUNsPerSample, results.UnitNsPerSample, "ns/op", results.UnitSamplesPerSec}

// Options control a comparison. A zero field takes its default.
type Options struct {
	// Threshold is the fraction a significant regression must exceed to
	// fail the comparison (default 0.03, 3%), and the change a comparison
	// must be able to see to call "no significant change" more than
	// inconclusive. To fail on every significant regression, use a tiny
	// positive value.
	Threshold float64
	// Alpha is the family-wise significance level (default 0.05): each
	// benchmark is tested at Alpha over the number of benchmarks compared.
	Alpha float64
	// Confidence is the level of each side's median confidence interval
	// (default 0.95).
	Confidence float64
	// AccuracyFloor, when above 0, is a minimum test-acc on the files'
	// scale (a fraction): a benchmark whose old median meets it and whose
	// new median does not fails the comparison. 0 turns the check off.
	AccuracyFloor float64
	// CountThreshold is the fraction by which a counted benchmark's
	// instructions per sample must grow to fail the comparison (default
	// DefaultCountThreshold); see counted.go.
	CountThreshold float64
	// Paired pairs the i-th old sample of a benchmark with its i-th new one
	// (file order) when both sides have the same number, at least 2, and
	// uses the Wilcoxon signed-rank test; otherwise the unpaired U test.
	Paired bool
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
	if o.CountThreshold == 0 {
		o.CountThreshold = DefaultCountThreshold
	}
	// The negated comparisons also reject NaN.
	switch {
	case !(o.Threshold > 0):
		return o, fmt.Errorf("compare: threshold %v must be above 0", o.Threshold)
	case !(o.Alpha > 0 && o.Alpha < 1):
		return o, fmt.Errorf("compare: alpha %v must be between 0 and 1", o.Alpha)
	case !(o.Confidence > 0 && o.Confidence < 1):
		return o, fmt.Errorf("compare: confidence %v must be between 0 and 1", o.Confidence)
	case !(o.CountThreshold > 0):
		return o, fmt.Errorf("compare: count threshold %v must be above 0", o.CountThreshold)
	case !(o.AccuracyFloor >= 0):
		return o, fmt.Errorf("compare: accuracy floor %v must not be negative", o.AccuracyFloor)
	}
	return o, nil
}

// Verdicts of a Comparison.
const (
	VerdictImprovement = "improvement"
	VerdictRegression  = "regression"
	VerdictChanged     = "changed" // significant, but the unit has no better direction (or the change is 0)
	VerdictNoChange    = "~"
	VerdictTooFew      = "too few samples"
	// VerdictTooNoisy: no significant change, but the comparison could not
	// have seen one of Threshold (its MDEPct is larger). Rendered as
	// "inconclusive: too noisy to see a 3% change".
	VerdictTooNoisy = "inconclusive"
	VerdictOnlyOld  = "only in old"
	VerdictOnlyNew  = "only in new"
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

// Comparison is one benchmark's verdict, on its chosen unit.
type Comparison struct {
	Name     string
	Unit     string // tidied, chosen by PreferredUnits: cpu-sec/sample, sec/sample, ...
	Old, New Side
	// Paired says the samples were paired (Options.Paired, equal counts).
	Paired bool
	// DeltaPct is the estimated change in percent, a ratio new/old less 1,
	// from the Hodges-Lehmann estimate on log values: paired, the median
	// of the Walsh averages (d_i+d_j)/2, i <= j, of the per-pair log ratios
	// d = log(new/old) (above 2000 pairs, the median of d); unpaired, the
	// median of the n1*n2 differences log new_j - log old_i. Either way it
	// lies in [DeltaLo, DeltaHi], which are order statistics of the same
	// averages or differences. Where a value is not positive and finite
	// (no log), or unpaired sides exceed 4,000,000 differences, it is
	// (new-old)/old of the medians: ±Inf when the old median is 0. NaN
	// when the benchmark is on one side only.
	DeltaPct float64
	// DeltaLo and DeltaHi bound the change's confidence interval (percent)
	// at level 1 - Report.AlphaEach; ±Inf when the samples are too few for
	// one, NaN when not computed (one side only, values not positive).
	DeltaLo, DeltaHi float64
	// P is the p-value of the signed-rank test (paired) or the U test;
	// NaN when not computed.
	P           float64
	Significant bool // P < Report.AlphaEach
	// MDEPct is the minimum detectable effect in percent: the change this
	// comparison would find with 80% power at Report.AlphaEach, given the
	// noise it measured. NaN when not computed (fewer than 2 samples a
	// side, values not positive).
	MDEPct float64
	// Better is +1 when higher values are better, -1 when lower are,
	// 0 when unknown.
	Better   int
	Verdict  string   // one of the Verdict constants
	Warnings []string // with the sample sizes
	// Accuracy is the benchmark's test-acc, checked beside the verdict;
	// nil when neither side has one.
	Accuracy *Accuracy
	// Failure says why this benchmark fails the comparison; "" when it
	// does not.
	Failure string

	// nonZero is, paired, the number of pairs that differ: the signed-rank
	// test drops the others, so its smallest possible p is 2/2^nonZero.
	nonZero int
}

// Accuracy is a benchmark's test-acc medians, NaN where a side has none.
type Accuracy struct{ Old, New float64 }

// Report is the outcome of Compare.
type Report struct {
	Rows        []Comparison // one per benchmark
	Regressions []Comparison // the rows that fail: Failure != ""
	// Counted holds the counted verdicts (instructions, not time), one per
	// benchmark and counted unit, when either side has counted results;
	// TimeOnly names the timed benchmarks without a count.
	Counted  []CountedComparison
	TimeOnly []string
	Failed   bool     // some row, timed or counted, fails: the caller exits 1
	Warnings []string // about the inputs as a whole
	Options  Options
	// Compared is the number of benchmarks on both sides, the family
	// Alpha is divided among; AlphaEach is Alpha / max(Compared, 1).
	Compared  int
	AlphaEach float64
	// AlsoMeasured lists the units measured but not judged (neither a
	// verdict unit nor test-acc), in first-seen order.
	AlsoMeasured []string
}

// Compare reads Go benchmark-format results from the old and the new paths
// and compares them benchmark by benchmark. A path is a file, or a folder
// standing for the *.txt files directly in it, in name order; all files of
// a side merge. Rows come in the order benchmarks first appear, old side
// first.
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
	oldC, newC := oldS.takeCounted(), newS.takeCounted()
	plans := planRows(oldS, newS, br.r.Units())
	rep := &Report{Options: opt, Warnings: configWarnings(oldS, newS), AlsoMeasured: alsoMeasured(plans)}
	for _, p := range plans {
		if p.both() {
			rep.Compared++
		}
	}
	rep.AlphaEach = opt.Alpha / float64(max(rep.Compared, 1))
	for _, p := range plans {
		c := compareRow(p, rep.AlphaEach, opt)
		rep.Rows = append(rep.Rows, c)
		if c.Failure != "" {
			rep.Regressions = append(rep.Regressions, c)
			rep.Failed = true
		}
	}
	rep.Counted, rep.TimeOnly = compareCounted(oldC, newC, rep.Rows, opt)
	if len(rep.countedFailures()) > 0 {
		rep.Failed = true
	}
	return rep, nil
}
