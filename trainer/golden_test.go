package trainer_test

import (
	"testing"

	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
	"github.com/mirrorbench/mirrorbench/trainer/native"
)

// goldenImages is the size of the golden runs' training set: ten steps of 32.
const goldenImages = 320

// goldenRuns are short trainings whose final weights are pinned bit for bit,
// per numerics of package kernels: "fma" (the AVX2 and AVX-512 paths, which
// agree bitwise) and "separate" (the portable Go path). They are the
// scenarios reference-cpu1, mirrored-cpu2 and mirrored-cpu2-canonical cut
// short: with 6400 images instead of goldenImages, the fma runs end at the
// fingerprints of `mirrorbench run --epochs 1 --train-limit 6400` (58315ad1…
// for reference-cpu1, c156c071… for mirrored-cpu2-canonical).
var goldenRuns = []struct {
	name string
	cfg  trainer.Config
	want map[string]string // numerics -> Params.Fingerprint()
}{
	{
		name: "single",
		cfg:  trainer.Config{Replicas: 1, Threads: 1},
		want: map[string]string{
			"fma":      "572ad4ebca51fc6a4fa88f2c7c6ced33fe7c8b33a7ae77eecf0bab2f036c0789",
			"separate": "ed7da6ade76bcc8cd51a9880cb736748474a2cda8efe2721c97e3c1c271bdd1c",
		},
	},
	{
		name: "mirrored-fast",
		cfg:  trainer.Config{Replicas: 2, Threads: 1},
		want: map[string]string{
			"fma":      "d6027abd2801a985391a05ecdf2d7715f8e5b7db5fb9e03d72a95dfc8182fb91",
			"separate": "bacd1aad1fe64b5f8fe1d2ff55a801313e8a54beec9d84b44dd609ec750677f6",
		},
	},
	{
		name: "mirrored-canonical",
		cfg:  trainer.Config{Replicas: 2, Threads: 1, Canonical: true, MicroShard: 8},
		want: map[string]string{
			"fma":      "31dc90206bef56eb4037f69bcd86b7b60243d6930638efe9a0b3b6cbe465b898",
			"separate": "129b390b11ee26702b8177de38a7f5a8df06687b748baf8bbcdf070d4f9d3bfa",
		},
	},
}

// TestGoldenFingerprints trains each golden run as `mirrorbench run` does
// (seed 1: Keras's initialisation, the shuffled order of epoch 1, batch 32,
// Keras's Adam) on the first goldenImages MNIST training images, once per
// numerics this CPU has, and compares the final weights' fingerprint with
// the recorded one. A mismatch means the arithmetic changed: every run's
// weights change with it, so updating a value here is a conscious decision.
func TestGoldenFingerprints(t *testing.T) {
	ds, err := trainer.LoadMNIST()
	if err != nil {
		t.Fatal(err)
	}
	data := ds.Train.Slice(0, goldenImages)
	defer kernels.SetGeneric(false)
	for _, generic := range []bool{false, true} {
		kernels.SetGeneric(generic)
		numerics := kernels.Numerics(kernels.Path())
		if !generic && numerics != "fma" {
			t.Logf("no SIMD path on this CPU (%s): fma fingerprints not checked", kernels.Path())
			continue
		}
		for _, run := range goldenRuns {
			t.Run(run.name+"/"+numerics, func(t *testing.T) {
				got := goldenTrain(t, run.cfg, data)
				if want := run.want[numerics]; got != want {
					t.Errorf("final weights' fingerprint is %s, want %s.\n"+
						"The %s arithmetic of the trainer or the kernels changed: every run's weights change with it. "+
						"If the change is intended, updating this golden value is a conscious decision: "+
						"say so, and why, where you commit it.", got, want, numerics)
				}
			})
		}
	}
}

// goldenTrain trains one epoch of data from seed 1 and returns the final
// weights' fingerprint.
func goldenTrain(t *testing.T, cfg trainer.Config, data trainer.Batch) string {
	t.Helper()
	const seed, batch = 1, 32
	cfg.Engine, cfg.Device, cfg.GlobalBatch, cfg.Adam = native.New(), "cpu", batch, trainer.KerasAdamForTest
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
