package trainer_test

import (
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/opencl"
)

// TestGoldenFingerprintsOpenCL trains the golden runs on the OpenCL engine,
// on every device kind the machine has (CI: two pocl CPU devices, under
// POCL_DEVICES="pthread pthread"), and compares the final weights with the
// native engine's "fma" fingerprints of goldenRuns: the engine reproduces
// that numerics bit for bit. The canonical run's fingerprint does not depend
// on the replicas, so 1, 2 and 4 replicas, on one device, on two, and two
// replicas sharing one device, must all end at it. Skipped where there is
// no OpenCL device.
func TestGoldenFingerprintsOpenCL(t *testing.T) {
	if _, _, err := opencl.Find(opencl.KindCL); err != nil {
		testdeps.Missing(t, testdeps.OpenCL, "no OpenCL device: %v", err)
	}
	ds, err := trainer.LoadMNIST()
	if err != nil {
		t.Fatal(err)
	}
	data := ds.Train.Slice(0, goldenImages)
	want := map[string]string{}
	for _, run := range goldenRuns {
		want[run.name] = run.want["fma"]
	}
	// Every OpenCL device kind there is: "cl" (all devices, the last one
	// and the first two), and "gpu" where there are GPUs (GPU 0, shared).
	for _, kind := range []string{opencl.KindCL, opencl.KindGPU} {
		devs, _, err := opencl.Find(kind)
		if err != nil {
			t.Logf("%s: %v", kind, err)
			continue
		}
		one := len(devs) - 1
		if kind == opencl.KindGPU {
			one = 0
		}
		two := []int{0, min(1, len(devs)-1)}
		for _, tc := range []struct {
			name, golden string
			cfg          trainer.Config
		}{
			{"single", "single", trainer.Config{Replicas: 1, DeviceIDs: []int{one}}},
			{"single-again", "single", trainer.Config{Replicas: 1, DeviceIDs: []int{one}}},
			{"mirrored-fast", "mirrored-fast", trainer.Config{Replicas: 2, DeviceIDs: two}},
			{"canonical-1", "mirrored-canonical", trainer.Config{Replicas: 1, DeviceIDs: []int{one}, Canonical: true, MicroShard: 8}},
			{"canonical-2-devices", "mirrored-canonical", trainer.Config{Replicas: 2, DeviceIDs: two, Canonical: true, MicroShard: 8}},
			{"canonical-2-shared", "mirrored-canonical", trainer.Config{Replicas: 2, DeviceIDs: []int{one, one}, Canonical: true, MicroShard: 8}},
			{"canonical-4", "mirrored-canonical", trainer.Config{Replicas: 4, DeviceIDs: append(two, two...), Canonical: true, MicroShard: 8}},
		} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				cfg := tc.cfg
				cfg.Threads = 1
				got := goldenTrainEngine(t, opencl.New(), kind, cfg, data)
				if got != want[tc.golden] {
					t.Errorf("final weights' fingerprint is %s, want native fma's %s (golden run %s; devices %s:%v: %s)",
						got, want[tc.golden], tc.golden, kind, cfg.DeviceIDs, opencl.Describe(devs[cfg.DeviceIDs[0]]))
				}
			})
		}
	}
}

// goldenTrainEngine is goldenTrain on engine eng's devices of kind device.
func goldenTrainEngine(t *testing.T, eng trainer.Engine, device string, cfg trainer.Config, data trainer.Batch) string {
	t.Helper()
	const seed, batch = 1, 32
	cfg.Engine, cfg.Device, cfg.GlobalBatch, cfg.Adam = eng, device, batch, trainer.KerasAdamForTest
	init := trainer.NewParams()
	trainer.InitKeras(init, seed)
	tr, err := trainer.NewTrainer(cfg, init)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	sh := trainer.NewShuffler(data, seed, batch)
	sh.StartEpoch(1)
	for step := range sh.Steps() {
		if _, _, err := tr.Step(sh.Batch(step)); err != nil {
			t.Fatal(err)
		}
	}
	return tr.Params().Fingerprint()
}
