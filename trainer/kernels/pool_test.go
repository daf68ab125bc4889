package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// poolInput has ties, zeros and negatives, to test the first-max and ReLU rules.
func poolInput(r *rand.Rand, n int) []float32 {
	x := make([]float32, 4*n)
	for i := range x {
		x[i] = float32(r.IntN(7)-3) / 2
		if r.IntN(3) == 0 {
			x[i] = float32(r.NormFloat64())
		}
	}
	return x
}

// TestMaxPool4 checks both paths against the rule, and each other bitwise.
func TestMaxPool4(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{8, 16, 5408} {
		x := poolInput(r, n)
		var outs [][]float32
		var args [][]int32
		paths(t, func(t *testing.T) {
			pooled, arg := make([]float32, n), make([]int32, n)
			MaxPool4(x, pooled, arg)
			for i := range n {
				best, at := float32(0), int32(-1)
				for o := range 4 {
					if v := x[o*n+i]; v > best && (at < 0 || v > x[int(at)*n+i]) {
						best, at = v, int32(o)
					}
				}
				if pooled[i] != best || arg[i] != at || math.Signbit(float64(pooled[i])) {
					t.Fatalf("n=%d i=%d: got (%g, %d), want (%g, %d)", n, i, pooled[i], arg[i], best, at)
				}
			}
			outs, args = append(outs, pooled), append(args, arg)
		})
		for i := 1; i < len(outs); i++ {
			for j := range outs[0] {
				if math.Float32bits(outs[i][j]) != math.Float32bits(outs[0][j]) || args[i][j] != args[0][j] {
					t.Fatalf("paths differ at %d", j)
				}
			}
		}
	}
}

func TestUnpool4(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 10))
	for _, stride := range []int{1, 3, 32} {
		const n = 48
		arg := make([]int32, n)
		for i := range arg {
			arg[i] = int32(r.IntN(5) - 1)
		}
		d := randSlice(r, (n-1)*stride+1)
		paths(t, func(t *testing.T) {
			g := randSlice(r, 4*n) // stale values must be overwritten
			Unpool4(arg, d, stride, g)
			for o := range 4 {
				for i := range n {
					want := float32(0)
					if arg[i] == int32(o) {
						want = d[i*stride]
					}
					if g[o*n+i] != want {
						t.Fatalf("stride %d: g[%d][%d] = %g, want %g", stride, o, i, g[o*n+i], want)
					}
				}
			}
		})
	}
}

func TestTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	for _, s := range [][2]int{{1, 1}, {8, 8}, {3, 17}, {16, 24}, {37, 29}, {96, 32}} {
		m, n := s[0], s[1]
		a := randSlice(r, m*(n+3))
		paths(t, func(t *testing.T) {
			b := randSlice(r, n*(m+5))
			b0 := append([]float32(nil), b...)
			Transpose(m, n, a, n+3, b, m+5)
			for j := range n {
				for i := range m + 5 {
					want := b0[j*(m+5)+i]
					if i < m {
						want = a[i*(n+3)+j]
					}
					if b[j*(m+5)+i] != want {
						t.Fatalf("%dx%d: B[%d,%d] = %g, want %g", m, n, j, i, b[j*(m+5)+i], want)
					}
				}
			}
		})
	}
}
