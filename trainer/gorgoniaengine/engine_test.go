package gorgoniaengine

import (
	"math"
	"sync"
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
	"github.com/mirrorbench/mirrorbench/trainer"
)

func TestEngine(t *testing.T) {
	e := New()
	if e.Name() != "gorgonia" {
		t.Errorf("Name = %q", e.Name())
	}
	if d := e.Devices(); len(d) != 1 || d[0] != "cpu" {
		t.Errorf("Devices = %v", d)
	}
	if _, err := e.NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: 4, Device: "gpu"}); err == nil {
		t.Error("NewReplica on gpu: no error")
	}
	if _, err := e.NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: 0}); err == nil {
		t.Error("NewReplica with MaxBatch 0: no error")
	}
}

// The loss and correct count equal the float64 reference.
func TestLossMatchesReference(t *testing.T) {
	p := seededParams(1)
	b := syntheticBatch(4, 1)
	r := newReplica(t, 4)
	grads := trainer.NewParams()
	res, err := r.Gradients(p, b, grads)
	if err != nil {
		t.Fatal(err)
	}
	want, wantCorrect, _ := refLoss(toRef(p), b)
	t.Logf("loss %.7f, reference %.7f", res.LossSum, want)
	if relErr(res.LossSum, want) > 1e-5 {
		t.Errorf("LossSum = %.7f, reference %.7f", res.LossSum, want)
	}
	if res.Correct != wantCorrect {
		t.Errorf("Correct = %d, reference %d", res.Correct, wantCorrect)
	}
}

// Evaluate's loss equals Gradients' loss, and Gradients leaves the
// parameters alone.
func TestEvaluateMatchesGradients(t *testing.T) {
	p := seededParams(4)
	before := p.Fingerprint()
	b := syntheticBatch(4, 5)
	r := newReplica(t, 4)
	gr, err := r.Gradients(p, b, trainer.NewParams())
	if err != nil {
		t.Fatal(err)
	}
	ev, err := r.Evaluate(p, b)
	if err != nil {
		t.Fatal(err)
	}
	if ev != gr {
		t.Errorf("Evaluate %+v, Gradients %+v", ev, gr)
	}
	if p.Fingerprint() != before {
		t.Error("the replica wrote into the parameters")
	}
}

// Shard sizes: any size up to MaxBatch works, the gradient of a batch is
// the sum of its shards' gradients, Evaluate splits big batches into chunks,
// and a shard above MaxBatch is refused.
func TestBatchSizes(t *testing.T) {
	p := seededParams(5)
	b := syntheticBatch(5, 6)
	r := newReplica(t, 5)
	whole := trainer.NewParams()
	rw, err := r.Gradients(p, b, whole)
	if err != nil {
		t.Fatal(err)
	}
	sum, part := trainer.NewParams(), trainer.NewParams()
	var loss float64
	for _, cut := range [][2]int{{0, 1}, {1, 3}, {3, 5}} {
		res, err := r.Gradients(p, b.Slice(cut[0], cut[1]), part)
		if err != nil {
			t.Fatal(err)
		}
		loss += res.LossSum
		sum.Add(part)
	}
	if relErr(loss, rw.LossSum) > 1e-6 {
		t.Errorf("shard losses sum to %.7f, whole batch %.7f", loss, rw.LossSum)
	}
	for i := range whole.T {
		scale := 0.0
		for _, v := range whole.T[i].Data {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for j, v := range whole.T[i].Data {
			if d := math.Abs(float64(v - sum.T[i].Data[j])); d > 1e-5*scale+1e-7 {
				t.Errorf("%s[%d]: whole %.7g, sum of shards %.7g", whole.T[i].Name, j, v, sum.T[i].Data[j])
				break
			}
		}
	}
	if _, err := r.Gradients(p, syntheticBatch(6, 7), part); err == nil {
		t.Error("a shard above MaxBatch was accepted")
	}

	// Evaluate on more than graphChunk samples (two chunks) against the reference.
	big := syntheticBatch(graphChunk+7, 8)
	ev, err := r.Evaluate(p, big)
	if err != nil {
		t.Fatal(err)
	}
	want, wantCorrect, _ := refLoss(toRef(p), big)
	if relErr(ev.LossSum, want) > 1e-5 || ev.Correct != wantCorrect {
		t.Errorf("Evaluate(%d) = %+v, reference loss %.7f correct %d", big.Len(), ev, want, wantCorrect)
	}
}

// Real MNIST, when the data is at hand: loss and correct count on test images
// agree with the reference.
func TestMNISTMatchesReference(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ds, err := trainer.LoadMNIST()
	if err != nil {
		testdeps.Missing(t, testdeps.MNIST, "MNIST not available: %v", err)
	}
	p := seededParams(6)
	b := ds.Test.Slice(0, 64)
	r := newReplica(t, 32)
	ev, err := r.Evaluate(p, b)
	if err != nil {
		t.Fatal(err)
	}
	want, wantCorrect, _ := refLoss(toRef(p), b)
	if relErr(ev.LossSum, want) > 1e-5 || ev.Correct != wantCorrect {
		t.Errorf("Evaluate = %+v, reference loss %.7f correct %d", ev, want, wantCorrect)
	}
	gr, err := r.Gradients(p, b.Slice(0, 32), trainer.NewParams())
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ = refLoss(toRef(p), b.Slice(0, 32))
	if relErr(gr.LossSum, want) > 1e-5 {
		t.Errorf("Gradients loss %.7f, reference %.7f", gr.LossSum, want)
	}
}

// Replicas run concurrently (the mirrored strategy does this) give the same
// results as one replica alone.
func TestConcurrentReplicas(t *testing.T) {
	p := seededParams(7)
	b := syntheticBatch(4, 9)
	want := trainer.NewParams()
	if _, err := newReplica(t, 4).Gradients(p, b, want); err != nil {
		t.Fatal(err)
	}
	const R = 2
	got := [R]*trainer.Params{}
	errs := [R]error{}
	var wg sync.WaitGroup
	for i := range R {
		r := newReplica(t, 4)
		got[i] = trainer.NewParams()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				if _, errs[i] = r.Gradients(p, b, got[i]); errs[i] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range R {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if got[i].Fingerprint() != want.Fingerprint() {
			t.Errorf("replica %d: gradients differ from a lone replica's", i)
		}
	}
}

func TestClosed(t *testing.T) {
	r := newReplica(t, 2)
	r.Close()
	if _, err := r.Evaluate(seededParams(1), syntheticBatch(1, 1)); err == nil {
		t.Error("Evaluate on a closed replica: no error")
	}
}

// BenchmarkStep times one Gradients call on a shard of 32 (the reference
// batch on one replica).
func BenchmarkStep(b *testing.B) {
	const batch = 32
	p := seededParams(1)
	data := syntheticBatch(batch, 1)
	r := newReplica(b, batch)
	grads := trainer.NewParams()
	if _, err := r.Gradients(p, data, grads); err != nil { // build the graph outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	steps := 0
	for b.Loop() {
		if _, err := r.Gradients(p, data, grads); err != nil {
			b.Fatal(err)
		}
		steps++
	}
	perSample := float64(b.Elapsed().Nanoseconds()) / float64(steps*batch)
	b.ReportMetric(perSample, "ns/sample")
	b.ReportMetric(1e9/perSample, "samples/s")
}
