package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/mirrorbench/mirrorbench/bench"
	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results/store"
	"github.com/mirrorbench/mirrorbench/scenarios"
)

var runVerb = verb{
	name: "run", synopsis: "[flags] NAME|FILE...", brief: "run [flags] NAME|FILE...", summary: "run scenarios from the suite (by name) or files",
	help: `Runs scenarios of the embedded suite by name (see 'go run . list') or scenario
files by path, writes one JSON record per run and a benchmark-format file
(bench-*.txt, for benchstat) into --out, and prints a summary table.
`,
	minArgs: 1, maxArgs: -1, argsHint: "name at least one scenario",
	setup: func(fs *flag.FlagSet) func(streams, []string) error {
		f := runFlags{}
		fs.StringVar(&f.out, "out", "results/out", "folder for the run records and the benchmark file")
		fs.IntVar(&f.opt.Epochs, "epochs", 0, "override every scenario's epochs (0: as written)")
		fs.IntVar(&f.opt.TrainLimit, "train-limit", 0, "use the first N training images (0: as written)")
		fs.IntVar(&f.count, "count", 1, "run each scenario (and each seed) N times")
		fs.BoolVar(&f.requireAll, "require-all", false, "a skipped scenario fails the run (exit 1)")
		fs.BoolVar(&f.markdown, "markdown", false, "print the summary table as Markdown")
		fs.BoolVar(&f.quiet, "quiet", false, "no progress output")
		fs.StringVar(&f.opt.ExportWeights, "export-weights", "", "write each run's final weights to this safetensors file (Keras names and shapes)")
		fs.StringVar(&f.opt.InitWeights, "init-weights", "", "start from this safetensors file instead of the seeded Keras initialisation")
		fs.StringVar(&f.store, "store", defaultStore, storeUsage+`; "" stores nothing`)
		fs.StringVar(&f.opt.Python, "python", "", "Python interpreter for engine pytorch (default $MIRRORBENCH_PYTHON, else python3 on PATH, then /usr/bin/python3)")
		fs.IntVar(&f.opt.Nodes, "nodes", 1, "engine pytorch, strategy mirrored: machines in one DDP group; run the same command on each, with its --node-rank")
		fs.IntVar(&f.opt.NodeRank, "node-rank", 0, "this machine's rank among --nodes (0 writes the record)")
		fs.StringVar(&f.opt.Rendezvous, "rendezvous", "", "HOST:PORT of node 0's rendezvous, reachable from every node (required with --nodes > 1)")
		fs.StringVar(&f.shard, "shard", "", "I/N: run only every N-th run of the expanded list (scenarios x seeds x count), starting at the I-th")
		return f.run
	},
}

type runFlags struct {
	out, shard, store           string
	count                       int
	requireAll, markdown, quiet bool
	opt                         bench.Options
}

func (f *runFlags) run(std streams, names []string) error {
	scs, err := f.check(names)
	if err != nil {
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	inv := f.invocation(std)
	runs, err := bench.Shard(inv.Runs(scs), f.shard)
	if err != nil {
		return badUsage("run: --shard: %v", err)
	}
	if inv.Store = f.openStore(ctx, std); inv.Store != nil {
		defer inv.Store.Close()
	}
	outcome, err := inv.Execute(ctx, runs)
	if outcome == nil { // --out unusable: found before any training
		return usageError{err}
	}
	if len(outcome.Records) > 0 {
		if perr := f.summarize(std, outcome); err == nil {
			err = perr
		}
	}
	switch {
	case err != nil:
		return err
	case ctx.Err() != nil:
		fmt.Fprintln(std.err, "interrupted: records of the finished and interrupted runs are written")
	}
	if outcome.Unmet {
		return errUnmet
	}
	return nil
}

// check rejects bad flags and resolves the scenarios, all before anything
// is measured or trained.
func (f *runFlags) check(names []string) ([]*scenarios.Scenario, error) {
	if f.opt.Epochs < 0 || f.opt.TrainLimit < 0 || f.count < 1 {
		return nil, badUsage("run: --epochs and --train-limit must be >= 0, --count >= 1")
	}
	if err := f.opt.Check(); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	var scs []*scenarios.Scenario
	for _, n := range names {
		sc, err := scenarios.Resolve(n)
		if err != nil {
			return nil, usageError{err}
		}
		scs = append(scs, sc)
	}
	if err := f.checkNodes(scs); err != nil {
		return nil, err
	}
	return scs, nil
}

// checkNodes checks the multi-node flags: only mirrored framework scenarios
// span machines, and every node needs the rendezvous.
func (f *runFlags) checkNodes(scs []*scenarios.Scenario) error {
	o := f.opt
	switch {
	case o.Nodes < 1:
		return badUsage("run: --nodes must be >= 1")
	case o.NodeRank < 0 || o.NodeRank >= o.Nodes:
		return badUsage("run: --node-rank %d is outside 0..%d (--nodes %d)", o.NodeRank, o.Nodes-1, o.Nodes)
	case o.Nodes == 1:
		return nil
	case o.Rendezvous == "":
		return badUsage("run: --nodes %d needs --rendezvous HOST:PORT (node 0's address, the same on every node)", o.Nodes)
	}
	if _, _, err := net.SplitHostPort(o.Rendezvous); err != nil {
		return badUsage("run: --rendezvous %q: %v", o.Rendezvous, err)
	}
	for _, sc := range scs {
		if sc.Engine != scenarios.EnginePyTorch || sc.Strategy != scenarios.StrategyMirrored {
			return badUsage("run: --nodes %d: scenario %s is engine %s, strategy %s; only engine pytorch with strategy mirrored spans machines",
				o.Nodes, sc.Name, sc.Engine, sc.Strategy)
		}
	}
	return nil
}

// invocation describes this host (calibrated, or with a warning why not)
// and sets up the runs' shared environment.
func (f *runFlags) invocation(std streams) *bench.Invocation {
	host := hardware.Detect()
	build := bench.BuildInfo()
	if err := bench.Calibrate(&host, build); err != nil {
		fmt.Fprintln(std.err, "warning: no calibration:", err)
	}
	fmt.Fprintf(std.err, "host: %s\n", host.Summary())
	return &bench.Invocation{
		Out: f.out, Count: f.count, RequireAll: f.requireAll, Options: f.opt,
		Env: &bench.Env{Progress: bench.NewProgress(std.err, f.quiet), Host: &host, Build: build},
	}
}

// openStore opens the results store the run's records also go to. One that
// cannot be opened costs a warning, not the run: the record files are still
// written and the exit status is what it would be without a store.
func (f *runFlags) openStore(ctx context.Context, std streams) store.Store {
	if f.store == "" {
		return nil
	}
	st, err := openStore(ctx, f.store)
	if err != nil {
		fmt.Fprintf(std.err, "warning: results store: %v (records go to files only)\n", err)
		return nil
	}
	return st
}

// summarize prints the summary table, draws the plots and says where
// everything went.
func (f *runFlags) summarize(std streams, o *bench.Outcome) error {
	fmt.Fprintln(std.out)
	if err := bench.WriteSummary(std.out, o.Records, f.markdown); err != nil {
		return err
	}
	if paths, err := bench.WritePlots(f.out, o.Records); err != nil {
		fmt.Fprintln(std.err, "warning: plots:", err)
	} else if len(paths) > 0 {
		fmt.Fprintf(std.out, "\n%s", plotsLine(paths))
	}
	fmt.Fprintf(std.out, "\nrecords: %s/*.json, benchmark file: %s\n", f.out, o.BenchFile)
	return nil
}

// plotsLine names the plot files in one short line, "plots in DIR: a, b
// (.png, .svg)", so that it fits a narrow terminal as the table does; files
// in several folders are listed whole.
func plotsLine(paths []string) string {
	var dir string
	var stems, exts []string
	for _, p := range paths {
		d, base := filepath.Split(p)
		if dir != "" && d != dir {
			return fmt.Sprintf("plots: %s", strings.Join(paths, " "))
		}
		dir = d
		ext := filepath.Ext(base)
		if stem := strings.TrimSuffix(base, ext); !slices.Contains(stems, stem) {
			stems = append(stems, stem)
		}
		if !slices.Contains(exts, ext) {
			exts = append(exts, ext)
		}
	}
	return fmt.Sprintf("plots in %s: %s (%s)", filepath.Clean(dir), strings.Join(stems, ", "), strings.Join(exts, ", "))
}

// interruptible is a context that Ctrl-C or SIGTERM cancels: the run in
// progress stops at its next step and is recorded as interrupted. A second
// Ctrl-C kills at once.
func interruptible() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}
