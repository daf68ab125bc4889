package history

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// timeLayout is how a point's time is shown: UTC, to the minute.
const timeLayout = "2006-01-02 15:04"

// shortCommit is the length of a commit as shown.
const shortCommit = 12

// WriteText writes series for a terminal or a pull request: per series a
// header (scenario · host class · configuration · metric, the series' key
// and what it follows), one row per point (time in UTC,
// short commit, value), a marker on the first point after each change, and
// a summary line. A marker reads "▲ +8.8 % slower (p=0.005)": the arrow
// and the sign are the direction of the value, the word is what that means
// for the metric (faster/slower for speeds, better/worse for accuracy).
func WriteText(w io.Writer, series []Series) error {
	ew := &errWriter{w: w}
	for i, s := range series {
		if i > 0 {
			ew.printf("\n")
		}
		writeSeries(ew, s)
	}
	return ew.err
}

func writeSeries(w *errWriter, s Series) {
	header := s.Scenario + " · " + orDash(s.HostClass)
	if c := s.Key.Config.String(); c != "" {
		header += " · " + c
	}
	w.printf("%s · %s\n", header, s.Metric)
	m, _ := lookupMetric(s.Metric)
	decimals := decimalsFor(median(values(s.Points)))
	valueWidth, commitWidth := 0, 0
	for _, p := range s.Points {
		valueWidth = max(valueWidth, len(strconv.FormatFloat(p.Value, 'f', decimals, 64)))
		commitWidth = max(commitWidth, len(commitLabel(p)))
	}
	marks := map[int]string{}
	for _, c := range s.Changes {
		marks[c.Index] = changeMark(c, m)
	}
	for i, p := range s.Points {
		row := fmt.Sprintf("  %s  %-*s  %*s", timeLabel(p), commitWidth, commitLabel(p),
			valueWidth, strconv.FormatFloat(p.Value, 'f', decimals, 64))
		if mark, ok := marks[i]; ok {
			row += "  " + mark
		}
		w.printf("%s\n", row)
	}
	w.printf("  %s, %s\n", plural(len(s.Points), "point"), plural(len(s.Changes), "change"))
}

func timeLabel(p Point) string {
	if p.Time.IsZero() {
		return fmt.Sprintf("%-*s", len(timeLayout), "-")
	}
	return p.Time.UTC().Format(timeLayout)
}

// commitLabel is the short commit, "-" when unknown, marked "+dirty" when
// the build had uncommitted changes.
func commitLabel(p Point) string {
	c := orDash(p.Commit)
	if len(c) > shortCommit {
		c = c[:shortCommit]
	}
	if p.Run.Dirty {
		c += "+dirty"
	}
	return c
}

// changeMark is the marker of a change, e.g. "▼ -8.1 % slower (p=0.005)".
func changeMark(c Change, m metric) string {
	pv := fmt.Sprintf("(p=%.3f)", c.P)
	if c.Ratio == 0 || math.IsNaN(c.Ratio) || math.IsInf(c.Ratio, 0) {
		return "change " + pv
	}
	arrow, up := "▼", c.Ratio > 1
	if up {
		arrow = "▲"
	}
	good := up != m.lowerIsBetter
	word := map[[2]bool]string{{true, true}: "faster", {true, false}: "slower",
		{false, true}: "better", {false, false}: "worse"}[[2]bool{m.speed, good}]
	return fmt.Sprintf("%s %+.1f %% %s %s", arrow, 100*(c.Ratio-1), word, pv)
}

// decimalsFor gives values near v at least four significant digits.
func decimalsFor(v float64) int {
	if v == 0 {
		return 2
	}
	d := 3 - int(math.Floor(math.Log10(math.Abs(v))))
	return min(max(d, 0), 6)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// errWriter keeps the first write error and skips later writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
