package native

import (
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// Shapes of the convolution stage, per sample.
const (
	side     = trainer.ImageSide                       // 28: input is side x side x 1
	convSide = trainer.ConvSide                        // 26: valid 3x3 convolution
	convPos  = convSide * convSide                     // 676 output positions
	filters  = trainer.ConvFilters                     // 32 output channels
	taps     = trainer.ConvKernel * trainer.ConvKernel // 9 kernel taps
	patchLen = taps + 1                                // the taps and a constant 1 that carries the bias
	poolSide = trainer.PoolSide                        // 13 after 2x2 max-pool
	flat     = trainer.Flat                            // 5408 = 13*13*32, order (h, w, c)
)

// im2col lays out one image's 3x3 neighbourhoods as rows, ordered by the
// max-pool window: row o*169 + ph*13 + pw is output position
// (oh, ow) = (2ph + o/2, 2pw + o%2), so the four positions of each window lie
// in four contiguous blocks and pooling is element-wise over the blocks.
//
//	patch[row][ki*3+kj] = x[(oh+ki)*28 + ow+kj],  patch[row][9] = 1
func im2col(x, patch []float32) {
	x, patch = x[:side*side], patch[:convPos*patchLen]
	for o := range 4 {
		for ph := range poolSide {
			for pw := range poolSide {
				row := patch[((o*poolSide+ph)*poolSide+pw)*patchLen:][:patchLen]
				in := x[(2*ph+o>>1)*side+2*pw+o&1:]
				row[0], row[1], row[2] = in[0], in[1], in[2]
				row[3], row[4], row[5] = in[side], in[side+1], in[side+2]
				row[6], row[7], row[8] = in[2*side], in[2*side+1], in[2*side+2]
				row[9] = 1
			}
		}
	}
}

// convForward runs conv + bias + ReLU + 2x2 max-pool for one image. kext is
// the kernel as [10][32]: rows ki*3+kj, then the bias. arg keeps, for the
// backward pass, which window position won (the first of equal values, as
// TF's max-pool does), or -1 where ReLU blocks the gradient.
//
//	conv[o][cell][c] = sum_t patch[o][cell][t] * kext[t][c]     (t = 0..9, bias last)
//	pooled[cell][c]  = max(0, max_o conv[o][cell][c])           (cell = ph*13+pw)
//
// Where package kernels has a direct convolution (kernels.DirectConv), one
// pass over the image computes the same bits without patch and conv.
func convForward(x, kext, patch, conv, pooled []float32, arg []int32) {
	if kernels.DirectConv() {
		kernels.ConvPool(x, kext, pooled, arg)
		return
	}
	im2col(x, patch)
	kernels.SgemmNN(convPos, filters, patchLen, patch, patchLen, kext, filters, conv, filters, false)
	kernels.MaxPool4(conv, pooled[:flat], arg[:flat])
}

// convBackward turns one image's gradient at the pooled output into its
// share of the kernel and bias gradient, dk [10][32] (bias last).
// Max-pool sends the gradient to the
// winning position, and ReLU only where the winner was positive:
//
//	dconv[o][f] = dpooled[f] if arg[f] == o, else 0
//	dk[t][c]    = sum_{o,cell} patch[o][cell][t] * dconv[o][cell][c]
//
// kernels.ConvGrad, where it runs, computes the same bits in one pass.
func convBackward(x, patch, dconv []float32, arg []int32, dpooled []float32, dk []float32) {
	if kernels.DirectConv() {
		kernels.ConvGrad(x, arg, dpooled, dk)
		return
	}
	im2col(x, patch)
	kernels.Unpool4(arg[:flat], dpooled[:flat], 1, dconv)
	kernels.SgemmTN(patchLen, filters, convPos, patch, patchLen, dconv, filters, dk, filters, false)
}
