package compare

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteSignedRankP is an independent two-sided signed-rank p-value: drop
// zeros, give each |d| its mid-rank (the number of smaller magnitudes plus
// half the equal ones, itself included), and try all 2^n signs.
func bruteSignedRankP(d []float64) float64 {
	var nz []float64
	for _, x := range d {
		if x != 0 {
			nz = append(nz, x)
		}
	}
	n := len(nz)
	rank := make([]float64, n)
	for i, a := range nz {
		less, equal := 0, 0
		for _, b := range nz {
			switch {
			case math.Abs(b) < math.Abs(a):
				less++
			case math.Abs(b) == math.Abs(a):
				equal++
			}
		}
		rank[i] = float64(less) + float64(equal+1)/2
	}
	var obs float64
	for i, x := range nz {
		if x > 0 {
			obs += rank[i]
		}
	}
	var lo, hi float64
	for mask := 0; mask < 1<<n; mask++ {
		var w float64
		for i := range n {
			if mask&(1<<i) != 0 {
				w += rank[i]
			}
		}
		if w <= obs+1e-9 {
			lo++
		}
		if w >= obs-1e-9 {
			hi++
		}
	}
	return math.Min(1, 2*math.Min(lo, hi)/float64(int(1)<<n))
}

func TestSignedRankExact(t *testing.T) {
	for _, tc := range []struct {
		d    []float64
		want float64 // by hand
	}{
		// All 5 positive: W+ = 15 is the largest of 32 sign patterns.
		{[]float64{1, 2, 3, 4, 5}, 2.0 / 32},
		// W+ = 14: as extreme are {W+ >= 14} = {15, 14}, 2 of 32.
		{[]float64{-1, 2, 3, 4, 5}, 4.0 / 32},
		// n = 6, W+ = 1+3+5+6 = 15 against a mean of 10.5: P(W+ >= 15) =
		// P(W+ <= 6) = 14/64 (subsets of 1..6 summing to at most 6:
		// 1+1+1+2+2+3+4).
		{[]float64{1, -2, 3, -4, 5, 6}, 28.0 / 64},
		// Ties: |d| = 1,1,1,2 have mid-ranks 2,2,2,4; W+ = 8. Of the 16
		// sign patterns, W+ is 0:1, 2:3, 4:4, 6:4, 8:3, 10:1; P(W+ >= 8)
		// = 4/16.
		{[]float64{1, 1, -1, 2}, 8.0 / 16},
		// Zeros are dropped: as {1, 2, 3}, 2 of 8.
		{[]float64{0, 1, 0, 2, 3}, 2.0 / 8},
		{[]float64{0, 0}, 1},
	} {
		if got := signedRankP(tc.d); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("signedRankP(%v) = %v, want %v", tc.d, got, tc.want)
		}
		if got := bruteSignedRankP(tc.d); math.Abs(got-tc.want) > 1e-15 {
			t.Fatalf("enumeration of %v: %v, hand %v: the test's own arithmetic is off", tc.d, got, tc.want)
		}
	}
	// Random differences, with ties (rounded) and zeros.
	rng := rand.New(rand.NewPCG(11, 1))
	for trial := range 200 {
		d := make([]float64, 4+trial%9)
		for i := range d {
			d[i] = math.Round(4*rng.NormFloat64()+0.5) / 2
		}
		if got, want := signedRankP(d), bruteSignedRankP(d); math.Abs(got-want) > 1e-12 {
			t.Errorf("signedRankP(%v) = %v, enumeration %v", d, got, want)
		}
	}
}

// Above 50 differences the normal approximation takes over; at 50 it is
// close to the exact counts, ties or not.
func TestSignedRankNormal(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	for trial := range 20 {
		d := make([]float64, 50)
		for i := range d {
			d[i] = 0.3 + rng.NormFloat64()
			if trial%2 == 1 {
				d[i] = math.Round(4 * d[i]) // ties
			}
		}
		var abs, nz []float64
		for _, x := range d {
			if x != 0 {
				nz, abs = append(nz, x), append(abs, math.Abs(x))
			}
		}
		r2, w2 := doubledMidranks(abs), 0
		for i, x := range nz {
			if x > 0 {
				w2 += r2[i]
			}
		}
		exact, normal := exactSignedRankP(r2, w2), normalSignedRankP(r2, w2)
		if math.Abs(exact-normal) > 0.005 {
			t.Errorf("trial %d: exact p %v, normal approximation %v", trial, exact, normal)
		}
	}
	if p := signedRankP(slices.Repeat([]float64{0.1}, 60)); p > 1e-10 {
		t.Errorf("60 positive differences: p %v", p)
	}
}

// Critical values against published tables.
func TestCriticalValues(t *testing.T) {
	// Wilcoxon signed-rank, two-sided 0.05: reject when W <= 8 (n = 10),
	// 52 (n = 20).
	for n, want := range map[int]int{10: 8, 20: 52} {
		if got := signedRankCrit(n, 0.05); got != want {
			t.Errorf("signed-rank critical value n=%d: %d, want %d", n, got, want)
		}
	}
	if got := signedRankCrit(5, 0.05); got != -1 {
		t.Errorf("n=5 at 0.05: %d, want -1 (2/32 > 0.05)", got)
	}
	// Mann-Whitney, two-sided 0.05: reject when U <= 2 (5 and 5), 23 (10
	// and 10).
	if got := uCounts(2, 2); !slices.Equal(got, []float64{1, 1, 2, 1, 1}) {
		t.Errorf("uCounts(2, 2) = %v", got)
	}
	var all float64
	for _, c := range uCounts(10, 10) {
		all += c
	}
	if all != 184756 {
		t.Errorf("uCounts(10, 10) sums to %v, want C(20, 10) = 184756", all)
	}
	for n, want := range map[int]int{5: 2, 10: 23} {
		if got := lowerCrit(uCounts(n, n), 0.05); got != want {
			t.Errorf("U critical value %d and %d: %d, want %d", n, n, got, want)
		}
	}
}

func TestIntervals(t *testing.T) {
	d := []float64{1, 2, 3, 4, 5}
	// P(W+ <= 0) = 1/32: alpha 2/32 allows k = 0, the extreme Walsh
	// averages; alpha 0.05 allows none.
	if lo, hi := pairedCI(d, 2.0/32); lo != 1 || hi != 5 {
		t.Errorf("pairedCI at 2/32: [%v, %v], want [1, 5]", lo, hi)
	}
	if lo, hi := pairedCI(d, 0.05); !math.IsInf(lo, -1) || !math.IsInf(hi, 1) {
		t.Errorf("pairedCI at 0.05: [%v, %v], want ±Inf", lo, hi)
	}
	// n = 10, k = 8: the 9th smallest and largest of the 55 Walsh averages
	// of 1..10, which are the half-integers (i+j)/2 for i <= j.
	ten := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if lo, hi := pairedCI(ten, 0.05); lo != 3 || hi != 8 {
		t.Errorf("pairedCI(1..10) = [%v, %v], want [3, 8]", lo, hi)
	}
	// Differences 9, 10, 10, 11; P(U <= 0) = 1/6; the estimate is their
	// median, 10.
	if est, lo, hi := shiftCI([]float64{0, 1}, []float64{10, 11}, 2.0/6); est != 10 || lo != 9 || hi != 11 {
		t.Errorf("shiftCI at 1/3: %v in [%v, %v], want 10 in [9, 11]", est, lo, hi)
	}
	if est, lo, _ := shiftCI([]float64{0, 1}, []float64{10, 11}, 0.05); est != 10 || !math.IsInf(lo, -1) {
		t.Errorf("shiftCI at 0.05: %v, %v, want 10, -Inf", est, lo)
	}
}

func TestMDEFormula(t *testing.T) {
	// (z_0.99375 + z_0.8) * 0.09/sqrt(20) / sqrt(3/pi)
	// = (2.4977 + 0.8416) * 0.020125 / 0.97721 = 0.068770: exp - 1 = 7.119%.
	if got := mdePct(0.09/math.Sqrt(20), 0.0125); math.Abs(got-7.119) > 0.001 {
		t.Errorf("mdePct = %v, want 7.119", got)
	}
	if got := zQuantile(0.975); math.Abs(got-1.959964) > 1e-6 {
		t.Errorf("zQuantile(0.975) = %v", got)
	}
}
