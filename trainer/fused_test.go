package trainer_test

import (
	"testing"

	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/native"
)

// plainEngine wraps an engine's replicas so that they hide GradientsFused:
// the trainer then takes the unfused path (Gradients, then Adam).
type plainEngine struct{ trainer.Engine }

type plainReplica struct{ trainer.Replica }

func (e plainEngine) NewReplica(cfg trainer.ReplicaConfig) (trainer.Replica, error) {
	r, err := e.Engine.NewReplica(cfg)
	return plainReplica{r}, err
}

// TestFusedStepGivesTheUnfusedBits: a single fast replica that applies Adam
// inside its backward pass (native's FusedReplica) leaves, step after step,
// bitwise the weights and gradient of the unfused step, with the same
// results, on real MNIST batches, for one and two threads.
func TestFusedStepGivesTheUnfusedBits(t *testing.T) {
	ds, err := trainer.LoadMNIST()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := native.New().NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: 32, Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	_, ok := rep.(trainer.FusedReplica)
	rep.Close()
	if !ok {
		t.Fatal("native replicas are not FusedReplicas: the test would compare the unfused path with itself")
	}
	const batch, steps = 32, 5
	init := trainer.NewParams()
	trainer.InitKeras(init, 1)
	for _, threads := range []int{1, 2} {
		newTrainer := func(e trainer.Engine) *trainer.Trainer {
			tr, err := trainer.NewTrainer(trainer.Config{
				Engine: e, Device: "cpu", Replicas: 1, Threads: threads, GlobalBatch: batch, Adam: trainer.KerasAdamForTest,
			}, init)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(tr.Close)
			return tr
		}
		fused, plain := newTrainer(native.New()), newTrainer(plainEngine{native.New()})
		for s := range steps {
			b := ds.Train.Slice(s*batch, (s+1)*batch)
			rf, tf, err := fused.Step(b)
			if err != nil {
				t.Fatal(err)
			}
			rp, _, err := plain.Step(b)
			if err != nil {
				t.Fatal(err)
			}
			if rf != rp {
				t.Errorf("threads=%d step %d: result %+v, want %+v", threads, s, rf, rp)
			}
			if trainer.GradientSum(fused).Fingerprint() != trainer.GradientSum(plain).Fingerprint() {
				t.Errorf("threads=%d step %d: gradient differs", threads, s)
			}
			if fused.Params().Fingerprint() != plain.Params().Fingerprint() {
				t.Fatalf("threads=%d step %d: weights differ from the unfused step", threads, s)
			}
			if tf.Optimizer <= 0 || tf.Compute < 0 || tf.AllReduce != 0 {
				t.Errorf("threads=%d step %d: fused times %+v", threads, s, tf)
			}
		}
		if fused.Params().Fingerprint() == init.Fingerprint() {
			t.Fatal("training left the weights unchanged")
		}
	}
}

// TestFusedStepNoAllocations: a fused trainer step allocates nothing.
func TestFusedStepNoAllocations(t *testing.T) {
	batch := firstBatch(t)
	init := trainer.NewParams()
	trainer.InitKeras(init, 1)
	for _, threads := range []int{1, 2} {
		tr, err := trainer.NewTrainer(trainer.Config{
			Engine: native.New(), Device: "cpu", Replicas: 1, Threads: threads, GlobalBatch: 32, Adam: trainer.KerasAdamForTest,
		}, init)
		if err != nil {
			t.Fatal(err)
		}
		if allocs := testing.AllocsPerRun(5, func() { tr.Step(batch) }); allocs != 0 {
			t.Errorf("threads=%d: a fused Step allocates %v times", threads, allocs)
		}
		tr.Close()
	}
}
