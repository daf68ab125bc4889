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

// Adam is Keras's Adam in TF's fused form (ResourceApplyAdam), with epsilon
// added to sqrt(v) after the bias correction has been folded into the step:
//
//	lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
//	m += (g - m) * (1 - beta1)
//	v += (g*g - v) * (1 - beta2)
//	w -= lr_t * m / (sqrt(v) + epsilon)
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
	c := a.cfg
	t := float64(a.t + 1)
	lrT := c.LearningRate * math.Sqrt(1-math.Pow(c.Beta2, t)) / (1 - math.Pow(c.Beta1, t))
	return AdamStep{
		LR:            float32(lrT),
		OneMinusBeta1: float32(1 - c.Beta1),
		OneMinusBeta2: float32(1 - c.Beta2),
		Epsilon:       float32(c.Epsilon),
		GradScale:     1,
	}
}

// Commit counts the step Next described, once every element has been
// updated: the bias correction of the following step uses t+1.
func (a *Adam) Commit() { a.t++ }

// AdamStep is one step's coefficients, in float32 as TF computes them.
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
