package trainer

import "testing"

// The cost model's figures, checked against the hand derivations in cost.go.
func TestCost(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"ParamCount", ParamCount, 693962},
		{"NewParams().Count()", NewParams().Count(), ParamCount},
		{"ForwardFLOPsPerSample", ForwardFLOPsPerSample, 1776384},
		{"TrainFLOPsPerSample", TrainFLOPsPerSample, 4939776},
		{"ParamBytesPerStep", ParamBytesPerStep, 27758480},
		{"ActivationBytesPerSample", ActivationBytesPerSample, 223696},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}
