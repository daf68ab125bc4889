package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
)

func cmdReport(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	markdown := fs.Bool("markdown", false, "print the table as Markdown (for a pull request)")
	plots := fs.String("plots", "", "folder for the plots (default: the first DIR)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run . report [--markdown] [--plots DIR] DIR...\n\n"+
			"Rebuilds the summary table and the plots (accuracy, loss, throughput beside the\n"+
			"reference profiles' projections) from stored run records, without training.\n"+
			"Several folders merge (e.g. the shards of a CI matrix). Unreadable records are\n"+
			"skipped with a warning.\n")
	}
	dirs, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err), nil
	}
	if len(dirs) == 0 {
		fs.Usage()
		return 2, badUsage("report: name at least one folder of records")
	}
	recs, err := readRecords(dirs, stderr)
	if err != nil {
		return 2, err
	}
	if len(recs) == 0 {
		return 1, fmt.Errorf("report: no readable run records in %v", dirs)
	}
	if err := results.WriteSummary(stdout, recs, reported(recs), *markdown); err != nil {
		return 1, err
	}
	if *plots == "" {
		*plots = dirs[0]
	}
	paths, err := writePlots(*plots, recs)
	if err != nil {
		return 1, err
	}
	fmt.Fprintf(stdout, "\nplots: %v\n", paths)
	return 0, nil
}

// readRecords reads every *.json record in dirs, warning about (and skipping)
// any file that is not a complete record.
func readRecords(dirs []string, stderr io.Writer) ([]*results.Record, error) {
	var recs []*results.Record
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, badUsage("report: %s is not a folder", dir)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		slices.Sort(files)
		for _, f := range files {
			r, err := results.ReadRecord(f)
			if err != nil {
				fmt.Fprintf(stderr, "warning: skipping %v\n", err)
				continue
			}
			recs = append(recs, r)
		}
	}
	return recs, nil
}

// writePlots draws the runs' curves, and their speed beside the reference
// profiles' projections and the document's reported figure.
func writePlots(dir string, recs []*results.Record) ([]string, error) {
	var paths []string
	withEpochs := slices.ContainsFunc(recs, func(r *results.Record) bool { return len(r.Epochs) > 0 })
	if withEpochs {
		p, err := results.PlotRuns(dir, recs)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p...)
	}
	bars := throughputBars(recs)
	if len(bars) == 0 {
		return paths, nil
	}
	p, err := results.PlotThroughput(dir, bars)
	return append(paths, p...), err
}

func throughputBars(recs []*results.Record) []results.ThroughputBar {
	var bars []results.ThroughputBar
	seen := map[string]bool{}
	for _, r := range recs {
		label := fmt.Sprintf("%s (%s, %s)", r.Scenario, r.Engine, r.Devices)
		if r.Throughput.USPerSample <= 0 || seen[label] {
			continue
		}
		seen[label] = true
		bars = append(bars, results.ThroughputBar{Label: label, USPerSample: r.Throughput.USPerSample, Kind: results.ThroughputMeasured})
	}
	if len(bars) == 0 {
		return nil
	}
	if ref, err := hardware.LookupReference("keras-mnist-mirrored"); err == nil {
		bars = append(bars, results.ThroughputBar{Label: "document, TF 2.0 on GTX 1080 Ti", USPerSample: ref.SteadyUSPerSample, Kind: results.ThroughputReported})
	}
	profiles, _ := hardware.Profiles()
	for _, p := range profiles {
		pr := hardware.Project(p, hardware.DefaultBatch)
		bars = append(bars, results.ThroughputBar{Label: p.ID + " (projected)", USPerSample: pr.USPerSample, Kind: results.ThroughputProjected})
	}
	return bars
}
