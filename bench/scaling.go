package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
)

// measureScaling compares, in matched short bursts on the same batches, the
// run's configuration with one replica on one thread, alternating them so
// that clock and cache conditions fall on both alike (a long run's sustained
// rate and a short burst differ by 10-15 % on their own). Efficiency is the
// ratio of the two bursts over the parallelism R x threads.
func measureScaling(ctx context.Context, p plan, data trainer.Batch, init *trainer.Params, rec *results.Record) {
	one := p
	one.replicas, one.threads, one.deviceIDs = 1, 1, nil
	base, err := one.start(data, init)
	if err != nil {
		return
	}
	defer base.close()
	full, err := p.start(data, init)
	if err != nil {
		return
	}
	defer full.close()
	var baseSPS, fullSPS []float64
	for range 3 {
		if ctx.Err() != nil {
			return
		}
		baseSPS = append(baseSPS, burst(base, p.sc.GlobalBatch))
		fullSPS = append(fullSPS, burst(full, p.sc.GlobalBatch))
	}
	b, f := results.Median(baseSPS), results.Median(fullSPS)
	if b <= 0 || f <= 0 {
		return
	}
	rec.Throughput.BaselineSPS, rec.Throughput.BurstSPS = b, f
	rec.Throughput.ScalingEfficiency = f / (float64(p.replicas*p.threads) * b)
}

// burst does a few warm-up steps of s, then times up to 50 and returns
// samples/s (0 if a step fails).
func burst(s *session, batch int) float64 {
	const warm, timed = 3, 50
	steps := min(warm+timed, s.sh.Steps())
	var t0 time.Time
	for i := range steps {
		if i == min(warm, steps-1) {
			t0 = time.Now()
		}
		if _, _, err := s.step(s.sh.Batch(i)); err != nil {
			return 0
		}
	}
	return float64((steps-min(warm, steps-1))*batch) / time.Since(t0).Seconds()
}

// NewScalingPair prepares what BenchmarkScaling compares: the scenario's
// own stepper and its baseline, the same scenario on one replica of one
// thread (as measureScaling's), on the same batches from the same
// initial weights. A scenario that cannot run here, that trains in a
// framework's processes, or that already runs on one thread of one replica
// returns the reason instead.
func (e *Env) NewScalingPair(sc *scenarios.Scenario) (full, base *Stepper, skip string, err error) {
	p, skip := resolve(sc, Options{}, e.Host)
	switch {
	case skip != "":
		return nil, nil, skip, nil
	case p.framework:
		return nil, nil, fmt.Sprintf("engine %s trains in processes of its own", sc.Engine), nil
	case p.replicas*p.threads == 1:
		return nil, nil, "one replica of one thread: its own baseline", nil
	case sc.Device.Kind != "cpu":
		return nil, nil, "not a CPU scenario: the baseline is one CPU thread", nil
	}
	ds, err := e.Dataset()
	if err != nil {
		return nil, nil, "", err
	}
	init, err := initialWeights(sc, Options{}, nil)
	if err != nil {
		return nil, nil, "", err
	}
	one := p
	one.replicas, one.threads, one.deviceIDs = 1, 1, nil
	steppers := [2]*Stepper{}
	for i, q := range []plan{p, one} {
		s, err := q.start(q.trainSet(ds), init)
		if err != nil {
			if steppers[0] != nil {
				steppers[0].Close()
			}
			return nil, nil, "", err
		}
		steppers[i] = &Stepper{Replicas: q.replicas, Threads: q.threads, s: s}
	}
	return steppers[0], steppers[1], "", nil
}
