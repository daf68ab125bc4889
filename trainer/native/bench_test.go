package native

import (
	"fmt"
	"sync"
	"testing"

	"github.com/mirrorbench/mirrorbench/trainer"
)

const benchBatch = 32

var mnist = sync.OnceValues(trainer.LoadMNIST)

// realBatch is the first benchBatch training images of real MNIST.
func realBatch(b *testing.B) trainer.Batch {
	ds, err := mnist()
	if err != nil {
		b.Fatalf("MNIST: %v", err)
	}
	return ds.Train.Slice(0, benchBatch)
}

// BenchmarkStep is one training step at batch 32: Gradients plus Adam.
func BenchmarkStep(b *testing.B) {
	batch := realBatch(b)
	for _, threads := range []int{1, 2} {
		b.Run(threadsName(threads), func(b *testing.B) {
			rep := newTestReplica(b, threads, benchBatch)
			p, g := trainer.NewParams(), trainer.NewParams()
			trainer.InitKeras(p, 1)
			opt := trainer.NewAdam(kerasAdam)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rep.Gradients(p, batch, g); err != nil {
					b.Fatal(err)
				}
				opt.Step(p, g)
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / benchBatch
			b.ReportMetric(ns, "ns/sample")
			b.ReportMetric(1e9/ns, "samples/s")
		})
	}
}

func threadsName(threads int) string { return fmt.Sprintf("threads=%d", threads) }

// BenchmarkLayer times each layer's forward and backward at batch 32, one thread.
func BenchmarkLayer(b *testing.B) {
	batch := realBatch(b)
	rep := newTestReplica(b, 1, benchBatch).(*replica)
	p, g := trainer.NewParams(), trainer.NewParams()
	trainer.InitKeras(p, 1)
	if _, err := rep.Gradients(p, batch, g); err != nil { // fills every buffer
		b.Fatal(err)
	}
	if err := rep.begin(p, batch); err != nil {
		b.Fatal(err)
	}
	rep.grads = g
	const convFlops = 2 * convPos * filters * patchLen * benchBatch
	const denseFlops = 2 * flat * hidden * benchBatch
	layers := []struct {
		name  string
		flops float64
		run   func()
	}{
		{"conv-fwd", convFlops, func() { rep.convForwardPart(0, 1) }},
		{"conv-bwd", convFlops, func() { rep.convBackwardPart(0, 1) }},
		{"dense-fwd", denseFlops, func() { rep.denseForwardPart(0, 1) }},
		{"dense-bwd", 2 * denseFlops, func() { rep.denseBackwardPart(0, 1) }},
	}
	for _, l := range layers {
		b.Run(l.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.run()
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(l.flops/ns, "GFLOP/s")
			b.ReportMetric(ns/benchBatch, "ns/sample")
		})
	}
}
