package gorgoniaengine

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mirrorbench/mirrorbench/trainer"
)

// The tests' oracle: an independent float64 reference of the model in plain
// loops, and the fixtures.

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

// refLoss returns the sum over b of Keras's cross-entropy from the logits, the
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
		// logits, then log(sum exp(z - max)) - (z[label] - max)
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
		loss += math.Log(den) - (z[b.Y[s]] - mx)
	}
	return loss, correct, logits
}

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
