package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// im2colRef is the native engine's im2col: row o*169 + ph*13 + pw is output
// position (2ph + o/2, 2pw + o%2), its nine taps in (ki, kj) order, then 1.
func im2colRef(x, patch []float32) {
	for o := range 4 {
		for ph := range 13 {
			for pw := range 13 {
				row := patch[((o*13+ph)*13+pw)*10:][:10]
				in := x[(2*ph+o>>1)*28+2*pw+o&1:]
				for ki := range 3 {
					for kj := range 3 {
						row[ki*3+kj] = in[ki*28+kj]
					}
				}
				row[9] = 1
			}
		}
	}
}

// convImages are inputs that exercise ties, zeros of both signs and ReLU:
// random pixels, an image of equal pixels (four equal window positions),
// a blank one, and pixels with negative zeros and negative values.
func convImages(r *rand.Rand) [][]float32 {
	random, flat, blank, signed := make([]float32, 784), make([]float32, 784), make([]float32, 784), make([]float32, 784)
	for i := range random {
		random[i] = r.Float32()
		if r.IntN(3) == 0 {
			random[i] = 0
		}
		flat[i] = 0.5
		signed[i] = r.Float32() - 0.5
		if r.IntN(4) == 0 {
			signed[i] = float32(math.Copysign(0, -1))
		}
	}
	return [][]float32{random, flat, blank, signed}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v (%08x), want %v (%08x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestDirectConvMatchesComposition: ConvPool and ConvGrad are bitwise the
// im2col, SGEMM and pool composition they replace.
func TestDirectConvMatchesComposition(t *testing.T) {
	if !DirectConv() {
		t.Skipf("no direct convolution on path %s", Path())
	}
	r := rand.New(rand.NewPCG(3, 4))
	patch, conv, dconv := make([]float32, 676*10), make([]float32, 676*32), make([]float32, 676*32)
	for trial, x := range convImages(r) {
		for _, kind := range []string{"random", "zero-bias", "negative"} {
			k := make([]float32, convKext)
			for i := range k {
				k[i] = r.Float32()*2 - 1
				switch {
				case kind == "zero-bias" && i >= 9*32:
					k[i] = 0
				case kind == "negative":
					k[i] = -r.Float32()
				}
			}
			im2colRef(x, patch)
			SgemmNN(676, 32, 10, patch, 10, k, 32, conv, 32, false)
			wantPooled, wantArg := make([]float32, convPooled), make([]int32, convPooled)
			MaxPool4(conv, wantPooled, wantArg)
			pooled, arg := make([]float32, convPooled), make([]int32, convPooled)
			ConvPool(x, k, pooled, arg)
			sameBits(t, kind+" pooled", pooled, wantPooled)
			for i := range arg {
				if arg[i] != wantArg[i] {
					t.Fatalf("image %d %s: arg[%d] = %d, want %d", trial, kind, i, arg[i], wantArg[i])
				}
			}

			d := make([]float32, convPooled)
			for i := range d {
				d[i] = r.Float32() - 0.5
				if r.IntN(5) == 0 {
					d[i] = float32(math.Copysign(0, -1))
				}
			}
			Unpool4(wantArg, d, 1, dconv)
			wantDK := make([]float32, convKext)
			SgemmTN(10, 32, 676, patch, 10, dconv, 32, wantDK, 32, false)
			dk := make([]float32, convKext)
			ConvGrad(x, wantArg, d, dk)
			sameBits(t, kind+" dk", dk, wantDK)
		}
	}
}

// BenchmarkConv times one image's conv stage, forward and backward, direct
// and as the composition it replaces.
func BenchmarkConv(b *testing.B) {
	if !DirectConv() {
		b.Skipf("no direct convolution on path %s", Path())
	}
	r := rand.New(rand.NewPCG(3, 4))
	x := convImages(r)[0]
	k := make([]float32, convKext)
	for i := range k {
		k[i] = r.Float32()*2 - 1
	}
	patch, conv := make([]float32, 676*10), make([]float32, 676*32)
	pooled, arg, dk := make([]float32, convPooled), make([]int32, convPooled), make([]float32, convKext)
	ConvPool(x, k, pooled, arg)
	const flops = 2 * 676 * 32 * 10
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				f()
			}
			b.ReportMetric(flops*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFLOP/s")
		})
	}
	run("fwd/direct", func() { ConvPool(x, k, pooled, arg) })
	run("fwd/im2col+sgemm+pool", func() {
		im2colRef(x, patch)
		SgemmNN(676, 32, 10, patch, 10, k, 32, conv, 32, false)
		MaxPool4(conv, pooled, arg)
	})
	run("bwd/direct", func() { ConvGrad(x, arg, pooled, dk) })
	run("bwd/im2col+unpool+sgemm", func() {
		im2colRef(x, patch)
		Unpool4(arg, pooled, 1, conv)
		SgemmTN(10, 32, 676, patch, 10, conv, 32, dk, 32, false)
	})
}
