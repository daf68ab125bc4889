package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/mirrorbench/mirrorbench/bench"
	"github.com/mirrorbench/mirrorbench/trainer"
)

func cmdEval(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	engine := fs.String("engine", "gorgonia", "engine that evaluates: gorgonia (an independent implementation) or native")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run . eval [--engine gorgonia|native] WEIGHTS.safetensors\n\n"+
			"Loads weights (Keras names and shapes, float32) and prints the test loss and\n"+
			"accuracy on the 10,000 MNIST test images.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err), nil
	}
	if len(files) != 1 {
		fs.Usage()
		return 2, badUsage("eval: give one weights file")
	}
	eng, ok := bench.Engines[*engine]
	if !ok {
		return 2, badUsage("eval: --engine %q: want one of %v", *engine, slices.Sorted(maps.Keys(bench.Engines)))
	}
	params, meta, err := trainer.ReadSafetensors(files[0])
	if err != nil {
		return 2, err
	}
	ds, err := trainer.LoadMNIST()
	if err != nil {
		return 1, err
	}
	rep, err := eng.NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: 500, Device: "cpu"})
	if err != nil {
		return 1, err
	}
	defer rep.Close()
	var total trainer.Result
	for i := 0; i < ds.Test.Len(); i += 500 {
		r, err := rep.Evaluate(params, ds.Test.Slice(i, min(i+500, ds.Test.Len())))
		if err != nil {
			return 1, err
		}
		total.LossSum += r.LossSum
		total.Correct += r.Correct
	}
	n := float64(ds.Test.Len())
	fmt.Fprintf(stdout, "%s (scenario %s, seed %s, fingerprint %.16s…) on engine %s: test loss %.4f, test accuracy %.4f (%d of %d)\n",
		files[0], meta["scenario"], meta["seed"], params.Fingerprint(), *engine, total.LossSum/n, float64(total.Correct)/n, total.Correct, ds.Test.Len())
	return 0, nil
}
