package compare

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mirrorbench/mirrorbench/results"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// Rendering: text, Markdown and CSV.

var compareHeader = []string{"benchmark", "unit", "old", "new", "change [CI]", "p", "n", "could see", "verdict"}

// compareRightAligned marks the columns of figures.
var compareRightAligned = []bool{false, false, true, true, true, true, true, true, false}

// WriteText writes an aligned plain-text table, its legend, the accuracy
// check, its numbered warnings, the report's warnings and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	notes := &footnotes{index: map[string]int{}}
	rows := [][]string{compareHeader}
	for i := range r.Rows {
		rows = append(rows, r.cells(&r.Rows[i], notes, false))
	}
	if r.hasTimed() {
		writeAligned(bw, rows, compareRightAligned)
		fmt.Fprintln(bw)
		for _, l := range r.notesBelow() {
			fmt.Fprintln(bw, l)
		}
	}
	for i, n := range notes.list {
		fmt.Fprintf(bw, "[%d] %s\n", i+1, n)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(bw, "warning: %s\n", wn)
	}
	if len(r.Counted) > 0 {
		table, notes := r.countedLines()
		fmt.Fprintln(bw)
		writeAligned(bw, table, []bool{false, false, true, true, true, false})
		fmt.Fprintln(bw)
		for _, l := range notes {
			fmt.Fprintln(bw, l)
		}
	}
	head, text := r.verdict()
	fmt.Fprintf(bw, "\n%s: %s\n", head, text)
	for _, c := range r.Regressions {
		fmt.Fprintf(bw, "  - %s %s%s: %s\n", c.Name, c.Unit, r.measureTag(" (timed)"), c.Failure)
	}
	for _, c := range r.countedFailures() {
		fmt.Fprintf(bw, "  - %s %s (counted): %s\n", c.Name, c.Unit, c.Failure)
	}
	return bw.Flush()
}

// WriteMarkdown writes the verdict line first, then a GitHub Markdown table
// and its notes: a pull request shows the answer before the evidence.
func (r *Report) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	head, text := r.verdict()
	fmt.Fprintf(bw, "**%s**: %s\n", head, text)
	for _, c := range r.Regressions {
		fmt.Fprintf(bw, "- `%s` %s%s: %s\n", c.Name, c.Unit, r.measureTag(" (timed)"), c.Failure)
	}
	for _, c := range r.countedFailures() {
		fmt.Fprintf(bw, "- `%s` %s (counted): %s\n", c.Name, c.Unit, c.Failure)
	}
	notes := &footnotes{index: map[string]int{}}
	rule := make([]string, len(compareHeader))
	for i, right := range compareRightAligned {
		rule[i] = "---"
		if right {
			rule[i] = "---:"
		}
	}
	if r.hasTimed() {
		fmt.Fprintf(bw, "\n| %s |\n| %s |\n", strings.Join(compareHeader, " | "), strings.Join(rule, " | "))
	}
	for i := range r.Rows {
		cells := r.cells(&r.Rows[i], notes, true)
		for j := range cells {
			cells[j] = mdEscape(cells[j])
		}
		cells[0] = "`" + cells[0] + "`"
		fmt.Fprintf(bw, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(bw)
	for _, l := range r.notesBelow() {
		if !r.hasTimed() {
			break
		}
		// An indented line is an item of the line before it.
		indent, l := "", mdEscape(l)
		if item, ok := strings.CutPrefix(l, "  "); ok {
			indent, l = "  ", item
		}
		fmt.Fprintf(bw, "%s- %s\n", indent, l)
	}
	for i, n := range notes.list {
		fmt.Fprintf(bw, "- [%d] %s\n", i+1, mdEscape(n))
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(bw, "- warning: %s\n", mdEscape(wn))
	}
	if len(r.Counted) > 0 {
		table, notes := r.countedLines()
		fmt.Fprintf(bw, "\n| %s |\n| --- | --- | ---: | ---: | ---: | --- |\n", strings.Join(table[0], " | "))
		for _, row := range table[1:] {
			row[0] = "`" + row[0] + "`"
			for j := range row {
				row[j] = mdEscape(row[j])
			}
			fmt.Fprintf(bw, "| %s |\n", strings.Join(row, " | "))
		}
		fmt.Fprintln(bw)
		for _, l := range notes {
			fmt.Fprintf(bw, "- %s\n", mdEscape(l))
		}
	}
	return bw.Flush()
}

// mdEscape keeps a cell from ending early: GitHub splits table cells at
// every unescaped "|", even inside code spans.
func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// WriteCSV writes one record per benchmark, in base units, for
// spreadsheets and scripts. Medians and p-values are unrounded; figures
// computed through logarithms (the change's interval, the minimum
// detectable effect) have 6 significant digits, so that the file does not
// depend on the last bit of a platform's math library. NaN is an empty
// field. Report-level warnings are not in it.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"name", "unit", "better", "paired",
		"old_n", "old_median", "old_lo", "old_hi",
		"new_n", "new_median", "new_lo", "new_hi",
		"delta_pct", "delta_lo_pct", "delta_hi_pct", "p", "alpha", "significant", "mde_pct",
		"verdict", "failure", "old_test_acc", "new_test_acc", "warnings"})
	for _, c := range r.Rows {
		accOld, accNew := math.NaN(), math.NaN()
		if c.Accuracy != nil {
			accOld, accNew = c.Accuracy.Old, c.Accuracy.New
		}
		cw.Write([]string{c.Name, c.Unit, strconv.Itoa(c.Better), strconv.FormatBool(c.Paired),
			strconv.Itoa(c.Old.N), csvFloat(c.Old.Median), csvFloat(c.Old.Lo), csvFloat(c.Old.Hi),
			strconv.Itoa(c.New.N), csvFloat(c.New.Median), csvFloat(c.New.Lo), csvFloat(c.New.Hi),
			csvFloat(c.DeltaPct), csvRounded(c.DeltaLo), csvRounded(c.DeltaHi), csvFloat(c.P),
			csvFloat(r.AlphaEach), strconv.FormatBool(c.Significant), csvRounded(c.MDEPct),
			c.Verdict, c.Failure, csvFloat(accOld), csvFloat(accNew), strings.Join(c.Warnings, "; ")})
	}
	// Counted rows: their unit names the measure; no test, no interval.
	for _, c := range r.Counted {
		cw.Write([]string{c.Name, c.Unit, "-1", "false",
			strconv.Itoa(c.OldN), csvFloat(c.Old), "", "",
			strconv.Itoa(c.NewN), csvFloat(c.New), "", "",
			csvRounded(c.DeltaPct), "", "", "", "", strconv.FormatBool(c.Verdict != VerdictNoChange), "",
			c.Verdict, c.Failure, "", "", ""})
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

func csvRounded(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// criteria is what the verdict was judged by, as the verdict line says it.
func (r *Report) criteria() string {
	opt := r.Options
	alpha := fmt.Sprintf("alpha %v", opt.Alpha)
	if r.Compared > 1 {
		alpha += fmt.Sprintf(" over %d benchmarks: %.3g each", r.Compared, r.AlphaEach)
	}
	parts := []string{alpha, fmt.Sprintf("threshold %g%%", 100*opt.Threshold)}
	if opt.Paired {
		parts = append([]string{"paired"}, parts...)
	}
	if opt.AccuracyFloor > 0 {
		parts = append(parts, fmt.Sprintf("accuracy floor %g", opt.AccuracyFloor))
	}
	return strings.Join(parts, "; ")
}

// verdict is the headline and its one-line explanation; the failing rows
// follow it in each format. With counted rows the line gives both verdicts,
// each named by its measure; without, it is the timed verdict alone.
func (r *Report) verdict() (head, text string) {
	head, text = r.timedVerdict()
	if len(r.Counted) == 0 {
		return head, text
	}
	judged := 0
	for _, c := range r.Counted {
		if c.Judged && c.OldN > 0 && c.NewN > 0 {
			judged++
		}
	}
	counted := fmt.Sprintf("counted: %d of %d benchmarks fail (%s)", len(r.countedFailures()), judged, r.countedCriteria())
	if !r.hasTimed() {
		switch {
		case r.Failed:
			return "Regression", counted
		case judged == 0:
			return "Inconclusive", counted
		}
		return "No counted regression", counted
	}
	timed := fmt.Sprintf("timed: %s, %s", strings.ToLower(head[:1])+head[1:], text)
	switch {
	case r.Failed:
		head = "Regression"
	case judged == 0:
		// Nothing counted on both sides: the timed headline stands.
	case head == "Inconclusive":
		head = "No counted regression; timed inconclusive"
	case r.countedChanged():
		head = fmt.Sprintf("No regression beyond the thresholds (counted %g%%, timed %g%%)", 100*r.Options.CountThreshold, 100*r.Options.Threshold)
	}
	return head, counted + "; " + timed
}

// hasTimed reports whether the report has timed rows, or is a report of
// nothing (which shows its empty table as before counts existed).
func (r *Report) hasTimed() bool { return len(r.Rows) > 0 || len(r.Counted) == 0 }

// countedChanged reports a counted regression within the threshold.
func (r *Report) countedChanged() bool {
	return slices.ContainsFunc(r.Counted, func(c CountedComparison) bool { return c.Judged && c.Verdict == VerdictRegression })
}

// measureTag is tag when the report has counted rows, where every failing
// row says which measure it failed on; "" otherwise.
func (r *Report) measureTag(tag string) string {
	if len(r.Counted) == 0 {
		return ""
	}
	return tag
}

// timedVerdict is the verdict of the timed rows.
func (r *Report) timedVerdict() (head, text string) {
	if len(r.Regressions) > 0 {
		return "Regression", fmt.Sprintf("%d of %d benchmarks fail (%s)", len(r.Regressions), len(r.Rows), r.criteria())
	}
	head = "No significant regression"
	if !slices.ContainsFunc(r.Rows, decided) {
		// Saying "no regression" when none could have been found would
		// read as a pass it is not.
		head = "Inconclusive"
	} else if slices.ContainsFunc(r.Rows, func(c Comparison) bool { return c.Verdict == VerdictRegression }) {
		// Honest wording: there is a significant regression, a small one.
		head = fmt.Sprintf("No regression beyond the %g%% threshold", 100*r.Options.Threshold)
	}
	return head, fmt.Sprintf("%s (%s)", r.verdictCounts(), r.criteria())
}

// decided reports whether the row's samples could show a difference.
func decided(c Comparison) bool {
	switch c.Verdict {
	case VerdictTooFew, VerdictTooNoisy, VerdictOnlyOld, VerdictOnlyNew:
		return false
	}
	return true
}

// verdictCounts reads like "2 no significant change, 1 improvement, 1 too
// noisy".
func (r *Report) verdictCounts() string {
	words := map[string]string{VerdictNoChange: "no significant change", VerdictTooNoisy: "too noisy"}
	var parts []string
	for _, v := range []string{VerdictNoChange, VerdictImprovement, VerdictRegression, VerdictChanged,
		VerdictTooNoisy, VerdictTooFew, VerdictOnlyOld, VerdictOnlyNew} {
		n := 0
		for _, c := range r.Rows {
			if c.Verdict == v {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, cmp.Or(words[v], v)))
		}
	}
	return strings.Join(parts, ", ")
}

// notesBelow are the lines under the table: what the columns mean, the
// accuracy check, and the units not judged. A line indented by two spaces
// details the one before it.
func (r *Report) notesBelow() []string {
	lines := []string{fmt.Sprintf("change: %s, with its %.4g%% interval; could see: the change detectable with 80%% power at p < %.3g, given the noise measured",
		r.estimateWords(), 100*(1-r.AlphaEach), r.AlphaEach)}
	lines = append(lines, r.accuracyLines()...)
	if len(r.AlsoMeasured) > 0 {
		lines = append(lines, "also measured, not judged: "+strings.Join(r.AlsoMeasured, ", "))
	}
	return lines
}

func (r *Report) estimateWords() string {
	paired := slices.ContainsFunc(r.Rows, func(c Comparison) bool { return c.Paired })
	unpaired := slices.ContainsFunc(r.Rows, func(c Comparison) bool { return !c.Paired && c.Old.N > 0 && c.New.N > 0 })
	switch {
	case paired && unpaired:
		return "new/old per pair (Hodges-Lehmann) where paired, else new/old shift (Hodges-Lehmann)"
	case paired:
		return "new/old per pair (Hodges-Lehmann estimate)"
	}
	return "new/old shift (Hodges-Lehmann estimate)"
}

// accuracyLines report the test-acc check: how many benchmarks kept their
// accuracy, and each that did not.
func (r *Report) accuracyLines() []string {
	same, changed := 0, []string{}
	for _, c := range r.Rows {
		a := c.Accuracy
		switch {
		case a == nil || math.IsNaN(a.Old) || math.IsNaN(a.New):
		case a.Old == a.New:
			same++
		default:
			changed = append(changed, fmt.Sprintf("  %s: %.4g → %.4g", c.Name, a.Old, a.New))
		}
	}
	switch {
	case len(changed) > 0:
		head := fmt.Sprintf("test-acc: unchanged in %d of %d benchmarks; changed (median, old → new):", same, same+len(changed))
		return append([]string{head}, changed...)
	case same > 0:
		return []string{fmt.Sprintf("test-acc: unchanged in all %d benchmarks", same)}
	}
	return nil
}

// cells renders c as a table row; notes numbers its warnings. In Markdown
// a failing row's verdict is bold.
func (r *Report) cells(c *Comparison, notes *footnotes, markdown bool) []string {
	sc := c.scaler()
	verdict := c.Verdict
	if verdict == VerdictTooNoisy {
		verdict = fmt.Sprintf("inconclusive: too noisy to see a %g%% change", 100*r.Options.Threshold)
	}
	if markdown && c.Failure != "" {
		verdict = "**" + verdict + "**"
	}
	return []string{c.Name, c.Unit, sideText(c.Old, sc), sideText(c.New, sc), c.deltaText(), c.pText(), c.nText(),
		pctText(c.MDEPct), verdict + notes.marks(c.Warnings)}
}

// scaler picks one SI prefix for both medians, as benchstat does, except
// for figures below 1 in units that are not times (sec/..., cpu-sec/...):
// "985.0m" reads badly for an accuracy of 0.985.
func (c *Comparison) scaler() func(float64) string {
	var vals []float64
	for _, v := range []float64{c.Old.Median, c.New.Median} {
		if results.IsFinite(v) {
			vals = append(vals, v)
		}
	}
	sc := benchunit.CommonScale(vals, benchunit.ClassOf(c.Unit))
	if sc.Factor < 1 && !strings.Contains(c.Unit, "sec") {
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

// deltaText is the change and its interval; "~" instead of the change
// unless it is significant, as in benchstat.
func (c *Comparison) deltaText() string {
	if c.Old.N == 0 || c.New.N == 0 {
		return ""
	}
	est := "~"
	if c.Significant {
		est = fmt.Sprintf("%+.1f%%", c.DeltaPct)
	}
	if results.IsFinite(c.DeltaLo) && results.IsFinite(c.DeltaHi) {
		est += fmt.Sprintf(" [%+.1f%%, %+.1f%%]", c.DeltaLo, c.DeltaHi)
	}
	return est
}

func (c *Comparison) pText() string { return pText(c.P) }

// pText shows a p-value to 4 places, enough to compare with a divided
// alpha such as 0.0125.
func pText(p float64) string {
	switch {
	case math.IsNaN(p):
		return ""
	case p < 0.0001:
		return "<0.0001"
	}
	return fmt.Sprintf("%.4f", p)
}

// pClause reads "p = 0.0012" or "p < 0.0001".
func pClause(p float64) string {
	t := pText(p)
	if strings.HasPrefix(t, "<") {
		return "p < " + t[1:]
	}
	return "p = " + t
}

func (c *Comparison) nText() string {
	if c.Paired {
		return fmt.Sprintf("%d pairs", c.Old.N)
	}
	return fmt.Sprintf("%d+%d", c.Old.N, c.New.N)
}

func pctText(v float64) string {
	switch {
	case math.IsNaN(v):
		return ""
	case math.IsInf(v, 1):
		return "∞"
	}
	return fmt.Sprintf("%.1f%%", v)
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
