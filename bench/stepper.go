package bench

import (
	"fmt"

	"github.com/mirrorbench/mirrorbench/scenarios"
)

// Stepper runs a scenario's training steps one at a time, on real MNIST
// batches in the scenario's shuffled order: what `go test -bench` times.
type Stepper struct {
	Replicas, Threads int
	s                 *session
	step              int // the next step of the session's epoch
}

// NewStepper prepares a scenario (data, model, replicas) outside any timing.
// A scenario that cannot run here returns a nil Stepper and the reason.
func (e *Env) NewStepper(sc *scenarios.Scenario) (*Stepper, string, error) {
	p, skip := resolve(sc, Options{}, e.Host)
	if skip != "" {
		return nil, skip, nil
	}
	if p.framework {
		return nil, fmt.Sprintf("engine %s trains in processes of its own, not step by step in this one: "+
			"its speed is in its run records (go run . run %s) and in make framework-compare", sc.Engine, sc.Name), nil
	}
	ds, err := e.Dataset()
	if err != nil {
		return nil, "", err
	}
	init, err := initialWeights(sc, Options{}, nil)
	if err != nil {
		return nil, "", err
	}
	s, err := p.start(p.trainSet(ds), init)
	if err != nil {
		return nil, "", err
	}
	return &Stepper{Replicas: p.replicas, Threads: p.threads, s: s}, "", nil
}

// Step trains on the next batch, starting a new epoch when one ends.
func (st *Stepper) Step() error {
	if st.step == st.s.sh.Steps() {
		st.s.startEpoch(st.s.epoch + 1)
		st.step = 0
	}
	_, _, err := st.s.step(st.s.sh.Batch(st.step))
	st.step++
	if err != nil {
		return fmt.Errorf("epoch %d step %d: %w", st.s.epoch, st.step, err)
	}
	return nil
}

// Close releases the replicas.
func (st *Stepper) Close() { st.s.close() }
