package trainer

// The reference CNN's cost, derived from its shapes rather than typed in, so
// a reader can check every figure. hardware's roofline projection and
// calibration take these as their workload (that package knows machines, not
// models).

// ParamCount is the model's trainable parameters: 320 + 692,352 + 1,290.
const ParamCount = (ConvKernel*ConvKernel*ConvFilters + ConvFilters) +
	(Flat*Hidden + Hidden) + (Hidden*Classes + Classes)

// Multiply-accumulates per sample of each layer's forward pass.
const (
	convMACs   = ConvSide * ConvSide * ConvFilters * ConvKernel * ConvKernel // 194,688
	denseMACs  = Flat * Hidden                                               // 692,224
	outputMACs = Hidden * Classes                                            // 1,280
)

// ForwardFLOPsPerSample is the forward pass's arithmetic, 2 FLOP per
// multiply-accumulate:
//
//	conv   26*26*32 outputs * 9 MACs = 194,688 MACs ->   389,376 FLOP
//	dense  5408*128                  = 692,224 MACs -> 1,384,448 FLOP
//	dense  128*10                    =   1,280 MACs ->     2,560 FLOP
//	total                                              1,776,384 FLOP (~1.78 MFLOP)
//
// Bias adds, ReLU, max-pool and softmax are left out (about 60,000
// element-wise operations forward, 3 %, and as many backward): they are
// memory-bound work that no FLOP/s peak describes, and the 4.94 MFLOP figure
// quoted for this model leaves them out too.
const ForwardFLOPsPerSample = 2 * (convMACs + denseMACs + outputMACs)

// TrainFLOPsPerSample is forward plus backward arithmetic for one training
// sample. Backward costs two forward passes per layer (one GEMM for the weight
// gradient dW, one for the input gradient dX), except the conv layer, whose
// input is the image and needs no dX:
//
//	forward                                 1,776,384
//	backward conv   dW only  1 x   389,376 =   389,376
//	backward dense  dW + dX  2 x 1,384,448 = 2,768,896
//	backward dense  dW + dX  2 x     2,560 =     5,120
//	total                                   4,939,776 FLOP (~4.94 MFLOP)
//
// The Adam update (about 10 FLOP per parameter per step, ~0.2 MFLOP per
// sample at batch 32) is per step, not per sample, and is counted as memory
// traffic in ParamBytesPerStep instead.
const TrainFLOPsPerSample = ForwardFLOPsPerSample + 2*convMACs + 4*(denseMACs+outputMACs)

// Memory traffic of a training step, float32 (4 bytes) throughout: a lower
// bound in the roofline's spirit (compulsory traffic, perfect caching within
// a kernel).
const (
	// paramPassesPerStep counts how often every parameter-sized array crosses
	// memory in one step: forward reads W (1); backward reads W for dX (1)
	// and writes the gradient (1); Adam reads W, g, m, v and writes W, m, v
	// (7). Total 10.
	paramPassesPerStep = 10

	// activationFloats is what one sample stores for the backward pass: the
	// image, the conv output, the pooled output, the hidden layer and the
	// logits (27,962).
	activationFloats = ImagePixels + ConvSide*ConvSide*ConvFilters + Flat + Hidden + Classes

	// activationPasses: each is written (or loaded) once and read back once
	// by backward. Activation gradients are assumed to stay in cache, fused
	// with the kernel that uses them.
	activationPasses = 2

	// ParamBytesPerStep is the per-step traffic that does not grow with the
	// batch: 693,962 * 4 B * 10 passes = 27,758,480 B.
	ParamBytesPerStep = ParamCount * 4 * paramPassesPerStep

	// ActivationBytesPerSample is the traffic that grows with the batch:
	// 27,962 * 4 B * 2 passes = 223,696 B.
	ActivationBytesPerSample = activationFloats * 4 * activationPasses
)

// DenseGEMM is the shape (m, n, k) of the dense layer's forward GEMM at a
// batch: [batch x 5408]·[5408 x 128]. With its two backward siblings it holds
// 84 % of the model's arithmetic and 99.7 % of its weights: the kernel worth
// calibrating a host with.
func DenseGEMM(batch int) (m, n, k int) { return batch, Hidden, Flat }
