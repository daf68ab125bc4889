package gorgoniaengine

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/mirrorbench/mirrorbench/trainer"
)

// ---- an independent float64 reference of the model, plain loops ----

// refModel holds the parameters in float64, Keras layouts.
type refModel [trainer.NumTensors][]float64

func toRef(p *trainer.Params) refModel {
	var m refModel
	for i := range p.T {
		m[i] = make([]float64, len(p.T[i].Data))
		for j, v := range p.T[i].Data {
			m[i][j] = float64(v)
		}
	}
	return m
}

// refLoss returns the sum over b of Keras's clipped cross-entropy, the
// correct count and the logits, computed in float64 straight from the Keras
// definitions (channels_last, flatten order (h, w, c)).
func refLoss(m refModel, b trainer.Batch) (loss float64, correct int, logits [][]float64) {
	const (
		S  = trainer.ImageSide
		K  = trainer.ConvKernel
		C  = trainer.ConvFilters
		CS = trainer.ConvSide
		PS = trainer.PoolSide
		H  = trainer.Hidden
		NC = trainer.Classes
	)
	w1, b1, w2, b2, w3, b3 := m[0], m[1], m[2], m[3], m[4], m[5]
	conv := make([]float64, CS*CS*C) // [h][w][c]
	flat := make([]float64, trainer.Flat)
	hidden := make([]float64, H)
	for s := 0; s < b.Len(); s++ {
		x := b.X[s*trainer.ImagePixels : (s+1)*trainer.ImagePixels]
		// conv[h][w][o] = relu(b1[o] + sum_{kh,kw} x[h+kh][w+kw] * w1[kh][kw][0][o])
		for h := 0; h < CS; h++ {
			for w := 0; w < CS; w++ {
				for o := 0; o < C; o++ {
					sum := b1[o]
					for kh := 0; kh < K; kh++ {
						for kw := 0; kw < K; kw++ {
							sum += float64(x[(h+kh)*S+w+kw]) * w1[(kh*K+kw)*C+o]
						}
					}
					conv[(h*CS+w)*C+o] = math.Max(sum, 0)
				}
			}
		}
		// flat[h*13*32 + w*32 + c] = max over the 2x2 window
		for h := 0; h < PS; h++ {
			for w := 0; w < PS; w++ {
				for c := 0; c < C; c++ {
					v := math.Inf(-1)
					for dh := 0; dh < 2; dh++ {
						for dw := 0; dw < 2; dw++ {
							v = math.Max(v, conv[((2*h+dh)*CS+2*w+dw)*C+c])
						}
					}
					flat[(h*PS+w)*C+c] = v
				}
			}
		}
		// hidden[u] = relu(b2[u] + sum_i flat[i] * w2[i][u])
		for u := 0; u < H; u++ {
			hidden[u] = b2[u]
		}
		for i, f := range flat {
			if f == 0 {
				continue
			}
			row := w2[i*H : (i+1)*H]
			for u := range hidden {
				hidden[u] += f * row[u]
			}
		}
		for u := range hidden {
			hidden[u] = math.Max(hidden[u], 0)
		}
		// logits, softmax, clip, -log p[label]
		z := make([]float64, NC)
		for k := 0; k < NC; k++ {
			z[k] = b3[k]
			for u := 0; u < H; u++ {
				z[k] += hidden[u] * w3[u*NC+k]
			}
		}
		logits = append(logits, z)
		mx, arg := z[0], 0
		for k, v := range z {
			if v > mx {
				mx, arg = v, k
			}
		}
		if arg == int(b.Y[s]) {
			correct++
		}
		den := 0.0
		for _, v := range z {
			den += math.Exp(v - mx)
		}
		p := math.Exp(z[b.Y[s]]-mx) / den
		p = math.Min(math.Max(p, 1e-7), 1-1e-7)
		loss -= math.Log(p)
	}
	return loss, correct, logits
}

// ---- fixtures ----

func seededParams(seed uint64) *trainer.Params {
	p := trainer.NewParams()
	trainer.InitKeras(p, seed)
	// Keras initialises biases to zero; give them small seeded values so
	// that their gradients and layouts are exercised too.
	rng := rand.New(rand.NewPCG(seed, 99))
	for _, i := range []int{trainer.ConvB, trainer.DenseB, trainer.OutB} {
		for j := range p.T[i].Data {
			p.T[i].Data[j] = float32(0.05 * (2*rng.Float64() - 1))
		}
	}
	return p
}

func syntheticBatch(n int, seed uint64) trainer.Batch {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := trainer.Batch{X: make([]float32, n*trainer.ImagePixels), Y: make([]uint8, n)}
	for i := range b.X {
		if rng.IntN(3) > 0 { // MNIST-like: many exact zeros
			b.X[i] = rng.Float32()
		}
	}
	for i := range b.Y {
		b.Y[i] = uint8(rng.IntN(trainer.Classes))
	}
	return b
}

func newReplica(t testing.TB, maxBatch int) trainer.Replica {
	t.Helper()
	r, err := New().NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: maxBatch, Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func relErr(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(math.Abs(b), 1e-12)
}

// ---- tests ----

func TestEngine(t *testing.T) {
	e := New()
	if e.Name() != "gorgonia" {
		t.Errorf("Name = %q", e.Name())
	}
	if d := e.Devices(); len(d) != 1 || d[0] != "cpu" {
		t.Errorf("Devices = %v", d)
	}
	if _, err := e.NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: 4, Device: "gpu"}); err == nil {
		t.Error("NewReplica on gpu: no error")
	}
	if _, err := e.NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: 0}); err == nil {
		t.Error("NewReplica with MaxBatch 0: no error")
	}
}

// (1) the loss and correct count equal the float64 reference.
func TestLossMatchesReference(t *testing.T) {
	p := seededParams(1)
	b := syntheticBatch(4, 1)
	r := newReplica(t, 4)
	grads := trainer.NewParams()
	res, err := r.Gradients(p, b, grads)
	if err != nil {
		t.Fatal(err)
	}
	want, wantCorrect, _ := refLoss(toRef(p), b)
	t.Logf("loss %.7f, reference %.7f", res.LossSum, want)
	if relErr(res.LossSum, want) > 1e-5 {
		t.Errorf("LossSum = %.7f, reference %.7f", res.LossSum, want)
	}
	if res.Correct != wantCorrect {
		t.Errorf("Correct = %d, reference %d", res.Correct, wantCorrect)
	}
}

// (2) gradients agree with central differences of the float64 reference:
// a few single entries of each tensor (its largest entry and random ones) and
// a random direction over the whole tensor.
func TestGradientsFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		name string
		clip bool // push sample 0's p[label] far below 1e-7
	}{
		{"keras-init", false},
		{"clipped", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := seededParams(2)
			b := syntheticBatch(4, 2)
			if tc.clip {
				// sample 0's class gets a bias of -25: p[label] ~ e^-25 is
				// clipped to 1e-7, so that sample contributes no gradient.
				b.Y = []uint8{3, 1, 4, 5}
				p.T[trainer.OutB].Data[3] = -25
			}
			r := newReplica(t, 4)
			grads := trainer.NewParams()
			res, err := r.Gradients(p, b, grads)
			if err != nil {
				t.Fatal(err)
			}
			m := toRef(p)
			refL, _, logits := refLoss(m, b)
			if relErr(res.LossSum, refL) > 1e-5 {
				t.Errorf("LossSum = %.7f, reference %.7f", res.LossSum, refL)
			}
			if tc.clip {
				clipped := 0
				for s, z := range logits {
					mx := math.Inf(-1)
					for _, v := range z {
						mx = math.Max(mx, v)
					}
					if z[b.Y[s]]-mx < math.Log(1e-7)-1 {
						clipped++
					}
				}
				t.Logf("%d of %d samples have p[label] clipped at 1e-7", clipped, b.Len())
				if clipped != 1 {
					t.Fatal("fixture does not reach the clip")
				}
			}
			// h is small so that steps rarely cross a relu or max-pool kink.
			const h = 1e-6
			fd := func(i, j int, dir []float64) float64 {
				orig := append([]float64(nil), m[i]...)
				defer copy(m[i], orig)
				step := func(s float64) float64 {
					if dir == nil {
						m[i][j] = orig[j] + s
					} else {
						for k := range m[i] {
							m[i][k] = orig[k] + s*dir[k]
						}
					}
					l, _, _ := refLoss(m, b)
					return l
				}
				return (step(h) - step(-h)) / (2 * h)
			}
			rng := rand.New(rand.NewPCG(3, 3))
			for i := range p.T {
				g := grads.T[i].Data
				scale := 0.0
				big := 0
				for j, v := range g {
					if math.Abs(float64(v)) > scale {
						scale, big = math.Abs(float64(v)), j
					}
				}
				tol := func(want float64) float64 { return 1e-4*scale + 1e-3*math.Abs(want) + 1e-6 }
				worst := 0.0
				for _, j := range []int{big, rng.IntN(len(g)), rng.IntN(len(g)), rng.IntN(len(g))} {
					want := fd(i, j, nil)
					worst = math.Max(worst, math.Abs(float64(g[j])-want))
					if math.Abs(float64(g[j])-want) > tol(want) {
						t.Errorf("%s[%d]: gorgonia %.6g, finite difference %.6g", p.T[i].Name, j, g[j], want)
					}
				}
				dir := make([]float64, len(g))
				dot := 0.0
				for k := range dir {
					dir[k] = 2*rng.Float64() - 1
					dot += dir[k] * float64(g[k])
				}
				want := fd(i, 0, dir)
				t.Logf("%-15s max|g| %.3g, entries' worst |error| %.2g; directional: gorgonia %.7g, finite difference %.7g",
					p.T[i].Name, scale, worst, dot, want)
				if relErr(dot, want) > 1e-4 && math.Abs(dot-want) > 1e-5 {
					t.Errorf("%s: directional derivative gorgonia %.6g, finite difference %.6g", p.T[i].Name, dot, want)
				}
			}
		})
	}
}

// (3) repeated calls on the same batch return identical gradients: nothing
// accumulates across RunAll. A call on another batch in between must not
// leak into the next either.
func TestNoGradientAccumulation(t *testing.T) {
	p := seededParams(3)
	b := syntheticBatch(4, 3)
	other := syntheticBatch(4, 4)
	r := newReplica(t, 4)
	g1, g2, g3 := trainer.NewParams(), trainer.NewParams(), trainer.NewParams()
	r1, err := r.Gradients(p, b, g1)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := r.Gradients(p, b, g2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Gradients(p, other, trainer.NewParams()); err != nil {
		t.Fatal(err)
	}
	r3, err := r.Gradients(p, b, g3)
	if err != nil {
		t.Fatal(err)
	}
	if r1 != r2 || r1 != r3 {
		t.Errorf("results differ: %+v %+v %+v", r1, r2, r3)
	}
	if g1.Fingerprint() != g2.Fingerprint() || g1.Fingerprint() != g3.Fingerprint() {
		t.Errorf("gradients differ between identical calls")
	}
}

// (4) Evaluate's loss equals Gradients' loss, and Gradients leaves the
// parameters alone.
func TestEvaluateMatchesGradients(t *testing.T) {
	p := seededParams(4)
	before := p.Fingerprint()
	b := syntheticBatch(4, 5)
	r := newReplica(t, 4)
	gr, err := r.Gradients(p, b, trainer.NewParams())
	if err != nil {
		t.Fatal(err)
	}
	ev, err := r.Evaluate(p, b)
	if err != nil {
		t.Fatal(err)
	}
	if ev != gr {
		t.Errorf("Evaluate %+v, Gradients %+v", ev, gr)
	}
	if p.Fingerprint() != before {
		t.Error("the replica wrote into the parameters")
	}
}

// (5) shard sizes: any size up to MaxBatch works, the gradient of a batch is
// the sum of its shards' gradients, Evaluate splits big batches into chunks,
// and a shard above MaxBatch is refused.
func TestBatchSizes(t *testing.T) {
	p := seededParams(5)
	b := syntheticBatch(5, 6)
	r := newReplica(t, 5)
	whole := trainer.NewParams()
	rw, err := r.Gradients(p, b, whole)
	if err != nil {
		t.Fatal(err)
	}
	sum, part := trainer.NewParams(), trainer.NewParams()
	var loss float64
	for _, cut := range [][2]int{{0, 1}, {1, 3}, {3, 5}} {
		res, err := r.Gradients(p, b.Slice(cut[0], cut[1]), part)
		if err != nil {
			t.Fatal(err)
		}
		loss += res.LossSum
		sum.Add(part)
	}
	if relErr(loss, rw.LossSum) > 1e-6 {
		t.Errorf("shard losses sum to %.7f, whole batch %.7f", loss, rw.LossSum)
	}
	for i := range whole.T {
		scale := 0.0
		for _, v := range whole.T[i].Data {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for j, v := range whole.T[i].Data {
			if d := math.Abs(float64(v - sum.T[i].Data[j])); d > 1e-5*scale+1e-7 {
				t.Errorf("%s[%d]: whole %.7g, sum of shards %.7g", whole.T[i].Name, j, v, sum.T[i].Data[j])
				break
			}
		}
	}
	if _, err := r.Gradients(p, syntheticBatch(6, 7), part); err == nil {
		t.Error("a shard above MaxBatch was accepted")
	}

	// Evaluate on more than EvalChunk samples (two chunks) against the reference.
	big := syntheticBatch(EvalChunk+7, 8)
	ev, err := r.Evaluate(p, big)
	if err != nil {
		t.Fatal(err)
	}
	want, wantCorrect, _ := refLoss(toRef(p), big)
	if relErr(ev.LossSum, want) > 1e-5 || ev.Correct != wantCorrect {
		t.Errorf("Evaluate(%d) = %+v, reference loss %.7f correct %d", big.Len(), ev, want, wantCorrect)
	}
}

// Real MNIST, when the data is at hand: loss and correct count on test images
// agree with the reference.
func TestMNISTMatchesReference(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ds, err := trainer.LoadMNIST()
	if err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	p := seededParams(6)
	b := ds.Test.Slice(0, 64)
	r := newReplica(t, 32)
	ev, err := r.Evaluate(p, b)
	if err != nil {
		t.Fatal(err)
	}
	want, wantCorrect, _ := refLoss(toRef(p), b)
	if relErr(ev.LossSum, want) > 1e-5 || ev.Correct != wantCorrect {
		t.Errorf("Evaluate = %+v, reference loss %.7f correct %d", ev, want, wantCorrect)
	}
	gr, err := r.Gradients(p, b.Slice(0, 32), trainer.NewParams())
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ = refLoss(toRef(p), b.Slice(0, 32))
	if relErr(gr.LossSum, want) > 1e-5 {
		t.Errorf("Gradients loss %.7f, reference %.7f", gr.LossSum, want)
	}
}

// Replicas run concurrently (the mirrored strategy does this) give the same
// results as one replica alone.
func TestConcurrentReplicas(t *testing.T) {
	p := seededParams(7)
	b := syntheticBatch(4, 9)
	want := trainer.NewParams()
	if _, err := newReplica(t, 4).Gradients(p, b, want); err != nil {
		t.Fatal(err)
	}
	const R = 2
	got := [R]*trainer.Params{}
	errs := [R]error{}
	var wg sync.WaitGroup
	for i := range R {
		r := newReplica(t, 4)
		got[i] = trainer.NewParams()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				if _, errs[i] = r.Gradients(p, b, got[i]); errs[i] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range R {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if got[i].Fingerprint() != want.Fingerprint() {
			t.Errorf("replica %d: gradients differ from a lone replica's", i)
		}
	}
}

func TestClosed(t *testing.T) {
	r := newReplica(t, 2)
	r.Close()
	if _, err := r.Evaluate(seededParams(1), syntheticBatch(1, 1)); err == nil {
		t.Error("Evaluate on a closed replica: no error")
	}
}

// BenchmarkStep times one Gradients call on a shard of 32 (the reference
// batch on one replica).
func BenchmarkStep(b *testing.B) {
	const batch = 32
	p := seededParams(1)
	data := syntheticBatch(batch, 1)
	r := newReplica(b, batch)
	grads := trainer.NewParams()
	if _, err := r.Gradients(p, data, grads); err != nil { // build the graph outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	steps := 0
	for b.Loop() {
		if _, err := r.Gradients(p, data, grads); err != nil {
			b.Fatal(err)
		}
		steps++
	}
	perSample := float64(b.Elapsed().Nanoseconds()) / float64(steps*batch)
	b.ReportMetric(perSample, "ns/sample")
	b.ReportMetric(1e9/perSample, "samples/s")
}
