package hardware

import "math"

// Workload is what training one model costs, as the model's owner states it
// (the trainer derives the reference CNN's from its shapes): this package
// knows machines, not models.
type Workload struct {
	TrainFLOPsPerSample      float64 // forward + backward arithmetic per sample
	ParamBytesPerStep        float64 // memory traffic per step that does not grow with the batch
	ActivationBytesPerSample float64 // memory traffic per sample
	SamplesPerEpoch          int
	Batch                    int // the global batch projections assume
}

// Projection is a profile's projected training speed for a workload.
type Projection struct {
	ProfileID           string  `json:"profile_id"`
	Batch               int     `json:"batch"`
	ComputeUSPerSample  float64 `json:"compute_us_per_sample"`  // FLOP / FP32 peak
	MemoryUSPerSample   float64 `json:"memory_us_per_sample"`   // bytes / bandwidth; 0 if bandwidth unknown
	OverheadUSPerSample float64 `json:"overhead_us_per_sample"` // per-step overhead / batch
	USPerSample         float64 `json:"us_per_sample"`          // max(compute, memory) + overhead
	EpochSeconds        float64 `json:"epoch_seconds"`          // one epoch of the workload
	Bound               string  `json:"bound"`                  // "compute", "memory" or "overhead": the largest term
}

// Project estimates w's training time on p at w's batch. Compute and memory
// overlap (roofline: the slower one counts); the per-step overhead does not
// overlap with either, because it is the framework and kernel launch time
// between them.
func Project(p Profile, w Workload) Projection {
	batch := max(w.Batch, 1)
	pr := Projection{ProfileID: p.ID, Batch: batch}
	if p.FP32PeakGFLOPS > 0 {
		// FLOP / (GFLOP/s * 1e9) s = FLOP / GFLOP/s / 1e3 us
		pr.ComputeUSPerSample = w.TrainFLOPsPerSample / p.FP32PeakGFLOPS / 1e3
	}
	if p.BandwidthGBs > 0 {
		bytesPerSample := w.ParamBytesPerStep/float64(batch) + w.ActivationBytesPerSample
		pr.MemoryUSPerSample = bytesPerSample / p.BandwidthGBs / 1e3
	}
	pr.OverheadUSPerSample = p.StepOverheadUS / float64(batch)
	pr.USPerSample = math.Max(pr.ComputeUSPerSample, pr.MemoryUSPerSample) + pr.OverheadUSPerSample
	pr.EpochSeconds = float64(w.SamplesPerEpoch) * pr.USPerSample / 1e6
	pr.Bound = bound(pr)
	return pr
}

// bound names the largest term; ties go to compute, then memory.
func bound(pr Projection) string {
	switch {
	case pr.OverheadUSPerSample > math.Max(pr.ComputeUSPerSample, pr.MemoryUSPerSample):
		return "overhead"
	case pr.MemoryUSPerSample > pr.ComputeUSPerSample:
		return "memory"
	default:
		return "compute"
	}
}

// Efficiency turns a measured training speed into achieved GFLOP/s (at w's
// FLOP per sample) and the share of the given peak it is. Non-positive inputs
// give zeros.
func Efficiency(w Workload, usPerSample, peakGFLOPS float64) (achievedGFLOPS, shareOfPeak float64) {
	if usPerSample <= 0 {
		return 0, 0
	}
	// FLOP / (us * 1e-6 s) / 1e9 = FLOP / us / 1e3
	achievedGFLOPS = w.TrainFLOPsPerSample / usPerSample / 1e3
	if peakGFLOPS > 0 {
		shareOfPeak = achievedGFLOPS / peakGFLOPS
	}
	return achievedGFLOPS, shareOfPeak
}
