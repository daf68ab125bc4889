package bench

import (
	"github.com/mirrorbench/mirrorbench/trainer"
)

// Evaluation is a weights file's score on the MNIST test images.
type Evaluation struct {
	Metadata    map[string]string // the file's metadata (scenario, seed, ...)
	Fingerprint string            // SHA-256 of the weights
	Engine      string
	Loss        float64 // mean test loss
	Correct     int
	Images      int
}

// Accuracy is the share of test images classified correctly.
func (e *Evaluation) Accuracy() float64 { return float64(e.Correct) / float64(e.Images) }

// Evaluate scores a safetensors weights file (Keras names and shapes) with
// an engine (one of Engines) on the 10,000 MNIST test images. A missing or
// malformed file is an *InputError.
func Evaluate(weightsFile string, eng trainer.Engine) (*Evaluation, error) {
	params, meta, err := trainer.ReadSafetensors(weightsFile)
	if err != nil {
		return nil, &InputError{err}
	}
	ds, err := trainer.LoadMNIST()
	if err != nil {
		return nil, err
	}
	rep, err := eng.NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: trainer.EvalChunk, Device: "cpu"})
	if err != nil {
		return nil, err
	}
	defer rep.Close()
	res, err := trainer.Evaluate(rep, params, ds.Test)
	if err != nil {
		return nil, err
	}
	return &Evaluation{Metadata: meta, Fingerprint: params.Fingerprint(), Engine: eng.Name(),
		Loss: res.LossSum / float64(ds.Test.Len()), Correct: res.Correct, Images: ds.Test.Len()}, nil
}
