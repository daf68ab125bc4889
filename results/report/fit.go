package report

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// The summary table on a terminal narrower than the full table (about 175
// columns with the reported row, more for repeated or noisy runs): the same
// cells, cut into parts that each fit, every part starting again with the
// scenario column, so that no line wraps and every row stays one line.
// Columns empty in every row are left out, the reported row's scenario
// loses its " (reported)" (its status says so), and the long header of
// the comparison with the reported run is shortened, with a line under the
// parts saying what it holds. The notes under the table (why runs were
// skipped or failed, ...) are wrapped at the width, each continuation
// indented. WriteSummary, and
// so Markdown, always writes the full table.

// narrowHeaders replace summaryHeader's longer headers in the parts, each
// with a line under them saying what the column holds. ("% of peak" stays:
// it is short, and a user looks for it by that name.)
var narrowHeaders = map[int]struct{ header, note string }{
	colVsReported: {"vs reported", "vs reported: speed as a multiple of the reported speed (x), test accuracy less the reported (pp)"},
}

// WriteSummaryFit writes the summary table as WriteSummary does in text,
// when its lines fit in width columns (or width <= 0: no limit); otherwise
// as parts that each fit, the scenario column repeated in each. A part is
// only wider than width when the scenario column and one other column
// alone are.
func WriteSummaryFit(w io.Writer, records []*results.Record, ref *Reported, width int) error {
	var full bytes.Buffer
	if err := WriteSummary(&full, records, ref, false); err != nil {
		return err
	}
	rows := summaryRows(records, ref)
	table, err := renderRows(summaryHeader[:], rows)
	if err != nil {
		return err
	}
	// WriteSummary writes the table, then its notes: the notes are
	// whatever follows the table.
	notes, ok := bytes.CutPrefix(full.Bytes(), table)
	if width <= 0 || !ok || maxLineWidth(table) <= width {
		_, err := w.Write(full.Bytes())
		return err
	}
	parts, shown, err := fitParts(rows, width)
	if err != nil {
		return err
	}
	for i, p := range parts {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	var text strings.Builder
	for _, c := range shown {
		if h, ok := narrowHeaders[c]; ok {
			text.WriteString("  " + h.note + "\n")
		}
	}
	text.Write(notes)
	_, err = io.WriteString(w, wrapLines(text.String(), width))
	return err
}

// summaryRows are the rows of WriteSummary's table, in its order: one per
// configuration, then the reported result.
func summaryRows(records []*results.Record, ref *Reported) [][numCols]string {
	var rows [][numCols]string
	for _, g := range groupRuns(records) {
		row := summaryRow(g[0], ref)
		if len(g) > 1 {
			row = groupRow(g, ref)
		}
		rows = append(rows, row)
	}
	if ref != nil {
		var row [numCols]string
		row[colScenario], row[colStatus], row[colTestAcc] = ref.Label, "reported", pct(ref.TestAccuracy)
		row[colUS], row[colSPS] = num(ref.USPerSample), num(1e6/ref.USPerSample)
		rows = append(rows, row)
	}
	return rows
}

// renderRows renders a text table as WriteSummary does.
func renderRows(header []string, rows [][numCols]string, cols ...int) ([]byte, error) {
	if cols == nil {
		for c := range numCols {
			cols = append(cols, c)
		}
	}
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf, tablewriter.WithHeaderAutoFormat(tw.Off))
	h := make([]string, len(cols))
	for i, c := range cols {
		h[i] = header[c]
	}
	t.Header(h)
	for _, row := range rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = row[c]
		}
		if err := t.Append(cells); err != nil {
			return nil, err
		}
	}
	if err := t.Render(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fitParts cuts the columns, in order, into as few parts as fit in width,
// each led by the scenario column, and renders them. shown are the columns
// beside the scenario that have a cell, in order.
func fitParts(rows [][numCols]string, width int) (parts [][]byte, shown []int, err error) {
	header := summaryHeader
	for c, h := range narrowHeaders {
		header[c] = h.header
	}
	rows = append([][numCols]string(nil), rows...)
	for i := range rows {
		if rows[i][colStatus] == "reported" {
			rows[i][colScenario] = strings.TrimSuffix(rows[i][colScenario], " (reported)")
		}
	}
	for c := colScenario + 1; c < numCols; c++ {
		if slices.ContainsFunc(rows, func(row [numCols]string) bool { return row[c] != "" }) {
			shown = append(shown, c)
		}
	}
	var current []byte
	cols := []int{colScenario}
	for _, c := range shown {
		try, err := renderRows(header[:], rows, slices.Concat(cols, []int{c})...)
		if err != nil {
			return nil, nil, err
		}
		if len(cols) > 1 && maxLineWidth(try) > width {
			parts = append(parts, current)
			cols = []int{colScenario, c}
			if try, err = renderRows(header[:], rows, cols...); err != nil {
				return nil, nil, err
			}
		} else {
			cols = append(cols, c)
		}
		current = try
	}
	if current == nil { // no column beside the scenario has a cell
		if current, err = renderRows(header[:], rows, cols...); err != nil {
			return nil, nil, err
		}
	}
	return append(parts, current), shown, nil
}

// maxLineWidth is the widest line of text, in runes: the table's cells
// and rules are all one column wide each.
func maxLineWidth(text []byte) int {
	widest := 0
	for line := range strings.SplitSeq(string(text), "\n") {
		widest = max(widest, utf8.RuneCountInString(line))
	}
	return widest
}

// wrapLines wraps each line of text longer than width at its spaces, the
// continuations indented two columns deeper than the line. A word longer
// than the room stays whole.
func wrapLines(text string, width int) string {
	var b strings.Builder
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		if utf8.RuneCountInString(line) <= width {
			b.WriteString(line)
			continue
		}
		indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
		col := 0
		for j, word := range strings.Fields(line) {
			n := utf8.RuneCountInString(word)
			switch {
			case j == 0:
				b.WriteString(indent + word)
				col = len(indent) + n
			case col+1+n > width:
				b.WriteString("\n" + indent + "  " + word)
				col = len(indent) + 2 + n
			default:
				b.WriteString(" " + word)
				col += 1 + n
			}
		}
	}
	return b.String()
}
