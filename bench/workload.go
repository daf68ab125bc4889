package bench

import (
	"fmt"
	"sync"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
)

// Workload is the reference CNN's training cost as the hardware projections
// take it: the trainer's figures, one MNIST epoch, Keras's default batch.
func Workload() hardware.Workload {
	return hardware.Workload{
		TrainFLOPsPerSample:      trainer.TrainFLOPsPerSample,
		ParamBytesPerStep:        trainer.ParamBytesPerStep,
		ActivationBytesPerSample: trainer.ActivationBytesPerSample,
		SamplesPerEpoch:          scenarios.TrainImages,
		Batch:                    scenarios.KerasBatch,
	}
}

// addEfficiency relates the run's speed to the host's calibrated sgemm peak
// at the run's thread count.
func addEfficiency(rec *results.Record, h *hardware.Host) {
	if h == nil || h.Calibration == nil || rec.Throughput.USPerSample <= 0 {
		return
	}
	threads := max(rec.Replicas*rec.ThreadsPerReplica, 1)
	peak := h.Calibration.SgemmGFLOPS[threads]
	if peak <= 0 {
		return
	}
	w := Workload()
	achieved, share := hardware.Efficiency(w, rec.Throughput.USPerSample, peak)
	rec.Efficiency = &results.Efficiency{
		FLOPPerSample: w.TrainFLOPsPerSample, AchievedGFLOPS: achieved,
		PeakGFLOPS: peak, ShareOfPeak: share,
	}
	if share > 1 {
		distrustCalibration(h)
	}
}

var distrusted sync.Once

// distrustCalibration forgets the cached calibration of a host that a run
// has just outpaced: it was measured in a busy moment, and every later
// "% of peak" would inherit the error. The next run measures it again.
func distrustCalibration(h *hardware.Host) {
	distrusted.Do(func() {
		if err := forgetCalibration("", *h, hardware.Kernel{Name: h.Calibration.Kernel}); err == nil {
			fmt.Fprintln(Stderr, "note: this run beat the host's calibrated sgemm peak, measured in a busy moment; the next run calibrates again")
		}
	})
}
