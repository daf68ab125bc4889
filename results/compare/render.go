package compare

import (
	"bufio"
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

var compareHeader = []string{"name", "unit", "old", "new", "delta", "p (n)", "verdict"}

// compareRightAligned marks the columns of figures.
var compareRightAligned = []bool{false, false, true, true, true, false, false}

// WriteText writes an aligned plain-text table, its numbered warnings, the
// report's warnings and the verdict.
func (r *Report) WriteText(w io.Writer) error {
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
func (r *Report) WriteMarkdown(w io.Writer) error {
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
func (r *Report) WriteCSV(w io.Writer) error {
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
func (r *Report) verdict() (head, text string) {
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
func (r *Report) verdictCounts() string {
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
		if results.IsFinite(v) {
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
