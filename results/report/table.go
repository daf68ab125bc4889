package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/mirrorbench/mirrorbench/results"
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

// The summary table's columns.
const (
	colScenario = iota
	colConfig   // engine, devices, replicas
	colStatus
	colTestAcc
	colTarget
	colReached
	colUS
	colSPS
	colPeak
	colVsReported
	numCols
)

var summaryHeader = [numCols]string{"scenario", "config", "status", "test acc", "target", "reached", "µs/sample", "samples/s", "% of peak", "vs reported (speed, acc)"}

// WriteSummary renders one row per record, then the reported result as its
// own row, as a terminal table, or as Markdown when markdown is true.
func WriteSummary(w io.Writer, records []*results.Record, ref *Reported, markdown bool) error {
	opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off)}
	if markdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	}
	t := tablewriter.NewTable(w, opts...)
	t.Header(summaryHeader[:])
	for _, g := range groupRuns(records) {
		row := summaryRow(g[0], ref)
		if len(g) > 1 {
			row = groupRow(g, ref)
		}
		if err := t.Append(row[:]); err != nil {
			return err
		}
	}
	if ref != nil {
		var row [numCols]string
		row[colScenario], row[colStatus], row[colTestAcc] = ref.Label, "reported", pct(ref.TestAccuracy)
		row[colUS], row[colSPS] = num(ref.USPerSample), num(1e6/ref.USPerSample)
		if err := t.Append(row[:]); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if err := writeReasons(w, records, markdown); err != nil {
		return err
	}
	return writeTimingNotes(w, records, markdown)
}

// writeReasons lists, under the table, why runs were skipped or failed: in
// full, where a table cell would have to cut them.
func writeReasons(w io.Writer, records []*results.Record, markdown bool) error {
	bullet := "  "
	if markdown {
		bullet = "- "
	}
	for _, r := range records {
		if r.Status == results.StatusSkipped || r.Status == results.StatusFailed {
			if _, err := fmt.Fprintf(w, "%s%s %s: %s\n", bullet, r.Scenario, r.Status, r.Reason); err != nil {
				return err
			}
		}
	}
	return nil
}

func summaryRow(r *results.Record, ref *Reported) [numCols]string {
	var row [numCols]string
	row[colScenario], row[colConfig], row[colStatus] = r.Scenario, configText(r), r.Status
	row[colTarget], row[colReached] = targetText(r), reachedText(r)
	if len(r.Epochs) > 0 {
		row[colTestAcc] = fmt.Sprintf("%s (ep %d)", pct(r.FinalTestAccuracy()), r.Epochs[len(r.Epochs)-1].Epoch)
	}
	if r.Throughput.USPerSample > 0 {
		row[colUS] = num(r.Throughput.USPerSample)
		if r.Throughput.Noisy() { // other load shared the cores: not comparable
			row[colUS] += fmt.Sprintf(" (noisy: steps ±%.0f%%)", 100*r.Throughput.StepCV)
		}
		row[colSPS] = num(r.Throughput.SamplesPerSecond)
		if r.Throughput.ScalingEfficiency > 0 {
			row[colSPS] += fmt.Sprintf(" (scaling %.2f)", r.Throughput.ScalingEfficiency)
		}
	}
	if r.Efficiency != nil && r.Efficiency.ShareOfPeak > 0 {
		row[colPeak] = fmt.Sprintf("%.0f%%", 100*r.Efficiency.ShareOfPeak)
	}
	if ref != nil && r.Throughput.USPerSample > 0 {
		row[colVsReported] = fmt.Sprintf("%.2fx, %+.2f pp", ref.USPerSample/r.Throughput.USPerSample,
			100*(r.FinalTestAccuracy()-ref.TestAccuracy))
	}
	if r.Status == results.StatusSkipped || r.Status == results.StatusFailed {
		row[colTarget], row[colReached] = "(reason below)", ""
	}
	return row
}

// configText is engine, devices and, for several replicas, their count:
// "native cpu:0-1 x2".
func configText(r *results.Record) string {
	s := r.Engine + " " + r.Devices
	if r.Replicas > 1 {
		s += fmt.Sprintf(" x%d", r.Replicas)
	}
	if r.Reduction == "canonical" {
		s += " canonical"
	}
	return s
}

// groupRuns gathers repeated runs (--count, seed sweeps) of one configuration,
// in first-seen order.
func groupRuns(records []*results.Record) [][]*results.Record {
	var groups [][]*results.Record
	index := map[string]int{}
	for _, r := range records {
		key := results.BenchName(r.Scenario, r.Engine, r.Devices, r.Replicas) + "/" + r.Reduction
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	return groups
}

// groupRow summarises n runs: statuses counted, test accuracy as mean ± sd,
// speed as the median with the range.
func groupRow(g []*results.Record, ref *Reported) [numCols]string {
	row := summaryRow(g[0], ref)
	statuses := map[string]int{}
	var order []string
	var acc, us, sps []float64
	for _, r := range g {
		if statuses[r.Status] == 0 {
			order = append(order, r.Status)
		}
		statuses[r.Status]++
		if len(r.Epochs) > 0 {
			acc = append(acc, r.FinalTestAccuracy())
		}
		if r.Throughput.USPerSample > 0 {
			us = append(us, r.Throughput.USPerSample)
			sps = append(sps, r.Throughput.SamplesPerSecond)
		}
	}
	var st []string
	for _, s := range order {
		st = append(st, fmt.Sprintf("%s ×%d", s, statuses[s]))
	}
	row[colStatus] = strings.Join(st, ", ")
	if len(acc) > 0 {
		m, sd := meanSD(acc)
		row[colTestAcc] = fmt.Sprintf("%s ± %.2f pp (n=%d)", pct(m), 100*sd, len(acc))
	}
	reached := 0
	for _, r := range g {
		if len(r.Targets) > 0 && r.Targets[0].Reached {
			reached++
		}
	}
	row[colReached] = fmt.Sprintf("%d of %d runs", reached, len(g))
	if len(us) > 0 {
		lo, med, hi := spread(us)
		row[colUS] = fmt.Sprintf("%s (%s–%s)", num(med), num(lo), num(hi))
		row[colSPS] = num(results.Median(sps))
		if ref != nil {
			row[colVsReported] = fmt.Sprintf("%.2fx, %+.2f pp", ref.USPerSample/med, 100*(mean(acc)-ref.TestAccuracy))
		}
	}
	return row
}

func mean(v []float64) float64 {
	m, _ := meanSD(v)
	return m
}

// meanSD is the mean and the sample standard deviation.
func meanSD(v []float64) (float64, float64) {
	var s float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	if len(v) < 2 {
		return m, 0
	}
	var ss float64
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(v)-1))
}

// spread is the minimum, median and maximum.
func spread(v []float64) (lo, med, hi float64) {
	return slices.Min(v), results.Median(v), slices.Max(v)
}

func targetText(r *results.Record) string {
	var parts []string
	for _, t := range r.Targets {
		parts = append(parts, fmt.Sprintf("%s ≥ %s by ep %d", strings.TrimSuffix(t.Metric, "_accuracy"), pct(t.Min), t.ByEpoch))
	}
	return strings.Join(parts, "; ")
}

func reachedText(r *results.Record) string {
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
