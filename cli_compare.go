package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mirrorbench/mirrorbench/results"
)

func cmdCompare(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "text | markdown | csv")
	threshold := fs.Float64("threshold", results.DefaultCompareThreshold, "a significant regression smaller than this fraction does not fail")
	alpha := fs.Float64("alpha", results.DefaultCompareAlpha, "significance level of the Mann-Whitney U test")
	floor := fs.Float64("accuracy-floor", 0, "fail when OLD's median test accuracy met this and NEW's does not (0: off)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run . compare [flags] OLD NEW\n\n"+
			"Compares benchmark-format results (files, or folders of *.txt; several joined with\n"+
			"commas merge): per benchmark and unit, the median and 95% confidence interval of each\n"+
			"side, the change, and the Mann-Whitney U p-value, as benchstat does.\n"+
			"Exit status 1 when a change is significant, in the bad direction and beyond\n"+
			"--threshold, or NEW falls below --accuracy-floor that OLD met; 0 otherwise.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err), nil
	}
	if len(paths) != 2 {
		fs.Usage()
		return 2, badUsage("compare: give OLD and NEW")
	}
	rep, err := results.Compare(strings.Split(paths[0], ","), strings.Split(paths[1], ","),
		results.CompareOptions{Threshold: *threshold, Alpha: *alpha, AccuracyFloor: *floor})
	if err != nil {
		return 2, err
	}
	switch *format {
	case "text":
		err = rep.WriteText(stdout)
	case "markdown", "md":
		err = rep.WriteMarkdown(stdout)
	case "csv":
		err = rep.WriteCSV(stdout)
		for _, w := range rep.Warnings {
			fmt.Fprintln(stderr, "warning:", w)
		}
	default:
		return 2, badUsage("compare: --format %q: want text, markdown or csv", *format)
	}
	if err != nil {
		return 1, err
	}
	if rep.Failed {
		return 1, nil
	}
	return 0, nil
}
