package gorgoniaengine

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mirrorbench/mirrorbench/trainer"
)

// Gradients agree with central differences of the float64 reference:
// a few single entries of each tensor (its largest entry and random ones) and
// a random direction over the whole tensor.
func TestGradientsFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		name      string
		confident bool // push sample 0's p[label] far below 1e-7
	}{
		{"keras-init", false},
		{"confidently-wrong", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := seededParams(2)
			b := syntheticBatch(4, 2)
			if tc.confident {
				// sample 0's class gets a bias of -25: p[label] ~ e^-25, far
				// below where an eager-mode Keras loss would clip it (1e-7):
				// from the logits, that sample keeps its full gradient.
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
			if tc.confident {
				const eagerClip = 1e-7
				clipped := 0
				for s, z := range logits {
					mx := math.Inf(-1)
					for _, v := range z {
						mx = math.Max(mx, v)
					}
					if z[b.Y[s]]-mx < math.Log(eagerClip)-1 {
						clipped++
					}
				}
				t.Logf("%d of %d samples have p[label] below 1e-7", clipped, b.Len())
				if clipped != 1 {
					t.Fatal("fixture does not reach p[label] < 1e-7")
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

// Repeated calls on the same batch return identical gradients: nothing
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
