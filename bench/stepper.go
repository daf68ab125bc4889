package bench

import (
	"fmt"

	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
)

// Stepper runs a scenario's training steps one at a time, on real MNIST
// batches in the scenario's shuffled order: what `go test -bench` times.
type Stepper struct {
	Replicas, Threads int
	tr                *trainer.Trainer
	sh                *trainer.Shuffler
	epoch, step       int
}

// NewStepper prepares a scenario (data, model, replicas) outside any timing.
// A scenario that cannot run here returns a nil Stepper and the reason.
func (e *Env) NewStepper(sc *scenarios.Scenario) (*Stepper, string, error) {
	p, skip := resolve(sc, Options{}, e.Host)
	if skip != "" {
		return nil, skip, nil
	}
	ds, err := e.Dataset()
	if err != nil {
		return nil, "", err
	}
	init := trainer.NewParams()
	trainer.InitKeras(init, sc.Seed)
	tr, err := trainer.NewTrainer(trainerConfig(p), init)
	if err != nil {
		return nil, "", err
	}
	data := ds.Train
	if p.limit > 0 {
		data = data.Slice(0, min(p.limit, data.Len()))
	}
	s := &Stepper{Replicas: p.replicas, Threads: p.threads, tr: tr, sh: trainer.NewShuffler(data, sc.Seed, sc.GlobalBatch)}
	s.sh.StartEpoch(1)
	s.epoch = 1
	return s, "", nil
}

// Step trains on the next batch, starting a new epoch when one ends.
func (s *Stepper) Step() error {
	if s.step == s.sh.Steps() {
		s.epoch++
		s.step = 0
		s.sh.StartEpoch(s.epoch)
	}
	res, _, err := s.tr.Step(s.sh.Batch(s.step))
	s.step++
	if err == nil && res.LossSum != res.LossSum {
		err = fmt.Errorf("loss is NaN at epoch %d step %d", s.epoch, s.step)
	}
	return err
}

// Close releases the replicas.
func (s *Stepper) Close() { s.tr.Close() }
