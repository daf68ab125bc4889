package hardware

import (
	"strings"
	"testing"
)

func TestReferenceResult(t *testing.T) {
	r, err := LookupReference("keras-mnist-mirrored")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Reported || r.Status != "reported, not measured" {
		t.Errorf("reported = %v, status %q: the document's run must be marked as reported", r.Reported, r.Status)
	}
	if len(r.Epochs) != 5 {
		t.Fatalf("got %d epochs, want 5", len(r.Epochs))
	}
	last := r.Epochs[4]
	if r.TestAccuracy != 0.9935 || r.TestLoss != 0.0226 || last.ValAccuracy != r.TestAccuracy || last.ValLoss != r.TestLoss {
		t.Errorf("final %g/%g, last epoch %+v: want test accuracy 0.9935, loss 0.0226, equal to epoch 5's val figures",
			r.TestAccuracy, r.TestLoss, last)
	}
	if r.Epochs[0].USPerSample != 289 || r.SteadyUSPerSample != 275 || r.BatchSize != 32 {
		t.Errorf("timing: epoch 1 %g us, steady %g us, batch %d", r.Epochs[0].USPerSample, r.SteadyUSPerSample, r.BatchSize)
	}
	if r.TargetTestAccuracy != 0.985 || r.TargetByEpoch != 5 || !strings.Contains(r.Caveat, "98.4-98.9") {
		t.Errorf("target %g by %d, caveat %q", r.TargetTestAccuracy, r.TargetByEpoch, r.Caveat)
	}
	for _, id := range r.HardwareProfiles {
		profileByID(t, id)
	}
	if _, err := LookupReference("nope"); err == nil {
		t.Error("LookupReference(unknown): want an error")
	}
}

func TestParseReferencesRejects(t *testing.T) {
	for data, want := range map[string]string{
		`{"results":[{"id":"","epochs":[{}],"test_accuracy":0.9}]}`:   "r.json: results[0] (): id: missing",
		`{"results":[{"id":"x","test_accuracy":0.9}]}`:                "r.json: results[0] (x): epochs: missing",
		`{"results":[{"id":"x","epochs":[{}],"test_accuracy":99.3}]}`: "test_accuracy: 99.3 is not in (0, 1]",
		`{"results":[{"id":"x","epochs":[{}],"accuracy":0.9}]}`:       `unknown field "accuracy"`,
	} {
		if _, err := parseReferences("r.json", []byte(data)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\nerr = %v\nwant %q", data, err, want)
		}
	}
}
