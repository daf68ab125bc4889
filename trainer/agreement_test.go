package trainer_test

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/gorgoniaengine"
	"github.com/mirrorbench/mirrorbench/trainer/native"
)

// gradients runs one engine's Gradients on batch from params.
func gradients(t *testing.T, eng trainer.Engine, p *trainer.Params, batch trainer.Batch) (trainer.Result, *trainer.Params) {
	t.Helper()
	rep, err := eng.NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: batch.Len(), Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Close()
	g := trainer.NewParams()
	res, err := rep.Gradients(p, batch, g)
	if err != nil {
		t.Fatal(err)
	}
	return res, g
}

// The native engine agrees with Gorgonia's autodiff: from the same weights
// and the same real MNIST batch, the same loss and gradients within 1e-4
// relative. Elements far below a tensor's scale are compared with a margin
// of 1e-4 of that tensor's largest gradient: float32 sums of 32 samples
// cancel there, and neither engine is more right than the other.
func TestNativeAgreesWithGorgonia(t *testing.T) {
	ds, err := trainer.LoadMNIST()
	if err != nil {
		t.Fatal(err)
	}
	batch := ds.Train.Slice(0, 32)
	p := trainer.NewParams()
	trainer.InitKeras(p, 3)
	// Non-zero biases, so that their paths are exercised too. The conv
	// biases are negative on purpose: MNIST's background is exactly 0, so a
	// conv output there equals its bias. At a bias of 0 those thousands of
	// positions sit on ReLU's kink, and at a positive bias every 2x2 window
	// of background is a four-way tie for the max-pool; the engines resolve
	// kinks and ties by different (each defensible) conventions, TF's being
	// ReLU'(0) = 0 and the first maximum, which the native engine follows.
	// Below zero, both agree with finite differences.
	for j := range p.T[trainer.ConvB].Data {
		p.T[trainer.ConvB].Data[j] = -0.01 - 0.001*float32(j)
	}
	for _, i := range []int{trainer.DenseB, trainer.OutB} {
		for j := range p.T[i].Data {
			p.T[i].Data[j] = 0.01 * float32(j%7-3)
		}
	}
	nres, ng := gradients(t, native.New(), p, batch)
	gres, gg := gradients(t, gorgoniaengine.New(), p, batch)

	if math.Abs(nres.LossSum-gres.LossSum) > 1e-4*math.Abs(gres.LossSum) || nres.Correct != gres.Correct {
		t.Errorf("loss %v / correct %d (native) vs %v / %d (gorgonia)", nres.LossSum, nres.Correct, gres.LossSum, gres.Correct)
	}
	for i := range ng.T {
		scale := 0.0
		for _, v := range gg.T[i].Data {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		if scale == 0 {
			t.Fatalf("%s: Gorgonia's gradient is all zero", gg.T[i].Name)
		}
		opt := cmpopts.EquateApprox(1e-4, 1e-4*scale)
		if diff := cmp.Diff(gg.T[i].Data, ng.T[i].Data, opt); diff != "" {
			t.Errorf("%s gradient (-gorgonia +native):\n%s", gg.T[i].Name, diff)
		}
	}
}
