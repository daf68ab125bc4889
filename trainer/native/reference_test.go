package native

import (
	"math"

	"github.com/mirrorbench/mirrorbench/trainer"
)

// refParams is the model in float64, Keras layouts, for the reference model.
type refParams [trainer.NumTensors][]float64

func toRef(p *trainer.Params) refParams {
	var r refParams
	for i := range p.T {
		r[i] = make([]float64, len(p.T[i].Data))
		for j, v := range p.T[i].Data {
			r[i][j] = float64(v)
		}
	}
	return r
}

// refLoss is a deliberately plain float64 implementation of the reference
// model's summed Keras loss: the oracle for finite differences.
func refLoss(p refParams, b trainer.Batch) float64 {
	kw, kb, dw, db, ow, ob := p[trainer.ConvW], p[trainer.ConvB], p[trainer.DenseW], p[trainer.DenseB], p[trainer.OutW], p[trainer.OutB]
	var total float64
	pooled := make([]float64, flat)
	h := make([]float64, hidden)
	for s := range b.Len() {
		x := b.X[s*side*side:]
		for ph := range poolSide {
			for pw := range poolSide {
				for c := range filters {
					best := math.Inf(-1)
					for dy := range 2 {
						for dx := range 2 {
							oh, ow := 2*ph+dy, 2*pw+dx
							v := kb[c]
							for ki := range 3 {
								for kj := range 3 {
									v += float64(x[(oh+ki)*side+ow+kj]) * kw[(ki*3+kj)*filters+c]
								}
							}
							best = math.Max(best, math.Max(v, 0))
						}
					}
					pooled[(ph*poolSide+pw)*filters+c] = best
				}
			}
		}
		copy(h, db)
		for f, x := range pooled {
			for u, w := range dw[f*hidden : (f+1)*hidden] {
				h[u] += x * w
			}
		}
		for u := range h {
			h[u] = math.Max(h[u], 0)
		}
		var z [classes]float64
		zmax := math.Inf(-1)
		for k := range classes {
			z[k] = ob[k]
			for u := range hidden {
				z[k] += h[u] * ow[u*classes+k]
			}
			zmax = math.Max(zmax, z[k])
		}
		var sum float64
		for k := range z {
			sum += math.Exp(z[k] - zmax)
		}
		total += math.Log(sum) - (z[b.Y[s]] - zmax)
	}
	return total
}
