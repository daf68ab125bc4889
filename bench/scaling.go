package bench

import (
	"context"
	"slices"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
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
	base, err := newBurst(one, data, init)
	if err != nil {
		return
	}
	defer base.tr.Close()
	full, err := newBurst(p, data, init)
	if err != nil {
		return
	}
	defer full.tr.Close()
	var baseSPS, fullSPS []float64
	for range 3 {
		if ctx.Err() != nil {
			return
		}
		baseSPS = append(baseSPS, base.run())
		fullSPS = append(fullSPS, full.run())
	}
	b, f := median(baseSPS), median(fullSPS)
	if b <= 0 || f <= 0 {
		return
	}
	rec.Throughput.BaselineSPS, rec.Throughput.BurstSPS = b, f
	rec.Throughput.ScalingEfficiency = f / (float64(p.replicas*p.threads) * b)
}

// burst times short runs of training steps of one configuration.
type burst struct {
	tr    *trainer.Trainer
	sh    *trainer.Shuffler
	batch int
}

func newBurst(p plan, data trainer.Batch, init *trainer.Params) (*burst, error) {
	tr, err := trainer.NewTrainer(trainerConfig(p), init)
	if err != nil {
		return nil, err
	}
	sh := trainer.NewShuffler(data, p.sc.Seed, p.sc.GlobalBatch)
	sh.StartEpoch(1)
	return &burst{tr: tr, sh: sh, batch: p.sc.GlobalBatch}, nil
}

// run does a few warm-up steps, then times up to 50 and returns samples/s.
func (b *burst) run() float64 {
	const warm, timed = 3, 50
	steps := min(warm+timed, b.sh.Steps())
	var t0 time.Time
	for s := range steps {
		if s == min(warm, steps-1) {
			t0 = time.Now()
		}
		if _, _, err := b.tr.Step(b.sh.Batch(s)); err != nil {
			return 0
		}
	}
	return float64((steps-min(warm, steps-1))*b.batch) / time.Since(t0).Seconds()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
