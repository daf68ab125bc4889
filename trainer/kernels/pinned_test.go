package kernels

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The pinned hashes below make the cross-architecture rule a test: an arm64
// build (NEON, or the Go path) must store exactly the bits an amd64 build
// stores, and these values were recorded on amd64 (AVX2 and AVX-512 alike).
// Run the package's tests under emulation to check them on arm64:
//
//	GOARCH=arm64 go test -exec qemu-aarch64-static ./trainer/kernels/
//
// The operands are finite (signed zeros and subnormals included): NaN bit
// patterns are not portable (x86's default NaN is negative, ARM's positive).

// pinnedSgemm maps numerics to the hash of pinnedSgemmBits.
var pinnedSgemm = map[string]string{
	"fma":      "d340bf09ff52268872f5cfe72c9db94e8ebf9f8e6e10a3f84f53273141e0d632",
	"separate": "ca94a4ac85259725eee81c7b9612aba1213fa155c84e76ffd5c760a024828b37",
}

// pinnedAdam is the hash of pinnedAdamBits, the same on every path.
const pinnedAdam = "30cd2ea0e9d27f34d1dab2faf4c0ce42421e3a29358e18ecf679afacb314f6f7"

// finiteSpecials is randSlice with one value in eight replaced by a signed
// zero, a subnormal or a tiny normal.
func finiteSpecials(r *rand.Rand, n int) []float32 {
	specials := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -3e-39, 1.2e-38, -1e-30}
	s := randSlice(r, n)
	for i := range s {
		if r.IntN(8) == 0 {
			s[i] = specials[r.IntN(len(specials))]
		}
	}
	return s
}

// hashFloats returns a hash's running state updated with xs' bits.
func hashFloats(h interface{ Write([]byte) (int, error) }, xs []float32) {
	var b [4]byte
	for _, x := range xs {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		h.Write(b[:])
	}
}

// pinnedSgemmBits hashes C after products in all three forms, both ways of
// starting, over shapes with every tile edge (rows 1..6 and columns 1..16 left
// over), k across the p-blocks (kc, kcNT) and padded leading dimensions.
func pinnedSgemmBits() string {
	h := sha256.New()
	r := rand.New(rand.NewPCG(21, 22))
	shapes := []struct{ m, n, k int }{{1, 1, 1}, {7, 17, 3}, {9, 20, 5}, {11, 2, 7}, {13, 31, 40}, {6, 16, 300}, {37, 53, 129}, {32, 128, 520}, {100, 9, 64}}
	for _, s := range shapes {
		for _, f := range forms {
			for _, acc := range []bool{false, true} {
				o := newOperands(r, f, s.m, s.n, s.k, 3)
				o.a, o.b, o.c = finiteSpecials(r, len(o.a)), finiteSpecials(r, len(o.b)), finiteSpecials(r, len(o.c))
				o.run(f, acc)
				hashFloats(h, o.c)
			}
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// pinnedAdamBits hashes w, m and v after Adam and AdamSum steps over lengths
// that leave every SIMD tail, with dead units whose moments go subnormal.
func pinnedAdamBits() string {
	h := sha256.New()
	r := rand.New(rand.NewPCG(23, 24))
	for _, n := range []int{1, 3, 4, 5, 17, 33, 1001} {
		w, m, v, g, g2 := randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n)
		for i := range v {
			v[i] *= v[i]
			if i%5 == 0 {
				g[i], g2[i], m[i] = 0, 0, 1.1e-38
			}
		}
		for step := range 3 {
			Adam(w, m, v, g, kerasStep(1e-3*float32(step+1), 1.0/3))
			AdamSum(w, m, v, g, g2, kerasStep(2e-3, 1.0/32))
		}
		hashFloats(h, w)
		hashFloats(h, m)
		hashFloats(h, v)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestPinnedBits checks every path this CPU has against the hashes recorded
// on amd64.
func TestPinnedBits(t *testing.T) {
	paths(t, func(t *testing.T) {
		numerics := Numerics(Path())
		if got, want := pinnedSgemmBits(), pinnedSgemm[numerics]; got != want {
			t.Errorf("SGEMM (%s numerics) stores bits hashing to %s, want %s (recorded on amd64)", numerics, got, want)
		}
		if got := pinnedAdamBits(); got != pinnedAdam {
			t.Errorf("Adam stores bits hashing to %s, want %s (recorded on amd64)", got, pinnedAdam)
		}
	})
}
