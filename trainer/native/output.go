package native

import (
	"math"

	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// Shapes of the output layer.
const classes = trainer.Classes // 10 softmax outputs from hidden = 128 inputs

// outputForward computes the logits of n samples:
//
//	logits[b][k] = bias[k] + sum_u h[b][u] * w[u][k]
func outputForward(n int, h, w, bias, logits []float32) {
	for b := range n {
		copy(logits[b*classes:(b+1)*classes], bias[:classes])
	}
	kernels.SgemmNN(n, classes, hidden, h, hidden, w, classes, logits, classes, true)
}

// softmaxLoss turns each sample's logits z into Keras's cross-entropy and,
// when dlogits is not nil, its gradient (also written transposed to
// dlogitsT[k*ldT+b]). As TF 2.0's SparseSoftmaxXentWithLogits kernel
// computes them in float32, with s = z - max(z):
//
//	loss = log(sum_j exp(s_j)) - s_y
//	dloss/dz_k = exp(s_k) / sum_j exp(s_j) - [k == y]
//
// for every sample, however confident: Keras's fit takes the loss from the
// softmax's input, with no clip (docs/reference.md).
func softmaxLoss(n int, logits []float32, y []uint8, dlogits, dlogitsT []float32, ldT int) trainer.Result {
	var res trainer.Result
	var p [classes]float32
	for b := range n {
		z := logits[b*classes : (b+1)*classes]
		label := int(y[b])
		sum, shifted := shiftedExp(z, p[:])
		res.LossSum += float64(float32(math.Log(float64(sum))) - shifted[label])
		for k := range p {
			p[k] /= sum
		}
		if argmax(p[:]) == label { // Keras's accuracy: the arg-max of the softmax
			res.Correct++
		}
		if dlogits == nil {
			continue
		}
		d := dlogits[b*classes : (b+1)*classes]
		for k := range d {
			d[k] = p[k]
			if k == label {
				d[k] -= 1
			}
			dlogitsT[k*ldT+b] = d[k]
		}
	}
	return res
}

// shiftedExp sets e[k] = exp(z[k] - max z) and returns their float32 sum,
// added in class order, and the shifted logits z[k] - max z.
func shiftedExp(z, e []float32) (sum float32, shifted [classes]float32) {
	zmax := z[0]
	for _, v := range z {
		zmax = max(zmax, v)
	}
	for k, v := range z {
		shifted[k] = v - zmax
		e[k] = float32(math.Exp(float64(shifted[k])))
		sum += e[k]
	}
	return sum, shifted
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
