package native

import (
	"math"
	"sync/atomic"
	"testing"

	"github.com/mirrorbench/mirrorbench/trainer"
)

// TestGradientsFusedIsGradientsPlusAdam: GradientsFused gives Gradients' bits
// and result, calls update on every element of every tensor exactly once,
// and, with Adam as the update, leaves the weights bitwise where Gradients
// followed by Adam over every tensor does, on both kernel paths and any
// thread count, over several steps (the moments carry over).
func TestGradientsFusedIsGradientsPlusAdam(t *testing.T) {
	forPaths(t, func(t *testing.T) {
		for _, threads := range []int{1, 2, 3} {
			const n = 24
			rep := newTestReplica(t, threads, n).(trainer.FusedReplica)
			plain, fused := initParams(21), initParams(21)
			optPlain, optFused := trainer.NewAdam(kerasAdam), trainer.NewAdam(kerasAdam)
			gPlain, gFused := trainer.NewParams(), trainer.NewParams()
			var counts [trainer.NumTensors][]atomic.Int32
			for i := range counts {
				counts[i] = make([]atomic.Int32, len(fused.T[i].Data))
			}
			for step := range 4 {
				b := syntheticBatch(n, uint64(30+step))
				rPlain, err := rep.Gradients(plain, b, gPlain)
				if err != nil {
					t.Fatal(err)
				}
				s := optPlain.Next()
				s.GradScale = 1.0 / n
				for i := range plain.T {
					optPlain.Update(s, plain, gPlain, i, 0, len(plain.T[i].Data))
				}
				optPlain.Commit()

				sf := optFused.Next()
				sf.GradScale = 1.0 / n
				rFused, err := rep.GradientsFused(fused, b, gFused, func(i, lo, hi int) {
					for j := lo; j < hi; j++ {
						counts[i][j].Add(1)
					}
					optFused.Update(sf, fused, gFused, i, lo, hi)
				})
				if err != nil {
					t.Fatal(err)
				}
				optFused.Commit()
				if rFused != rPlain {
					t.Errorf("threads=%d step %d: result %+v, want %+v", threads, step, rFused, rPlain)
				}
				if gFused.Fingerprint() != gPlain.Fingerprint() {
					t.Errorf("threads=%d step %d: gradient differs from Gradients'", threads, step)
				}
				if fused.Fingerprint() != plain.Fingerprint() {
					t.Errorf("threads=%d step %d: weights differ from Gradients then Adam", threads, step)
				}
				for i := range counts {
					for j := range counts[i] {
						if c := counts[i][j].Swap(0); c != 1 {
							t.Fatalf("threads=%d step %d: %s[%d] updated %d times", threads, step, fused.T[i].Name, j, c)
						}
					}
				}
			}
		}
	})
}

// TestGradientsFusedReadsNothingAfterUpdate: an update that poisons its range
// of the parameters with NaN leaves the gradient Gradients gives: no part of
// the call reads an element after handing it to update.
func TestGradientsFusedReadsNothingAfterUpdate(t *testing.T) {
	for _, threads := range []int{1, 2} {
		rep := newTestReplica(t, threads, 16).(trainer.FusedReplica)
		p, b := initParams(22), syntheticBatch(16, 22)
		want, got := trainer.NewParams(), trainer.NewParams()
		if _, err := rep.Gradients(p, b, want); err != nil {
			t.Fatal(err)
		}
		nan := float32(math.NaN())
		if _, err := rep.GradientsFused(p, b, got, func(i, lo, hi int) {
			for j := range p.T[i].Data[lo:hi] {
				p.T[i].Data[lo+j] = nan
			}
		}); err != nil {
			t.Fatal(err)
		}
		if got.Fingerprint() != want.Fingerprint() {
			t.Errorf("threads=%d: the gradient read parameters after they were handed to update", threads)
		}
	}
}

// TestGradientsFusedRejectsBadInputWithoutUpdate: a failing call updates nothing.
func TestGradientsFusedRejectsBadInputWithoutUpdate(t *testing.T) {
	rep := newTestReplica(t, 2, 8).(trainer.FusedReplica)
	p, g := initParams(23), trainer.NewParams()
	bad := syntheticBatch(8, 23)
	bad.Y[3] = 10
	called := false
	if _, err := rep.GradientsFused(p, bad, g, func(int, int, int) { called = true }); err == nil || called {
		t.Errorf("label 10: err = %v, update called = %v", err, called)
	}
}

// TestGradientsFusedNoAllocations: a fused step allocates nothing in steady state.
func TestGradientsFusedNoAllocations(t *testing.T) {
	for _, threads := range []int{1, 2} {
		rep := newTestReplica(t, threads, 32).(trainer.FusedReplica)
		p, g, b := initParams(8), trainer.NewParams(), syntheticBatch(32, 8)
		opt := trainer.NewAdam(kerasAdam)
		s := opt.Next()
		update := func(i, lo, hi int) { opt.Update(s, p, g, i, lo, hi) }
		if allocs := testing.AllocsPerRun(5, func() { rep.GradientsFused(p, b, g, update) }); allocs != 0 {
			t.Errorf("threads=%d: GradientsFused allocates %v times per call", threads, allocs)
		}
	}
}

// BenchmarkStepFused is BenchmarkStep with Adam fused into the backward pass.
func BenchmarkStepFused(b *testing.B) {
	batch := realBatch(b)
	for _, threads := range []int{1, 2} {
		b.Run(threadsName(threads), func(b *testing.B) {
			rep := newTestReplica(b, threads, benchBatch).(trainer.FusedReplica)
			p, g := trainer.NewParams(), trainer.NewParams()
			trainer.InitKeras(p, 1)
			opt := trainer.NewAdam(kerasAdam)
			var s trainer.AdamStep
			update := func(i, lo, hi int) { opt.Update(s, p, g, i, lo, hi) }
			b.ReportAllocs()
			for b.Loop() {
				s = opt.Next()
				if _, err := rep.GradientsFused(p, batch, g, update); err != nil {
					b.Fatal(err)
				}
				opt.Commit()
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / benchBatch
			b.ReportMetric(ns, "ns/sample")
			b.ReportMetric(1e9/ns, "samples/s")
		})
	}
}
