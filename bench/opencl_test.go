package bench

import (
	"context"
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
	"github.com/mirrorbench/mirrorbench/trainer/opencl"
)

// The CI scenario, cut to 320 images: its record names the OpenCL devices
// and their per-step times, and its weights are those of the native
// engine's mirrored-cpu2-canonical on the same images (fma numerics).
func TestOpenCLScenarioRecord(t *testing.T) {
	if _, _, err := opencl.Find(opencl.KindCL); err != nil {
		testdeps.Missing(t, testdeps.OpenCL, "no OpenCL device: %v", err)
	}
	sc, err := scenarios.Lookup("opencl-cl2")
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Epochs: 1, TrainLimit: 320}
	r := testEnv.Run(context.Background(), sc, opt)
	if r.Status == results.StatusSkipped {
		testdeps.Missing(t, testdeps.OpenCL2, "opencl-cl2 skipped: %s", r.Reason)
	}
	if r.Status == results.StatusFailed {
		t.Fatalf("failed: %s", r.Reason)
	}
	o := r.OpenCL
	if o == nil || len(o.Replicas) != 2 || o.Library == "" || o.BuildOptions == "" {
		t.Fatalf("record's opencl block: %+v", o)
	}
	for _, rep := range o.Replicas {
		if rep.Device == "" || rep.Steps != 10 || rep.KernelSecondsPerStep <= 0 || rep.HostSecondsPerStep < rep.KernelSecondsPerStep/2 ||
			rep.KernelSeconds["dense_forward"] <= 0 || rep.UploadBytesPerStep < 4*693962 {
			t.Errorf("replica figures: %+v", rep)
		}
	}
	if kernels.Numerics(kernels.Path()) != "fma" {
		return
	}
	cpu, err := scenarios.Lookup("mirrored-cpu2-canonical")
	if err != nil {
		t.Fatal(err)
	}
	want := testEnv.Run(context.Background(), cpu, opt)
	if r.Fingerprint != want.Fingerprint {
		t.Errorf("fingerprint %s, native mirrored-cpu2-canonical %s", r.Fingerprint, want.Fingerprint)
	}
}
