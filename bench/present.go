package bench

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/report"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteSummary prints the summary table of recs beside the published result
// they name, as a terminal table or as Markdown. The terminal table fits
// summaryColumns(w): cut into parts, the scenario column repeated, where
// the full table is wider (report.WriteSummaryFit). Markdown is always the
// full table.
func WriteSummary(w io.Writer, recs []*results.Record, markdown bool) error {
	if markdown {
		return report.WriteSummary(w, recs, reported(recs), true)
	}
	return report.WriteSummaryFit(w, recs, reported(recs), summaryColumns(w))
}

// summaryColumns is the width the summary table must fit: the terminal's
// when w is one; otherwise $COLUMNS when it is set to a positive number;
// otherwise 0, no limit: a file, a pipe or a CI log gets the full table,
// one line per row, for a reader that does not wrap lines (less -S, an
// editor) or a script.
func summaryColumns(w io.Writer) int {
	if cols := terminalColumns(w); cols > 0 {
		return cols
	}
	if cols, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && cols > 0 {
		return cols
	}
	return 0
}

// referenceOf is the published result the records are compared with: the
// one the first record's scenario names in `reference`, or nil. The table
// and the plots ask this one question, so they give one answer.
func referenceOf(recs []*results.Record) *hardware.ReferenceResult {
	if len(recs) == 0 || recs[0].Reference == "" {
		return nil
	}
	ref, err := hardware.LookupReference(recs[0].Reference)
	if err != nil {
		return nil
	}
	return ref
}

// reported is the published result recs are printed beside, or nil.
func reported(recs []*results.Record) *report.Reported {
	ref := referenceOf(recs)
	if ref == nil {
		return nil
	}
	return &report.Reported{Label: reportedLabel(ref), USPerSample: ref.SteadyUSPerSample, TestAccuracy: ref.TestAccuracy}
}

func reportedLabel(ref *hardware.ReferenceResult) string {
	return fmt.Sprintf("%s (reported)", ref.ID)
}

// WritePlots draws the runs' curves, and their speed beside the reference
// profiles' projections and the published figure.
func WritePlots(dir string, recs []*results.Record) ([]string, error) {
	var paths []string
	if slices.ContainsFunc(recs, func(r *results.Record) bool { return len(r.Epochs) > 0 }) {
		p, err := report.PlotRuns(dir, recs)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p...)
	}
	bars := throughputBars(recs)
	if len(bars) == 0 {
		return paths, nil
	}
	p, err := report.PlotThroughput(dir, bars)
	return append(paths, p...), err
}

// throughputBars: each measured configuration once, the published figure,
// and every reference profile's projection.
func throughputBars(recs []*results.Record) []report.ThroughputBar {
	var bars []report.ThroughputBar
	seen := map[string]bool{}
	for _, r := range recs {
		label := fmt.Sprintf("%s (%s, %s)", r.Scenario, r.Engine, r.Devices)
		if r.Throughput.USPerSample <= 0 || seen[label] {
			continue
		}
		seen[label] = true
		bars = append(bars, report.ThroughputBar{Label: label, USPerSample: r.Throughput.USPerSample, Kind: report.ThroughputMeasured})
	}
	if len(bars) == 0 {
		return nil
	}
	if ref := referenceOf(recs); ref != nil {
		bars = append(bars, report.ThroughputBar{Label: reportedLabel(ref), USPerSample: ref.SteadyUSPerSample, Kind: report.ThroughputReported})
	}
	profiles, _ := hardware.Profiles()
	for _, p := range profiles {
		pr := hardware.Project(p, Workload())
		bars = append(bars, report.ThroughputBar{Label: p.ID + " (projected)", USPerSample: pr.USPerSample, Kind: report.ThroughputProjected})
	}
	return bars
}

// WriteSuite lists scenarios as a table: name, engine, devices, strategy,
// replicas, reduction, batch, epochs, targets.
func WriteSuite(w io.Writer, suite []*scenarios.Scenario) error {
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header([]string{"name", "engine", "devices", "strategy", "replicas", "reduction", "batch", "epochs", "targets"})
	for _, sc := range suite {
		var targets []string
		for _, tg := range sc.Targets {
			targets = append(targets, fmt.Sprintf("%s >= %.3f by epoch %d", tg.Metric, tg.Min, tg.ByEpoch))
		}
		replicas := fmt.Sprint(sc.Replicas)
		if sc.Replicas == 0 {
			replicas = "all"
		}
		t.Append([]string{sc.Name, sc.Engine, sc.Devices, sc.Strategy, replicas, sc.Reduction,
			fmt.Sprint(sc.GlobalBatch), fmt.Sprint(sc.Epochs), strings.Join(targets, "; ")})
	}
	return t.Render()
}
