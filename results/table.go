package results

import (
	"fmt"
	"io"
	"math"
	"slices"
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

var summaryHeader = []string{"scenario", "engine", "devices", "R", "status", "test acc", "target", "reached", "µs/sample", "samples/s", "% of peak", "vs reported (speed, acc)"}

// WriteSummary renders one row per record, then the reported result as its
// own row, as a terminal table, or as Markdown when markdown is true.
func WriteSummary(w io.Writer, records []*Record, ref *Reported, markdown bool) error {
	opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off)}
	if markdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	}
	t := tablewriter.NewTable(w, opts...)
	t.Header(summaryHeader)
	for _, g := range groupRuns(records) {
		row := summaryRow(g[0], ref)
		if len(g) > 1 {
			row = groupRow(g, ref)
		}
		if err := t.Append(row); err != nil {
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
		row[11] = fmt.Sprintf("%.2fx, %+.2f pp", ref.USPerSample/r.Throughput.USPerSample,
			100*(r.FinalTestAccuracy()-ref.TestAccuracy))
	}
	if r.Status == StatusSkipped || r.Status == StatusFailed {
		row[6], row[7] = shorten(r.Reason, 60), ""
	}
	return row
}

// groupRuns gathers repeated runs (--count, seed sweeps) of one configuration,
// in first-seen order.
func groupRuns(records []*Record) [][]*Record {
	var groups [][]*Record
	index := map[string]int{}
	for _, r := range records {
		key := BenchName(r.Scenario, r.Engine, r.Devices, r.Replicas) + "/" + r.Reduction
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
func groupRow(g []*Record, ref *Reported) []string {
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
	row[4] = strings.Join(st, ", ")
	if len(acc) > 0 {
		m, sd := meanSD(acc)
		row[5] = fmt.Sprintf("%s ± %.2f pp (n=%d)", pct(m), 100*sd, len(acc))
	}
	reached := 0
	for _, r := range g {
		if len(r.Targets) > 0 && r.Targets[0].Reached {
			reached++
		}
	}
	row[7] = fmt.Sprintf("%d of %d runs", reached, len(g))
	if len(us) > 0 {
		lo, med, hi := spread(us)
		row[8] = fmt.Sprintf("%s (%s–%s)", num(med), num(lo), num(hi))
		_, medS, _ := spread(sps)
		row[9] = num(medS)
		if ref != nil {
			row[11] = fmt.Sprintf("%.2fx, %+.2f pp", ref.USPerSample/med, 100*(mean(acc)-ref.TestAccuracy))
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
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], med, s[n-1]
}

func targetText(r *Record) string {
	var parts []string
	for _, t := range r.Targets {
		parts = append(parts, fmt.Sprintf("%s ≥ %s by ep %d", strings.TrimSuffix(t.Metric, "_accuracy"), pct(t.Min), t.ByEpoch))
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
