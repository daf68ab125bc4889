package trainer

import (
	"math"

	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// AdamConfig holds Keras's Adam settings (defaults: 1e-3, 0.9, 0.999, 1e-7).
type AdamConfig struct {
	LearningRate, Beta1, Beta2, Epsilon float64
}

// KerasAdam is the default of tf.keras.optimizers.Adam.
var KerasAdam = AdamConfig{LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}

// Adam is Keras's Adam in TF's fused form (ResourceApplyAdam), with epsilon
// added to sqrt(v) after the bias correction has been folded into the step:
//
//	lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
//	m += (g - m) * (1 - beta1)
//	v += (g*g - v) * (1 - beta2)
//	w -= lr_t * m / (sqrt(v) + epsilon)
type Adam struct {
	cfg  AdamConfig
	m, v *Params
	t    int
}

// NewAdam returns an optimizer with zeroed moments.
func NewAdam(cfg AdamConfig) *Adam {
	return &Adam{cfg: cfg, m: NewParams(), v: NewParams()}
}

// Steps is the number of updates applied so far.
func (a *Adam) Steps() int { return a.t }

// Begin advances the step counter and returns the coefficients of this step.
// Call it once per step, then Update each tensor (in any order or in parallel
// over disjoint ranges: the update is element-wise).
func (a *Adam) Begin() AdamStep {
	a.t++
	c := a.cfg
	t := float64(a.t)
	lrT := c.LearningRate * math.Sqrt(1-math.Pow(c.Beta2, t)) / (1 - math.Pow(c.Beta1, t))
	return AdamStep{
		LR:            float32(lrT),
		OneMinusBeta1: float32(1 - c.Beta1),
		OneMinusBeta2: float32(1 - c.Beta2),
		Epsilon:       float32(c.Epsilon),
		GradScale:     1,
	}
}

// AdamStep is one step's coefficients, in float32 as TF computes them.
// GradScale multiplies the gradient first (1 by default): the strategy hands
// Adam summed gradients and 1/batch, saving a pass over the parameters.
type AdamStep struct {
	LR, OneMinusBeta1, OneMinusBeta2, Epsilon, GradScale float32
}

// Update applies the step to tensor i of w over elements [lo, hi) with gradient g.
func (a *Adam) Update(s AdamStep, w, g *Params, i, lo, hi int) {
	adamUpdate(w.T[i].Data[lo:hi], a.m.T[i].Data[lo:hi], a.v.T[i].Data[lo:hi], g.T[i].Data[lo:hi], s)
}

// UpdateSum is Update with the gradient g + g2: the all-reduce's last
// addition done inside Adam's pass, bitwise the same as adding first.
func (a *Adam) UpdateSum(s AdamStep, w, g, g2 *Params, i, lo, hi int) {
	kernels.AdamSum(w.T[i].Data[lo:hi], a.m.T[i].Data[lo:hi], a.v.T[i].Data[lo:hi], g.T[i].Data[lo:hi], g2.T[i].Data[lo:hi],
		s.GradScale, s.LR, s.OneMinusBeta1, s.OneMinusBeta2, s.Epsilon)
}

// Step applies one full update to w, single-threaded.
func (a *Adam) Step(w, g *Params) {
	s := a.Begin()
	for i := range w.T {
		a.Update(s, w, g, i, 0, len(w.T[i].Data))
	}
}

// adamUpdate is the element-wise update; kept in this order, without fused
// multiply-adds, so that every implementation of it agrees bit for bit.
// kernels.Adam runs it with AVX where the CPU has it, bitwise equal to Go.
func adamUpdate(w, m, v, g []float32, s AdamStep) {
	kernels.Adam(w, m, v, g, s.GradScale, s.LR, s.OneMinusBeta1, s.OneMinusBeta2, s.Epsilon)
}
