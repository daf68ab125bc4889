package hardware

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
)

// ReferenceResult is a run some document reports. Reported is true for every shipped result:
// its figures are copied from the document, not measured by mirrorbench, and Caveat says what
// a reader should know before comparing with them.
type ReferenceResult struct {
	ID               string           `json:"id"`
	Title            string           `json:"title"`
	Source           string           `json:"source"`
	Reported         bool             `json:"reported"`
	Status           string           `json:"status"` // "reported, not measured"
	Model            string           `json:"model"`
	Strategy         string           `json:"strategy"`
	Optimizer        string           `json:"optimizer"`
	Loss             string           `json:"loss"`
	BatchSize        int              `json:"batch_size"`
	TrainSamples     int              `json:"train_samples"`
	TestSamples      int              `json:"test_samples"`
	Software         Software         `json:"software"`
	Hardware         string           `json:"hardware"`          // as the document words it
	HardwareProfiles []string         `json:"hardware_profiles"` // ids in profiles.json
	Epochs           []ReferenceEpoch `json:"epochs"`
	TestLoss         float64          `json:"test_loss"`
	TestAccuracy     float64          `json:"test_accuracy"`
	// SteadyUSPerSample excludes the first epoch's warm-up.
	SteadyUSPerSample float64 `json:"steady_us_per_sample"`
	// TypicalTestAccuracy is the range other runs of the same model reach: [low, high].
	TypicalTestAccuracy []float64 `json:"typical_test_accuracy"`
	// TargetTestAccuracy by TargetByEpoch is the harness's pass bar, not the document's figure.
	TargetTestAccuracy float64 `json:"target_test_accuracy"`
	TargetByEpoch      int     `json:"target_by_epoch"`
	Caveat             string  `json:"caveat"`
	TimingNote         string  `json:"timing_note"`
}

// Software is the software stack a reference run used, as the document states it.
type Software struct {
	Framework string `json:"framework"`
	Python    string `json:"python"`
	OS        string `json:"os"`
	CUDA      string `json:"cuda"`
}

// ReferenceEpoch is one row of the document's training log.
type ReferenceEpoch struct {
	Epoch       int     `json:"epoch"`
	Seconds     float64 `json:"seconds"`
	USPerSample float64 `json:"us_per_sample"`
	Loss        float64 `json:"loss"`
	Accuracy    float64 `json:"accuracy"`
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
}

//go:embed reference_results.json
var referenceJSON []byte

// ReferenceResults returns the embedded reference results.
func ReferenceResults() ([]ReferenceResult, error) {
	return parseReferences("reference_results.json", referenceJSON)
}

// LookupReference returns the embedded reference result with the given id.
func LookupReference(id string) (*ReferenceResult, error) {
	rs, err := ReferenceResults()
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if rs[i].ID == id {
			return &rs[i], nil
		}
	}
	return nil, fmt.Errorf("hardware: no reference result %q", id)
}

// parseReferences decodes strictly and checks what a comparison relies on.
func parseReferences(file string, data []byte) ([]ReferenceResult, error) {
	var f struct {
		Comment string            `json:"comment"`
		Results []ReferenceResult `json:"results"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var errs []error
	for i, r := range f.Results {
		where := fmt.Sprintf("%s: results[%d] (%s)", file, i, r.ID)
		switch {
		case r.ID == "":
			errs = append(errs, fmt.Errorf("%s: id: missing", where))
		case len(r.Epochs) == 0:
			errs = append(errs, fmt.Errorf("%s: epochs: missing", where))
		case r.TestAccuracy <= 0 || r.TestAccuracy > 1:
			errs = append(errs, fmt.Errorf("%s: test_accuracy: %g is not in (0, 1]", where, r.TestAccuracy))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f.Results, nil
}
