package native

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/internal/kerasnum"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// syntheticBatch is n deterministic images: smooth blobs plus noise, with
// labels, so that activations are varied and no unit is trivially dead.
func syntheticBatch(n int, seed uint64) trainer.Batch {
	r := rand.New(rand.NewPCG(seed, 99))
	b := trainer.Batch{X: make([]float32, n*trainer.ImagePixels), Y: make([]uint8, n)}
	for s := range n {
		cy, cx := 6+r.Float64()*16, 6+r.Float64()*16
		for i := range side {
			for j := range side {
				d := (float64(i)-cy)*(float64(i)-cy) + (float64(j)-cx)*(float64(j)-cx)
				v := math.Exp(-d/30) + 0.2*r.Float64()
				b.X[s*trainer.ImagePixels+i*side+j] = float32(min(v, 1))
			}
		}
		b.Y[s] = uint8(r.IntN(classes))
	}
	return b
}

// kerasAdam is Keras's Adam, whose defaults are defined once, in package
// scenarios.
var kerasAdam = trainer.AdamConfig{
	LearningRate: scenarios.KerasAdam.LearningRate,
	Beta1:        scenarios.KerasAdam.Beta1,
	Beta2:        scenarios.KerasAdam.Beta2,
	Epsilon:      scenarios.KerasAdam.Epsilon,
}

func initParams(seed uint64) *trainer.Params {
	p := trainer.NewParams()
	trainer.InitKeras(p, seed)
	// Non-zero biases exercise the bias paths.
	r := rand.New(rand.NewPCG(seed, 7))
	for _, i := range []int{trainer.ConvB, trainer.DenseB, trainer.OutB} {
		for j := range p.T[i].Data {
			p.T[i].Data[j] = float32(0.05 * (2*r.Float64() - 1))
		}
	}
	return p
}

func newTestReplica(t testing.TB, threads, maxBatch int) trainer.Replica {
	t.Helper()
	rep, err := New().NewReplica(trainer.ReplicaConfig{Threads: threads, MaxBatch: maxBatch, Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rep.Close() })
	return rep
}

// forPaths runs f on the assembly path (when present) and the generic one.
func forPaths(t *testing.T, f func(t *testing.T)) {
	t.Run(kernels.Path(), f)
	if kernels.Path() != "generic" {
		kernels.SetGeneric(true)
		defer kernels.SetGeneric(false)
		t.Run("generic", f)
	}
}

// TestFiniteDifferences checks entries of every gradient tensor against float64
// central differences of the float64 reference model. The tolerance is tight
// enough that flipping a sign in any backward kernel fails it.
func TestFiniteDifferences(t *testing.T) {
	forPaths(t, func(t *testing.T) {
		p := initParams(1)
		b := syntheticBatch(3, 1)
		g := trainer.NewParams()
		res, err := newTestReplica(t, 2, 8).Gradients(p, b, g)
		if err != nil {
			t.Fatal(err)
		}
		ref := toRef(p)
		if want := refLoss(ref, b); math.Abs(res.LossSum-want) > 1e-5*want {
			t.Fatalf("loss %v, float64 reference %v", res.LossSum, want)
		}
		r := rand.New(rand.NewPCG(2, 2))
		for i := range g.T {
			for _, j := range probeEntries(r, g.T[i].Data, 6) {
				const h = 1e-6 // small: ReLU and max-pool kinks lie close at 1e-4
				orig := ref[i][j]
				ref[i][j] = orig + h
				up := refLoss(ref, b)
				ref[i][j] = orig - h
				down := refLoss(ref, b)
				ref[i][j] = orig
				fd, got := (up-down)/(2*h), float64(g.T[i].Data[j])
				if math.Abs(got-fd) > 2e-3*math.Abs(fd)+1e-5 {
					t.Errorf("%s[%d]: gradient %.6g, finite difference %.6g", g.T[i].Name, j, got, fd)
				}
			}
		}
	})
}

// probeEntries picks the largest-gradient entry and n-1 random ones among
// those not negligibly small (a zero gradient tests nothing).
func probeEntries(r *rand.Rand, g []float32, n int) []int {
	top := 0
	for j, v := range g {
		if math.Abs(float64(v)) > math.Abs(float64(g[top])) {
			top = j
		}
	}
	out := []int{top}
	floor := 1e-2 * math.Abs(float64(g[top]))
	for tries := 0; len(out) < n && tries < 100000; tries++ {
		if j := r.IntN(len(g)); math.Abs(float64(g[j])) > floor {
			out = append(out, j)
		}
	}
	return out
}

// TestThreadsBitwise: gradients and Adam-trained weights are bitwise the same
// for 1, 2, 3 and 4 threads, and for GOMAXPROCS 1.
func TestThreadsBitwise(t *testing.T) {
	forPaths(t, func(t *testing.T) {
		var want []string
		run := func(threads int) []string {
			rep := newTestReplica(t, threads, 32)
			p, g := initParams(3), trainer.NewParams()
			opt := trainer.NewAdam(kerasAdam)
			var prints []string
			for step := range 3 {
				if _, err := rep.Gradients(p, syntheticBatch(32-5*step, uint64(step)), g); err != nil {
					t.Fatal(err)
				}
				prints = append(prints, g.Fingerprint())
				opt.Step(p, g)
			}
			return append(prints, p.Fingerprint())
		}
		want = run(1)
		for _, threads := range []int{2, 3, 4} {
			if got := run(threads); !equal(got, want) {
				t.Errorf("threads=%d: fingerprints %v, threads=1 gave %v", threads, got, want)
			}
		}
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		if got := run(3); !equal(got, want) {
			t.Errorf("GOMAXPROCS=1, threads=3: fingerprints differ")
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEvaluateMatchesGradients: the forward-only pass reports exactly the
// loss and accuracy of the training pass, on batches of several sizes.
func TestEvaluateMatchesGradients(t *testing.T) {
	rep := newTestReplica(t, 2, 40)
	p, g := initParams(4), trainer.NewParams()
	for _, n := range []int{0, 1, 7, 40} {
		b := syntheticBatch(n, uint64(n))
		gr, err := rep.Gradients(p, b, g)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := rep.Evaluate(p, b)
		if err != nil {
			t.Fatal(err)
		}
		if gr != ev {
			t.Errorf("n=%d: Gradients %+v, Evaluate %+v", n, gr, ev)
		}
	}
}

// TestLossFromLogits checks softmaxLoss against Keras's loss and gradient
// worked out from the formulas (package kerasnum): the loss from the logits,
// no clip, so that a confident sample keeps its gradient. Tolerances are
// float32's: the label's component within an ulp of p near 1, the others
// (tiny p) relative, the loss within float32 rounding of log(sum) and s_y.
func TestLossFromLogits(t *testing.T) {
	vals, err := kerasnum.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range vals.Samples {
		d, dT := make([]float32, classes), make([]float32, classes)
		res := softmaxLoss(1, s.Logits, []uint8{uint8(s.Label)}, d, dT, 1)
		if diff := math.Abs(res.LossSum - s.Loss); diff > 1e-6+1e-6*s.Loss {
			t.Errorf("%s: loss %.10g, want %.10g", s.Name, res.LossSum, s.Loss)
		}
		for k, want := range s.Grad {
			got := float64(d[k])
			ok := math.Abs(got-want) <= 1e-5*math.Abs(want)
			if k == s.Label {
				ok = math.Abs(got-want) <= 1e-7
			}
			if !ok || dT[k] != d[k] {
				t.Errorf("%s: dloss/dz[%d] = %g (transposed %g), want %g", s.Name, k, got, dT[k], want)
			}
		}
	}
}

// TestConfidentSampleHasGradient: a sample whose softmax rounds to exactly
// one-hot still moves the weights: p of the other classes is tiny, not 0.
func TestConfidentSampleHasGradient(t *testing.T) {
	rep := newTestReplica(t, 1, 4)
	b := syntheticBatch(1, 5)
	p, g := initParams(5), trainer.NewParams()
	p.T[trainer.OutB].Data[b.Y[0]] = 60
	if _, err := rep.Gradients(p, b, g); err != nil {
		t.Fatal(err)
	}
	for k, v := range g.T[trainer.OutB].Data {
		if int(b.Y[0]) != k && !(v > 0 && v < 1e-20) {
			t.Errorf("out bias gradient[%d] = %g, want tiny and positive (p of a wrong class)", k, v)
		}
	}
}

// TestGradientsOverwrite: stale values in grads do not leak into the result.
func TestGradientsOverwrite(t *testing.T) {
	rep := newTestReplica(t, 2, 8)
	p, b := initParams(6), syntheticBatch(8, 6)
	g1, g2 := trainer.NewParams(), trainer.NewParams()
	for i := range g2.T {
		for j := range g2.T[i].Data {
			g2.T[i].Data[j] = 123
		}
	}
	rep.Gradients(p, b, g1)
	rep.Gradients(p, b, g2)
	if g1.Fingerprint() != g2.Fingerprint() {
		t.Fatal("gradients depend on grads' previous contents")
	}
}

func TestRejectsBadInput(t *testing.T) {
	rep := newTestReplica(t, 1, 4)
	p, g := initParams(7), trainer.NewParams()
	if _, err := rep.Gradients(p, syntheticBatch(5, 1), g); err == nil {
		t.Error("batch above MaxBatch accepted")
	}
	bad := syntheticBatch(2, 1)
	bad.Y[1] = 10
	if _, err := rep.Evaluate(p, bad); err == nil {
		t.Error("label 10 accepted")
	}
	if _, err := New().NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: 4, Device: "gpu"}); err == nil {
		t.Error("gpu device accepted")
	}
}

func TestEngine(t *testing.T) {
	e := New()
	if e.Name() != "native" || len(e.Devices()) != 1 || e.Devices()[0] != "cpu" {
		t.Fatalf("engine %q devices %v", e.Name(), e.Devices())
	}
}

// TestNoAllocations: a training step allocates nothing in steady state.
func TestNoAllocations(t *testing.T) {
	rep := newTestReplica(t, 2, 16)
	p, g, b := initParams(8), trainer.NewParams(), syntheticBatch(16, 8)
	if allocs := testing.AllocsPerRun(5, func() { rep.Gradients(p, b, g) }); allocs != 0 {
		t.Errorf("Gradients allocates %v times per call", allocs)
	}
	if allocs := testing.AllocsPerRun(5, func() { rep.Evaluate(p, b) }); allocs != 0 {
		t.Errorf("Evaluate allocates %v times per call", allocs)
	}
}

// TestDenseBackwardChunks: the dense backward pass's chunks cover every
// kernel row once, start at multiples of the transpose's 8 rows, and give
// two and four parts (team.Claims' contiguous ranges) equal shares.
func TestDenseBackwardChunks(t *testing.T) {
	if denseBackwardRow(0, denseBackwardChunks) != 0 || denseBackwardRow(denseBackwardChunks, denseBackwardChunks) != flat {
		t.Fatalf("chunks cover [%d, %d), want [0, %d)", denseBackwardRow(0, denseBackwardChunks), denseBackwardRow(denseBackwardChunks, denseBackwardChunks), flat)
	}
	for c := range denseBackwardChunks {
		lo, hi := denseBackwardRow(c, denseBackwardChunks), denseBackwardRow(c+1, denseBackwardChunks)
		if lo%8 != 0 || hi <= lo {
			t.Errorf("chunk %d: rows [%d, %d)", c, lo, hi)
		}
	}
	for _, parts := range []int{2, 4} {
		per := denseBackwardChunks / parts
		for p := range parts {
			if got := denseBackwardRow((p+1)*per, denseBackwardChunks) - denseBackwardRow(p*per, denseBackwardChunks); got != flat/parts {
				t.Errorf("%d parts: part %d owns %d rows, want %d", parts, p, got, flat/parts)
			}
		}
	}
}
