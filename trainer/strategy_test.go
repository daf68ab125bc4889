package trainer_test

import (
	"math"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/native"
)

// oneStep trains one step of batch from the seed-1 init and returns the
// weights and the all-reduced gradient.
func oneStep(t *testing.T, batch trainer.Batch, replicas int, canonical bool) (w, g *trainer.Params) {
	t.Helper()
	init := trainer.NewParams()
	trainer.InitKeras(init, 1)
	tr, err := trainer.NewTrainer(trainer.Config{
		Engine: native.New(), Device: "cpu", Replicas: replicas, Threads: 1, GlobalBatch: batch.Len(),
		Canonical: canonical, MicroShard: 8, Adam: trainer.KerasAdamForTest,
	}, init)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, _, err := tr.Step(batch); err != nil {
		t.Fatal(err)
	}
	return tr.Params().Clone(), trainer.GradientSum(tr)
}

func firstBatch(t *testing.T) trainer.Batch {
	ds, err := trainer.LoadMNIST()
	if err != nil {
		t.Fatal(err)
	}
	return ds.Train.Slice(0, 32)
}

// A mirrored step is a single step on the same global batch. In fast mode
// the float32 sums are grouped differently, so the all-reduced gradient of
// every tensor agrees within 1e-6 relative (2-norm); the weights after Adam
// agree to the float32 resolution of an update. In canonical mode the
// gradient and the weights are identical, bit for bit.
func TestMirroredStepEqualsSingleStep(t *testing.T) {
	batch := firstBatch(t)
	init := trainer.NewParams()
	trainer.InitKeras(init, 1)
	single, singleGrad := oneStep(t, batch, 1, false)
	for _, r := range []int{2, 4} {
		w, g := oneStep(t, batch, r, false)
		for i := range init.T {
			name := init.T[i].Name
			rel := distance(singleGrad.T[i].Data, g.T[i].Data)
			t.Logf("%d replicas: %s gradient distance %.2g", r, name, rel)
			if rel > 1e-6 {
				t.Errorf("fast, %d replicas: %s gradient differs by %.2g relative, want <= 1e-6", r, name, rel)
			}
			// An update of ~1e-3 on a weight of ~0.1 is stored to ~1e-5.
			if rel := updateDistance(init.T[i].Data, single.T[i].Data, w.T[i].Data); rel > 1e-5 {
				t.Errorf("fast, %d replicas: %s update differs by %.2g relative, want <= 1e-5", r, name, rel)
			}
		}
	}
	canonical, canonicalGrad := oneStep(t, batch, 1, true)
	for _, r := range []int{2, 4} {
		w, g := oneStep(t, batch, r, true)
		if w.Fingerprint() != canonical.Fingerprint() || g.Fingerprint() != canonicalGrad.Fingerprint() {
			t.Errorf("canonical, %d replicas: weights or gradient differ from 1 replica", r)
		}
	}
	// The step must have moved the weights, or the comparisons prove nothing.
	if init.Fingerprint() == single.Fingerprint() {
		t.Fatal("one step left the weights unchanged")
	}
}

// distance is ||b-a|| / ||a||.
func distance(a, b []float32) float64 {
	var diff, norm float64
	for j := range a {
		d := float64(b[j]) - float64(a[j])
		diff += d * d
		norm += float64(a[j]) * float64(a[j])
	}
	return math.Sqrt(diff / norm)
}

// updateDistance is ||(b-w0) - (a-w0)|| / ||a-w0||: how far apart two updates
// of the same weights are, relative to the update's size.
func updateDistance(w0, a, b []float32) float64 {
	var diff, norm float64
	for j := range w0 {
		da, db := float64(a[j])-float64(w0[j]), float64(b[j])-float64(w0[j])
		diff += (da - db) * (da - db)
		norm += da * da
	}
	return math.Sqrt(diff / norm)
}

func TestUnevenBatchRejected(t *testing.T) {
	cfg := trainer.Config{Engine: native.New(), Replicas: 4, Threads: 1, GlobalBatch: 30, Adam: trainer.KerasAdamForTest}
	_, err := trainer.NewTrainer(cfg, trainer.NewParams())
	if err == nil || !strings.Contains(err.Error(), "global batch 30 is not divisible by 4 replicas") {
		t.Errorf("batch 30 on 4 replicas: err = %v", err)
	}
	cfg = trainer.Config{Engine: native.New(), Replicas: 4, Threads: 1, GlobalBatch: 32, Canonical: true, MicroShard: 16, Adam: trainer.KerasAdamForTest}
	if _, err := trainer.NewTrainer(cfg, trainer.NewParams()); err == nil || !strings.Contains(err.Error(), "micro-shards") {
		t.Errorf("2 micro-shards on 4 replicas: err = %v", err)
	}
}

// treeEngine wraps an engine's replicas as TreeReplicas that form their
// subtree the slow, obvious way: the trainer's subtree path must give the
// same bits as the unit-by-unit path.
type treeEngine struct{ trainer.Engine }

type treeReplica struct{ trainer.Replica }

func (e treeEngine) NewReplica(cfg trainer.ReplicaConfig) (trainer.Replica, error) {
	r, err := e.Engine.NewReplica(cfg)
	return treeReplica{r}, err
}

func (r treeReplica) GradientsTree(p *trainer.Params, b trainer.Batch, micro int, grads *trainer.Params) (trainer.Result, error) {
	k := b.Len() / micro
	parts := make([]*trainer.Params, k)
	var total trainer.Result
	for i := range parts {
		parts[i] = trainer.NewParams()
		res, err := r.Gradients(p, b.Slice(i*micro, (i+1)*micro), parts[i])
		if err != nil {
			return total, err
		}
		total.LossSum += res.LossSum
		total.Correct += res.Correct
	}
	for stride := 1; stride < k; stride *= 2 {
		for u := 0; u+stride < k; u += 2 * stride {
			parts[u].Add(parts[u+stride])
		}
	}
	grads.CopyFrom(parts[0])
	return total, nil
}

func TestTreeReplicasGiveTheCanonicalBits(t *testing.T) {
	batch := firstBatch(t)
	want, _ := oneStep(t, batch, 1, true)
	for _, r := range []int{1, 2, 4} {
		init := trainer.NewParams()
		trainer.InitKeras(init, 1)
		tr, err := trainer.NewTrainer(trainer.Config{
			Engine: treeEngine{native.New()}, Device: "cpu", Replicas: r, Threads: 1, GlobalBatch: 32,
			Canonical: true, MicroShard: 8, Adam: trainer.KerasAdamForTest,
		}, init)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tr.Step(batch); err != nil {
			t.Fatal(err)
		}
		if tr.Params().Fingerprint() != want.Fingerprint() {
			t.Errorf("%d tree replicas: weights differ from the unit-by-unit canonical step", r)
		}
		tr.Close()
	}
}

// TestFailedStepChangesNothing: a step that fails (a label out of range)
// leaves the weights and Adam's step count as they were, on every step path,
// and the next good step succeeds and gives the bits of a first step.
func TestFailedStepChangesNothing(t *testing.T) {
	batch := firstBatch(t)
	bad := trainer.Batch{X: batch.X, Y: append([]uint8(nil), batch.Y...)}
	bad.Y[5] = 10
	for _, c := range []struct {
		name      string
		replicas  int
		canonical bool
	}{{"fused", 1, false}, {"fast", 2, false}, {"canonical", 2, true}} {
		t.Run(c.name, func(t *testing.T) {
			want, _ := oneStep(t, batch, c.replicas, c.canonical)
			init := trainer.NewParams()
			trainer.InitKeras(init, 1)
			tr, err := trainer.NewTrainer(trainer.Config{
				Engine: native.New(), Device: "cpu", Replicas: c.replicas, Threads: 1, GlobalBatch: batch.Len(),
				Canonical: c.canonical, MicroShard: 8, Adam: trainer.KerasAdamForTest,
			}, init)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if _, _, err := tr.Step(bad); err == nil {
				t.Fatal("label 10 accepted")
			}
			if tr.Params().Fingerprint() != init.Fingerprint() {
				t.Fatal("a failed step changed the weights")
			}
			if _, _, err := tr.Step(batch); err != nil {
				t.Fatalf("the step after a failed one: %v", err)
			}
			if tr.Params().Fingerprint() != want.Fingerprint() {
				t.Error("the step after a failed one differs from a first step")
			}
		})
	}
}

// TestEvaluateIndependentOfReplicas: Evaluate on one replica and
// Trainer.Evaluate on one, two or three give the same result, bit for bit,
// over a test set that is not a whole number of chunks.
func TestEvaluateIndependentOfReplicas(t *testing.T) {
	ds, err := trainer.LoadMNIST()
	if err != nil {
		t.Fatal(err)
	}
	data := ds.Test.Slice(0, 2*trainer.EvalChunk+34)
	p := trainer.NewParams()
	trainer.InitKeras(p, 1)
	rep, err := native.New().NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: trainer.EvalChunk, Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Close()
	want, err := trainer.Evaluate(rep, p, data)
	if err != nil {
		t.Fatal(err)
	}
	if want.Correct == 0 || want.LossSum <= 0 {
		t.Fatalf("Evaluate = %+v: nothing evaluated", want)
	}
	for _, r := range []int{1, 2, 3} {
		tr, err := trainer.NewTrainer(trainer.Config{
			Engine: native.New(), Device: "cpu", Replicas: r, Threads: 1, GlobalBatch: 6 * r, Adam: trainer.KerasAdamForTest,
		}, p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tr.Evaluate(data)
		tr.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%d replicas: %+v, want %+v", r, got, want)
		}
	}
}
