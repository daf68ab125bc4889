// Command mirrorbench reproduces and benchmarks the Keras MNIST CNN described
// in docs/reference.md: declarative scenario files train it on single-CPU,
// multi-core and mirrored (data-parallel) configurations with fixed seeds,
// check accuracy targets, and record throughput against hardware profiles.
//
//	go run . run [flags] NAME|FILE...   train scenarios, write records, a benchmark file, plots
//	go run . list                       the embedded scenario suite
//	go run . verify RECORD.json         re-run a recorded run; check that it reproduces
//	go run . eval WEIGHTS.safetensors   test accuracy of exported weights
//	go run . compare [flags] OLD NEW    benchstat-style comparison with a verdict
//	go run . report [flags] [DIR...]    tables and plots from stored records (folders or --store)
//	go run . upload DIR|FILE...         store existing run records in the results store
//	go run . history [flags]            each scenario's stored results over time, with change points
//	go run . dashboard --out DIR        a static HTML page of the stored history
//	go run . hardware [flags]           this host, its calibration, the reference profiles
//	go run . frameworks                 whether the framework engines (pytorch) run here
//	go run . help [scenarios]           usage, or the scenario file format
//
// Each verb is a short shim over the packages bench (orchestration), results
// (records, comparison, reporting) and hardware; verbs.go holds the table of
// verbs, and exitStatus below is the one function that turns an error into
// an exit status: 0 all ran and met their targets (skips allowed), 1 a
// target was missed, a run failed, a comparison regressed or a record did
// not reproduce, 2 bad usage or bad input.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mirrorbench/mirrorbench/bench"
	"github.com/mirrorbench/mirrorbench/scenarios"
)

func main() {
	os.Exit(mainExit(os.Args[1:], os.Stdout, os.Stderr))
}

// mainExit runs one command line and returns its exit status.
func mainExit(args []string, stdout, stderr io.Writer) int {
	err := dispatch(args, streams{stdout, stderr})
	if err != nil && !errors.Is(err, errShown) && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, "mirrorbench:", err)
	}
	return exitStatus(err)
}

// errShown marks an outcome that has already been reported in full (a flag
// error the flag package printed, a missed target in the summary table, a
// regression in the comparison): mainExit adds no message.
var errShown = errors.New("reported above")

// errUnmet is the outcome "ran, but a target was missed, a run failed or a
// comparison found a regression": exit 1, with nothing more to say.
var errUnmet = fmt.Errorf("%w: unmet", errShown)

// usageError is a failure that is the caller's: bad usage or bad input.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func badUsage(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// errBadFlags is a flag error the flag package has printed with the usage.
var errBadFlags = usageError{fmt.Errorf("%w: bad flags", errShown)}

// exitStatus is the one place that decides the exit status: 0 for success
// and for --help, 2 for the caller's mistakes (bad usage, a malformed
// scenario, record or weights file), 1 for everything else.
func exitStatus(err error) int {
	var ue usageError
	var se *scenarios.Error
	var ie *bench.InputError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue), errors.As(err, &se), errors.As(err, &ie):
		return 2
	default:
		return 1
	}
}
