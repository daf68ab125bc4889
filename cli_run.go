package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/mirrorbench/mirrorbench/bench"
	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
)

// flagExit is the exit for a flag-parsing error: 0 after -h/--help (the
// usage is printed), 2 for a bad flag (the flag package has said which).
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// parseInterleaved parses flags that may come before or after the positional
// arguments ("run smoke --epochs 1" as well as "run --epochs 1 smoke").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "results/out", "folder for the run records and the benchmark file")
	epochs := fs.Int("epochs", 0, "override every scenario's epochs (0: as written)")
	limit := fs.Int("train-limit", 0, "use the first N training images (0: as written)")
	count := fs.Int("count", 1, "run each scenario (and each seed) N times")
	requireAll := fs.Bool("require-all", false, "a skipped scenario fails the run (exit 1)")
	markdown := fs.Bool("markdown", false, "print the summary table as Markdown")
	quiet := fs.Bool("quiet", false, "no progress output")
	export := fs.String("export-weights", "", "write each run's final weights to this safetensors file (Keras names and shapes)")
	initW := fs.String("init-weights", "", "start from this safetensors file instead of the seeded Keras initialisation")
	shard := fs.String("shard", "", "I/N: run only every N-th run of the expanded list (scenarios x seeds x count), starting at the I-th")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run . run [flags] NAME|FILE...\n\n"+
			"Runs scenarios of the embedded suite by name (see 'go run . list') or scenario\n"+
			"files by path, writes one JSON record per run and a benchmark-format file\n"+
			"(bench-*.txt, for benchstat) into --out, and prints a summary table.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	names, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err), nil // flag has printed the problem and the usage
	}
	switch {
	case len(names) == 0:
		fs.Usage()
		return 2, badUsage("run: name at least one scenario")
	case *epochs < 0 || *limit < 0 || *count < 1:
		return 2, badUsage("run: --epochs and --train-limit must be >= 0, --count >= 1")
	}
	if err := checkWeightsFlags(*export, *initW); err != nil {
		return 2, err
	}
	scs, err := resolveAll(names)
	if err != nil {
		return 2, err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { // a second Ctrl-C kills at once
		<-ctx.Done()
		stop()
	}()

	host := hardware.Detect()
	build := bench.BuildInfo()
	if err := calibrate(&host, build); err != nil {
		fmt.Fprintln(stderr, "warning: no calibration:", err)
	}
	env := &bench.Env{Progress: bench.NewProgress(stderr, *quiet), Host: &host, Build: build}
	inv := &bench.Invocation{
		Out: *out, Count: *count, RequireAll: *requireAll, Env: env,
		Options: bench.Options{Epochs: *epochs, TrainLimit: *limit, InitWeights: *initW, ExportWeights: *export},
	}
	fmt.Fprintf(stderr, "host: %s\n", host.Summary())
	runs, err := bench.Shard(inv.Runs(scs), *shard)
	if err != nil {
		return 2, badUsage("run: --shard: %v", err)
	}
	outcome, err := inv.Execute(ctx, runs)
	if outcome != nil && len(outcome.Records) > 0 {
		if perr := printOutcome(stdout, stderr, *out, outcome, *markdown); err == nil {
			err = perr
		}
	}
	if outcome == nil { // --out unusable: found before any training
		return 2, err
	}
	if err != nil {
		return 1, err
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "interrupted: records of the finished and interrupted runs are written")
	}
	return outcome.ExitCode, nil
}

// checkWeightsFlags finds a bad --export-weights or --init-weights before
// any training.
func checkWeightsFlags(export, init string) error {
	if export != "" {
		if err := results.CheckWritable(filepath.Dir(export)); err != nil {
			return badUsage("run: --export-weights: %v", err)
		}
	}
	if init != "" {
		if _, _, err := trainer.ReadSafetensors(init); err != nil {
			return badUsage("run: --init-weights: %v", err)
		}
	}
	return nil
}

// resolveAll turns names and paths into scenarios; the first bad one stops.
func resolveAll(names []string) ([]*scenarios.Scenario, error) {
	var scs []*scenarios.Scenario
	for _, n := range names {
		sc, err := scenarios.Resolve(n)
		if err != nil {
			return nil, err
		}
		scs = append(scs, sc)
	}
	return scs, nil
}

// printOutcome prints the summary table, draws the plots and says where
// everything went.
func printOutcome(stdout, stderr io.Writer, out string, o *bench.Outcome, markdown bool) error {
	fmt.Fprintln(stdout)
	if err := results.WriteSummary(stdout, o.Records, reported(o.Records), markdown); err != nil {
		return err
	}
	if paths, err := writePlots(out, o.Records); err != nil {
		fmt.Fprintln(stderr, "warning: plots:", err)
	} else if len(paths) > 0 {
		fmt.Fprintf(stdout, "\nplots: %v", paths)
	}
	fmt.Fprintf(stdout, "\nrecords: %s/*.json, benchmark file: %s\n", out, o.BenchFile)
	return nil
}

// reported is the published result the runs are compared with (the first
// record's reference), or nil.
func reported(recs []*results.Record) *results.Reported {
	ref, err := hardware.LookupReference(recs[0].Reference)
	if err != nil {
		return nil
	}
	return &results.Reported{
		Label:        fmt.Sprintf("%s (reported)", ref.ID),
		USPerSample:  ref.SteadyUSPerSample,
		TestAccuracy: ref.TestAccuracy,
	}
}

func isInputError(err error) bool {
	var se *scenarios.Error
	return errors.As(err, &se)
}
