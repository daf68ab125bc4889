package trainer

import "github.com/mirrorbench/mirrorbench/scenarios"

// Test-only hooks, visible to this package's tests (package trainer_test too).

// KerasAdamForTest is Keras's Adam, whose defaults are defined once, in
// package scenarios.
var KerasAdamForTest = AdamConfig{
	LearningRate: scenarios.KerasAdam.LearningRate,
	Beta1:        scenarios.KerasAdam.Beta1,
	Beta2:        scenarios.KerasAdam.Beta2,
	Epsilon:      scenarios.KerasAdam.Epsilon,
}

// GradientSum is the last step's all-reduced gradient: the sum over the
// global batch, before Adam scales it to the mean.
func GradientSum(t *Trainer) *Params { return t.path.gradientSum() }
