// Package kernels holds the dense float32 arithmetic of the native engine:
// SGEMM in three operand forms and Adam's element-wise update, each with an
// AVX2+FMA assembly path (amd64, chosen at run time), a NEON one (arm64) and
// a portable Go path.
// Where the CPU has AVX-512F, SGEMM runs AVX-512 micro-kernels instead; they
// compute every element with the AVX2 kernels' instructions (see below), so
// the two SIMD paths agree bit for bit.
//
// The package is opinionated about determinism, not about generality. Every
// output element C[i,j] is a fixed function of its own inputs: one chain of
// multiply-adds over p = 0, 1, ..., k-1 in that order, started from 0 (or from
// C's old value when accumulating). Its value does not depend on m, on which
// rows a call covers, or on how many goroutines share the work, so callers may
// split a product over output rows anywhere, and over columns at multiples of
// ColBlock, and get bitwise-identical results. The assembly path fuses each
// multiply-add (VFMADD231PS on amd64, FMLA on arm64) and the Go path does
// not, so the two paths agree to rounding, not bitwise; a process uses one
// path throughout. Neither the vector width nor the architecture enters an
// element's chain: the AVX-512, AVX2 and NEON kernels run the same fused
// chain per element, from the same +0 or old C value, and store the same
// bits; the Go path rounds every product explicitly (float32(a*b)), so the
// compiler cannot fuse it on arm64 either, and it too stores the same bits
// on both. pinned_test.go pins both, and the arm64 tests run under
// emulation (.ci/arm64-test.sh). NaN payloads are the exception: an invalid
// operation yields x86's negative default NaN but ARM's positive one.
//
// Matrices are row-major with leading dimensions in elements, as in BLAS.
package kernels

//go:generate go run ./internal/asmgen

import (
	"fmt"
	"math"
)

// ColBlock is the column width of one AVX2 micro-kernel tile (the AVX-512
// tile is two of them wide). Callers that split a product over columns must
// cut at multiples of it.
const ColBlock = 16

// useAsm selects the assembly path, and useAVX512 (with useAsm) its AVX-512
// SGEMM kernels; set at init from the CPU's features.
var (
	useAsm    = hasAsm
	useAVX512 = hasAVX512
)

// Path names the implementation in use: "avx512" (AVX-512 SGEMM, the rest
// AVX2+FMA), "avx2-fma", "neon" (arm64) or "generic".
func Path() string {
	switch {
	case useAsm && useAVX512:
		return "avx512"
	case useAsm:
		return asmPath
	}
	return "generic"
}

// Numerics names the arithmetic of a path: "fma" for the SIMD paths (one
// fused multiply-add per product, in p order, whatever the vector width or
// the architecture: the avx2-fma, avx512 and neon paths give the same bits)
// and "separate" for the Go path (whose float expressions round every
// product explicitly, so that it too gives the same bits on every
// architecture; see fusion_test.go). Runs agree bit for bit exactly when
// their numerics agree.
func Numerics(path string) string {
	switch path {
	case "avx2-fma", "avx512", "neon":
		return "fma"
	case "generic":
		return "separate"
	}
	return "unknown"
}

// SetGeneric forces the portable Go path (true) or restores the fastest path
// the CPU supports (false). It is for tests and benchmarks: it must not be
// called while kernels run.
func SetGeneric(generic bool) {
	useAsm = hasAsm && !generic
	useAVX512 = hasAVX512 && !generic
}

// setPath selects the path named as Path names it, for tests and benchmarks,
// and reports whether the CPU has it (if not, nothing changes).
func setPath(name string) bool {
	switch {
	case name == "avx512" && hasAVX512:
		useAsm, useAVX512 = true, true
	case name == asmPath && hasAsm:
		useAsm, useAVX512 = true, false
	case name == "generic":
		useAsm, useAVX512 = false, false
	default:
		return false
	}
	return true
}

// SgemmNN computes C = A·B (or C += A·B when accumulate), A m×k, B k×n, C m×n:
// C[i*ldc+j] (+)= sum_p A[i*lda+p] * B[p*ldb+j].
func SgemmNN(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	checkGemm("SgemmNN", m, n, k, matrix{a, lda, m, k}, matrix{b, ldb, k, n}, matrix{c, ldc, m, n})
	if m == 0 || n == 0 {
		return
	}
	if useAsm {
		sgemmAsm(m, n, k, a, uintptr(lda)*4, 4, b, ldb, c, ldc, accumulate)
		return
	}
	sgemmGenericNN(m, n, k, a, lda, b, ldb, c, ldc, accumulate)
}

// SgemmTN computes C (+)= Aᵀ·B with A stored k×m: C[i,j] (+)= sum_p A[p*lda+i] * B[p*ldb+j].
func SgemmTN(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	checkGemm("SgemmTN", m, n, k, matrix{a, lda, k, m}, matrix{b, ldb, k, n}, matrix{c, ldc, m, n})
	if m == 0 || n == 0 {
		return
	}
	if useAsm {
		sgemmAsm(m, n, k, a, 4, uintptr(lda)*4, b, ldb, c, ldc, accumulate)
		return
	}
	sgemmGenericTN(m, n, k, a, lda, b, ldb, c, ldc, accumulate)
}

// SgemmNT computes C (+)= A·Bᵀ with B stored n×k: C[i,j] (+)= sum_p A[i*lda+p] * B[j*ldb+p].
func SgemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	checkGemm("SgemmNT", m, n, k, matrix{a, lda, m, k}, matrix{b, ldb, n, k}, matrix{c, ldc, m, n})
	if m == 0 || n == 0 {
		return
	}
	if useAsm {
		sgemmAsmNT(m, n, k, a, lda, b, ldb, c, ldc, accumulate)
		return
	}
	sgemmGenericNT(m, n, k, a, lda, b, ldb, c, ldc, accumulate)
}

// matrix is an operand as stored: rows×cols values, row-major, with leading
// dimension ld.
type matrix struct {
	data       []float32
	ld         int
	rows, cols int
}

// checkGemm panics unless every operand holds its rows: the assembly reads
// through raw pointers, so bounds are checked here, once per call.
func checkGemm(op string, m, n, k int, a, b, c matrix) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels.%s: negative size m=%d n=%d k=%d", op, m, n, k))
	}
	a.check(op, "a")
	b.check(op, "b")
	c.check(op, "c")
}

// check panics unless x holds (rows-1)*ld+cols values with ld >= cols.
func (x matrix) check(op, name string) {
	if x.rows == 0 || x.cols == 0 {
		return
	}
	if x.ld < x.cols {
		panic(fmt.Sprintf("kernels.%s: ld%s=%d < %d", op, name, x.ld, x.cols))
	}
	if need := (x.rows-1)*x.ld + x.cols; len(x.data) < need {
		panic(fmt.Sprintf("kernels.%s: len(%s)=%d < %d", op, name, len(x.data), need))
	}
}

// AdamStep is one step's scalars for Adam and AdamSum (trainer.TFAdamStep
// forms them in float32 as TF 2.0 does).
type AdamStep struct {
	LR            float32 // TF's alpha: the learning rate with the bias correction folded in
	OneMinusBeta1 float32
	OneMinusBeta2 float32
	Epsilon       float32
	// GradScale multiplies the gradient first: 1/batch turns a summed
	// gradient into the mean without a pass of its own (the product is
	// rounded once, exactly as a separate pass would).
	GradScale float32
}

// Adam applies TF's ResourceApplyAdam element-wise to the gradient
// g*s.GradScale, in exactly this order and without fused multiply-adds, so
// that both paths agree bit for bit:
//
//	g = g * GradScale
//	m += (g - m) * OneMinusBeta1;  m = flush(m)
//	v += (g*g - v) * OneMinusBeta2; v = flush(v)
//	w -= (m * LR) / (sqrt(v) + Epsilon)
//
// g*GradScale is the harness's, not TF's: TF's gradient arrives already
// divided by the batch. For a batch of 2^k samples the two agree exactly.
// flush sets a subnormal moment to +0. TensorFlow runs every CPU kernel with
// denormals flushed to zero (FTZ/DAZ), so Keras's moments never linger there;
// with gradual underflow a weight whose gradient has died keeps a subnormal m
// for ever (m's decay rounds to 0 just above zero), and every vector holding
// one takes the CPU's slow microcode path: measured at twice Adam's normal
// cost in epoch 1 of the reference run. Flushing the stored moments, in both
// paths alike, keeps Adam at full speed and closer to TF's arithmetic.
//
// All four slices must have the same length.
func Adam(w, m, v, g []float32, s AdamStep) {
	n := len(w)
	if len(m) != n || len(v) != n || len(g) != n {
		panic(fmt.Sprintf("kernels.Adam: lengths %d %d %d %d differ", len(w), len(m), len(v), len(g)))
	}
	done := 0
	if useAsm {
		done = adamAsm(w, m, v, g, s)
	}
	adamGeneric(w[done:], m[done:], v[done:], g[done:], s)
}

// flushSubnormal returns +0 for a subnormal (or zero) x, x otherwise (NaN
// included). It tests the magnitude's bits against 2^-126's: one branch,
// almost never taken, where two float compares on the sign would mispredict.
func flushSubnormal(x float32) float32 {
	if math.Float32bits(x)&0x7fffffff < 0x00800000 {
		return 0
	}
	return x
}

// AdamSum is Adam on the gradient g + g2 (one rounding, as kernels.Add would
// give), so the all-reduce's last addition costs no pass of its own.
func AdamSum(w, m, v, g, g2 []float32, s AdamStep) {
	n := len(w)
	if len(m) != n || len(v) != n || len(g) != n || len(g2) != n {
		panic(fmt.Sprintf("kernels.AdamSum: lengths %d %d %d %d %d differ", len(w), len(m), len(v), len(g), len(g2)))
	}
	done := 0
	if useAsm {
		done = adam2Asm(w, m, v, g, g2, s)
	}
	for j := done; j < n; j++ {
		sum := g[j] + g2[j]
		adamGeneric(w[j:j+1], m[j:j+1], v[j:j+1], []float32{sum}, s)
	}
}

// adamGeneric is Adam in Go. The explicit float32 conversions round every
// operation and forbid fusion on architectures where Go would fuse.
func adamGeneric(w, m, v, g []float32, s AdamStep) {
	// Locals, not s's fields, in the loop: the compiler keeps a struct of
	// more than four fields in memory, not in registers.
	gscale, lrT, omb1, omb2, eps := s.GradScale, s.LR, s.OneMinusBeta1, s.OneMinusBeta2, s.Epsilon
	m, v, g = m[:len(w)], v[:len(w)], g[:len(w)]
	for j := range w {
		gj := float32(g[j] * gscale)
		mj := flushSubnormal(m[j] + float32((gj-m[j])*omb1))
		gg := float32(gj * gj)
		vj := flushSubnormal(v[j] + float32((gg-v[j])*omb2))
		den := float32(math.Sqrt(float64(vj))) + eps
		w[j] -= float32(float32(lrT*mj) / den)
		m[j], v[j] = mj, vj
	}
}

// Add adds src into dst element-wise (dst += src): the all-reduce's inner
// loop. One rounding per element on both paths, so they agree bit for bit.
func Add(dst, src []float32) {
	if len(src) != len(dst) {
		panic(fmt.Sprintf("kernels.Add: lengths %d and %d differ", len(dst), len(src)))
	}
	done := 0
	if useAsm {
		done = addAsm(dst, src)
	}
	for j := done; j < len(dst); j++ {
		dst[j] += src[j]
	}
}

// packTransposed fills the panel for the NT form's micro-kernels:
// panel[pp*width+jj] = B[j0+jj][p0+pp] for jj < cols and pp < kk, i.e. kk
// rows of Bᵀ's columns j0..j0+cols, width apart.
func packTransposed(panel []float32, width int, b []float32, ldb, j0, cols, p0, kk int) {
	for jj := range cols {
		row := b[(j0+jj)*ldb+p0 : (j0+jj)*ldb+p0+kk]
		for pp, v := range row {
			panel[pp*width+jj] = v
		}
	}
}
