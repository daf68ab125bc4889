// Package kerasnum gives tests the values of Keras's loss, gradient and Adam
// worked out from their formulas apart from any engine
// (trainer/testdata/keras_numerics.json, written by keras_numerics.py beside
// it). The Python adapter's tests read the same file.
package kerasnum

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
)

// Sample is one sample's logits and label with its loss and the loss's
// gradient with respect to the logits, in float64.
type Sample struct {
	Name   string    `json:"name"`
	Logits []float32 `json:"logits"`
	Label  int       `json:"label"`
	Loss   float64   `json:"loss"`
	Grad   []float64 `json:"grad"`
}

// AdamCoefficients are step t's scalars, each a float32 value.
type AdamCoefficients struct {
	T              int     `json:"t"`
	OneMinusBeta1  float32 `json:"one_minus_beta_1"`
	OneMinusBeta2  float32 `json:"one_minus_beta_2"`
	Beta1Power     float32 `json:"beta_1_power"`
	Beta2Power     float32 `json:"beta_2_power"`
	Alpha          float32 `json:"alpha"`
	AlphaBitsInHex string  `json:"alpha_bits"`
}

// AdamState is one element after step t.
type AdamState struct {
	T int     `json:"t"`
	W float32 `json:"w"`
	M float32 `json:"m"`
	V float32 `json:"v"`
}

// Values is the whole file.
type Values struct {
	Samples          []Sample           `json:"samples"`
	LearningRate     float64            `json:"adam_lr"`
	Beta1            float64            `json:"adam_beta_1"`
	Beta2            float64            `json:"adam_beta_2"`
	Epsilon          float64            `json:"adam_epsilon"`
	AdamCoefficients []AdamCoefficients `json:"adam_coefficients"`
	// AdamUpdates are three steps of one element from w = 0.5, m = v = 0
	// with the gradient AdamGradient every step.
	AdamGradient float32     `json:"adam_update_gradient"`
	AdamUpdates  []AdamState `json:"adam_updates"`
}

// Load reads the file from the source tree (tests run inside it).
func Load() (*Values, error) {
	_, self, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(self), "..", "..", "testdata", "keras_numerics.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v Values
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
