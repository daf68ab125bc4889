package results

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Reported is a published result that runs are printed beside (the
// document's figures): reported, not measured here.
type Reported struct {
	Label        string
	USPerSample  float64
	TestAccuracy float64
}

var summaryHeader = []string{"scenario", "engine", "devices", "R", "status", "test acc", "target", "reached", "µs/sample", "samples/s", "% of peak", "vs reported"}

// WriteSummary renders one row per record, then the reported result as its
// own row, as a terminal table, or as Markdown when markdown is true.
func WriteSummary(w io.Writer, records []*Record, ref *Reported, markdown bool) error {
	opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off)}
	if markdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	}
	t := tablewriter.NewTable(w, opts...)
	t.Header(summaryHeader)
	for _, r := range records {
		if err := t.Append(summaryRow(r, ref)); err != nil {
			return err
		}
	}
	if ref != nil {
		row := []string{ref.Label, "", "", "", "reported", pct(ref.TestAccuracy), "", "", num(ref.USPerSample), num(1e6 / ref.USPerSample), "", ""}
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

func summaryRow(r *Record, ref *Reported) []string {
	row := []string{r.Scenario, r.Engine, r.Devices, fmt.Sprint(r.Replicas), r.Status, "", targetText(r), reachedText(r), "", "", "", ""}
	if len(r.Epochs) > 0 {
		row[5] = fmt.Sprintf("%s (ep %d)", pct(r.FinalTestAccuracy()), r.Epochs[len(r.Epochs)-1].Epoch)
	}
	if r.Throughput.USPerSample > 0 {
		row[8] = num(r.Throughput.USPerSample)
		row[9] = num(r.Throughput.SamplesPerSecond)
		if r.Throughput.ScalingEfficiency > 0 {
			row[9] += fmt.Sprintf(" (scaling %.2f)", r.Throughput.ScalingEfficiency)
		}
	}
	if r.Efficiency != nil && r.Efficiency.ShareOfPeak > 0 {
		row[10] = fmt.Sprintf("%.0f%%", 100*r.Efficiency.ShareOfPeak)
	}
	if ref != nil && r.Throughput.USPerSample > 0 {
		row[11] = fmt.Sprintf("%.2fx speed, %+.2f pp acc", ref.USPerSample/r.Throughput.USPerSample,
			100*(r.FinalTestAccuracy()-ref.TestAccuracy))
	}
	if r.Status == StatusSkipped || r.Status == StatusFailed {
		row[6] = shorten(r.Reason, 60)
	}
	return row
}

func targetText(r *Record) string {
	var parts []string
	for _, t := range r.Targets {
		parts = append(parts, fmt.Sprintf("%s ≥ %s by ep %d", strings.TrimSuffix(t.Metric, "_accuracy")+" acc", pct(t.Min), t.ByEpoch))
	}
	return strings.Join(parts, "; ")
}

func reachedText(r *Record) string {
	var parts []string
	for _, t := range r.Targets {
		if t.Reached {
			parts = append(parts, fmt.Sprintf("ep %d, %.1f s", t.Epoch, t.Seconds))
		} else {
			parts = append(parts, "no")
		}
	}
	return strings.Join(parts, "; ")
}

func pct(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) }

func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
