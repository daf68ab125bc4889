package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"

	"github.com/mirrorbench/mirrorbench/bench"
	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
)

var verifyVerb = verb{
	name: "verify", synopsis: "[--quiet] [--python PATH] RECORD.json", brief: "verify RECORD.json", summary: "re-run a recorded run and check that it reproduces",
	help: `Re-runs the recorded scenario with the recorded seed, epochs, train limit and initial
weights, and compares: on the same architecture and kernels the weight fingerprint
must be identical; elsewhere the per-epoch figures must agree within a tolerance.
A pytorch record is re-run with the interpreter --python names, else the one run would
find; never the one the record names (a record may come from anyone).
Exit status 0 reproduced, 1 not (with a diff), 2 bad input.
`,
	minArgs: 1, maxArgs: 1, argsHint: "give one record file",
	setup: func(fs *flag.FlagSet) func(streams, []string) error {
		quiet := fs.Bool("quiet", false, "no progress output")
		python := fs.String("python", "", "Python interpreter for a pytorch record (default $MIRRORBENCH_PYTHON, else python3 on PATH, then /usr/bin/python3)")
		return func(std streams, args []string) error { return runVerify(std, args[0], *quiet, *python) }
	},
}

func runVerify(std streams, file string, quiet bool, python string) error {
	old, err := results.ReadRecord(file)
	if err != nil {
		return usageError{err}
	}
	ctx, stop := interruptible()
	defer stop()
	host := hardware.Detect()
	env := &bench.Env{Progress: bench.NewProgress(std.err, quiet), Host: &host, Build: bench.BuildInfo()}
	v, err := env.Verify(ctx, old, python)
	if err != nil {
		return usageError{err}
	}
	for _, n := range v.Notes {
		fmt.Fprintln(std.out, "note:", n)
	}
	if v.OK() {
		how := "figures within tolerance"
		if v.Bitwise && len(v.New.Fingerprint) >= 16 {
			how = "identical fingerprint " + v.New.Fingerprint[:16] + "…"
		}
		fmt.Fprintf(std.out, "verify %s: reproduced (%s)\n", file, how)
		return nil
	}
	status := v.New.Status
	if v.New.Reason != "" {
		status += ": " + v.New.Reason
	}
	fmt.Fprintf(std.out, "verify %s: NOT reproduced (re-run status %s)\ndiff (-recorded +re-run):\n%s", file, status, v.Diff)
	return errUnmet
}

var evalVerb = verb{
	name: "eval", synopsis: "[--engine gorgonia|native] WEIGHTS.safetensors", brief: "eval WEIGHTS.safetensors", summary: "test accuracy of exported weights (Gorgonia engine by default)",
	help: `Loads weights (Keras names and shapes, float32) and prints the test loss and
accuracy on the 10,000 MNIST test images.
`,
	minArgs: 1, maxArgs: 1, argsHint: "give one weights file",
	setup: func(fs *flag.FlagSet) func(streams, []string) error {
		engine := fs.String("engine", scenarios.EngineGorgonia, "engine that evaluates: gorgonia (an independent implementation) or native")
		return func(std streams, args []string) error {
			eng, ok := bench.Engines[*engine]
			if !ok {
				return badUsage("eval: --engine %q: want one of %v", *engine, slices.Sorted(maps.Keys(bench.Engines)))
			}
			e, err := bench.Evaluate(args[0], eng)
			if err != nil {
				return err
			}
			fmt.Fprintf(std.out, "%s (scenario %s, seed %s, fingerprint %.16s…) on engine %s: test loss %.4f, test accuracy %.4f (%d of %d)\n",
				args[0], e.Metadata["scenario"], e.Metadata["seed"], e.Fingerprint, e.Engine, e.Loss, e.Accuracy(), e.Correct, e.Images)
			return nil
		}
	},
}

var hardwareVerb = verb{
	name: "hardware", synopsis: "[--results DIR] [--recalibrate]", brief: "hardware", summary: "this host, its calibration, the reference profiles",
	help: `Describes this host, calibrates it (the native engine's sgemm and memory bandwidth;
cached per host, kernel and build), and projects the reference CNN on it and on the
reference profiles.
`,
	maxArgs: -1, // extra arguments are ignored, as they always were
	setup: func(fs *flag.FlagSet) func(streams, []string) error {
		dir := fs.String("results", "", "a folder of run records: their measured µs/sample joins the table")
		fresh := fs.Bool("recalibrate", false, "measure the calibration anew instead of reading the cached one")
		return func(std streams, _ []string) error {
			h := hardware.Detect()
			calibrate := bench.Calibrate
			if *fresh {
				calibrate = bench.Recalibrate
			}
			if err := calibrate(&h, bench.BuildInfo()); err != nil {
				return err
			}
			return bench.WriteHostReport(std.out, h, *dir)
		}
	},
}

var frameworksVerb = verb{
	name: "frameworks", synopsis: "[--python PATH]", brief: "frameworks", summary: "whether the framework engines (pytorch) run here",
	help: `Says whether the framework engines run on this machine: which Python
interpreter imports PyTorch, with which versions and BLAS, and how many CUDA
GPUs torch sees; or, for each interpreter tried, why not. Scenarios of an
engine that cannot run here are skipped with that reason.
`,
	setup: func(fs *flag.FlagSet) func(streams, []string) error {
		python := fs.String("python", "", "the interpreter to try (default $MIRRORBENCH_PYTHON, else python3 on PATH, then /usr/bin/python3)")
		return func(std streams, _ []string) error {
			fmt.Fprint(std.out, bench.DescribeFrameworks(context.Background(), *python))
			return nil
		}
	},
}

var helpVerb = verb{
	name: "help", synopsis: "[scenarios]", brief: "help scenarios", summary: "the scenario file format",
	help: `Prints the usage, or with 'scenarios' the scenario file format.
`,
	maxArgs: -1,
	setup: noFlags(func(std streams, args []string) error {
		switch {
		case len(args) == 0:
			fmt.Fprint(std.out, usage())
		case args[0] == "scenarios":
			fmt.Fprint(std.out, scenarios.Help)
		default:
			return badUsage("help: unknown topic %q (try 'help scenarios')", args[0])
		}
		return nil
	}),
}
