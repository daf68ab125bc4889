package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer/opencl"
	"golang.org/x/perf/benchfmt"
)

var testEnv = &Env{Build: BuildInfo()}

func smoke(t *testing.T, mutate func(*scenarios.Scenario)) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Lookup("smoke")
	if err != nil {
		t.Fatal(err)
	}
	c := *sc
	if mutate != nil {
		mutate(&c)
	}
	return &c
}

// Same scenario and seed: the same weights, bit for bit; another seed: others.
func TestSameSeedSameFingerprint(t *testing.T) {
	opt := Options{TrainLimit: 512}
	a := testEnv.Run(context.Background(), smoke(t, nil), opt)
	b := testEnv.Run(context.Background(), smoke(t, nil), opt)
	c := testEnv.Run(context.Background(), smoke(t, func(s *scenarios.Scenario) { s.Seed = 2 }), opt)
	for _, r := range []*results.Record{a, b, c} {
		if r.Fingerprint == "" || r.Status == results.StatusFailed {
			t.Fatalf("run failed: %s %s", r.Status, r.Reason)
		}
	}
	if a.Fingerprint != b.Fingerprint {
		t.Errorf("same seed, different fingerprints:\n%s\n%s", a.Fingerprint, b.Fingerprint)
	}
	if a.Fingerprint == c.Fingerprint {
		t.Error("seeds 1 and 2 gave the same fingerprint")
	}
	if a.Epochs[0].TestAccuracy != b.Epochs[0].TestAccuracy || a.Epochs[0].TrainLoss != b.Epochs[0].TrainLoss {
		t.Errorf("same seed, different figures: %+v vs %+v", a.Epochs[0], b.Epochs[0])
	}
}

// The smoke scenario learns: its record has real figures and meets its target.
func TestSmokeRecord(t *testing.T) {
	r := testEnv.Run(context.Background(), smoke(t, nil), Options{})
	if r.Status != results.StatusOK {
		t.Fatalf("status %s (%s), want ok", r.Status, r.Reason)
	}
	ep := r.Epochs[0]
	if ep.TestAccuracy < 0.8 || ep.TrainLoss <= 0 || ep.Seconds <= 0 || ep.SamplesPerSecond <= 0 {
		t.Errorf("epoch figures look wrong: %+v", ep)
	}
	if r.Throughput.Steps != 64-5 || r.Throughput.SamplesPerSecond <= 0 || r.Throughput.USPerSample <= 0 {
		t.Errorf("throughput %+v, want 59 steady steps (64 - 5 warm-up) and positive rates", r.Throughput)
	}
	tg := r.Targets[0]
	if !tg.Reached || tg.Epoch != 1 || tg.Seconds <= 0 {
		t.Errorf("target %+v, want reached at epoch 1", tg)
	}
	if len(r.Dataset.Files) != 4 || r.Build.GoVersion == "" || r.ScenarioHash == "" {
		t.Errorf("provenance missing: dataset %v, build %+v, hash %q", r.Dataset.Files, r.Build, r.ScenarioHash)
	}
	// The native engine times every phase: none is null, none unmeasured.
	tm := r.Timing
	if tm.ComputeSeconds <= 0 || tm.DataSeconds == nil || tm.AllReduceSeconds == nil || tm.OptimizerSeconds == nil || *tm.OptimizerSeconds <= 0 {
		t.Errorf("timing %+v: want every phase measured", tm)
	}
	if u := r.UnmeasuredPhases(); len(u) != 0 {
		t.Errorf("native record: unmeasured phases %v, want none", u)
	}
}

// A target beyond the epochs run is reported as missed, with the reason.
func TestTargetMissedWhenStoppedEarly(t *testing.T) {
	sc := smoke(t, func(s *scenarios.Scenario) {
		s.Epochs = 2
		s.Targets = []scenarios.Target{{Metric: "test_accuracy", Min: 0.99, ByEpoch: 2}}
	})
	r := testEnv.Run(context.Background(), sc, Options{Epochs: 1, TrainLimit: 256})
	if r.Status != results.StatusTargetMissed || !strings.Contains(r.Reason, "stopped after epoch 1") {
		t.Errorf("status %s (%s), want target_missed naming the early stop", r.Status, r.Reason)
	}
}

// cancelOnWrite cancels a context when progress output first arrives: a
// Ctrl-C at a known point of the run, whatever the machine's speed.
type cancelOnWrite struct{ cancel context.CancelFunc }

func (c cancelOnWrite) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "epoch 1/") {
		c.cancel()
	}
	return len(p), nil
}

// Ctrl-C: the run stops, the record says interrupted and is complete JSON.
func TestInterruptedRunLeavesRecord(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc := smoke(t, func(s *scenarios.Scenario) { s.Epochs = 50; s.Targets = nil })
	env := *testEnv
	env.Progress = NewProgress(cancelOnWrite{cancel}, false)
	inv := &Invocation{Out: dir, Env: &env}
	out, err := inv.Execute(ctx, []*scenarios.Scenario{sc})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Unmet || len(out.Records) != 1 || out.Records[0].Status != results.StatusInterrupted || len(out.Records[0].Epochs) != 1 {
		t.Fatalf("unmet %v, records %d, want 1 interrupted record with epoch 1 done", out.Unmet, len(out.Records))
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("records on disk: %v", files)
	}
	if _, err := results.ReadRecord(files[0]); err != nil {
		t.Errorf("interrupted record unreadable: %v", err)
	}
}

// The benchmark file parses with x/perf's reader, the one benchstat uses.
func TestBenchFileReadsBack(t *testing.T) {
	dir := t.TempDir()
	inv := &Invocation{Out: dir, Env: testEnv, Options: Options{TrainLimit: 512}}
	out, err := inv.Execute(context.Background(), []*scenarios.Scenario{smoke(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out.BenchFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := benchfmt.NewReader(f, out.BenchFile)
	var n int
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", rec)
		case *benchfmt.Result:
			n++
			if want := "Train/scenario=smoke/engine=native/devices=cpu/replicas=1"; rec.Name.String() != want {
				t.Errorf("name %q, want %q", rec.Name, want)
			}
			for _, unit := range []string{"samples/s", "sec/sample", "test-acc"} { // the reader tidies ns/sample to sec/sample
				if v, ok := rec.Value(unit); !ok || v <= 0 {
					t.Errorf("unit %s: %v %v", unit, v, ok)
				}
			}
		}
	}
	if n != 1 {
		t.Errorf("%d results, want 1", n)
	}
}

func TestBenchDevicesHaveNoProcsSuffix(t *testing.T) {
	for in, want := range map[string]string{"cpu:0-1": "cpu0..1", "gpu:0,1": "gpu0+1", "cpu:all": "cpuall", "cpu": "cpu"} {
		if got := results.BenchDevices(in); got != want {
			t.Errorf("BenchDevices(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGPUScenarioSkippedWithReason(t *testing.T) {
	sc, err := scenarios.Lookup("mirrored-gpu2")
	if err != nil {
		t.Fatal(err)
	}
	if gpus, _, err := opencl.Find(opencl.KindGPU); err == nil && len(gpus) >= 2 {
		t.Skipf("%d OpenCL GPUs here: mirrored-gpu2 would run", len(gpus))
	}
	r := testEnv.Run(context.Background(), sc, Options{})
	if r.Status != results.StatusSkipped || !strings.Contains(r.Reason, "gpu") {
		t.Errorf("status %s, reason %q; want skipped naming what is missing", r.Status, r.Reason)
	}
}

func TestShardsCoverTheSuiteOnce(t *testing.T) {
	var runs []*scenarios.Scenario
	for i := range 11 {
		runs = append(runs, &scenarios.Scenario{Name: fmt.Sprint("run-", i)})
	}
	count := map[string]int{}
	for i := 1; i <= 3; i++ {
		part, err := Shard(runs, fmt.Sprintf("%d/3", i))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range part {
			count[r.Name]++
		}
	}
	for _, r := range runs {
		if count[r.Name] != 1 {
			t.Errorf("%s ran %d times over the shards, want 1", r.Name, count[r.Name])
		}
	}
	for _, bad := range []string{"0/2", "3/2", "1/0", "a/b", "1/2x"} {
		if _, err := Shard(runs, bad); err == nil {
			t.Errorf("Shard(%q) accepted", bad)
		}
	}
}

// After every epoch but the last, the run hands over a complete record
// marked interrupted: what a run killed outright leaves on disk.
func TestCheckpointAfterEachEpoch(t *testing.T) {
	var got []*results.Record
	opt := Options{Epochs: 3, TrainLimit: 256, Checkpoint: func(r *results.Record) { got = append(got, r) }}
	final := testEnv.Run(context.Background(), smoke(t, func(s *scenarios.Scenario) { s.Epochs = 3 }), opt)
	if len(got) != 3 {
		t.Fatalf("%d checkpoints, want 3 (before epoch 1, after epochs 1 and 2)", len(got))
	}
	for i, r := range got {
		if r.Status != results.StatusInterrupted || len(r.Epochs) != i || !strings.Contains(r.Reason, "the process stopped") {
			t.Errorf("checkpoint %d: status %s, %d epochs, reason %q", i, r.Status, len(r.Epochs), r.Reason)
		}
		path := filepath.Join(t.TempDir(), "r.json")
		if err := results.WriteRecord(path, r); err != nil {
			t.Fatal(err)
		}
		if _, err := results.ReadRecord(path); err != nil {
			t.Errorf("checkpoint %d unreadable: %v", i, err)
		}
	}
	if final.Status == results.StatusInterrupted || len(final.Epochs) != 3 || len(got[1].Epochs) != 1 {
		t.Errorf("the final record (%s, %d epochs) or a checkpoint was changed after the fact", final.Status, len(final.Epochs))
	}
}

func TestSameArithmetic(t *testing.T) {
	b := func(arch, k string) results.Build { return results.Build{GOARCH: arch, Kernels: k} }
	for _, c := range []struct {
		a, b results.Build
		want bool
	}{
		{b("amd64", "avx2-fma"), b("amd64", "avx512"), true}, // same FMA chains, any vector width
		{b("amd64", "avx2-fma"), b("amd64", "avx2-fma"), true},
		{b("amd64", "avx2-fma"), b("amd64", "generic"), false},
		{b("amd64", "generic"), b("arm64", "generic"), true}, // the Go path, rounded explicitly everywhere
		{b("amd64", "avx2-fma"), b("arm64", "neon"), true},   // NEON runs the same FMA chains
		{b("amd64", "avx512"), b("arm64", "generic"), false},
		{b("amd64", "generic"), b("riscv64", "generic"), false}, // not pinned by the tests
		{b("amd64", ""), b("amd64", ""), false},                 // unknown: never promise bits
	} {
		if got := sameArithmetic(c.a, c.b); got != c.want {
			t.Errorf("sameArithmetic(%+v, %+v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
