package bench

import (
	"context"
	"flag"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mirrorbench/mirrorbench/bench/frameworks"
	"github.com/mirrorbench/mirrorbench/bench/frameworks/frameworkstest"
	"github.com/mirrorbench/mirrorbench/internal/testdeps"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/gorgoniaengine"
)

// The tests of engine pytorch run PyTorch for real, through the adapter, on
// short runs. Where no Python with torch is found they skip, saying why.

// needTorch returns the interpreter the harness would use, or skips.
func needTorch(t *testing.T) *frameworks.Runtime {
	t.Helper()
	rt, err := testEnv.frameworkRuntime(context.Background(), "")
	if err != nil {
		testdeps.Missing(t, testdeps.Torch, "%v", err)
	}
	return rt
}

func lookup(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// quick is a one-epoch run on the first 640 images: 20 steps.
var quick = Options{Epochs: 1, TrainLimit: 640}

func mustRun(t *testing.T, env *Env, sc *scenarios.Scenario, opt Options) *results.Record {
	t.Helper()
	r := env.Run(context.Background(), sc, opt)
	if r.Status != results.StatusOK && r.Status != results.StatusTargetMissed {
		t.Fatalf("%s: %s (%s)", sc.Name, r.Status, r.Reason)
	}
	return r
}

// Two runs of pytorch-cpu1 with one seed end with the same weights; the
// record names the framework's versions; verify says it compared bit for
// bit and reproduced; the exported weights score, in the Gorgonia engine
// (an independent implementation), exactly the accuracy the record states.
func TestPyTorchDeterministicVerifiedAndExported(t *testing.T) {
	needTorch(t)
	sc := lookup(t, "pytorch-cpu1")
	opt := quick
	opt.ExportWeights = filepath.Join(t.TempDir(), "w.safetensors")
	a := mustRun(t, testEnv, sc, opt)
	f := a.Framework
	if f == nil || f.Name != "pytorch" || f.Versions["torch"] == "" || f.Versions["python"] == "" || !f.Deterministic {
		t.Fatalf("record's framework: %+v", f)
	}
	if len(a.Epochs) != 1 || a.Fingerprint == "" || a.Throughput.SamplesPerSecond <= 0 || f.SetupSeconds <= 0 || f.StepSeconds <= 0 {
		t.Fatalf("incomplete record: %+v", a)
	}
	// The adapter times each step whole: compute is the whole step, the
	// phases it includes are null, not zeros.
	if tm := a.Timing; tm.ComputeSeconds <= 0 || tm.DataSeconds != nil || tm.AllReduceSeconds != nil || tm.OptimizerSeconds != nil {
		t.Errorf("timing %+v: want compute only, the other phases null", tm)
	}
	if got := a.UnmeasuredPhases(); !slices.Equal(got, []string{results.PhaseData, results.PhaseAllReduce, results.PhaseOptimizer}) {
		t.Errorf("unmeasured phases %v, want data, all-reduce, optimizer", got)
	}
	v, err := testEnv.Verify(context.Background(), a, "")
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || !v.Bitwise || v.New.Fingerprint != a.Fingerprint {
		t.Fatalf("verify: ok %v bitwise %v, fingerprints %s and %s, notes %q, diff:\n%s", v.OK(), v.Bitwise, a.Fingerprint, v.New.Fingerprint, v.Notes, v.Diff)
	}
	if !strings.Contains(strings.Join(v.Notes, "\n"), "bit for bit") {
		t.Errorf("verify does not say it compared bit for bit: %q", v.Notes)
	}
	ev, err := Evaluate(opt.ExportWeights, gorgoniaengine.New())
	if err != nil {
		t.Fatal(err)
	}
	if ev.Fingerprint != a.Fingerprint || ev.Accuracy() != a.FinalTestAccuracy() {
		t.Errorf("exported weights: fingerprint %s, accuracy %v; the record says %s, %v",
			ev.Fingerprint, ev.Accuracy(), a.Fingerprint, a.FinalTestAccuracy())
	}
}

// stepLossBound is how far apart native's and PyTorch's per-step losses may
// drift over the first 100 steps, relative. The first step starts from the
// same weights and sees the same batch: only float32 rounding in other
// orders separates them (1e-5 asked; 9e-9 measured). After that the weights
// differ in their last bits and training may amplify the gap; on this model
// it stayed at about 1e-6 over 100 steps (the test logs it). 1e-4 leaves a
// hundredfold margin for other BLAS libraries and CPUs, and still fails any
// real difference of model, loss, optimizer or batch order, which shows from
// the first steps as a gap of 1e-2 or more.
const stepLossBound = 1e-4

// From the same initial weights and batches, native and PyTorch agree on
// the first step's loss to 1e-5 relative and stay within stepLossBound over
// the first 100 steps.
func TestPyTorchAgreesWithNative(t *testing.T) {
	rt := needTorch(t)
	ds, err := testEnv.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Epochs: 1, TrainLimit: 100 * scenarios.KerasBatch}
	torch := pytorchStepLosses(t, lookup(t, "pytorch-cpu1"), opt, rt, ds)
	native := nativeStepLosses(t, lookup(t, "reference-cpu1"), opt, ds)
	if len(torch) != 100 || len(native) != 100 {
		t.Fatalf("steps: pytorch %d, native %d, want 100", len(torch), len(native))
	}
	rel := func(i int) float64 { return math.Abs(torch[i]-native[i]) / math.Abs(native[i]) }
	if d := rel(0); d > 1e-5 {
		t.Errorf("first step: pytorch loss %.9g, native %.9g: %.2g relative, want <= 1e-5", torch[0], native[0], d)
	}
	worst, at := 0.0, 0
	for i := range native {
		if d := rel(i); d > worst {
			worst, at = d, i
		}
	}
	t.Logf("first step: %.2g relative; largest over 100 steps: %.2g at step %d (loss %.6f vs %.6f)", rel(0), worst, at+1, torch[at], native[at])
	if worst > stepLossBound {
		t.Errorf("step %d: pytorch loss %.6f, native %.6f: %.2g relative, more than %g", at+1, torch[at], native[at], worst, stepLossBound)
	}
}

// pytorchStepLosses runs sc's job and returns each step's mean loss.
func pytorchStepLosses(t *testing.T, sc *scenarios.Scenario, opt Options, rt *frameworks.Runtime, ds *trainer.Dataset) []float64 {
	t.Helper()
	p, skip := resolve(sc, opt, nil)
	if skip != "" {
		t.Fatal(skip)
	}
	dir := t.TempDir()
	job, err := p.writeJob(dir, ds, &results.Record{})
	if err != nil {
		t.Fatal(err)
	}
	adapter, err := frameworks.WriteAdapter(dir)
	if err != nil {
		t.Fatal(err)
	}
	g, err := p.group(rt, adapter, job)
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	err = g.Run(context.Background(), func(_ int, ev frameworks.Event) error {
		if ev.Event == frameworks.EventStep {
			losses = append(losses, ev.LossSum/float64(ev.Samples))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return losses
}

// nativeStepLosses trains sc step by step and returns each step's mean loss.
func nativeStepLosses(t *testing.T, sc *scenarios.Scenario, opt Options, ds *trainer.Dataset) []float64 {
	t.Helper()
	p, skip := resolve(sc, opt, nil)
	if skip != "" {
		t.Fatal(skip)
	}
	init, err := initialWeights(sc, opt, &results.Record{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.start(p.trainSet(ds), init)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	var losses []float64
	for step := range s.sh.Steps() {
		res, _, err := s.step(s.sh.Batch(step))
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, res.LossSum/float64(sc.GlobalBatch))
	}
	return losses
}

// Two node processes over loopback form one DDP group of four ranks; node 0
// gets the whole record, node 1 just its ranks' outcome.
func TestPyTorchTwoNodesOverLoopback(t *testing.T) {
	needTorch(t)
	frameworkstest.LockDDP(t)
	port := loopbackPort(t)
	sc := lookup(t, "pytorch-mirrored-cpu2")
	recs := make([]*results.Record, 2)
	var wg sync.WaitGroup
	for node := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opt := quick
			opt.Nodes, opt.NodeRank, opt.Rendezvous = 2, node, net.JoinHostPort("127.0.0.1", port)
			env := &Env{Build: testEnv.Build} // one per node, as two machines would have
			recs[node] = env.Run(context.Background(), sc, opt)
		}()
	}
	wg.Wait()
	for node, r := range recs {
		if r.Status != results.StatusTargetMissed && r.Status != results.StatusOK {
			t.Fatalf("node %d: %s (%s)", node, r.Status, r.Reason)
		}
	}
	r := recs[0]
	if r.Replicas != 4 || r.Framework == nil || r.Framework.Nodes != 2 || r.Framework.Backend != "gloo" || len(r.Epochs) != 1 || r.Fingerprint == "" {
		t.Errorf("node 0's record: replicas %d, framework %+v, %d epochs, fingerprint %q", r.Replicas, r.Framework, len(r.Epochs), r.Fingerprint)
	}
}

// loopbackPort is a loopback port free when asked, for two nodes to share
// (the launcher cannot choose it for them: each node's would choose its own).
func loopbackPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// Killing one rank mid-run fails the run, names the rank, and leaves no
// adapter process behind.
func TestPyTorchKilledRankFailsTheRun(t *testing.T) {
	needTorch(t)
	frameworkstest.NeedProcesses(t) // to find rank 1, and what is left
	frameworkstest.LockDDP(t)
	sc := lookup(t, "pytorch-mirrored-cpu2")
	opt := Options{Epochs: 1, TrainLimit: 12800}
	var killed []int
	opt.Checkpoint = func(r *results.Record) { // training has started: kill rank 1
		if r.Status == results.StatusInterrupted && len(r.Epochs) == 0 && killed == nil {
			// Processes that carry this test's marker: its own descendants.
			killed = frameworkstest.WithEnv(adapterJob, frameworkstest.Marker(), "RANK=1")
			if len(killed) == 1 && killed[0] > 0 {
				syscall.Kill(killed[0], syscall.SIGKILL)
			}
		}
	}
	r := testEnv.Run(context.Background(), sc, opt)
	if len(killed) != 1 {
		t.Fatalf("found %d rank-1 processes to kill, want 1", len(killed))
	}
	if r.Status != results.StatusFailed || !strings.Contains(r.Reason, "rank 1") || !strings.Contains(r.Reason, "killed") {
		t.Errorf("status %s, reason %q; want failed, naming rank 1 killed", r.Status, r.Reason)
	}
	assertNoAdapterLeft(t)
}

// adapterJob is in every adapter's command line (the job's folder).
const adapterJob = "mirrorbench-job-"

func init() { // the adapters this test process starts inherit the marker
	k, v, _ := strings.Cut(frameworkstest.Marker(), "=")
	os.Setenv(k, v)
}

func assertNoAdapterLeft(t *testing.T) {
	frameworkstest.AssertNoneLeft(t, adapterJob, frameworkstest.Marker())
}

// Ctrl-C mid-run: the record says interrupted and no adapter is left.
func TestPyTorchInterrupted(t *testing.T) {
	needTorch(t)
	frameworkstest.LockDDP(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opt := Options{Epochs: 1, TrainLimit: 12800, Checkpoint: func(*results.Record) { cancel() }}
	r := testEnv.Run(ctx, lookup(t, "pytorch-mirrored-cpu2"), opt)
	if r.Status != results.StatusInterrupted || !strings.Contains(r.Reason, "stopped") {
		t.Errorf("status %s (%s), want interrupted", r.Status, r.Reason)
	}
	assertNoAdapterLeft(t)
}

// Without an interpreter the run is skipped, saying which was tried.
func TestPyTorchWithoutPythonIsSkipped(t *testing.T) {
	env := &Env{Build: testEnv.Build}
	r := env.Run(context.Background(), lookup(t, "pytorch-cpu1"), Options{Python: "/nonexistent/python3"})
	if r.Status != results.StatusSkipped || !strings.Contains(r.Reason, "/nonexistent/python3") {
		t.Errorf("status %s (%s), want skipped naming the interpreter", r.Status, r.Reason)
	}
}

// GPU scenarios skip with how many GPUs torch sees.
func TestPyTorchGPUsMissingIsSkipped(t *testing.T) {
	rt := needTorch(t)
	if rt.Hello.GPUs >= 2 {
		t.Skip("this machine has GPUs for pytorch-mirrored-gpu2")
	}
	r := testEnv.Run(context.Background(), lookup(t, "pytorch-mirrored-gpu2"), quick)
	if r.Status != results.StatusSkipped || !strings.Contains(r.Reason, "CUDA GPU(s)") {
		t.Errorf("status %s (%s), want skipped with the GPU count", r.Status, r.Reason)
	}
}

// A framework record that is not deterministic (several GPUs over NCCL) is
// verified within a tolerance, and verify says so and why.
func TestVerifyNonDeterministicFrameworkWithinTolerance(t *testing.T) {
	torch := func(det bool) *results.Record {
		r := &results.Record{Scenario: "pytorch-mirrored-gpu2", Status: results.StatusOK, Fingerprint: "aaaa",
			Epochs: []results.Epoch{{Epoch: 1, TestAccuracy: 0.98, TestLoss: 0.05}}}
		r.Framework = &results.Framework{Name: "pytorch", Versions: map[string]string{"torch": "2.5.1"}, Deterministic: det}
		if !det {
			r.Framework.DeterministicNote = "NCCL's all-reduce order is not guaranteed"
		}
		return r
	}
	old, rerun := torch(false), torch(true)
	rerun.Fingerprint = "bbbb"
	rerun.Epochs[0].TestAccuracy = 0.981 // within verifyAccAbs
	if sameFramework(old, rerun) {
		t.Fatal("a non-deterministic record compared bit for bit")
	}
	notes := strings.Join(frameworkNotes(old, rerun, false), "\n")
	if !strings.Contains(notes, "within a tolerance") || !strings.Contains(notes, "NCCL") {
		t.Errorf("notes do not say tolerance and why: %q", notes)
	}
	if d := diffRecords(old, rerun, false); d != "" {
		t.Errorf("within tolerance, yet a diff:\n%s", d)
	}
	rerun.Epochs[0].TestAccuracy = 0.99
	if d := diffRecords(old, rerun, false); d == "" {
		t.Error("1 pp apart, and no diff")
	}
	det := torch(true)
	if !sameFramework(det, torch(true)) || !strings.Contains(strings.Join(frameworkNotes(det, det, true), ""), "bit for bit") {
		t.Error("two deterministic records of the same versions are not compared bit for bit")
	}
}

var fiveEpochs = flag.Bool("pytorch.five-epochs", false, "also train pytorch-cpu1 and reference-cpu1 for 5 full epochs and compare their test accuracies (about 7 minutes on 2 cores)")

// seedSpread is the seed-to-seed spread of reference-cpu1's test accuracy
// after 5 epochs, measured over seeds 1-5 (98.21-98.72 %) with the loss
// from the logits (the clipped loss gave 98.36-98.75 %):
// run `go run . run FILE` with a copy of scenarios/reference-cpu1.yaml
// whose seed line reads `seeds: [1, 2, 3, 4, 5]`.
const seedSpread = 0.0051

// After 5 full epochs from the same weights and batches, PyTorch's and
// native's test accuracies differ by no more than the spread between seeds:
// the engines are interchangeable for the experiment's result. Opt-in:
// go test ./bench -run FiveEpochs -pytorch.five-epochs -timeout 30m
func TestPyTorchFiveEpochsWithinSeedSpread(t *testing.T) {
	if !*fiveEpochs {
		t.Skip("opt-in: -pytorch.five-epochs")
	}
	needTorch(t)
	torch := mustRun(t, testEnv, lookup(t, "pytorch-cpu1"), Options{})
	native := mustRun(t, testEnv, lookup(t, "reference-cpu1"), Options{})
	d := math.Abs(torch.FinalTestAccuracy() - native.FinalTestAccuracy())
	t.Logf("test accuracy after 5 epochs: pytorch %.4f, native %.4f: %.2f pp apart (seed spread %.2f pp)",
		torch.FinalTestAccuracy(), native.FinalTestAccuracy(), 100*d, 100*seedSpread)
	if d > seedSpread {
		t.Errorf("the engines' accuracies are %.2f pp apart, more than the seed-to-seed spread %.2f pp", 100*d, 100*seedSpread)
	}
}

// GPU devices against the GPUs the framework sees: gpu:all takes them all,
// a list needs every id, and the batch must split over them.
func TestFitGPUs(t *testing.T) {
	rt := func(gpus int) *frameworks.Runtime {
		return &frameworks.Runtime{Python: "/usr/bin/python3", Hello: frameworks.Event{Framework: "pytorch", GPUs: gpus, Versions: map[string]string{"torch": "2.5.1"}}}
	}
	gpuPlan := func(devices string, replicas int) plan {
		sc := *lookup(t, "pytorch-mirrored-gpu2")
		d, err := scenarios.ParseDevices(devices)
		if err != nil {
			t.Fatal(err)
		}
		sc.Devices, sc.Device, sc.Replicas = devices, d, replicas
		p, skip := resolve(&sc, Options{}, nil)
		if skip != "" {
			t.Fatal(skip)
		}
		return p
	}
	p := gpuPlan("gpu:all", 0)
	if skip := p.fitGPUs(rt(4)); skip != "" || p.world() != 4 || len(p.deviceIDs) != 4 || p.deviceIDs[3] != 3 || p.threads != 1 {
		t.Errorf("gpu:all on 4 GPUs: skip %q, world %d, ids %v, threads %d", skip, p.world(), p.deviceIDs, p.threads)
	}
	for _, c := range []struct {
		devices  string
		replicas int
		gpus     int
		want     string
	}{
		{"gpu:0,1", 2, 1, "sees 1 CUDA GPU(s); devices gpu:0,1 need 2"},
		{"gpu:all", 0, 0, "sees 0 CUDA GPU(s)"},
		{"gpu:all", 0, 3, "not divisible by the 3 GPU processes"},
	} {
		p := gpuPlan(c.devices, c.replicas)
		if skip := p.fitGPUs(rt(c.gpus)); !strings.Contains(skip, c.want) {
			t.Errorf("%s on %d GPUs: %q, want %q", c.devices, c.gpus, skip, c.want)
		}
	}
}
