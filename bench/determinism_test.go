package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
)

// scenario parses a small native scenario with the given devices, strategy
// and reduction: 512 images, one epoch.
func scenario(t *testing.T, devices, strategy, reduction string) *scenarios.Scenario {
	t.Helper()
	src := fmt.Sprintf("name: det\nengine: native\ndevices: %s\nstrategy: %s\nreduction: %s\ntrain_limit: 512\nepochs: 1\nwarmup_steps: 2\n",
		devices, strategy, reduction)
	if strategy == "mirrored" && devices == "cpu" {
		src += "replicas: 4\n"
	}
	sc, err := scenarios.Parse("det.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func fingerprint(t *testing.T, sc *scenarios.Scenario) *results.Record {
	t.Helper()
	r := testEnv.Run(context.Background(), sc, Options{})
	if r.Status != results.StatusOK || r.Fingerprint == "" {
		t.Fatalf("%s on %s: %s %s", sc.Strategy, sc.Devices, r.Status, r.Reason)
	}
	return r
}

// Intra-op threads split work over outputs only: 1, 2 and 4 threads train
// the same weights, bit for bit.
func TestThreadCountDoesNotChangeWeights(t *testing.T) {
	want := fingerprint(t, scenario(t, "cpu:1", "single", "fast")).Fingerprint
	for _, dev := range []string{"cpu:2", "cpu:4"} {
		if got := fingerprint(t, scenario(t, dev, "single", "fast")).Fingerprint; got != want {
			t.Errorf("%s: fingerprint %s, want %s (cpu:1)", dev, got[:16], want[:16])
		}
	}
}

// Canonical reduction: one replica, two or four give the same weights.
func TestCanonicalReductionIndependentOfReplicas(t *testing.T) {
	want := fingerprint(t, scenario(t, "cpu:1", "single", "canonical")).Fingerprint
	for _, dev := range []string{"cpu:0-1", "cpu:0-3"} {
		if got := fingerprint(t, scenario(t, dev, "mirrored", "canonical")).Fingerprint; got != want {
			t.Errorf("mirrored %s canonical: fingerprint %s, want %s (single)", dev, got[:16], want[:16])
		}
	}
}

// Fast mirrored runs repeat their own fingerprint, and learn like the single run.
func TestFastMirroredRepeatsItself(t *testing.T) {
	a := fingerprint(t, scenario(t, "cpu:0-1", "mirrored", "fast"))
	b := fingerprint(t, scenario(t, "cpu:0-1", "mirrored", "fast"))
	single := fingerprint(t, scenario(t, "cpu:1", "single", "fast"))
	if a.Fingerprint != b.Fingerprint {
		t.Errorf("two fast mirrored runs: %s vs %s", a.Fingerprint[:16], b.Fingerprint[:16])
	}
	if d := a.FinalTestAccuracy() - single.FinalTestAccuracy(); d > 0.01 || d < -0.01 {
		t.Errorf("mirrored test accuracy %.4f vs single %.4f", a.FinalTestAccuracy(), single.FinalTestAccuracy())
	}
	if a.Throughput.ScalingEfficiency <= 0 {
		t.Errorf("mirrored run has no scaling efficiency: %+v", a.Throughput)
	}
}
