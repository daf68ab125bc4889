package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/internal/golden"
)

// referenceRun is what `go run . run reference-cpu1` summarises: one run,
// with its share of peak, beside the reported result.
func referenceRun() []*results.Record {
	r := run("reference-cpu1", 0.9875, 38.3)
	r.Devices = "cpu:1"
	r.Epochs[0].Epoch = 5
	r.Targets[0].Min, r.Targets[0].ByEpoch, r.Targets[0].Epoch, r.Targets[0].Seconds = 0.985, 5, 3, 7.3
	r.Efficiency = &results.Efficiency{ShareOfPeak: 0.53}
	return []*results.Record{r}
}

// The summary table cut to 100 columns (a terminal of that width), against
// testdata/summary-100*.txt; the full width is testdata/summary.txt. go test
// -update rewrites them.
func TestSummaryFitGolden(t *testing.T) {
	for _, tc := range []struct {
		file  string
		recs  []*results.Record
		ref   *Reported
		width int
	}{
		{"summary-100.txt", summaryRecords(), reportedRun, 100},
		{"summary-run-100.txt", referenceRun(), reportedRun, 100},
		{"summary-run-full.txt", referenceRun(), reportedRun, 0},
		{"summary-unreported-100.txt", summaryRecords()[:2], nil, 100},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSummaryFit(&buf, tc.recs, tc.ref, tc.width); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tc.file, buf.Bytes())
		})
	}
}

// With no limit, or a limit the full table fits in, WriteSummaryFit writes
// exactly what WriteSummary does.
func TestSummaryFitFull(t *testing.T) {
	var want bytes.Buffer
	if err := WriteSummary(&want, summaryRecords(), reportedRun, false); err != nil {
		t.Fatal(err)
	}
	fullWidth := maxLineWidth(want.Bytes())
	for _, width := range []int{0, -1, fullWidth, fullWidth + 40} {
		var got bytes.Buffer
		if err := WriteSummaryFit(&got, summaryRecords(), reportedRun, width); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("width %d: differs from WriteSummary's full table", width)
		}
	}
	// The rows the parts are cut from are WriteSummary's own.
	table, err := renderRows(summaryHeader[:], summaryRows(summaryRecords(), reportedRun))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(want.Bytes(), table) {
		t.Errorf("summaryRows render a table other than WriteSummary's:\n%s", table)
	}
}

// At every width from 70 columns up, no line of the parts is wider than
// the width, every row is one line in each part, every part leads with the
// scenarios, and every cell of the full table is in some part.
func TestSummaryFitWidths(t *testing.T) {
	rows := summaryRows(summaryRecords(), reportedRun)
	for width := 70; width <= 260; width += 3 {
		var buf bytes.Buffer
		if err := WriteSummaryFit(&buf, summaryRecords(), reportedRun, width); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		tables, notes := 0, false
		for line := range strings.SplitSeq(out, "\n") {
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("width %d: line of %d columns: %q", width, n, line)
			}
			if strings.HasPrefix(line, "┌") {
				tables++
			}
			notes = notes || strings.Contains(line, "reference-gorgonia failed: epoch 1: loss is NaN")
		}
		if !notes {
			t.Errorf("width %d: the notes under the table are missing:\n%s", width, out)
		}
		// Header, rows and 4 rules per part: a wrapped cell would add lines.
		if want := tables * (1 + len(rows) + 4); strings.Count(out, "\n")-strings.Count(out, "\n  ")-1 > want {
			t.Errorf("width %d: more lines than %d parts of one line per row:\n%s", width, tables, out)
		}
		if got := strings.Count(out, "│ seed-sweep "); got != tables {
			t.Errorf("width %d: scenario in %d of %d parts", width, got, tables)
		}
		for _, row := range rows {
			for c, cell := range row {
				if cell != "" && !strings.Contains(out, cell) && !strings.Contains(cell, " (reported)") {
					t.Errorf("width %d: column %q lacks %q", width, summaryHeader[c], cell)
				}
			}
		}
	}
}

func TestWrapLines(t *testing.T) {
	in := "  a bb ccc dddd eeeee\nshort\n"
	want := "  a bb ccc\n    dddd\n    eeeee\nshort\n"
	if got := wrapLines(in, 10); got != want {
		t.Errorf("wrapLines:\n%s\nwant:\n%s", got, want)
	}
	if got := wrapLines("  averyveryverylongword x", 10); got != "  averyveryverylongword\n    x" {
		t.Errorf("a long word: %q", got)
	}
}
