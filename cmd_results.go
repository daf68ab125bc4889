package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mirrorbench/mirrorbench/bench"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/compare"
	"github.com/mirrorbench/mirrorbench/results/report"
	"github.com/mirrorbench/mirrorbench/results/store"
	"github.com/mirrorbench/mirrorbench/scenarios"
)

var listVerb = verb{
	name: "list", brief: "list", summary: "list the embedded scenario suite",
	help: `Prints the embedded scenarios: name, engine, devices, strategy, replicas,
reduction, batch, epochs and targets.
`,
	maxArgs: 0, argsHint: "takes no arguments",
	setup: noFlags(func(std streams, _ []string) error {
		suite, err := scenarios.Suite()
		if err != nil {
			return err
		}
		return bench.WriteSuite(std.out, suite)
	}),
}

var compareVerb = verb{
	name: "compare", synopsis: "[flags] OLD NEW", brief: "compare [flags] OLD NEW", summary: "benchstat-style comparison with a verdict (exit 1 on regression)",
	help: `Compares benchmark-format results (files, or folders of *.txt; several joined with
commas merge): one verdict per benchmark, on its steadiest metric (cpu-ns/sample when
both sides have it), with the change, its interval, the p-value, and the smallest change
the data could have shown ("could see"). With --paired, the i-th OLD and NEW samples of
a benchmark come from one interleaved round and are compared pair by pair (Wilcoxon
signed-rank on the ratios); otherwise with the Mann-Whitney U test, as benchstat does.
Results in counted units (instr/sample, est-cycles/sample: bench/internal/counted,
instructions under valgrind) get a verdict of their own beside the timed one, by
--count-threshold instead of a test; the output says which verdict came from which
measure, and which benchmarks were judged on time alone.
Exit status 1 when a timed change is significant, in the bad direction and beyond
--threshold, a counted instr/sample grows beyond --count-threshold, or NEW falls
below --accuracy-floor that OLD met; 0 otherwise.
`,
	minArgs: 2, maxArgs: 2, argsHint: "give OLD and NEW",
	setup: func(fs *flag.FlagSet) func(streams, []string) error {
		var opt compare.Options
		format := fs.String("format", "text", "text | markdown | csv")
		fs.Float64Var(&opt.Threshold, "threshold", compare.DefaultThreshold, "a significant regression smaller than this fraction does not fail")
		fs.Float64Var(&opt.Alpha, "alpha", compare.DefaultAlpha, "family-wise significance level, divided among the benchmarks compared")
		fs.Float64Var(&opt.CountThreshold, "count-threshold", compare.DefaultCountThreshold, "a counted instr/sample growth larger than this fraction fails")
		fs.BoolVar(&opt.Paired, "paired", false, "pair the i-th OLD and NEW sample of each benchmark (interleaved rounds): Wilcoxon signed-rank test on the ratios")
		fs.Float64Var(&opt.AccuracyFloor, "accuracy-floor", 0, "fail when OLD's median test accuracy met this and NEW's does not (0: off)")
		return func(std streams, paths []string) error {
			return runCompare(std, paths, *format, opt)
		}
	},
}

func runCompare(std streams, paths []string, format string, opt compare.Options) error {
	writers := map[string]func(*compare.Report, io.Writer) error{
		"text": (*compare.Report).WriteText, "markdown": (*compare.Report).WriteMarkdown,
		"md": (*compare.Report).WriteMarkdown, "csv": (*compare.Report).WriteCSV,
	}
	write, ok := writers[format]
	if !ok {
		return badUsage("compare: --format %q: want text, markdown or csv", format)
	}
	rep, err := compare.Compare(strings.Split(paths[0], ","), strings.Split(paths[1], ","), opt)
	if err != nil {
		return usageError{err}
	}
	if format == "csv" { // the table has no room for them
		for _, w := range rep.Warnings {
			fmt.Fprintln(std.err, "warning:", w)
		}
	}
	if err := write(rep, std.out); err != nil {
		return err
	}
	if rep.Failed {
		return errUnmet
	}
	return nil
}

var reportVerb = verb{
	name: "report", synopsis: "[--markdown] [--plots DIR] [--store DSN [--scenario S] [--host H]] [DIR...]", brief: "report [--markdown] [DIR...]", summary: "tables and plots from stored records, without training",
	help: `Rebuilds the summary table and the plots (accuracy, loss, throughput beside the
reference profiles' projections) from stored run records, without training:
the records in folders, or with --store those of a results store (filtered by
--scenario and --host, as history filters them), or both.
Several folders merge (e.g. the shards of a CI matrix). Unreadable records are
skipped with a warning.
`,
	minArgs: 0, maxArgs: -1,
	setup: func(fs *flag.FlagSet) func(streams, []string) error {
		markdown := fs.Bool("markdown", false, "print the table as Markdown (for a pull request)")
		plots := fs.String("plots", "", "folder for the plots (default: the first DIR; with --store alone, no plots)")
		engines := fs.Bool("engines", false, "instead: the engines side by side (native against PyTorch) per layout, with scaling efficiencies")
		dsn := fs.String("store", "", storeUsage+" to read records from (default: none)")
		var f store.Filter
		fs.StringVar(&f.Scenario, "scenario", "", "with --store: only this scenario")
		fs.StringVar(&f.Host, "host", "", "with --store: only host classes containing this text")
		return func(std streams, dirs []string) error {
			if len(dirs) == 0 && *dsn == "" {
				return badUsage("report: name at least one folder of records, or --store")
			}
			recs, warnings, err := results.ReadRecords(dirs)
			if err != nil {
				return badUsage("report: %v", err)
			}
			if *dsn != "" {
				stored, err := storedRecords(*dsn, f)
				if err != nil {
					return err
				}
				recs = append(recs, stored...)
			}
			for _, w := range warnings {
				fmt.Fprintf(std.err, "warning: skipping %v\n", w)
			}
			if len(recs) == 0 {
				return fmt.Errorf("report: no readable run records in %v", append(dirs, store.Redact(*dsn)))
			}
			if *engines {
				return report.WriteEngines(std.out, recs, *markdown)
			}
			if err := bench.WriteSummary(std.out, recs, *markdown); err != nil {
				return err
			}
			if *plots == "" && len(dirs) == 0 {
				return nil
			}
			if *plots == "" {
				*plots = dirs[0]
			}
			paths, err := bench.WritePlots(*plots, recs)
			if err != nil {
				return err
			}
			fmt.Fprintf(std.out, "\n%s\n", plotsLine(paths))
			return nil
		}
	},
}
