package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
)

// The AVX-512 SGEMM kernels must store exactly the AVX2 kernels' bits: the
// determinism rule (same build, same architecture, same weights) holds across
// CPUs with and without AVX-512 only if they do.

func needAVX512(t *testing.T) {
	t.Helper()
	if !hasAVX512 {
		testdeps.Missing(t, testdeps.AVX512, "no AVX-512 on this CPU")
	}
}

func TestPathNames(t *testing.T) {
	if hasAVX512 && Path() != "avx512" {
		t.Fatalf("default path %q on an AVX-512 CPU", Path())
	}
	for _, p := range allPaths {
		if setPath(p) && Path() != p {
			t.Errorf("setPath(%q): Path() = %q", p, Path())
		}
	}
	SetGeneric(true)
	if Path() != "generic" {
		t.Errorf("SetGeneric(true): Path() = %q", Path())
	}
	SetGeneric(false)
	if want := map[bool]string{true: "avx512", false: asmPath}[hasAVX512]; hasAsm && Path() != want {
		t.Errorf("SetGeneric(false): Path() = %q, want %q", Path(), want)
	}
}

// specialPool is randSlice with one value in eight replaced by a special
// one: signed zeros (a -0 product meets the +0 start), subnormals, huge
// values whose products overflow, infinities and NaNs.
func specialPool(r *rand.Rand, n int) []float32 {
	specials := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -3e-39, 1e-30, 3e38, -3e38,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Float32frombits(0xffc00001)}
	s := randSlice(r, n)
	for i := range s {
		if r.IntN(8) == 0 {
			s[i] = specials[r.IntN(len(specials))]
		}
	}
	return s
}

// compareAVX2 runs f's product on both SIMD paths, from o.c as the starting
// C, into c1 and c2 (o.c's length), and fails unless all of C, padding
// included, is bitwise the same.
func compareAVX2(t *testing.T, f form, o operands, acc bool, c1, c2 []float32) {
	t.Helper()
	on1, on2 := o, o
	on1.c, on2.c = c1, c2
	copy(c1, o.c)
	copy(c2, o.c)
	setPath("avx2-fma")
	on1.run(f, acc)
	setPath("avx512")
	on2.run(f, acc)
	for i := range c1 {
		if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
			t.Fatalf("%s m=%d n=%d k=%d lda=%d ldb=%d ldc=%d acc=%v: C[%d,%d] = %g (%#x) avx2, %g (%#x) avx512",
				f.name, o.m, o.n, o.k, o.lda, o.ldb, o.ldc, acc, i/o.ldc, i%o.ldc, c1[i], math.Float32bits(c1[i]), c2[i], math.Float32bits(c2[i]))
		}
	}
}

// TestSgemmAVX512MatchesAVX2 covers every m, n and k from 1 to 40 (k from 0),
// both ways of starting, in all three forms, with leading dimensions padded
// by 0..3: every tile shape and edge variant of both kernel sets, and tiles
// of one set straddling tiles of the other.
func TestSgemmAVX512MatchesAVX2(t *testing.T) {
	needAVX512(t)
	defer SetGeneric(false)
	const maxDim, maxPad = 40, 3
	r := rand.New(rand.NewPCG(21, 22))
	size := maxDim * (maxDim + maxPad)
	poolA, poolB, poolC := randSlice(r, size+64), randSlice(r, size+64), randSlice(r, size)
	c1, c2 := make([]float32, size), make([]float32, size)
	kStep := 1
	if testing.Short() {
		kStep = 3
	}
	for _, f := range forms {
		for m := 1; m <= maxDim; m++ {
			for n := 1; n <= maxDim; n++ {
				for k := 0; k <= maxDim; k += kStep {
					pad := (7*m + 3*n + k) % (maxPad + 1)
					ar, ac := f.aDims(m, k)
					br, bc := f.bDims(k, n)
					lda, ldb, ldc := ac+pad, bc+pad, n+pad
					// Vary the operands: start at an offset into the pools.
					oa, ob := (m*n+k)%64, (m+n*k)%64
					o := operands{m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc,
						a: poolA[oa : oa+max(ar*lda, 1)], b: poolB[ob : ob+max(br*ldb, 1)], c: poolC[:m*ldc]}
					for _, acc := range []bool{false, true} {
						compareAVX2(t, f, o, acc, c1[:m*ldc], c2[:m*ldc])
					}
				}
			}
		}
	}
}

// TestSgemmAVX512MatchesAVX2Special repeats the comparison with signed zeros,
// subnormals, overflowing products, infinities and NaNs among the operands.
func TestSgemmAVX512MatchesAVX2Special(t *testing.T) {
	needAVX512(t)
	defer SetGeneric(false)
	r := rand.New(rand.NewPCG(23, 24))
	sizes := []int{1, 5, 12, 13, 16, 17, 24, 31, 32, 33, 47}
	for _, f := range forms {
		for _, m := range sizes {
			for _, n := range sizes {
				for _, k := range []int{1, 2, 7, 16, 33} {
					o := newOperands(r, f, m, n, k, (m+n)%3)
					o.a, o.b, o.c = specialPool(r, len(o.a)), specialPool(r, len(o.b)), specialPool(r, len(o.c))
					c1, c2 := make([]float32, len(o.c)), make([]float32, len(o.c))
					for _, acc := range []bool{false, true} {
						compareAVX2(t, f, o, acc, c1, c2)
					}
				}
			}
		}
	}
}

// TestSgemmAVX512MatchesAVX2Large covers the model's real shapes and the
// blocking paths (k beyond one p-block, m beyond one row block), unpadded
// and padded.
func TestSgemmAVX512MatchesAVX2Large(t *testing.T) {
	needAVX512(t)
	defer SetGeneric(false)
	shapes := []struct{ m, n, k int }{
		{32, 128, 5408}, {5408, 128, 32}, {32, 5408, 128}, {5408, 32, 128}, {676, 32, 10}, {10, 32, 676},
		{32, 16, 5408}, {32, 48, 5408}, {96, 32, 128}, {48, 128, 8}, {32, 10, 128}, {128, 10, 32}, {128, 32, 10},
		{200, 300, 20}, {7, 40, 300}, {37, 33, 530}, {193, 17, 257}, {13, 200, 129},
	}
	r := rand.New(rand.NewPCG(25, 26))
	for _, s := range shapes {
		for _, f := range forms {
			for _, pad := range []int{0, 3} {
				o := newOperands(r, f, s.m, s.n, s.k, pad)
				c1, c2 := make([]float32, len(o.c)), make([]float32, len(o.c))
				for _, acc := range []bool{false, true} {
					compareAVX2(t, f, o, acc, c1, c2)
				}
			}
		}
	}
}
