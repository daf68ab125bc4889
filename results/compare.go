// Comparison of two sets of benchmark results: the engine of
// `mirrorbench compare OLD NEW`, which tells a pull request whether the
// trainer got faster or slower and whether its accuracy held.
//
// This code is opinionated, the way benchstat is:
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

package results

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// Defaults of CompareOptions, used where a field is 0.
const (
	DefaultCompareThreshold  = 0.05
	DefaultCompareAlpha      = 0.05
	DefaultCompareConfidence = 0.95
)

// CompareOptions control a comparison. A zero field takes its default.
type CompareOptions struct {
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
func (o CompareOptions) withDefaults() (CompareOptions, error) {
	if o.Threshold == 0 {
		o.Threshold = DefaultCompareThreshold
	}
	if o.Alpha == 0 {
		o.Alpha = DefaultCompareAlpha
	}
	if o.Confidence == 0 {
		o.Confidence = DefaultCompareConfidence
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
	N      int
	Median float64 // NaN when N is 0
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

// CompareReport is the outcome of Compare.
type CompareReport struct {
	Rows        []Comparison
	Regressions []Comparison // the rows that fail: Failure != ""
	Failed      bool         // some row fails: the caller exits 1
	Warnings    []string     // about the inputs as a whole
	Options     CompareOptions
}

// Compare reads Go benchmark-format results from the old and the new paths
// and compares them row by row. A path is a file, or a folder standing for
// the *.txt files directly in it, in name order; all files of a side merge.
// Rows come in the order benchmarks first appear, old side first.
func Compare(oldPaths, newPaths []string, opt CompareOptions) (*CompareReport, error) {
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
	rep := &CompareReport{Options: opt, Warnings: configWarnings(oldS, newS)}
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

// rowKey identifies a row: a full benchmark name and a tidied unit.
type rowKey struct{ name, unit string }

// sideSamples is what one side's files hold.
type sideSamples struct {
	label      string
	values     map[rowKey][]float64
	order      []rowKey            // first-seen order
	config     map[string][]string // file configuration key -> distinct values
	configKeys []string            // first-seen order
}

// benchReader reads both sides with one benchfmt.Reader, so that Unit
// metadata (better=higher) from either side applies to both, and metadata
// that contradicts itself is reported.
type benchReader struct {
	r          benchfmt.Reader
	proj       *benchproc.Projection
	name, unit *benchproc.Field
}

func newBenchReader() (*benchReader, error) {
	var p benchproc.ProjectionParser
	proj, unit, err := p.ParseWithUnit(".fullname", nil)
	if err != nil {
		return nil, err
	}
	return &benchReader{proj: proj, name: proj.Fields()[0], unit: unit}, nil
}

func (br *benchReader) readSide(label string, paths []string) (*sideSamples, error) {
	files, err := benchFiles(paths)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	s := &sideSamples{label: label, values: map[rowKey][]float64{}, config: map[string][]string{}}
	var errs []error
	for _, f := range files {
		errs = append(errs, br.readFile(f, s)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(s.order) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results in %s", label, strings.Join(files, ", "))
	}
	return s, nil
}

// readFile adds one file's results to s and returns its syntax errors
// (each reads file:line: message).
func (br *benchReader) readFile(path string, s *sideSamples) []error {
	f, err := os.Open(path)
	if err != nil {
		return []error{err}
	}
	defer f.Close()
	br.r.Reset(f, path)
	var errs []error
	for br.r.Scan() {
		switch rec := br.r.Result().(type) {
		case *benchfmt.SyntaxError:
			errs = append(errs, rec)
		case *benchfmt.Result:
			s.add(br, rec)
		}
	}
	if err := br.r.Err(); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func (s *sideSamples) add(br *benchReader, res *benchfmt.Result) {
	for i, key := range br.proj.ProjectValues(res) {
		k := rowKey{key.Get(br.name), key.Get(br.unit)}
		if _, ok := s.values[k]; !ok {
			s.order = append(s.order, k)
		}
		s.values[k] = append(s.values[k], res.Values[i].Value)
	}
	for _, c := range res.Config {
		if !c.File {
			continue
		}
		vals, seen := s.config[c.Key]
		if !seen {
			s.configKeys = append(s.configKeys, c.Key)
		}
		if v := string(c.Value); !slices.Contains(vals, v) {
			s.config[c.Key] = append(vals, v)
		}
	}
}

// benchFiles expands paths: a file stands for itself, a folder for the
// *.txt files directly in it, in name order. A file named twice (say,
// directly and through its folder) is read once: read twice, its samples
// would count double and overstate significance.
func benchFiles(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input paths")
	}
	var files []string
	seen := map[string]bool{}
	for _, p := range paths {
		found, err := expandPath(p)
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			key, err := filepath.Abs(f)
			if err != nil {
				key = filepath.Clean(f)
			}
			if !seen[key] {
				seen[key] = true
				files = append(files, f)
			}
		}
	}
	return files, nil
}

func expandPath(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	entries, err := os.ReadDir(p) // sorted by name
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".txt") {
			files = append(files, filepath.Join(p, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.txt files in the folder", p)
	}
	return files, nil
}

// rowOrder lists the rows of both sides: old's in its order, then those
// only new has.
func rowOrder(oldS, newS *sideSamples) []rowKey {
	keys := slices.Clone(oldS.order)
	for _, k := range newS.order {
		if _, ok := oldS.values[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// betterOf says whether higher (+1) or lower (-1) values of a tidied unit
// are better: from the files' Unit metadata or benchfmt's defaults for go
// test's units (sec/op, B/op, allocs/op), else from this project's own
// units, which `go test -bench` output reports without metadata.
func betterOf(units benchfmt.UnitMetadataMap, unit string) int {
	if b := units.GetBetter(unit); b != 0 {
		return b
	}
	for _, u := range unitBetter {
		if _, tidy := benchunit.Tidy(1, u.unit); tidy == unit {
			if u.better == "higher" {
				return 1
			}
			return -1
		}
	}
	return 0
}

// configWarnings reports file configuration keys whose values differ
// between the sides: a different cpu makes speeds incomparable.
func configWarnings(oldS, newS *sideSamples) []string {
	keys := slices.Clone(oldS.configKeys)
	for _, k := range newS.configKeys {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	var warns []string
	for _, k := range keys {
		o, n := slices.Sorted(slices.Values(oldS.config[k])), slices.Sorted(slices.Values(newS.config[k]))
		if !slices.Equal(o, n) {
			warns = append(warns, fmt.Sprintf("file configuration %q differs: old %s, new %s; the numbers may not be comparable",
				k, quoteList(oldS.config[k]), quoteList(newS.config[k])))
		}
	}
	return warns
}

func quoteList(vals []string) string {
	if len(vals) == 0 {
		return "(none)"
	}
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// compareRow does the statistics of one row.
func compareRow(k rowKey, oldVals, newVals []float64, better int, opt CompareOptions) Comparison {
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
func (c *Comparison) failure(opt CompareOptions) string {
	var why []string
	if c.Verdict == VerdictRegression && math.Abs(c.DeltaPct) > 100*opt.Threshold {
		why = append(why, fmt.Sprintf("%+.2f%% (p=%.3f), beyond the %g%% threshold", c.DeltaPct, c.P, 100*opt.Threshold))
	}
	floor := opt.AccuracyFloor
	if floor > 0 && c.Unit == UnitTestAcc && c.Old.Median >= floor && c.New.Median < floor {
		why = append(why, fmt.Sprintf("median %.4g fell below the accuracy floor %.4g that old met (%.4g)", c.New.Median, floor, c.Old.Median))
	}
	return strings.Join(why, "; ")
}

// Rendering.

var compareHeader = []string{"name", "unit", "old", "new", "delta", "p (n)", "verdict"}

// compareRightAligned marks the columns of figures.
var compareRightAligned = []bool{false, false, true, true, true, false, false}

// WriteText writes an aligned plain-text table, its numbered warnings, the
// report's warnings and the verdict.
func (r *CompareReport) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	notes := &footnotes{index: map[string]int{}}
	rows := [][]string{compareHeader}
	for i := range r.Rows {
		rows = append(rows, r.Rows[i].cells(notes, false))
	}
	writeAligned(bw, rows, compareRightAligned)
	if len(notes.list) > 0 || len(r.Warnings) > 0 {
		fmt.Fprintln(bw)
	}
	for i, n := range notes.list {
		fmt.Fprintf(bw, "[%d] %s\n", i+1, n)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(bw, "warning: %s\n", wn)
	}
	head, text := r.verdict()
	fmt.Fprintf(bw, "\n%s: %s\n", head, text)
	for _, c := range r.Regressions {
		fmt.Fprintf(bw, "  - %s %s: %s\n", c.Name, c.Unit, c.Failure)
	}
	return bw.Flush()
}

// WriteMarkdown writes the verdict line first, then a GitHub Markdown table
// and its notes: a pull request shows the answer before the evidence.
func (r *CompareReport) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	head, text := r.verdict()
	fmt.Fprintf(bw, "**%s**: %s\n", head, text)
	for _, c := range r.Regressions {
		fmt.Fprintf(bw, "- `%s` %s: %s\n", c.Name, c.Unit, c.Failure)
	}
	notes := &footnotes{index: map[string]int{}}
	fmt.Fprintf(bw, "\n| %s |\n", strings.Join(compareHeader, " | "))
	fmt.Fprintln(bw, "| --- | --- | ---: | ---: | ---: | --- | --- |")
	for i := range r.Rows {
		cells := r.Rows[i].cells(notes, true)
		for j := range cells {
			cells[j] = mdEscape(cells[j])
		}
		cells[0] = "`" + cells[0] + "`"
		fmt.Fprintf(bw, "| %s |\n", strings.Join(cells, " | "))
	}
	if len(notes.list) > 0 || len(r.Warnings) > 0 {
		fmt.Fprintln(bw)
	}
	for i, n := range notes.list {
		fmt.Fprintf(bw, "- [%d] %s\n", i+1, mdEscape(n))
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(bw, "- warning: %s\n", mdEscape(wn))
	}
	return bw.Flush()
}

// mdEscape keeps a cell from ending early: GitHub splits table cells at
// every unescaped "|", even inside code spans.
func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// WriteCSV writes one record per row, in base units and unrounded, for
// spreadsheets and scripts. NaN is an empty field. Report-level warnings
// are not in it.
func (r *CompareReport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"name", "unit", "better",
		"old_n", "old_median", "old_lo", "old_hi",
		"new_n", "new_median", "new_lo", "new_hi",
		"delta_pct", "p", "significant", "verdict", "failure", "warnings"})
	for _, c := range r.Rows {
		cw.Write([]string{c.Name, c.Unit, strconv.Itoa(c.Better),
			strconv.Itoa(c.Old.N), csvFloat(c.Old.Median), csvFloat(c.Old.Lo), csvFloat(c.Old.Hi),
			strconv.Itoa(c.New.N), csvFloat(c.New.Median), csvFloat(c.New.Lo), csvFloat(c.New.Hi),
			csvFloat(c.DeltaPct), csvFloat(c.P), strconv.FormatBool(c.Significant),
			c.Verdict, c.Failure, strings.Join(c.Warnings, "; ")})
	}
	cw.Flush()
	return cw.Error()
}

func csvFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// verdict is the headline and its one-line explanation; the failing rows
// follow it in each format.
func (r *CompareReport) verdict() (head, text string) {
	opt := r.Options
	criteria := fmt.Sprintf("alpha %v, threshold %g%%", opt.Alpha, 100*opt.Threshold)
	if opt.AccuracyFloor > 0 {
		criteria += fmt.Sprintf(", accuracy floor %g", opt.AccuracyFloor)
	}
	if r.Failed {
		return "Regression", fmt.Sprintf("%d of %d comparisons fail (%s)", len(r.Regressions), len(r.Rows), criteria)
	}
	head = "No significant regression"
	if !slices.ContainsFunc(r.Rows, decided) {
		// Saying "no regression" when none could have been found would
		// read as a pass it is not.
		head = "Inconclusive"
	} else if slices.ContainsFunc(r.Rows, func(c Comparison) bool { return c.Verdict == VerdictRegression }) {
		// Honest wording: there is a significant regression, a small one.
		head = fmt.Sprintf("No regression beyond the %g%% threshold", 100*opt.Threshold)
	}
	return head, fmt.Sprintf("%s (%s)", r.verdictCounts(), criteria)
}

// decided reports whether the row's samples could show a difference.
func decided(c Comparison) bool {
	switch c.Verdict {
	case VerdictTooFew, VerdictOnlyOld, VerdictOnlyNew:
		return false
	}
	return true
}

// verdictCounts reads like "2 ~, 1 improvement, 1 too few samples".
func (r *CompareReport) verdictCounts() string {
	var parts []string
	for _, v := range []string{VerdictNoChange, VerdictImprovement, VerdictRegression, VerdictChanged, VerdictTooFew, VerdictOnlyOld, VerdictOnlyNew} {
		n := 0
		for _, c := range r.Rows {
			if c.Verdict == v {
				n++
			}
		}
		if n > 0 {
			if v == VerdictNoChange {
				v = "no significant change"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, v))
		}
	}
	return strings.Join(parts, ", ")
}

// cells renders c as a table row; notes numbers its warnings. In Markdown
// a failing row's verdict is bold.
func (c *Comparison) cells(notes *footnotes, markdown bool) []string {
	sc := c.scaler()
	verdict := c.Verdict
	if markdown && c.Failure != "" {
		verdict = "**" + verdict + "**"
	}
	return []string{c.Name, c.Unit, sideText(c.Old, sc), sideText(c.New, sc), c.deltaText(), c.pText(), verdict + notes.marks(c.Warnings)}
}

// scaler picks one SI prefix for both medians, as benchstat does, except
// for figures below 1 in units that are not seconds: "985.0m" reads badly
// for an accuracy of 0.985.
func (c *Comparison) scaler() func(float64) string {
	var vals []float64
	for _, v := range []float64{c.Old.Median, c.New.Median} {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			vals = append(vals, v)
		}
	}
	sc := benchunit.CommonScale(vals, benchunit.ClassOf(c.Unit))
	if sc.Factor < 1 && !strings.HasPrefix(c.Unit, "sec") {
		return func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
	}
	return sc.Format
}

func sideText(s Side, format func(float64) string) string {
	if s.N == 0 {
		return ""
	}
	ci := benchmath.Summary{Center: s.Median, Lo: s.Lo, Hi: s.Hi}.PctRangeString()
	return format(s.Median) + " ± " + ci
}

// deltaText is "~" unless the change is significant, as in benchstat.
func (c *Comparison) deltaText() string {
	switch {
	case c.Old.N == 0 || c.New.N == 0:
		return ""
	case !c.Significant:
		return "~"
	case math.IsNaN(c.DeltaPct):
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", c.DeltaPct)
}

func (c *Comparison) pText() string {
	n := fmt.Sprintf("n=%d+%d", c.Old.N, c.New.N)
	if c.Old.N == c.New.N {
		n = fmt.Sprintf("n=%d", c.Old.N)
	}
	if math.IsNaN(c.P) {
		return n
	}
	return fmt.Sprintf("p=%.3f %s", c.P, n)
}

// footnotes numbers distinct warnings, so that the many rows sharing one
// ("old: 3 samples: ...") point at a single note.
type footnotes struct {
	list  []string
	index map[string]int
}

func (f *footnotes) marks(warnings []string) string {
	var b strings.Builder
	for _, w := range warnings {
		i, ok := f.index[w]
		if !ok {
			f.list = append(f.list, w)
			i = len(f.list)
			f.index[w] = i
		}
		fmt.Fprintf(&b, " [%d]", i)
	}
	return b.String()
}

// writeAligned pads columns to a common width: text to the left, figures
// to the right, as benchstat lines up its tables.
func writeAligned(w io.Writer, rows [][]string, right []bool) {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(cell))
			if i > 0 {
				b.WriteString("  ")
			}
			if right[i] {
				b.WriteString(pad + cell)
			} else {
				b.WriteString(cell + pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
