package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/mirrorbench/mirrorbench/bench"
	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
)

func cmdVerify(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quiet := fs.Bool("quiet", false, "no progress output")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run . verify [--quiet] RECORD.json\n\n"+
			"Re-runs the recorded scenario with the recorded seed, epochs, train limit and initial\n"+
			"weights, and compares: on the same architecture and kernels the weight fingerprint\n"+
			"must be identical; elsewhere the per-epoch figures must agree within a tolerance.\n"+
			"Exit status 0 reproduced, 1 not (with a diff), 2 bad input.\n")
	}
	names, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err), nil
	}
	if len(names) != 1 {
		fs.Usage()
		return 2, badUsage("verify: give one record file")
	}
	old, err := results.ReadRecord(names[0])
	if err != nil {
		return 2, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	host := hardware.Detect()
	env := &bench.Env{Progress: bench.NewProgress(stderr, *quiet), Host: &host, Build: bench.BuildInfo()}
	v, err := env.Verify(ctx, old)
	if err != nil {
		return 2, err
	}
	for _, n := range v.Notes {
		fmt.Fprintln(stdout, "note:", n)
	}
	if v.OK() {
		how := "figures within tolerance"
		if v.Bitwise {
			how = "identical fingerprint " + v.New.Fingerprint[:16] + "…"
		}
		fmt.Fprintf(stdout, "verify %s: reproduced (%s)\n", names[0], how)
		return 0, nil
	}
	status := v.New.Status
	if v.New.Reason != "" {
		status += ": " + v.New.Reason
	}
	fmt.Fprintf(stdout, "verify %s: NOT reproduced (re-run status %s)\ndiff (-recorded +re-run):\n%s", names[0], status, v.Diff)
	return 1, nil
}
