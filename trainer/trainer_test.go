package trainer

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/trainer/internal/kerasnum"
)

func TestParamCountAndNames(t *testing.T) {
	p := NewParams()
	if got := p.Count(); got != 693962 {
		t.Fatalf("Count() = %d, want 693,962 (Keras model.summary())", got)
	}
	want := []string{"conv2d/kernel", "conv2d/bias", "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"}
	for i, w := range want {
		if p.T[i].Name != w {
			t.Errorf("tensor %d is %q, want %q", i, p.T[i].Name, w)
		}
	}
}

func TestGlorotLimits(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  float64
	}{
		{[]int{3, 3, 1, 32}, 0.1421},
		{[]int{5408, 128}, 0.0329},
		{[]int{128, 10}, 0.2085},
	} {
		if got := GlorotLimit(c.shape); math.Abs(got-c.want) > 1e-4 {
			t.Errorf("GlorotLimit(%v) = %.5f, want %.4f", c.shape, got, c.want)
		}
	}
}

// The initial kernels must lie inside (-L, L) with the spread of U(-L, L):
// mean 0 and standard deviation L/sqrt(3); biases must be zero.
func TestInitKerasSpread(t *testing.T) {
	p := NewParams()
	InitKeras(p, 42)
	for _, tn := range p.T {
		if len(tn.Shape) == 1 {
			for _, v := range tn.Data {
				if v != 0 {
					t.Fatalf("%s: bias %v, want 0", tn.Name, v)
				}
			}
			continue
		}
		L := GlorotLimit(tn.Shape)
		var sum, sq float64
		for _, v := range tn.Data {
			if math.Abs(float64(v)) >= L {
				t.Fatalf("%s: %v outside (-%.4f, %.4f)", tn.Name, v, L, L)
			}
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		n := float64(len(tn.Data))
		mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
		wantStd := L / math.Sqrt(3)
		tol := 4 * wantStd / math.Sqrt(n) // a few standard errors
		if math.Abs(mean) > tol || math.Abs(std-wantStd) > 0.1*wantStd+tol {
			t.Errorf("%s: mean %.5f std %.5f, want 0 and %.5f", tn.Name, mean, std, wantStd)
		}
	}
}

func TestInitDependsOnSeedOnly(t *testing.T) {
	a, b, c := NewParams(), NewParams(), NewParams()
	InitKeras(a, 7)
	InitKeras(b, 7)
	InitKeras(c, 8)
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("same seed gave different weights")
	}
	if a.Fingerprint() == c.Fingerprint() {
		t.Error("different seeds gave the same weights")
	}
}

// One Adam step on a tiny tensor, against Keras's formula worked by hand:
// t=1: lr_t = 0.001*sqrt(1-0.999)/(1-0.9) = 0.00316227766
// m = 0.1*g, v = 0.001*g^2, w -= lr_t*m/(sqrt(v)+1e-7).
func TestAdamStepByHand(t *testing.T) {
	w, g := NewParams(), NewParams()
	w.T[OutB].Data[0], g.T[OutB].Data[0] = 0.5, 0.2
	w.T[OutB].Data[1], g.T[OutB].Data[1] = -1.0, -3.0
	opt := NewAdam(KerasAdamForTest)
	opt.Step(w, g)
	for j, c := range []struct{ w0, g float64 }{{0.5, 0.2}, {-1.0, -3.0}} {
		lrT := 0.001 * math.Sqrt(1-0.999) / (1 - 0.9)
		m, v := 0.1*c.g, 0.001*c.g*c.g
		want := c.w0 - lrT*m/(math.Sqrt(v)+1e-7)
		if got := float64(w.T[OutB].Data[j]); math.Abs(got-want) > 1e-7 {
			t.Errorf("w[%d] = %.9f, want %.9f", j, got, want)
		}
	}
	// A second step: the bias correction uses t=2.
	opt.Step(w, g)
	g0, w0 := 0.2, 0.5
	lr1 := 0.001 * math.Sqrt(1-0.999) / (1 - 0.9)
	m1, v1 := 0.1*g0, 0.001*g0*g0
	w1 := w0 - lr1*m1/(math.Sqrt(v1)+1e-7)
	lr2 := 0.001 * math.Sqrt(1-0.999*0.999) / (1 - 0.9*0.9)
	m2, v2 := m1+(g0-m1)*0.1, v1+(g0*g0-v1)*0.001
	w2 := w1 - lr2*m2/(math.Sqrt(v2)+1e-7)
	if got := float64(w.T[OutB].Data[0]); math.Abs(got-w2) > 1e-7 {
		t.Errorf("after 2 steps w = %.9f, want %.9f", got, w2)
	}
	if untouched := w.T[OutB].Data[2]; untouched != 0 {
		t.Errorf("zero gradient moved a zero weight to %v", untouched)
	}
}

func loadMNIST(t testing.TB) *Dataset {
	t.Helper()
	ds, err := LoadMNIST()
	if err != nil {
		t.Fatalf("LoadMNIST: %v", err)
	}
	return ds
}

func TestLoadMNIST(t *testing.T) {
	ds := loadMNIST(t)
	if ds.Train.Len() != 60000 || ds.Test.Len() != 10000 {
		t.Fatalf("sizes %d/%d, want 60000/10000", ds.Train.Len(), ds.Test.Len())
	}
	var counts [Classes]int
	lo, hi := float32(1), float32(0)
	for i, y := range ds.Train.Y {
		counts[y]++
		for _, v := range ds.Train.X[i*ImagePixels : (i+1)*ImagePixels] {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo != 0 || hi != 1 {
		t.Errorf("pixel range [%v, %v], want [0, 1]", lo, hi)
	}
	// Canonical class counts of the MNIST training set.
	want := [Classes]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	if counts != want {
		t.Errorf("label counts %v, want %v", counts, want)
	}
	if ds.Train.Y[0] != 5 || ds.Test.Y[0] != 7 {
		t.Errorf("first labels %d/%d, want 5/7", ds.Train.Y[0], ds.Test.Y[0])
	}
}

func TestMNISTMissingOrCorrupt(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadMNISTFrom(dir)
	if err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte.gz") || !strings.Contains(err.Error(), "MNIST_DIR") {
		t.Fatalf("missing files: got %v, want an error naming the file and the fix", err)
	}
	src := MNISTDir()
	for _, f := range MNISTFiles {
		data, err := os.ReadFile(filepath.Join(src, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "t10k-labels-idx1-ubyte.gz" {
			data[len(data)/2] ^= 1
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err = LoadMNISTFrom(dir)
	if err == nil || !strings.Contains(err.Error(), "t10k-labels-idx1-ubyte.gz is corrupt") {
		t.Fatalf("corrupt file: got %v", err)
	}
}

func TestShufflerIsSeededPermutation(t *testing.T) {
	data := Batch{X: make([]float32, 100*ImagePixels), Y: make([]uint8, 100)}
	for i := range data.Y {
		data.Y[i] = uint8(i)
	}
	order := func(seed uint64, epoch int) []uint8 {
		s := NewShuffler(data, seed, 10)
		s.StartEpoch(epoch)
		var out []uint8
		for step := range s.Steps() {
			out = append(out, s.Batch(step).Y...)
		}
		return out
	}
	a, b := order(1, 1), order(1, 1)
	if string(a) != string(b) {
		t.Error("same seed and epoch gave different orders")
	}
	if string(a) == string(order(1, 2)) || string(a) == string(order(2, 1)) {
		t.Error("epoch or seed did not change the order")
	}
	seen := map[uint8]bool{}
	for _, y := range a {
		seen[y] = true
	}
	if len(seen) != 100 {
		t.Errorf("an epoch covered %d of 100 samples", len(seen))
	}
}

// Next describes the next step without counting it, so a step abandoned
// before any update leaves the bias correction where it was; Commit counts it.
func TestAdamCountsOnlyCommittedSteps(t *testing.T) {
	opt := NewAdam(KerasAdamForTest)
	first := opt.Next()
	if again := opt.Next(); again != first || opt.Steps() != 0 {
		t.Fatalf("Next counted a step: %+v then %+v, Steps %d", first, again, opt.Steps())
	}
	opt.Commit()
	if second := opt.Next(); second.LR == first.LR || opt.Steps() != 1 {
		t.Errorf("after Commit: LR %v (step 1: %v), Steps %d, want step 2's LR and 1", second.LR, first.LR, opt.Steps())
	}
}

// TestTFAdamCoefficients: each step's float32 scalars are exactly TF's
// (package kerasnum works them out with numpy float32, one operation at a
// time): 1 - float32(0.9) is 0.100000024, not 0.1.
func TestTFAdamCoefficients(t *testing.T) {
	vals, err := kerasnum.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg := AdamConfig{LearningRate: vals.LearningRate, Beta1: vals.Beta1, Beta2: vals.Beta2, Epsilon: vals.Epsilon}
	for _, want := range vals.AdamCoefficients {
		got := TFAdamStep(cfg, want.T)
		if got.LR != want.Alpha || got.OneMinusBeta1 != want.OneMinusBeta1 || got.OneMinusBeta2 != want.OneMinusBeta2 {
			t.Errorf("t=%d: alpha %x, 1-beta_1 %v, 1-beta_2 %v; want %s, %v, %v", want.T,
				math.Float32bits(got.LR), got.OneMinusBeta1, got.OneMinusBeta2,
				want.AlphaBitsInHex, want.OneMinusBeta1, want.OneMinusBeta2)
		}
	}
}

// TestTFAdamUpdates: three steps of one element through the optimizer and
// its kernels give, bit for bit, the element worked out in float32 by hand.
func TestTFAdamUpdates(t *testing.T) {
	vals, err := kerasnum.Load()
	if err != nil {
		t.Fatal(err)
	}
	opt := NewAdam(AdamConfig{LearningRate: vals.LearningRate, Beta1: vals.Beta1, Beta2: vals.Beta2, Epsilon: vals.Epsilon})
	w, g := NewParams(), NewParams()
	w.T[OutB].Data[0], g.T[OutB].Data[0] = 0.5, vals.AdamGradient
	for _, want := range vals.AdamUpdates {
		opt.Step(w, g)
		if got := w.T[OutB].Data[0]; got != want.W {
			t.Errorf("t=%d: w = %.9g, want %.9g", want.T, got, want.W)
		}
	}
}
