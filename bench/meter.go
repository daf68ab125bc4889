package bench

import (
	"math"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/trainer"
)

// meter accumulates step timings; throughput counts only the steps after the
// first `warmup` of the run (caches, page faults, graph builds settle there).
type meter struct {
	warmup, batch int
	steps         int
	steady        time.Duration // wall time of the steps after warm-up
	steadySteps   int
	stepMean      float64 // running mean and sum of squared deviations of the
	stepM2        float64 // steady steps' seconds (Welford), for their spread
	// wholeStep: each step is timed whole and booked as compute (a
	// framework engine's steps); the record leaves the other phases null.
	wholeStep bool
	times     struct {
		data, eval time.Duration
		phases     trainer.StepTimes
	}
}

func newMeter(warmup, batch int) *meter {
	return &meter{warmup: warmup, batch: batch}
}

func (m *meter) step(data time.Duration, phases trainer.StepTimes, total time.Duration) {
	m.steps++
	m.times.data += data
	m.times.phases.Add(phases)
	if m.steps > m.warmup {
		m.steady += total
		m.steadySteps++
		x := total.Seconds()
		d := x - m.stepMean
		m.stepMean += d / float64(m.steadySteps)
		m.stepM2 += d * (x - m.stepMean)
	}
}

func (m *meter) fill(rec *results.Record) {
	rec.Throughput.Steps = m.steadySteps
	rec.Throughput.WarmupSteps = min(m.warmup, m.steps)
	if m.steadySteps > 0 && m.steady > 0 {
		sps := float64(m.steadySteps*m.batch) / m.steady.Seconds()
		rec.Throughput.SamplesPerSecond = sps
		rec.Throughput.USPerSample = 1e6 / sps
	}
	if m.steadySteps > 1 && m.stepMean > 0 {
		rec.Throughput.StepCV = math.Sqrt(m.stepM2/float64(m.steadySteps-1)) / m.stepMean
	}
	rec.Timing = results.Timing{
		ComputeSeconds: m.times.phases.Compute.Seconds(),
		EvalSeconds:    m.times.eval.Seconds(),
	}
	if !m.wholeStep {
		rec.Timing.AllReduceSeconds = results.Measured(m.times.phases.AllReduce.Seconds())
		rec.Timing.OptimizerSeconds = results.Measured(m.times.phases.Optimizer.Seconds())
		rec.Timing.DataSeconds = results.Measured(m.times.data.Seconds())
	}
}
