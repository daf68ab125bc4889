package hardware

import (
	"math"
	"slices"
	"testing"
)

func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)
}

// cnn is the reference CNN's workload as trainer states it (trainer's
// TestCost pins the same figures): the numbers the hand calculations below use.
func cnn(batch int) Workload {
	return Workload{TrainFLOPsPerSample: 4939776, ParamBytesPerStep: 27758480,
		ActivationBytesPerSample: 223696, SamplesPerEpoch: 60000, Batch: batch}
}

func TestProjectByHand(t *testing.T) {
	p := Profile{ID: "hand", Kind: "cpu", Model: "Hand", FP32PeakGFLOPS: 1000, BandwidthGBs: 100, StepOverheadUS: 320}
	got := Project(p, cnn(32))
	// compute  4,939,776 FLOP / 1000 GFLOP/s                 = 4.939776 us
	// memory   (27,758,480/32 + 223,696) B = 1,091,148.5 B / 100 GB/s = 10.911485 us
	// overhead 320 us / 32                                   = 10 us
	// total    max(4.939776, 10.911485) + 10                 = 20.911485 us
	// epoch    60,000 * 20.911485 us                         = 1.2546891 s
	want := Projection{
		ProfileID: "hand", Batch: 32,
		ComputeUSPerSample: 4.939776, MemoryUSPerSample: 10.911485, OverheadUSPerSample: 10,
		USPerSample: 20.911485, EpochSeconds: 1.2546891, Bound: "memory",
	}
	checkProjection(t, got, want)

	// Overhead-bound: a large per-step cost at batch 1.
	p.StepOverheadUS = 1000
	got = Project(p, cnn(1))
	// memory at batch 1: (27,758,480 + 223,696) B / 100 GB/s = 279.82176 us
	want = Projection{
		ProfileID: "hand", Batch: 1,
		ComputeUSPerSample: 4.939776, MemoryUSPerSample: 279.82176, OverheadUSPerSample: 1000,
		USPerSample: 1279.82176, EpochSeconds: 76.7893056, Bound: "overhead",
	}
	checkProjection(t, got, want)

	// Compute-bound, unknown bandwidth.
	p = Profile{ID: "slow", FP32PeakGFLOPS: 1}
	got = Project(p, cnn(32))
	want = Projection{ProfileID: "slow", Batch: 32, ComputeUSPerSample: 4939.776, USPerSample: 4939.776, EpochSeconds: 296.38656, Bound: "compute"}
	checkProjection(t, got, want)
}

func checkProjection(t *testing.T, got, want Projection) {
	t.Helper()
	if got.ProfileID != want.ProfileID || got.Batch != want.Batch || got.Bound != want.Bound {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"compute", got.ComputeUSPerSample, want.ComputeUSPerSample},
		{"memory", got.MemoryUSPerSample, want.MemoryUSPerSample},
		{"overhead", got.OverheadUSPerSample, want.OverheadUSPerSample},
		{"us/sample", got.USPerSample, want.USPerSample},
		{"epoch", got.EpochSeconds, want.EpochSeconds},
	} {
		if !near(f.got, f.want, 1e-12) {
			t.Errorf("%s: %s = %.10g, want %.10g", want.ProfileID, f.name, f.got, f.want)
		}
	}
}

// The 1080 Ti profile's overhead assumption exists to reproduce the document's run.
func TestProjectReproducesDocument(t *testing.T) {
	ps, err := Profiles()
	if err != nil {
		t.Fatal(err)
	}
	r, err := LookupReference("keras-mnist-mirrored")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ps, func(p Profile) bool { return p.ID == r.HardwareProfiles[0] })
	if r.HardwareProfiles[0] != "gtx-1080-ti" || i < 0 {
		t.Fatalf("the reference result's machine %v is not the gtx-1080-ti profile", r.HardwareProfiles)
	}
	pr := Project(ps[i], cnn(r.BatchSize))
	if !near(pr.USPerSample, r.SteadyUSPerSample, 0.02) || pr.Bound != "overhead" {
		t.Errorf("gtx-1080-ti: %+v; want about %g us/sample, overhead-bound", pr, r.SteadyUSPerSample)
	}
	for _, p := range ps {
		pr := Project(p, cnn(32))
		t.Logf("%-12s compute %8.3f  memory %8.3f  overhead %8.3f  = %8.3f us/sample, %7.3f s/epoch, %s-bound",
			p.ID, pr.ComputeUSPerSample, pr.MemoryUSPerSample, pr.OverheadUSPerSample, pr.USPerSample, pr.EpochSeconds, pr.Bound)
	}
}

func TestEfficiency(t *testing.T) {
	// 4,939,776 FLOP in 275 us = 17.962821... GFLOP/s; of 11,340 GFLOP/s = 0.15840...%.
	got, share := Efficiency(cnn(32), 275, 11340)
	if !near(got, 4939776.0/275/1e3, 1e-12) || !near(got, 17.96282182, 1e-9) {
		t.Errorf("achieved = %.10g GFLOP/s, want 17.96282182", got)
	}
	if !near(share, 17.96282182/11340, 1e-9) {
		t.Errorf("share = %g, want %g", share, 17.96282182/11340)
	}
	if g, s := Efficiency(cnn(32), 0, 100); g != 0 || s != 0 {
		t.Errorf("Efficiency(cnn(32), 0, 100) = %g, %g; want zeros", g, s)
	}
	if g, s := Efficiency(cnn(32), 100, 0); !near(g, 49.39776, 1e-12) || s != 0 {
		t.Errorf("Efficiency(cnn(32), 100, 0) = %g, %g; want 49.39776, 0", g, s)
	}
}
