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
// fingerprints of `mirrorbench run --epochs 1 --train-limit 6400` (881dc83f…
// for reference-cpu1, 14889e74… for mirrored-cpu2-canonical).
var goldenRuns = []struct {
	name string
	cfg  trainer.Config
	want map[string]string // numerics -> Params.Fingerprint()
}{
	{
		name: "single",
		cfg:  trainer.Config{Replicas: 1, Threads: 1},
		want: map[string]string{
			"fma":      "307f61540152721b666d49f3af184690bbce2de451aca2e6c0aa15e472654893",
			"separate": "e3eb9d65e52faa93d0151ad2fb65ef82f0f148207986bb0aba0230301c667c06",
		},
	},
	{
		name: "mirrored-fast",
		cfg:  trainer.Config{Replicas: 2, Threads: 1},
		want: map[string]string{
			"fma":      "b9c9cb501bc894075c5466ad270e601de9b33e1b3aaaabceb89662985bcbce62",
			"separate": "2002a21d35361093ede79d6c9decec5a89fd68d0d8688aab09c7e982687e4651",
		},
	},
	{
		name: "mirrored-canonical",
		cfg:  trainer.Config{Replicas: 2, Threads: 1, Canonical: true, MicroShard: 8},
		want: map[string]string{
			"fma":      "e31da8b5d7f2d8d194d903374036bb4436745732f9a12d82776b0404292e4ae1",
			"separate": "65fb0df8b5c3a70efdcade6b5ccda4900a6eff5a186798d18addbf283fa9c255",
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
