package bench

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
)

// plan is a scenario resolved against this host: what will actually run.
type plan struct {
	sc        *scenarios.Scenario
	engine    trainer.Engine // nil for a framework engine
	framework bool           // trained by a framework through its adapter (framework.go)
	replicas  int
	threads   int
	deviceIDs []int
	epochs    int
	limit     int
	opt       Options
}

// resolve turns the scenario's devices into replicas and threads on this
// host, or says why it cannot run here.
func resolve(sc *scenarios.Scenario, opt Options, host *hardware.Host) (plan, string) {
	p := plan{sc: sc, epochs: sc.Epochs, limit: sc.TrainLimit, replicas: max(sc.Replicas, 1), threads: 1, opt: opt}
	if opt.Epochs > 0 {
		p.epochs = opt.Epochs
	}
	if opt.TrainLimit > 0 {
		p.limit = opt.TrainLimit
	}
	d := sc.Device
	if sc.Engine == scenarios.EnginePyTorch {
		p.framework = true // the framework says later whether it sees the GPUs
	} else {
		eng, ok := Engines[sc.Engine]
		if !ok {
			return p, fmt.Sprintf("engine %q is not in this build", sc.Engine)
		}
		p.engine = eng
		if !slices.Contains(eng.Devices(), d.Kind) {
			return p, gpuSkipReason(sc, d, host)
		}
	}
	if sc.Engine == scenarios.EngineOpenCL { // its devices are found through OpenCL
		ids, skip := openclDevices(sc, d)
		if skip != "" {
			return p, skip
		}
		p.deviceIDs, p.replicas = ids, len(ids)
		return p, ""
	}
	switch {
	case len(d.IDs) > 0:
		p.deviceIDs = d.IDs
		p.replicas = len(d.IDs)
	case d.Threads == 0: // cpu:all
		p.threads = runtime.NumCPU()
	default:
		p.threads = d.Threads
	}
	if d.Kind == "gpu" {
		p.threads = 1 // one host thread per GPU process
	}
	if sc.Strategy == scenarios.StrategyMirrored && len(d.IDs) == 0 && d.Kind == "cpu" {
		p.threads = 1 // R replicas of one thread each
	}
	return p, ""
}

// trainSet is the plan's share of the training images: all of them, or the
// first train_limit.
func (p plan) trainSet(ds *trainer.Dataset) trainer.Batch {
	if p.limit > 0 && p.limit < ds.Train.Len() {
		return ds.Train.Slice(0, p.limit)
	}
	return ds.Train
}

// session is a trainer with the shuffler that feeds it: what a run, the
// benchmark stepper and the scaling bursts all train with, built one way.
type session struct {
	tr    *trainer.Trainer
	sh    *trainer.Shuffler
	epoch int // whose order sh holds
}

// start builds the plan's trainer from init and a shuffler over data in the
// scenario's seeded order, positioned at epoch 1.
func (p plan) start(data trainer.Batch, init *trainer.Params) (*session, error) {
	sc := p.sc
	sh := trainer.NewShuffler(data, sc.Seed, sc.GlobalBatch)
	if sh.Steps() == 0 {
		return nil, fmt.Errorf("%d training images make no batch of %d", data.Len(), sc.GlobalBatch)
	}
	tr, err := trainer.NewTrainer(trainer.Config{
		Engine: p.engine, Device: sc.Device.Kind, DeviceIDs: p.deviceIDs,
		Replicas: p.replicas, Threads: p.threads, GlobalBatch: sc.GlobalBatch,
		Canonical: sc.Reduction == scenarios.ReductionCanonical, MicroShard: sc.MicroShard,
		Adam: trainer.AdamConfig{
			LearningRate: sc.Optimizer.LearningRate, Beta1: sc.Optimizer.Beta1,
			Beta2: sc.Optimizer.Beta2, Epsilon: sc.Optimizer.Epsilon,
		},
	}, init)
	if err != nil {
		return nil, err
	}
	s := &session{tr: tr, sh: sh}
	s.startEpoch(1)
	return s, nil
}

// startEpoch puts the shuffler on epoch e's order (drawn once per epoch).
func (s *session) startEpoch(e int) {
	if s.epoch != e {
		s.sh.StartEpoch(e)
		s.epoch = e
	}
}

// errLossNaN ends a run whose loss became NaN: it has diverged, and no
// step after it means anything.
var errLossNaN = errors.New("loss is NaN")

// step trains on one batch.
func (s *session) step(b trainer.Batch) (trainer.Result, trainer.StepTimes, error) {
	res, times, err := s.tr.Step(b)
	if err == nil && math.IsNaN(res.LossSum) {
		err = errLossNaN
	}
	return res, times, err
}

func (s *session) close() { s.tr.Close() }
