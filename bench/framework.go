package bench

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mirrorbench/mirrorbench/bench/frameworks"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
)

// A framework engine (engine: pytorch) trains in another process: the
// harness makes the initial weights and every epoch's order as for native,
// hands them to the adapter in a job (bench/frameworks/PROTOCOL.md), and
// builds the record from the adapter's events and final weights.

// frameworkTimeout is the process group's timeout: how long a rank waits for
// the others at a rendezvous or a collective before giving up.
const frameworkTimeout = 300

// probed is the outcome of probing for a framework once per invocation.
type probed struct {
	rt  *frameworks.Runtime
	err error
}

// frameworkRuntime finds an interpreter whose framework imports (once per
// invocation and --python value).
func (e *Env) frameworkRuntime(ctx context.Context, python string) (*frameworks.Runtime, error) {
	if pr, ok := e.probes[python]; ok {
		return pr.rt, pr.err
	}
	dir, err := os.MkdirTemp("", "mirrorbench-probe-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	adapter, err := frameworks.WriteAdapter(dir)
	if err != nil {
		return nil, err
	}
	rt, err := frameworks.Probe(ctx, frameworks.Interpreters(python), adapter)
	if err != nil {
		err = fmt.Errorf("no Python with PyTorch found (choose one with --python or %s): %w", frameworks.PythonEnv, err)
	}
	if e.probes == nil {
		e.probes = map[string]probed{}
	}
	e.probes[python] = probed{rt, err}
	return rt, err
}

// runFramework trains p on its framework and fills rec. Like Run, it turns
// every outcome into the record's status.
func (e *Env) runFramework(ctx context.Context, p plan, rec *results.Record) {
	rt, err := e.frameworkRuntime(ctx, p.opt.Python)
	if err != nil {
		rec.Status, rec.Reason = results.StatusSkipped, fmt.Sprintf("engine %s: %v", p.sc.Engine, err)
		return
	}
	if skip := p.fitGPUs(rt); skip != "" {
		rec.Status, rec.Reason = results.StatusSkipped, skip
		return
	}
	if err := p.checkNodes(); err != nil {
		rec.Status, rec.Reason = results.StatusFailed, err.Error()
		return
	}
	rec.Replicas, rec.ThreadsPerReplica = p.world(), p.threads
	ds, err := e.Dataset()
	if err != nil {
		rec.Status, rec.Reason = results.StatusFailed, err.Error()
		return
	}
	rec.Dataset = datasetInfo(ds)
	if err := e.trainFramework(ctx, p, rt, ds, rec); err != nil {
		var unavailable *adapterUnavailable
		switch {
		case errors.As(err, &unavailable):
			rec.Status, rec.Reason = results.StatusSkipped, fmt.Sprintf("engine %s: %s", p.sc.Engine, unavailable.reason)
		case errors.Is(err, frameworks.ErrInterrupted):
			rec.Status = results.StatusInterrupted
			rec.Reason = fmt.Sprintf("interrupted during epoch %d; every %s process was stopped", len(rec.Epochs)+1, p.sc.Engine)
		default:
			rec.Status, rec.Reason = results.StatusFailed, err.Error()
		}
	}
}

// fitGPUs resolves gpu:all and checks that the framework sees every GPU the
// devices name; it returns why not.
func (p *plan) fitGPUs(rt *frameworks.Runtime) string {
	d := p.sc.Device
	if d.Kind != "gpu" {
		return ""
	}
	seen := rt.Hello.GPUs
	if d.All {
		p.deviceIDs = nil
		for id := range seen {
			p.deviceIDs = append(p.deviceIDs, id)
		}
		p.replicas = seen
	}
	need := 1
	for _, id := range p.deviceIDs {
		need = max(need, id+1)
	}
	if seen < need || len(p.deviceIDs) == 0 {
		return fmt.Sprintf("engine %s: %s %s (%s) sees %d CUDA GPU(s); devices %s need %d",
			p.sc.Engine, rt.Hello.Framework, rt.Hello.Versions["torch"], rt.Python, seen, p.sc.Devices, need)
	}
	if p.sc.GlobalBatch%p.world() != 0 {
		return fmt.Sprintf("global_batch %d is not divisible by the %d GPU processes found", p.sc.GlobalBatch, p.world())
	}
	return ""
}

// world is the number of processes over all nodes.
func (p plan) world() int { return max(p.opt.Nodes, 1) * p.replicas }

// checkNodes checks what only a multi-node run needs.
func (p plan) checkNodes() error {
	if p.opt.Nodes <= 1 {
		return nil
	}
	if p.sc.Strategy != scenarios.StrategyMirrored {
		return fmt.Errorf("--nodes %d needs strategy mirrored; %s is %s", p.opt.Nodes, p.sc.Name, p.sc.Strategy)
	}
	if p.sc.GlobalBatch%p.world() != 0 {
		return fmt.Errorf("global_batch %d is not divisible by the %d processes of %d nodes", p.sc.GlobalBatch, p.world(), p.opt.Nodes)
	}
	return nil
}

// adapterUnavailable is an adapter that found its framework unable to run
// the job (for instance too few GPUs): the run is skipped.
type adapterUnavailable struct{ reason string }

func (e *adapterUnavailable) Error() string { return e.reason }

// trainFramework writes the job, runs the ranks and reads their events.
func (e *Env) trainFramework(ctx context.Context, p plan, rt *frameworks.Runtime, ds *trainer.Dataset, rec *results.Record) error {
	dir, err := os.MkdirTemp("", "mirrorbench-job-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	job, err := p.writeJob(dir, ds, rec)
	if err != nil {
		return err
	}
	adapter, err := frameworks.WriteAdapter(dir)
	if err != nil {
		return err
	}
	group, err := p.group(rt, adapter, job)
	if err != nil {
		return err
	}
	group.Stderr = e.Progress.Output
	steps := p.trainSet(ds).Len() / p.sc.GlobalBatch
	// As for native: a short --train-limit keeps half of the first epoch measured.
	run := &frameworkRun{env: e, p: p, rec: rec, rt: rt, steps: steps, meter: newMeter(min(p.sc.WarmupSteps, steps/2), p.sc.GlobalBatch)}
	// The adapter times each step whole (PROTOCOL.md, "step"): batch
	// gathering, forward, backward, all-reduce and optimizer are one figure,
	// booked as compute; the record leaves the phases it includes null.
	run.meter.wholeStep = true
	rec.Status = results.StatusOK
	err = group.Run(ctx, run.handle)
	run.meter.fill(rec)
	rec.Timing.EvalSeconds = run.evalSeconds
	if err != nil || p.opt.NodeRank > 0 {
		return err
	}
	return run.finish()
}

// writeJob writes the initial weights, the epochs' order and the job file.
func (p plan) writeJob(dir string, ds *trainer.Dataset, rec *results.Record) (string, error) {
	init, err := initialWeights(p.sc, p.opt, rec)
	if err != nil {
		return "", err
	}
	initFile := filepath.Join(dir, "init.safetensors")
	data, err := trainer.EncodeSafetensors(init, map[string]string{"format": "mirrorbench", "scenario": p.sc.Name})
	if err == nil {
		err = os.WriteFile(initFile, data, 0o644)
	}
	if err != nil {
		return "", err
	}
	train := p.trainSet(ds)
	steps := train.Len() / p.sc.GlobalBatch
	if steps == 0 {
		return "", fmt.Errorf("%d training images make no batch of %d", train.Len(), p.sc.GlobalBatch)
	}
	orderFile := filepath.Join(dir, "order.bin")
	if err := os.WriteFile(orderFile, epochOrders(train, p, steps), 0o644); err != nil {
		return "", err
	}
	job := frameworks.Job{
		Protocol: frameworks.ProtocolVersion, Scenario: p.sc.Name,
		Device:      frameworks.Device{Kind: p.sc.Device.Kind, Threads: p.threads, IDs: p.deviceIDs},
		GlobalBatch: p.sc.GlobalBatch, Epochs: p.epochs, StepsPerEpoch: steps,
		Optimizer: frameworks.Optimizer{
			Name: p.sc.Optimizer.Name, LearningRate: p.sc.Optimizer.LearningRate,
			Beta1: p.sc.Optimizer.Beta1, Beta2: p.sc.Optimizer.Beta2, Epsilon: p.sc.Optimizer.Epsilon,
		},
		Data:  frameworks.Data{Dir: ds.Dir, TrainImages: train.Len()},
		Order: orderFile, InitWeights: initFile, FinalWeights: filepath.Join(dir, "final.safetensors"),
		Deterministic: true, EvalBatch: trainer.EvalChunk,
	}
	for _, f := range ds.Files {
		job.Data.Files = append(job.Data.Files, frameworks.DataFile{Name: f.Name, SHA256: f.SHA256})
	}
	if w := p.world(); w > 1 {
		backend := "gloo"
		if p.sc.Device.Kind == "gpu" {
			backend = "nccl"
		}
		job.Distributed = &frameworks.Distributed{Backend: backend, WorldSize: w, TimeoutSeconds: frameworkTimeout}
	}
	blob, err := json.MarshalIndent(job, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "job.json")
	return path, os.WriteFile(path, blob, 0o644)
}

// epochOrders is every epoch's order of training images from the scenario's
// shuffle stream, the very order native draws, as int32 little-endian.
func epochOrders(train trainer.Batch, p plan, steps int) []byte {
	sh := trainer.NewShuffler(train, p.sc.Seed, p.sc.GlobalBatch)
	n := steps * p.sc.GlobalBatch
	out := make([]byte, 0, 4*n*p.epochs)
	for epoch := 1; epoch <= p.epochs; epoch++ {
		sh.StartEpoch(epoch)
		for _, idx := range sh.Order()[:n] {
			out = binary.LittleEndian.AppendUint32(out, uint32(idx))
		}
	}
	return out
}

// group is the plan's processes on this node: its ranks, the rendezvous
// (on a single machine, a loopback port the launcher chooses), threads and
// determinism.
func (p plan) group(rt *frameworks.Runtime, adapter, job string) (*frameworks.Group, error) {
	g := &frameworks.Group{
		Command:   []string{rt.Python, adapter, "--job", job},
		WorldSize: p.world(),
		Env: []string{
			"PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1",
			"OMP_NUM_THREADS=" + strconv.Itoa(p.threads), "OPENBLAS_NUM_THREADS=" + strconv.Itoa(p.threads),
			"MKL_NUM_THREADS=" + strconv.Itoa(p.threads), "CUBLAS_WORKSPACE_CONFIG=:4096:8",
		},
	}
	for local := range p.replicas {
		g.Ranks = append(g.Ranks, p.opt.NodeRank*p.replicas+local)
	}
	if p.opt.Rendezvous != "" {
		host, port, err := net.SplitHostPort(p.opt.Rendezvous)
		if err == nil && port == "0" { // each node's launcher would choose its own
			err = errors.New("every node needs the same port, not 0")
		}
		if err != nil {
			return nil, &InputError{fmt.Errorf("--rendezvous %q: %v", p.opt.Rendezvous, err)}
		}
		g.Rendezvous, g.Loopback = p.opt.Rendezvous, isLoopback(host)
		return g, nil
	}
	// Port 0: the launcher chooses a free port, and another if one is taken
	// before rank 0 binds it.
	g.Rendezvous, g.Loopback = "127.0.0.1:0", true
	return g, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// frameworkRun turns one run's events into its record.
type frameworkRun struct {
	env         *Env
	p           plan
	rec         *results.Record
	rt          *frameworks.Runtime
	meter       *meter
	start       time.Time // the first step: times to target count from here
	epochStart  time.Time
	status      StepStatus
	stepLoss    float64 // rank 0's loss sum and samples this epoch, for progress
	stepSamples int
	stepCorrect int
	steps       int // per epoch
	evalSeconds float64
	weights     string
	done        bool
}

// handle takes one event of one rank (PROTOCOL.md, "Events").
func (r *frameworkRun) handle(rank int, ev frameworks.Event) error {
	switch ev.Event {
	case frameworks.EventUnavailable:
		return &adapterUnavailable{ev.Reason}
	case frameworks.EventHello:
		if rank == r.p.opt.NodeRank*r.p.replicas { // this node's first rank speaks for it
			backend := ev.Backend
			if backend == "" {
				backend = results.BackendNone
			}
			r.rec.Framework = &results.Framework{
				Name: ev.Framework, Versions: ev.Versions, Python: r.rt.Python, Backend: backend,
				Nodes: max(r.p.opt.Nodes, 1), Deterministic: ev.Deterministic, DeterministicNote: ev.DeterministicNote,
			}
		}
	case frameworks.EventReady:
		r.start, r.epochStart = time.Now(), time.Now()
		if r.rec.Framework != nil {
			r.rec.Framework.SetupSeconds = ev.SetupSeconds
		}
		if r.p.opt.Checkpoint != nil {
			checkpoint(r.rec, r.meter, r.p.opt.Checkpoint, r.start)
		}
	case frameworks.EventStep:
		r.step(ev)
	case frameworks.EventEpoch:
		r.epoch(ev)
	case frameworks.EventWeights:
		r.weights = ev.Path
	case frameworks.EventDone:
		r.done = true
		if r.rec.Framework != nil {
			r.rec.Framework.AdapterSeconds = ev.Seconds
		}
	}
	return nil
}

func (r *frameworkRun) step(ev frameworks.Event) {
	d := time.Duration(ev.Seconds * float64(time.Second))
	r.meter.step(0, trainer.StepTimes{Compute: d}, d)
	if r.rec.Framework != nil {
		r.rec.Framework.StepSeconds += ev.Seconds
	}
	if ev.Epoch != r.status.Epoch {
		r.stepLoss, r.stepSamples, r.stepCorrect = 0, 0, 0
	}
	r.stepLoss += ev.LossSum
	r.stepSamples += ev.Samples
	r.stepCorrect += ev.Correct
	s := &r.status
	s.Scenario, s.Epoch, s.Epochs, s.Step, s.Batch = r.p.sc.Name, ev.Epoch, r.p.epochs, ev.Step, r.p.sc.GlobalBatch
	s.Steps = r.steps
	if r.stepSamples > 0 {
		s.Loss, s.Accuracy = r.stepLoss/float64(r.stepSamples), float64(r.stepCorrect)/float64(r.stepSamples)
	}
	r.env.Progress.Step(*s)
}

func (r *frameworkRun) epoch(ev frameworks.Event) {
	ep := results.Epoch{
		Epoch: ev.Epoch, TrainLoss: ev.TrainLoss, TrainAccuracy: ev.TrainAccuracy,
		TestLoss: ev.TestLoss, TestAccuracy: ev.TestAccuracy, Seconds: time.Since(r.epochStart).Seconds(),
	}
	if ev.TrainSeconds > 0 {
		ep.SamplesPerSecond = float64(r.status.Steps*r.p.sc.GlobalBatch) / ev.TrainSeconds
	}
	r.epochStart = time.Now()
	r.evalSeconds += ev.EvalSeconds
	r.rec.Epochs = append(r.rec.Epochs, ep)
	checkTargets(r.rec, ep, time.Since(r.start).Seconds())
	r.env.Progress.EpochDone(r.p.sc.Name, ep, r.p.epochs)
	if r.p.opt.Checkpoint != nil && ev.Epoch < r.p.epochs {
		checkpoint(r.rec, r.meter, r.p.opt.Checkpoint, r.start)
	}
}

// finish checks that the adapter completed, and fingerprints (and exports)
// its final weights, which it wrote in Keras's layout.
func (r *frameworkRun) finish() error {
	switch {
	case !r.done:
		return fmt.Errorf("the %s adapter exited without finishing (no done event)", r.p.sc.Engine)
	case len(r.rec.Epochs) != r.p.epochs:
		return fmt.Errorf("the %s adapter reported %d of %d epochs", r.p.sc.Engine, len(r.rec.Epochs), r.p.epochs)
	case r.weights == "":
		return fmt.Errorf("the %s adapter wrote no final weights", r.p.sc.Engine)
	}
	params, _, err := trainer.ReadSafetensors(r.weights)
	if err != nil {
		return fmt.Errorf("the %s adapter's final weights: %w", r.p.sc.Engine, err)
	}
	r.rec.Fingerprint = params.Fingerprint()
	if r.p.opt.ExportWeights != "" {
		if err := exportWeights(r.p.opt.ExportWeights, params, r.rec); err != nil {
			return err
		}
	}
	finishTargets(r.rec)
	return nil
}

// DescribeFrameworks says in one line per framework engine whether it runs
// here, and on what: the interpreter, the versions, the GPUs it sees; or
// why not.
func DescribeFrameworks(ctx context.Context, python string) string {
	e := &Env{}
	rt, err := e.frameworkRuntime(ctx, python)
	if err != nil {
		return fmt.Sprintf("%s: not available here, its scenarios are skipped: %v\n", scenarios.EnginePyTorch, err)
	}
	v := rt.Hello.Versions
	line := fmt.Sprintf("%s: runs here: torch %s, Python %s (%s), %d CUDA GPU(s)", scenarios.EnginePyTorch, v["torch"], v["python"], rt.Python, rt.Hello.GPUs)
	if v["blas"] != "" {
		line += "; BLAS: " + v["blas"]
	}
	return line + "\n"
}
