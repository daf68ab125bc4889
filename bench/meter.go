package bench

import (
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
	times         struct {
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
	rec.Timing = results.Timing{
		ComputeSeconds:   m.times.phases.Compute.Seconds(),
		AllReduceSeconds: m.times.phases.AllReduce.Seconds(),
		OptimizerSeconds: m.times.phases.Optimizer.Seconds(),
		DataSeconds:      m.times.data.Seconds(),
		EvalSeconds:      m.times.eval.Seconds(),
	}
}
