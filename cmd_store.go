package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mirrorbench/mirrorbench/bench"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/dashboard"
	"github.com/mirrorbench/mirrorbench/results/history"
	"github.com/mirrorbench/mirrorbench/results/store"
)

// defaultStore is the results store every verb uses unless --store says
// otherwise: an embedded SQLite file.
const defaultStore = "results/mirrorbench.db"

const storeUsage = "results store: a SQLite file path, or a postgres:// DSN for a shared one"

// storeFlag declares --store on a verb.
func storeFlag(fs *flag.FlagSet) *string {
	return fs.String("store", defaultStore, storeUsage)
}

// storeTimeout bounds opening a store and storing one record: a store that
// does not answer must not hold a run (or a CI job) hostage.
const storeTimeout = 30 * time.Second

// openStore opens the store a verb writes, creating it if need be; a store
// that cannot be opened is an error naming it (never its password).
func openStore(ctx context.Context, dsn string) (store.Store, error) {
	return openWith(ctx, dsn, store.Open)
}

// openExisting opens the store a verb only reads: one that does not exist
// is bad input (a mistyped path), not a new empty store.
func openExisting(ctx context.Context, dsn string) (store.Store, error) {
	st, err := openWith(ctx, dsn, store.OpenExisting)
	if errors.Is(err, store.ErrNoStore) {
		return nil, usageError{err}
	}
	return st, err
}

func openWith(ctx context.Context, dsn string, open func(context.Context, string) (store.Store, error)) (store.Store, error) {
	if dsn == "" {
		return nil, badUsage("--store: give a SQLite file or a postgres:// DSN")
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	st, err := open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("--store %s: %w", store.Redact(dsn), err)
	}
	return st, nil
}

var uploadVerb = verb{
	name: "upload", synopsis: "[--store DSN] DIR|FILE...", brief: "upload DIR|FILE...", summary: "store existing run records in the results store",
	help: `Stores run records (files, or folders of *.json records) in the results store.
A record already stored is not stored again; a file that is not a complete record
is rejected with its name, and the others are stored all the same (exit status 2).
`,
	minArgs: 1, maxArgs: -1, argsHint: "name at least one record file or folder",
	setup: func(fs *flag.FlagSet) func(streams, []string) error {
		dsn := storeFlag(fs)
		return func(std streams, paths []string) error {
			ctx := context.Background()
			st, err := openStore(ctx, *dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			up, err := bench.UploadRecords(ctx, st, paths)
			for _, r := range up.Rejected {
				fmt.Fprintf(std.err, "rejected: %v\n", r)
			}
			fmt.Fprintf(std.out, "%s: %v\n", store.Redact(*dsn), up)
			switch {
			case err != nil:
				return err
			case len(up.Rejected) > 0:
				return usageError{fmt.Errorf("%w: rejected files", errShown)}
			}
			return nil
		}
	},
}

var historyVerb = verb{
	name: "history", synopsis: "[--store DSN] [--scenario S] [--metric M] [--host H]", brief: "history [flags]", summary: "each scenario's results over commits and time, with change points",
	help: `Prints, per series, the stored runs in time order with their commit and the
chosen metric, and marks the change points found in each series (E-divisive
means with a permutation test; see 'go doc ./results/history'). A series is one
scenario on one host class in one configuration: engine and its kernel path (or
OpenCL devices), framework versions (torch, Gorgonia), devices, epochs, training
images and batch, so a run with --epochs or --train-limit is a series of its own,
not a change point; its header names them all.
`,
	maxArgs: 0, argsHint: "takes no arguments (use the flags)",
	setup: func(fs *flag.FlagSet) func(streams, []string) error {
		dsn := storeFlag(fs)
		var f store.Filter
		fs.StringVar(&f.Scenario, "scenario", "", "only this scenario")
		fs.StringVar(&f.Host, "host", "", "only host classes containing this text")
		metric := fs.String("metric", history.MetricSamplesPerSecond, strings.Join(history.Metrics(), " | "))
		return func(std streams, _ []string) error {
			if !slices.Contains(history.Metrics(), *metric) {
				return badUsage("history: --metric %q: want one of %v", *metric, history.Metrics())
			}
			series, err := storedSeries(*dsn, f, *metric)
			if err != nil {
				return err
			}
			if len(series) == 0 {
				return fmt.Errorf("history: no stored run in %s matches and has a %s", store.Redact(*dsn), *metric)
			}
			return history.WriteText(std.out, series)
		}
	},
}

var dashboardVerb = verb{
	name: "dashboard", synopsis: "[--store DSN] --out DIR", brief: "dashboard --out DIR", summary: "a static HTML page of the stored history",
	help: `Writes DIR/index.html: one self-contained page (no network needed to open it)
with, per scenario, throughput and test accuracy over time, one line per host
class and configuration (as history's series), change points marked, and each
point linked to its run's key facts.
`,
	maxArgs: 0, argsHint: "takes no arguments (use --out)",
	setup: func(fs *flag.FlagSet) func(streams, []string) error {
		dsn := storeFlag(fs)
		out := fs.String("out", "results/out/dashboard", "folder for index.html")
		return func(std streams, _ []string) error {
			runs, err := storedRuns(*dsn, store.Filter{})
			if err != nil {
				return err
			}
			speed, err := history.Build(runs, history.MetricSamplesPerSecond)
			if err != nil {
				return err
			}
			acc, err := history.Build(runs, history.MetricTestAccuracy)
			if err != nil {
				return err
			}
			path, err := dashboard.Write(*out, speed, acc, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(std.out, path)
			return nil
		}
	},
}

// storedRuns reads the runs f selects from an existing store.
func storedRuns(dsn string, f store.Filter) ([]store.Run, error) {
	ctx := context.Background()
	st, err := openExisting(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.Runs(ctx, f)
}

// storedSeries reads the runs f selects and builds their series of metric.
func storedSeries(dsn string, f store.Filter, metric string) ([]history.Series, error) {
	runs, err := storedRuns(dsn, f)
	if err != nil {
		return nil, err
	}
	series, err := history.Build(runs, metric)
	if err != nil {
		return nil, badUsage("--metric: %v", err)
	}
	return series, nil
}

// storedRecords reads the whole records of the runs f selects from the store
// at dsn, oldest first.
func storedRecords(dsn string, f store.Filter) ([]*results.Record, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	st, err := openExisting(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	runs, err := st.Runs(ctx, f)
	if err != nil {
		return nil, err
	}
	recs := make([]*results.Record, 0, len(runs))
	for _, r := range runs {
		rec, err := st.Record(ctx, r.Key)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}
