package native

import (
	"math"

	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// Shapes of the output layer.
const classes = trainer.Classes // 10 softmax outputs from hidden = 128 inputs

// Keras clips the softmax output to [eps, 1-eps] before the log (bounds
// computed exactly and then cast to float32).
const (
	pLow  = float32(trainer.LossClipEpsilon)
	pHigh = float32(1 - trainer.LossClipEpsilon)
)

// outputForward computes the logits of n samples:
//
//	logits[b][k] = bias[k] + sum_u h[b][u] * w[u][k]
func outputForward(n int, h, w, bias, logits []float32) {
	for b := range n {
		copy(logits[b*classes:(b+1)*classes], bias[:classes])
	}
	kernels.SgemmNN(n, classes, hidden, h, hidden, w, classes, logits, classes, true)
}

// softmaxLoss turns each sample's logits into Keras's clipped cross-entropy
// and, when dlogits is not nil, its gradient (also written transposed to
// dlogitsT[k*ldT+b]). With p the softmax and loss = -log(clip(p[y])):
//
//	dloss/dlogits[k] = p[k] - [k == y]  where p[y] lies inside the clip range,
//	                   0                where the clip is active (its gradient is 0).
func softmaxLoss(n int, logits []float32, y []uint8, dlogits, dlogitsT []float32, ldT int) trainer.Result {
	var res trainer.Result
	var p [classes]float32
	for b := range n {
		z := logits[b*classes : (b+1)*classes]
		softmax(z, p[:])
		label := int(y[b])
		py := p[label]
		res.LossSum -= math.Log(float64(min(max(py, pLow), pHigh)))
		if argmax(p[:]) == label {
			res.Correct++
		}
		if dlogits == nil {
			continue
		}
		d := dlogits[b*classes : (b+1)*classes]
		clipped := py < pLow || py > pHigh
		for k := range d {
			switch {
			case clipped:
				d[k] = 0
			case k == label:
				d[k] = p[k] - 1
			default:
				d[k] = p[k]
			}
			dlogitsT[k*ldT+b] = d[k]
		}
	}
	return res
}

// softmax is p[k] = exp(z[k] - max z) / sum_j exp(z[j] - max z), in float32.
func softmax(z, p []float32) {
	zmax := z[0]
	for _, v := range z {
		zmax = max(zmax, v)
	}
	var sum float32
	for k, v := range z {
		p[k] = float32(math.Exp(float64(v - zmax)))
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
}

// argmax is the index of the first largest value.
func argmax(p []float32) int {
	best := 0
	for k, v := range p {
		if v > p[best] {
			best = k
		}
	}
	return best
}

// outputWeightGrad is the output layer's kernel gradient over n samples, a
// sum over the samples in sample order:
//
//	dw[u][k] = sum_b h[b][u] * dlogits[b][k]
func outputWeightGrad(n int, h, dlogits, dw []float32) {
	kernels.SgemmTN(hidden, classes, n, h, hidden, dlogits, classes, dw, classes, false)
}

// outputBiasGrad is the output layer's bias gradient over n samples, in
// sample order:
//
//	db[k] = sum_b dlogits[b][k]
func outputBiasGrad(n int, dlogits, db []float32) {
	clear(db[:classes])
	for b := range n {
		for k, v := range dlogits[b*classes : (b+1)*classes] {
			db[k] += v
		}
	}
}

// outputInputGrad computes the gradient at the hidden layer's input (after
// its ReLU) for n samples, in both layouts; each value is its sample's own:
//
//	dhT[u][b] = [h[b][u] > 0] * sum_k w[u][k] * dlogitsT[k][b],   dh = dhTᵀ
func outputInputGrad(n int, h, w, dlogitsT, dhT, dh []float32) {
	kernels.SgemmNN(hidden, n, classes, w, classes, dlogitsT, n, dhT, n, false)
	for u := range hidden {
		row := dhT[u*n : (u+1)*n]
		for b := range row {
			if h[b*hidden+u] <= 0 {
				row[b] = 0
			}
			dh[b*hidden+u] = row[b]
		}
	}
}
