package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the model's GEMMs at batch 32 (see the native engine).
var benchShapes = []struct {
	name    string
	form    int // index into forms
	m, n, k int
}{
	{"dense-fwd/NN/32x128x5408", 0, 32, 128, 5408},
	{"dense-dW/TN/5408x128x32", 1, 5408, 128, 32},
	{"dense-dX/NT/32x5408x128", 2, 32, 5408, 128},
	{"dense-dXt/NN/5408x32x128", 0, 5408, 32, 128},
	{"conv-fwd/NN/21632x32x10", 0, 32 * 676, 32, 10},
	{"conv-dK/TN/10x32x676", 1, 10, 32, 676},
}

func BenchmarkSgemm(b *testing.B) {
	for _, path := range allPaths {
		if !setPath(path) {
			continue
		}
		for _, s := range benchShapes {
			b.Run(Path()+"/"+s.name, func(b *testing.B) {
				f := forms[s.form]
				o := newOperands(rand.New(rand.NewPCG(1, 1)), f, s.m, s.n, s.k, 0)
				b.ReportAllocs()
				for b.Loop() {
					o.run(f, false)
				}
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
				b.ReportMetric(flops*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFLOP/s")
			})
		}
	}
	SetGeneric(false)
}

func BenchmarkAdam(b *testing.B) {
	const params = 693962
	r := rand.New(rand.NewPCG(1, 1))
	for _, dead := range []bool{false, true} {
		w, m, v, g := randSlice(r, params), randSlice(r, params), make([]float32, params), randSlice(r, params)
		if dead { // as after epoch 1 of the reference run: 14 % of units have g = 0 and a tiny m
			for i := 0; i < params; i += 7 {
				g[i], m[i] = 0, 3e-40
			}
		}
		for _, generic := range []bool{false, true} {
			if !generic && !hasAsm {
				continue
			}
			SetGeneric(generic)
			b.Run(fmt.Sprintf("%s/dead=%v", Path(), dead), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					Adam(w, m, v, g, kerasStep(1e-3, 1))
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/params, "ns/param")
			})
		}
		SetGeneric(false)
	}
}

// BenchmarkPool times one image's max-pool (5408 outputs) and its backward,
// the latter reading the gradient with the stride of a batch of 32.
func BenchmarkPool(b *testing.B) {
	const n, stride = 5408, 32
	r := rand.New(rand.NewPCG(1, 1))
	x, pooled, arg := poolInput(r, n), make([]float32, n), make([]int32, n)
	d, g := randSlice(r, n*stride), make([]float32, 4*n)
	b.Run("MaxPool4", func(b *testing.B) {
		for b.Loop() {
			MaxPool4(x, pooled, arg)
		}
	})
	b.Run("Unpool4/stride=32", func(b *testing.B) {
		for b.Loop() {
			Unpool4(arg, d, stride, g)
		}
	})
	b.Run("Unpool4/stride=1", func(b *testing.B) {
		for b.Loop() {
			Unpool4(arg, d, 1, g)
		}
	})
	b.Run("Transpose/5408x32", func(b *testing.B) {
		t := make([]float32, n*stride)
		for b.Loop() {
			Transpose(n, stride, d, stride, t, n)
		}
	})
}
