package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
)

// form is one of the three operand layouts, with its reference definition.
type form struct {
	name string
	run  func(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)
	// aAt and bAt index A(i,p) and B(p,j) in storage.
	aAt func(i, p, lda int) int
	bAt func(p, j, ldb int) int
	// aDims and bDims are the stored (rows, cols) of A and B.
	aDims func(m, k int) (int, int)
	bDims func(k, n int) (int, int)
}

var forms = []form{
	{"NN", SgemmNN,
		func(i, p, lda int) int { return i*lda + p }, func(p, j, ldb int) int { return p*ldb + j },
		func(m, k int) (int, int) { return m, k }, func(k, n int) (int, int) { return k, n }},
	{"TN", SgemmTN,
		func(i, p, lda int) int { return p*lda + i }, func(p, j, ldb int) int { return p*ldb + j },
		func(m, k int) (int, int) { return k, m }, func(k, n int) (int, int) { return k, n }},
	{"NT", SgemmNT,
		func(i, p, lda int) int { return i*lda + p }, func(p, j, ldb int) int { return j*ldb + p },
		func(m, k int) (int, int) { return m, k }, func(k, n int) (int, int) { return n, k }},
}

// allPaths names every path, fastest first; setPath refuses those the CPU lacks.
var allPaths = []string{"avx512", "avx2-fma", "neon", "generic"}

// paths runs f once per available path, restoring the default after.
func paths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, p := range allPaths {
		if setPath(p) {
			t.Run(Path(), f)
		}
	}
	SetGeneric(false)
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

// operands is one product's shape and its A, B and C as stored.
type operands struct {
	m, n, k       int
	a, b, c       []float32
	lda, ldb, ldc int
}

// newOperands returns random A, B and C for the shape, with leading
// dimensions padded by pad so the kernels must respect them.
func newOperands(r *rand.Rand, f form, m, n, k, pad int) operands {
	ar, ac := f.aDims(m, k)
	br, bc := f.bDims(k, n)
	o := operands{m: m, n: n, k: k, lda: ac + pad, ldb: bc + pad, ldc: n + pad}
	o.a = randSlice(r, max(ar*o.lda, 1))
	o.b = randSlice(r, max(br*o.ldb, 1))
	o.c = randSlice(r, max(m*o.ldc, 1))
	return o
}

// run computes the product in form f into o.c.
func (o operands) run(f form, acc bool) {
	f.run(o.m, o.n, o.k, o.a, o.lda, o.b, o.ldb, o.c, o.ldc, acc)
}

// checkAgainstReference compares C with a float64 triple loop. The tolerance
// is the classic bound for a k-term float32 sum: (k+2)·eps·Σ|terms|.
func checkAgainstReference(t *testing.T, f form, o operands, c0 []float32, acc bool) {
	t.Helper()
	m, n, k := o.m, o.n, o.k
	for i := range m {
		for j := range n {
			var ref, mag float64
			if acc {
				ref, mag = float64(c0[i*o.ldc+j]), math.Abs(float64(c0[i*o.ldc+j]))
			}
			for p := range k {
				x := float64(o.a[f.aAt(i, p, o.lda)]) * float64(o.b[f.bAt(p, j, o.ldb)])
				ref += x
				mag += math.Abs(x)
			}
			got := float64(o.c[i*o.ldc+j])
			if tol := float64(k+2) * 0x1p-24 * mag; math.Abs(got-ref) > tol {
				t.Fatalf("%s m=%d n=%d k=%d acc=%v: C[%d,%d] = %g, want %g (tol %g)", f.name, m, n, k, acc, i, j, got, ref, tol)
			}
		}
		for j := n; j < o.ldc && i*o.ldc+j < len(o.c); j++ {
			if o.c[i*o.ldc+j] != c0[i*o.ldc+j] {
				t.Fatalf("%s m=%d n=%d k=%d: wrote C[%d,%d] beyond n", f.name, m, n, k, i, j)
			}
		}
	}
}

func TestSgemmReference(t *testing.T) {
	sizes := []int{1, 2, 3, 5, 6, 7, 8, 9, 13, 16, 17, 31, 32, 33, 37}
	ks := []int{0, 1, 2, 3, 4, 5, 9, 10, 17, 37}
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, f := range forms {
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range ks {
						acc := (m+n+k)%2 == 0
						o := newOperands(r, f, m, n, k, (m*n)%3)
						c0 := append([]float32(nil), o.c...)
						o.run(f, acc)
						checkAgainstReference(t, f, o, c0, acc)
					}
				}
			}
		}
	})
}

// TestSgemmLargeShapes covers the model's real shapes and the blocking paths
// (k beyond one p-block, m beyond one row block).
func TestSgemmLargeShapes(t *testing.T) {
	shapes := []struct{ m, n, k int }{
		{32, 128, 5408}, {5408, 128, 32}, {32, 5408, 128}, {5408, 32, 128}, {676, 32, 10}, {10, 32, 676},
		{200, 300, 20}, {7, 40, 300}, {37, 33, 530},
	}
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, s := range shapes {
			for _, f := range forms {
				o := newOperands(r, f, s.m, s.n, s.k, 3)
				c0 := append([]float32(nil), o.c...)
				o.run(f, true)
				checkAgainstReference(t, f, o, c0, true)
			}
		}
	})
}

// TestSgemmSplitInvariance is the determinism contract: a product computed
// whole, in row pieces, and in column pieces cut at ColBlock multiples is
// bitwise the same.
func TestSgemmSplitInvariance(t *testing.T) {
	shapes := []struct{ m, n, k int }{{37, 53, 29}, {32, 128, 300}, {100, 37, 130}, {13, 10, 128}}
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, s := range shapes {
			for _, f := range forms {
				for _, acc := range []bool{false, true} {
					o := newOperands(r, f, s.m, s.n, s.k, 1)
					c0 := append([]float32(nil), o.c...)
					o.run(f, acc)
					whole := o.c
					for trial := range 3 {
						o.c = append([]float32(nil), c0...)
						runPieces(r, f, o, acc, trial)
						for i, v := range whole {
							if math.Float32bits(v) != math.Float32bits(o.c[i]) {
								t.Fatalf("%s %v acc=%v trial %d: element %d = %g whole, %g in pieces", f.name, s, acc, trial, i, v, o.c[i])
							}
						}
					}
				}
			}
		}
	})
}

// runPieces computes the product over random row cuts and column cuts at
// ColBlock multiples, one call per piece.
func runPieces(r *rand.Rand, f form, o operands, acc bool, seed int) {
	m, n := o.m, o.n
	rowCuts := []int{0}
	for i := rowCuts[0]; i < m; {
		i = min(m, i+1+r.IntN(7+seed*5))
		rowCuts = append(rowCuts, i)
	}
	colCuts := []int{0}
	for j := 0; j < n; {
		j = min(n, j+ColBlock*(1+r.IntN(2)))
		colCuts = append(colCuts, j)
	}
	for ri := 1; ri < len(rowCuts); ri++ {
		for ci := 1; ci < len(colCuts); ci++ {
			i0, i1, j0, j1 := rowCuts[ri-1], rowCuts[ri], colCuts[ci-1], colCuts[ci]
			a := o.a[f.aAt(i0, 0, o.lda):]
			b := o.b[f.bAt(0, j0, o.ldb):]
			f.run(i1-i0, j1-j0, o.k, a, o.lda, b, o.ldb, o.c[i0*o.ldc+j0:], o.ldc, acc)
		}
	}
}

func TestSgemmChecksBounds(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("short A did not panic")
		}
	}()
	SgemmNN(2, 2, 2, make([]float32, 3), 2, make([]float32, 4), 2, make([]float32, 4), 2, false)
}

// kerasStep is an Adam step with Keras's betas and epsilon.
func kerasStep(lrT, gscale float32) AdamStep {
	return AdamStep{LR: lrT, OneMinusBeta1: 0.1, OneMinusBeta2: 0.001, Epsilon: 1e-7, GradScale: gscale}
}

// TestAdamPathsBitwise: the assembly and Go updates agree bit for bit.
func TestAdamPathsBitwise(t *testing.T) {
	if !hasAsm {
		testdeps.Missing(t, testdeps.AsmPath, "no assembly path on this CPU")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 1000, 4099} {
		w, m, v, g := randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n)
		for i := range v {
			v[i] = v[i] * v[i] * 1e-3
			g[i] *= float32(math.Pow(10, -4*r.Float64()))
		}
		w2, m2, v2 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
		for step := range 3 {
			lrT := float32(1e-3 * math.Sqrt(1-math.Pow(0.999, float64(step+1))) / (1 - math.Pow(0.9, float64(step+1))))
			SetGeneric(false)
			Adam(w, m, v, g, kerasStep(lrT, 1.0/3))
			SetGeneric(true)
			Adam(w2, m2, v2, g, kerasStep(lrT, 1.0/3))
			SetGeneric(false)
		}
		for i := range w {
			if math.Float32bits(w[i]) != math.Float32bits(w2[i]) || math.Float32bits(m[i]) != math.Float32bits(m2[i]) ||
				math.Float32bits(v[i]) != math.Float32bits(v2[i]) {
				t.Fatalf("n=%d element %d: asm (%g %g %g) generic (%g %g %g)", n, i, w[i], m[i], v[i], w2[i], m2[i], v2[i])
			}
		}
	}
}

// TestAdamFormula checks one element against the formula in float64.
func TestAdamFormula(t *testing.T) {
	paths(t, func(t *testing.T) {
		w, m, v, g := []float32{0.5}, []float32{0.1}, []float32{0.01}, []float32{0.2}
		Adam(w, m, v, g, kerasStep(1e-3, 1))
		wm := 0.1 + (0.2-0.1)*0.1
		wv := 0.01 + (0.04-0.01)*0.001
		ww := 0.5 - 1e-3*wm/(math.Sqrt(wv)+1e-7)
		if math.Abs(float64(w[0])-ww) > 1e-7 || math.Abs(float64(m[0])-wm) > 1e-7 || math.Abs(float64(v[0])-wv) > 1e-8 {
			t.Fatalf("got w=%g m=%g v=%g, want %g %g %g", w[0], m[0], v[0], ww, wm, wv)
		}
	})
}

func ExamplePath() {
	fmt.Println(Path() == "avx512" || Path() == "avx2-fma" || Path() == "neon" || Path() == "generic")
	// Output: true
}

// TestAddPathsAgree: the SIMD add equals the Go loop bit for bit, tails included.
func TestAddPathsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 7, 8, 31, 32, 33, 100, 4099} {
		a, b := randSlice(r, n), randSlice(r, n)
		want := make([]float32, n)
		for i := range want {
			want[i] = a[i] + b[i]
		}
		paths(t, func(t *testing.T) {
			got := append([]float32(nil), a...)
			Add(got, b)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d element %d: %g, want %g", n, i, got[i], want[i])
				}
			}
		})
	}
}

// TestAdamSumIsAddThenAdam: the fused form equals Add then Adam, bit for bit,
// on both paths and across the SIMD tail.
func TestAdamSumIsAddThenAdam(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 8, 13, 1000} {
		w, m, v, g, g2 := randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n)
		for i := range v {
			v[i] = v[i] * v[i]
		}
		paths(t, func(t *testing.T) {
			wa, ma, va := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
			sum := append([]float32(nil), g...)
			Add(sum, g2)
			Adam(wa, ma, va, sum, kerasStep(1e-3, 1.0/3))
			wb, mb, vb := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
			AdamSum(wb, mb, vb, g, g2, kerasStep(1e-3, 1.0/3))
			for i := range wa {
				if math.Float32bits(wa[i]) != math.Float32bits(wb[i]) || math.Float32bits(ma[i]) != math.Float32bits(mb[i]) || math.Float32bits(va[i]) != math.Float32bits(vb[i]) {
					t.Fatalf("n=%d element %d differs", n, i)
				}
			}
		})
	}
}

// TestAdamFlushesSubnormalMoments: a moment that decays into the subnormal
// range is stored as +0, on both paths alike, and normal ones are untouched.
func TestAdamFlushesSubnormalMoments(t *testing.T) {
	const n = 37 // SIMD body and scalar tail
	r := rand.New(rand.NewPCG(13, 14))
	mk := func() (w, m, v, g []float32) {
		w, m, v, g = randSlice(r, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range m {
			switch i % 3 {
			case 0: // dead unit: g = 0, m about to go subnormal
				m[i], v[i] = 1.2e-38, 1e-30 // 0.9 m is below 2^-126
			case 1: // dead unit, m already subnormal (as gradual underflow leaves it)
				m[i], v[i] = -3e-40, 1e-30
			default: // live unit
				m[i], v[i], g[i] = 1e-3, 1e-6, 2e-3
			}
		}
		return
	}
	w, m, v, g := mk()
	want := [3][]float32{append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)}
	paths(t, func(t *testing.T) {
		w, m, v := append([]float32(nil), want[0]...), append([]float32(nil), want[1]...), append([]float32(nil), want[2]...)
		Adam(w, m, v, g, kerasStep(1e-3, 1))
		for i := range m {
			if i%3 != 2 && (math.Float32bits(m[i]) != 0) {
				t.Errorf("element %d: m = %g (bits %#x), want +0", i, m[i], math.Float32bits(m[i]))
			}
			if i%3 == 2 && m[i] == 0 {
				t.Errorf("element %d: a normal moment was flushed", i)
			}
		}
	})
	// Both paths store the same bits.
	w2, m2, v2 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
	SetGeneric(true)
	Adam(w2, m2, v2, g, kerasStep(1e-3, 1))
	SetGeneric(false)
	Adam(w, m, v, g, kerasStep(1e-3, 1))
	for i := range w {
		if math.Float32bits(w[i]) != math.Float32bits(w2[i]) || math.Float32bits(m[i]) != math.Float32bits(m2[i]) || math.Float32bits(v[i]) != math.Float32bits(v2[i]) {
			t.Fatalf("element %d: asm and generic differ", i)
		}
	}
}

// TestAdamEveryPathSameBits: the AVX-512, AVX2 and Go Adam kernels (plain and
// fused-sum) store the same bits, on lengths that exercise every tail.
func TestAdamEveryPathSameBits(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{1, 7, 8, 15, 16, 17, 33, 1000, 4111} {
		w, m, v, g, g2 := randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n)
		for i := range v {
			v[i] *= v[i]
			if i%5 == 0 { // dead units and subnormal moments too
				g[i], g2[i], m[i] = 0, 0, 1.1e-38
			}
		}
		var want [6][]float32
		for pi, p := range allPaths {
			if !setPath(p) {
				continue
			}
			wa, ma, va := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
			Adam(wa, ma, va, g, kerasStep(1e-3, 1.0/3))
			AdamSum(wa, ma, va, g, g2, kerasStep(2e-3, 1.0/32))
			if pi == 0 || want[0] == nil {
				want = [6][]float32{wa, ma, va}
				continue
			}
			for i := range wa {
				if math.Float32bits(wa[i]) != math.Float32bits(want[0][i]) || math.Float32bits(ma[i]) != math.Float32bits(want[1][i]) ||
					math.Float32bits(va[i]) != math.Float32bits(want[2][i]) {
					t.Fatalf("n=%d element %d: path %s differs from %s", n, i, p, allPaths[0])
				}
			}
		}
	}
	SetGeneric(false)
}
