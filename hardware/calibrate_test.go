package hardware

import (
	"testing"
	"time"
)

// naiveSgemm is the simplest correct kernel: i-k-j order so the inner loop streams rows.
func naiveSgemm(m, n, k int, a, b, c []float32) {
	for i := range m {
		ci := c[i*n : i*n+n]
		clear(ci)
		for p := range k {
			aip := a[i*k+p]
			bp := b[p*n : p*n+n]
			for j := range ci {
				ci[j] += aip * bp[j]
			}
		}
	}
}

func TestNaiveSgemm(t *testing.T) {
	// [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
	c := make([]float32, 4)
	naiveSgemm(2, 2, 2, []float32{1, 2, 3, 4}, []float32{5, 6, 7, 8}, c)
	if c[0] != 19 || c[1] != 22 || c[2] != 43 || c[3] != 50 {
		t.Fatalf("naiveSgemm = %v", c)
	}
}

// smallStream shrinks the memory benchmark's arrays for the test's duration.
func smallStream(t *testing.T) {
	old := streamElems
	streamElems = 1 << 20
	t.Cleanup(func() { streamElems = old })
}

func TestCalibrate(t *testing.T) {
	smallStream(t)
	start := time.Now()
	k := Kernel{Name: "naive-go", Sgemm: naiveSgemm, M: 32, N: 128, K: 5408}
	c := Calibrate(k, []int{2, 1, 1, 0}, 200*time.Millisecond)
	t.Logf("calibration: %+v (%.2f s wall)", c, time.Since(start).Seconds())
	if len(c.SgemmGFLOPS) != 2 || c.SgemmGFLOPS[1] <= 0 || c.SgemmGFLOPS[2] <= 0 {
		t.Errorf("SgemmGFLOPS = %v, want positive figures for threads 1 and 2 only", c.SgemmGFLOPS)
	}
	for threads, s := range c.SgemmSpread {
		if s < 0 || s >= 1 {
			t.Errorf("SgemmSpread[%d] = %g, want in [0, 1)", threads, s)
		}
	}
	if c.CopyGBs <= 0 || c.TriadGBs <= 0 {
		t.Errorf("copy %g GB/s, triad %g GB/s: want both positive", c.CopyGBs, c.TriadGBs)
	}
	if c.Kernel != "naive-go" || c.SgemmShape != "m=32 n=128 k=5408" || c.HostFingerprint != Detect().Fingerprint() {
		t.Errorf("kernel %q, shape %q, fingerprint %q", c.Kernel, c.SgemmShape, c.HostFingerprint)
	}
	if c.Seconds <= 0 {
		t.Errorf("Seconds = %g, want > 0", c.Seconds)
	}
}

func TestNormalizeThreads(t *testing.T) {
	got := NormalizeThreads([]int{4, 1, 0, -2, 4, 2})
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 4 {
		t.Errorf("NormalizeThreads = %v, want [1 2 4]", got)
	}
	if got := NormalizeThreads(nil); len(got) == 0 || got[0] != 1 {
		t.Errorf("NormalizeThreads(nil) = %v, want [1 GOMAXPROCS]", got)
	}
}
