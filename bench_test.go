package main

import (
	"runtime"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/bench"
	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
)

// BenchmarkTrain times one training step of the global batch per iteration,
// for every scenario of the suite, on real MNIST batches with the scenario's
// engine, devices and strategy. Set-up is outside the timed loop; scenarios
// that cannot run here are skipped with their reason.
//
// Besides Go's own ns/op it reports samples/s and ns/sample over the whole
// loop, and cpu-ns/sample: the process's CPU time per sample, all threads
// together. On a shared machine it is the steadiest of them (time the
// process spends descheduled by other load does not count, extra work of any
// shape does), so `compare` judges by it; see docs/compare.md. Counted
// instead of timed (bench/internal/counted runs it under valgrind), it
// gives the instructions per sample of its timed steps.
//
//	go test -run '^$' -bench . -benchtime 20x -count 6 > new.txt
func BenchmarkTrain(b *testing.B) {
	eachScenario(b, func(b *testing.B, env *bench.Env, sc *scenarios.Scenario) {
		st, skip, err := env.NewStepper(sc)
		if err != nil {
			b.Fatal(err)
		}
		if skip != "" {
			b.Skip(skip)
		}
		defer st.Close()
		// Collect set-up's garbage now: a collection it started would
		// otherwise run on into the first timed steps, as much of it as
		// timing has it.
		runtime.GC()
		cpu0, step := processCPU(), 0
		for b.Loop() {
			t0 := time.Now()
			if err := st.Step(); err != nil {
				b.Fatal(err)
			}
			injectSlowdown(step, time.Since(t0))
			step++
		}
		cpu := processCPU() - cpu0
		samples := float64(b.N * sc.GlobalBatch)
		b.ReportMetric(samples/b.Elapsed().Seconds(), results.UnitSamplesPerSec)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/samples, results.UnitNsPerSample)
		if cpu > 0 {
			b.ReportMetric(float64(cpu.Nanoseconds())/samples, results.UnitCPUNsPerSample)
		}
	})
}

// eachScenario runs fn as a sub-benchmark for every scenario of the suite,
// named as a record's benchmark line names it (less "Train/").
func eachScenario(b *testing.B, fn func(b *testing.B, env *bench.Env, sc *scenarios.Scenario)) {
	suite, err := scenarios.Suite()
	if err != nil {
		b.Fatal(err)
	}
	host := hardware.Detect()
	env := &bench.Env{Host: &host}
	for _, sc := range suite {
		name := results.BenchName(sc.Name, sc.Engine, sc.Devices, max(sc.Replicas, 1))[len("Train/"):]
		b.Run(name, func(b *testing.B) { fn(b, env, sc) })
	}
}

// BenchmarkScaling measures how a CPU scenario with more than one worker
// (replicas x threads) scales: each iteration trains scalingBurst steps of
// the scenario, then as many of the same scenario on one replica of one
// thread (its baseline, as a record's scaling_efficiency has it), on the
// same batches, so that load and clock changes fall on both alike. It
// reports sec/sample for both (base-sec/sample is the baseline's), speedup
// (the baseline's time over the scenario's) and efficiency (speedup over
// the workers). Scenarios on one thread, on GPUs or in a framework's
// processes are skipped.
//
//	go test -run '^$' -bench Scaling -benchtime 30x -count 6 .
func BenchmarkScaling(b *testing.B) {
	eachScenario(b, func(b *testing.B, env *bench.Env, sc *scenarios.Scenario) {
		full, base, skip, err := env.NewScalingPair(sc)
		if err != nil {
			b.Fatal(err)
		}
		if skip != "" {
			b.Skip(skip)
		}
		defer full.Close()
		defer base.Close()
		burst := func(st *bench.Stepper) time.Duration {
			t0 := time.Now()
			for range scalingBurst {
				if err := st.Step(); err != nil {
					b.Fatal(err)
				}
			}
			return time.Since(t0)
		}
		burst(full) // warm both up outside the timing
		burst(base)
		runtime.GC()
		var tFull, tBase time.Duration
		for b.Loop() {
			tFull += burst(full)
			tBase += burst(base)
		}
		samples := float64(b.N * scalingBurst * sc.GlobalBatch)
		speedup := tBase.Seconds() / tFull.Seconds()
		b.ReportMetric(tFull.Seconds()/samples, "sec/sample")
		b.ReportMetric(tBase.Seconds()/samples, "base-sec/sample")
		b.ReportMetric(speedup, "speedup")
		b.ReportMetric(speedup/float64(full.Replicas*full.Threads), "efficiency")
	})
}

// scalingBurst is the steps BenchmarkScaling times of one configuration
// before it switches to the other: long enough for each to find its own
// parameters in cache again.
const scalingBurst = 10
