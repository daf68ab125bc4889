// Package bench orchestrates runs: scenario -> plan on this host -> data ->
// trainer -> timing -> targets -> record. It is the only package that knows
// all the others; data flows through it one way, from a scenario to a record.
//
// Where a scenario becomes a record: Invocation.Execute expands scenarios
// into runs and writes each record as its run ends; Env.Run resolves one
// scenario into a plan (plan.go), builds its trainer and shuffler the one way
// they are built (plan.start, shared with the benchmark Stepper and the
// scaling bursts), trains epoch by epoch and fills the record.
//
// Around that core, each file one job: progress output (progress.go), the
// host's cached calibration (calibration.go) and the reference CNN's
// workload for projections (workload.go), verify and eval (verify.go,
// eval.go), and what the commands print beside the records: the published
// result they name, the plots, the suite and the host report (present.go,
// hostreport.go).
package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
)

// Options are the run-time overrides of the CLI.
type Options struct {
	// Checkpoint, when set, receives the record after every epoch, marked
	// interrupted with the epochs done so far: stored, it is what a run
	// killed outright (kill -9, power loss) leaves behind.
	Checkpoint func(*results.Record)

	Epochs        int    // > 0 overrides the scenario's epochs
	TrainLimit    int    // > 0 overrides the scenario's train_limit
	InitWeights   string // a safetensors file to start from instead of the seeded init
	ExportWeights string // write the final weights here as safetensors

	// For framework engines (engine: pytorch):
	Python     string // the interpreter ("": MIRRORBENCH_PYTHON, python3 on PATH, /usr/bin/python3)
	Nodes      int    // machines in one distributed group (0 or 1: this one alone)
	NodeRank   int    // this machine's place among them; node 0 writes the record
	Rendezvous string // host:port of node 0's rendezvous ("": a free loopback port)
}

// InputError is an error in what the user handed in (a file, a flag value):
// the command's exit status 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Env is what every run of one invocation shares: the data (loaded once, on
// first use), the host and build descriptions, and the progress output.
type Env struct {
	Progress *Progress
	Host     *hardware.Host
	Build    results.Build
	data     *trainer.Dataset
	probes   map[string]probed // framework interpreters found, by --python
}

// Dataset loads and verifies MNIST once.
func (e *Env) Dataset() (*trainer.Dataset, error) {
	if e.data == nil {
		ds, err := trainer.LoadMNIST()
		if err != nil {
			return nil, err
		}
		e.data = ds
	}
	return e.data, nil
}

// Run trains one scenario and returns its record. Skips, failures and
// interruptions are records too, with their status and reason.
func (e *Env) Run(ctx context.Context, sc *scenarios.Scenario, opt Options) *results.Record {
	rec := newRecord(sc, e)
	start := time.Now()
	rec.StartedAt = start.UTC().Format(time.RFC3339)
	rec.LoadAtStart = hardware.LoadAverage()
	defer e.Progress.Done()
	defer func() {
		rec.FinishedAt = time.Now().UTC().Format(time.RFC3339)
		rec.WallSecs = time.Since(start).Seconds()
	}()

	p, skip := resolve(sc, opt, e.Host)
	rec.Replicas, rec.ThreadsPerReplica = p.replicas, p.threads
	rec.EpochsPlanned, rec.TrainLimit = p.epochs, p.limit
	if skip != "" {
		rec.Status, rec.Reason = results.StatusSkipped, skip
		return rec
	}
	if p.framework {
		e.runFramework(ctx, p, rec)
		return rec
	}
	ds, err := e.Dataset()
	if err != nil {
		rec.Status, rec.Reason = results.StatusFailed, err.Error()
		return rec
	}
	rec.Dataset = datasetInfo(ds)
	// Times to target count from the first step: loading the data is not training.
	if err := e.train(ctx, p, ds, rec, time.Now()); err != nil {
		rec.Status, rec.Reason = results.StatusFailed, err.Error()
	}
	return rec
}

func (e *Env) train(ctx context.Context, p plan, ds *trainer.Dataset, rec *results.Record, start time.Time) error {
	sc := p.sc
	init, err := initialWeights(sc, p.opt, rec)
	if err != nil {
		return err
	}
	data := p.trainSet(ds)
	s, err := p.start(data, init)
	if err != nil {
		return err
	}
	defer s.close()
	// A --train-limit override can shrink an epoch below the scenario's
	// warm-up; keep at least half of the first epoch measured.
	meter := newMeter(min(sc.WarmupSteps, s.sh.Steps()/2), sc.GlobalBatch)
	rec.Status = results.StatusOK
	if p.opt.Checkpoint != nil { // from the first step on, a killed run leaves a record
		checkpoint(rec, meter, p.opt.Checkpoint, start)
	}
	for epoch := 1; epoch <= p.epochs; epoch++ {
		ep, err := e.trainEpoch(ctx, s, epoch, p, meter)
		if err != nil {
			return err
		}
		if ep == nil { // interrupted mid-epoch: keep what finished
			rec.Status, rec.Reason = results.StatusInterrupted, fmt.Sprintf("interrupted during epoch %d", epoch)
			break
		}
		evalStart := time.Now()
		test, err := s.tr.Evaluate(ds.Test)
		if err != nil {
			return err
		}
		meter.times.eval += time.Since(evalStart)
		ep.TestLoss = test.LossSum / float64(ds.Test.Len())
		ep.TestAccuracy = float64(test.Correct) / float64(ds.Test.Len())
		ep.Seconds = time.Since(ep.start).Seconds()
		rec.Epochs = append(rec.Epochs, ep.Epoch)
		checkTargets(rec, ep.Epoch, time.Since(start).Seconds())
		e.Progress.EpochDone(sc.Name, ep.Epoch, p.epochs)
		if p.opt.Checkpoint != nil && epoch < p.epochs {
			checkpoint(rec, meter, p.opt.Checkpoint, start)
		}
	}
	rec.Fingerprint = s.tr.Params().Fingerprint()
	meter.fill(rec)
	if sc.Engine == scenarios.EngineOpenCL {
		rec.OpenCL = openclRecord(s.tr, p.deviceIDs)
	}
	if p.opt.ExportWeights != "" {
		if err := exportWeights(p.opt.ExportWeights, s.tr.Params(), rec); err != nil {
			return err
		}
	}
	if rec.Status == results.StatusOK {
		finishTargets(rec)
	}
	if p.replicas*p.threads > 1 && rec.Throughput.SamplesPerSecond > 0 && ctx.Err() == nil {
		measureScaling(ctx, p, data, init, rec)
	}
	return nil
}

// checkpoint hands over a copy of the record as it would stand if the
// process died now.
func checkpoint(rec *results.Record, m *meter, store func(*results.Record), start time.Time) {
	c := *rec
	c.Epochs = append([]results.Epoch(nil), rec.Epochs...)
	c.Targets = append([]results.TargetResult(nil), rec.Targets...)
	c.Status = results.StatusInterrupted
	c.Reason = fmt.Sprintf("the process stopped after epoch %d of %d (record written as training starts and at each epoch's end)", len(c.Epochs), rec.EpochsPlanned)
	c.FinishedAt = time.Now().UTC().Format(time.RFC3339)
	c.WallSecs = time.Since(start).Seconds()
	m.fill(&c)
	store(&c)
}

type epochRun struct {
	results.Epoch
	start time.Time
}

// trainEpoch runs one epoch's steps; it returns nil, nil when ctx is done.
func (e *Env) trainEpoch(ctx context.Context, s *session, epoch int, p plan, m *meter) (*epochRun, error) {
	ep := &epochRun{Epoch: results.Epoch{Epoch: epoch}, start: time.Now()}
	s.startEpoch(epoch)
	status := StepStatus{Scenario: p.sc.Name, Epoch: epoch, Epochs: p.epochs, Steps: s.sh.Steps(), Batch: p.sc.GlobalBatch}
	var sum trainer.Result
	for step := range status.Steps {
		if ctx.Err() != nil {
			return nil, nil
		}
		t0 := time.Now()
		batch := s.sh.Batch(step)
		t1 := time.Now()
		res, times, err := s.step(batch)
		if err != nil {
			return nil, fmt.Errorf("epoch %d step %d: %w", epoch, step+1, err)
		}
		m.step(t1.Sub(t0), times, time.Since(t0))
		sum.Add(res)
		seen := float64((step + 1) * p.sc.GlobalBatch)
		status.Step, status.Loss, status.Accuracy = step+1, sum.LossSum/seen, float64(sum.Correct)/seen
		e.Progress.Step(status)
	}
	n := float64(status.Steps * p.sc.GlobalBatch)
	ep.TrainLoss, ep.TrainAccuracy = sum.LossSum/n, float64(sum.Correct)/n
	ep.SamplesPerSecond = n / time.Since(ep.start).Seconds()
	return ep, nil
}

// checkTargets marks targets first reached at this epoch.
func checkTargets(rec *results.Record, ep results.Epoch, elapsed float64) {
	for i := range rec.Targets {
		t := &rec.Targets[i]
		v := metricOf(ep, t.Metric)
		if !t.Reached && ep.Epoch <= t.ByEpoch && v >= t.Min {
			t.Reached, t.Epoch, t.Seconds = true, ep.Epoch, elapsed
		}
	}
}

// finishTargets sets the status of a run that completed: target_missed names
// every target not reached in time.
func finishTargets(rec *results.Record) {
	var missed []string
	for _, t := range rec.Targets {
		if !t.Reached {
			best := 0.0
			for _, ep := range rec.Epochs {
				if ep.Epoch <= t.ByEpoch {
					best = max(best, metricOf(ep, t.Metric))
				}
			}
			missed = append(missed, fmt.Sprintf("%s %.4f < %.4f by epoch %d", t.Metric, best, t.Min, t.ByEpoch))
		}
	}
	if len(missed) > 0 {
		rec.Status = results.StatusTargetMissed
		rec.Reason = fmt.Sprint(missed)
		if last := rec.Epochs[len(rec.Epochs)-1].Epoch; last < rec.Targets[0].ByEpoch {
			rec.Reason += fmt.Sprintf(" (the run stopped after epoch %d)", last)
		}
	}
}

func metricOf(ep results.Epoch, metric string) float64 {
	if metric == scenarios.MetricTrainAccuracy {
		return ep.TrainAccuracy
	}
	return ep.TestAccuracy
}

// Check finds a bad --export-weights or --init-weights before any training:
// a folder that cannot be written, a weights file that cannot be read. Its
// errors are *InputError.
func (o Options) Check() error {
	if o.ExportWeights != "" {
		if err := results.CheckWritable(filepath.Dir(o.ExportWeights)); err != nil {
			return &InputError{fmt.Errorf("--export-weights: %w", err)}
		}
	}
	if o.InitWeights != "" {
		if _, _, err := trainer.ReadSafetensors(o.InitWeights); err != nil {
			return &InputError{fmt.Errorf("--init-weights: %w", err)}
		}
	}
	return nil
}
