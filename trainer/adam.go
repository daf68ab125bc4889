package trainer

import (
	"math"

	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// AdamConfig holds Keras's Adam settings. Keras's defaults (learning rate
// 1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7) are scenarios.KerasAdam.
type AdamConfig struct {
	LearningRate, Beta1, Beta2, Epsilon float64
}

// Adam is Keras's Adam as TF 2.0 runs it: optimizer_v2/adam.py forms the
// step's scalars, every one a float32 tensor, and the ApplyAdam kernel
// (core/kernels/training_ops.cc) updates each element in float32, in this
// order (docs/reference.md derives it):
//
//	beta_1_power = beta_1^t                 (powf of float32 constants)
//	alpha = lr * sqrt(1 - beta_2_power) / (1 - beta_1_power)
//	m += (g - m) * (1 - beta_1)             (1 - float32(0.9) = 0.100000024)
//	v += (g*g - v) * (1 - beta_2)
//	w -= m * alpha / (sqrt(v) + epsilon)
//
// A step is taken in three moves: Next gives its coefficients, Update (or
// UpdateSum) applies them to every element once, Commit counts the step. A
// step abandoned before any update (a replica failed) is simply never
// committed: the next step is still step t.
type Adam struct {
	cfg  AdamConfig
	m, v *Params
	t    int // steps committed
}

// NewAdam returns an optimizer with zeroed moments.
func NewAdam(cfg AdamConfig) *Adam {
	return &Adam{cfg: cfg, m: NewParams(), v: NewParams()}
}

// Steps is the number of steps committed so far.
func (a *Adam) Steps() int { return a.t }

// Next returns the coefficients of the next step, t = Steps()+1, without
// counting it. Update every tensor with them (in any order, or in parallel
// over disjoint ranges: the update is element-wise), then Commit.
func (a *Adam) Next() AdamStep {
	return TFAdamStep(a.cfg, a.t+1)
}

// TFAdamStep is step t's coefficients as TF 2.0 computes them: Keras's
// float64 settings become float32 tensors first (_get_hyper casts them to the
// variable's dtype), then every operation is float32, left to right.
// beta^t is TF's pow in float32 (glibc's powf, which rounds its double
// result once); float64 holds float32(beta)^t to 1e-16 relative, so one
// rounding to float32 gives the same value.
func TFAdamStep(cfg AdamConfig, t int) AdamStep {
	lr, beta1, beta2 := float32(cfg.LearningRate), float32(cfg.Beta1), float32(cfg.Beta2)
	beta1Power := float32(math.Pow(float64(beta1), float64(t)))
	beta2Power := float32(math.Pow(float64(beta2), float64(t)))
	sqrt := float32(math.Sqrt(float64(1 - beta2Power))) // correctly rounded, as sqrtf
	alpha := float32(lr*sqrt) / (1 - beta1Power)
	return AdamStep{
		LR:            alpha,
		OneMinusBeta1: 1 - beta1,
		OneMinusBeta2: 1 - beta2,
		Epsilon:       float32(cfg.Epsilon),
		GradScale:     1,
	}
}

// Commit counts the step Next described, once every element has been
// updated: the bias correction of the following step uses t+1.
func (a *Adam) Commit() { a.t++ }

// AdamStep is one step's coefficients (TFAdamStep).
// GradScale multiplies the gradient first (1 by default): the strategy hands
// Adam summed gradients and 1/batch, saving a pass over the parameters.
type AdamStep = kernels.AdamStep

// Update applies the step to tensor i of w over elements [lo, hi) with gradient g.
func (a *Adam) Update(s AdamStep, w, g *Params, i, lo, hi int) {
	kernels.Adam(w.T[i].Data[lo:hi], a.m.T[i].Data[lo:hi], a.v.T[i].Data[lo:hi], g.T[i].Data[lo:hi], s)
}

// UpdateSum is Update with the gradient g + g2: the all-reduce's last
// addition done inside Adam's pass, bitwise the same as adding first.
func (a *Adam) UpdateSum(s AdamStep, w, g, g2 *Params, i, lo, hi int) {
	kernels.AdamSum(w.T[i].Data[lo:hi], a.m.T[i].Data[lo:hi], a.v.T[i].Data[lo:hi], g.T[i].Data[lo:hi], g2.T[i].Data[lo:hi], s)
}

// Step applies one full update to w, single-threaded.
func (a *Adam) Step(w, g *Params) {
	s := a.Next()
	for i := range w.T {
		a.Update(s, w, g, i, 0, len(w.T[i].Data))
	}
	a.Commit()
}
