package hardware

import "math"

// The reference CNN's shapes (REFERENCE.md). The work model below is computed from them
// rather than typed in, so a reader can check every figure.
const (
	imageSide   = 28                                // input 28x28x1
	kernelSide  = 3                                 // conv 3x3, stride 1, valid
	convFilters = 32                                //
	convSide    = imageSide - kernelSide + 1        // 26
	poolSide    = convSide / 2                      // 13, max-pool 2x2 stride 2
	flatSize    = poolSide * poolSide * convFilters // 5408
	hiddenSize  = 128
	classes     = 10

	// ParamCount is the model's trainable parameters: 320 + 692,352 + 1,290.
	ParamCount = (kernelSide*kernelSide*convFilters + convFilters) +
		(flatSize*hiddenSize + hiddenSize) + (hiddenSize*classes + classes)

	// TrainSamples is MNIST's training set: one epoch.
	TrainSamples = 60000

	// DefaultBatch is Keras's default batch size, used by Project when given none.
	DefaultBatch = 32
)

// Multiply-accumulates per sample of each layer's forward pass.
const (
	convMACs   = convSide * convSide * convFilters * kernelSide * kernelSide // 194,688
	dense1MACs = flatSize * hiddenSize                                       // 692,224
	dense2MACs = hiddenSize * classes                                        // 1,280
)

// ForwardFLOPsPerSample is the forward pass's arithmetic, 2 FLOP per multiply-accumulate:
//
//	conv   26*26*32 outputs * 9 MACs = 194,688 MACs ->   389,376 FLOP
//	dense  5408*128                  = 692,224 MACs -> 1,384,448 FLOP
//	dense  128*10                    =   1,280 MACs ->     2,560 FLOP
//	total                                              1,776,384 FLOP (~1.78 MFLOP)
//
// Bias adds, ReLU, max-pool and softmax are left out (about 60,000 elementwise operations
// forward, 3 %, and as many backward): they are memory-bound work that no FLOP/s peak
// describes, and the 4.94 MFLOP figure quoted for this model leaves them out too.
func ForwardFLOPsPerSample() float64 {
	return 2 * float64(convMACs+dense1MACs+dense2MACs)
}

// TrainFLOPsPerSample is forward plus backward arithmetic for one training sample. Backward
// costs two forward passes per layer (one GEMM for the weight gradient dW, one for the input
// gradient dX), except the conv layer, whose input is the image and needs no dX:
//
//	forward                               1,776,384
//	backward conv   dW only  1 x 389,376 =  389,376
//	backward dense  dW + dX  2 x 1,384,448 = 2,768,896
//	backward dense  dW + dX  2 x 2,560   =    5,120
//	total                                 4,939,776 FLOP (~4.94 MFLOP)
//
// The Adam update (about 10 FLOP per parameter per step, ~0.2 MFLOP per sample at batch 32)
// is per step, not per sample, and is counted as memory traffic in TrainBytesPerStep instead.
func TrainFLOPsPerSample() float64 {
	backward := 2*float64(convMACs) + 4*float64(dense1MACs+dense2MACs)
	return ForwardFLOPsPerSample() + backward
}

// Memory traffic model, float32 (4 bytes) throughout.
const (
	// paramPassesPerStep counts how often every parameter-sized array crosses memory in one
	// step: forward reads W (1); backward reads W for dX (1) and writes the gradient (1);
	// Adam reads W, g, m, v and writes W, m, v (7). Total 10.
	paramPassesPerStep = 10

	// activationFloats is what one sample stores for the backward pass: the image, the conv
	// output, the pooled output, the hidden layer and the logits.
	activationFloats = imageSide*imageSide + convSide*convSide*convFilters + flatSize + hiddenSize + classes // 27,962

	// activationPasses: each is written (or loaded) once and read back once by backward.
	// Activation gradients are assumed to stay in cache, fused with the kernel that uses them.
	activationPasses = 2
)

// TrainBytesPerStep is the memory traffic of one training step of the given batch, a lower
// bound in the roofline's spirit (compulsory traffic, perfect caching within a kernel):
//
//	parameters  693,962 * 4 B * 10 passes  = 27,758,480 B per step
//	activations  27,962 * 4 B *  2 passes  =    223,696 B per sample
//
// At batch 32 that is about 1.09 MB per sample. Real frameworks move more; for the
// document's run the per-step overhead dwarfs both terms anyway.
func TrainBytesPerStep(batch int) float64 {
	params := float64(ParamCount) * 4 * paramPassesPerStep
	acts := float64(activationFloats) * 4 * activationPasses
	return params + acts*float64(batch)
}

// Projection is a profile's projected training speed for the reference CNN.
type Projection struct {
	ProfileID           string  `json:"profile_id"`
	Batch               int     `json:"batch"`
	ComputeUSPerSample  float64 `json:"compute_us_per_sample"`  // FLOP / FP32 peak
	MemoryUSPerSample   float64 `json:"memory_us_per_sample"`   // bytes / bandwidth; 0 if bandwidth unknown
	OverheadUSPerSample float64 `json:"overhead_us_per_sample"` // per-step overhead / batch
	USPerSample         float64 `json:"us_per_sample"`          // max(compute, memory) + overhead
	EpochSeconds        float64 `json:"epoch_seconds"`          // 60,000 samples
	Bound               string  `json:"bound"`                  // "compute", "memory" or "overhead": the largest term
}

// Project estimates the reference CNN's training time on p at the given global batch
// (DefaultBatch if batch < 1). Compute and memory overlap (roofline: the slower one counts);
// the per-step overhead does not overlap with either, because it is the framework and kernel
// launch time between them.
func Project(p Profile, batch int) Projection {
	if batch < 1 {
		batch = DefaultBatch
	}
	pr := Projection{ProfileID: p.ID, Batch: batch}
	if p.FP32PeakGFLOPS > 0 {
		// FLOP / (GFLOP/s * 1e9) s = FLOP / GFLOP/s / 1e3 us
		pr.ComputeUSPerSample = TrainFLOPsPerSample() / p.FP32PeakGFLOPS / 1e3
	}
	if p.BandwidthGBs > 0 {
		pr.MemoryUSPerSample = TrainBytesPerStep(batch) / float64(batch) / p.BandwidthGBs / 1e3
	}
	pr.OverheadUSPerSample = p.StepOverheadUS / float64(batch)
	pr.USPerSample = math.Max(pr.ComputeUSPerSample, pr.MemoryUSPerSample) + pr.OverheadUSPerSample
	pr.EpochSeconds = TrainSamples * pr.USPerSample / 1e6
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

// Efficiency turns a measured training speed into achieved GFLOP/s (at TrainFLOPsPerSample
// per sample) and the share of the given peak it is. Non-positive inputs give zeros.
func Efficiency(usPerSample, peakGFLOPS float64) (achievedGFLOPS, shareOfPeak float64) {
	if usPerSample <= 0 {
		return 0, 0
	}
	// FLOP / (us * 1e-6 s) / 1e9 = FLOP / us / 1e3
	achievedGFLOPS = TrainFLOPsPerSample() / usPerSample / 1e3
	if peakGFLOPS > 0 {
		shareOfPeak = achievedGFLOPS / peakGFLOPS
	}
	return achievedGFLOPS, shareOfPeak
}
