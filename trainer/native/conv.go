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

// im2col lays out one image's 3x3 neighbourhoods as rows:
//
//	patch[oh*26+ow][ki*3+kj] = x[(oh+ki)*28 + ow+kj],  patch[.][9] = 1
func im2col(x, patch []float32) {
	x, patch = x[:side*side], patch[:convPos*patchLen]
	for oh := range convSide {
		for ow := range convSide {
			row := patch[(oh*convSide+ow)*patchLen:][:patchLen]
			in := x[oh*side+ow:]
			row[0], row[1], row[2] = in[0], in[1], in[2]
			row[3], row[4], row[5] = in[side], in[side+1], in[side+2]
			row[6], row[7], row[8] = in[2*side], in[2*side+1], in[2*side+2]
			row[9] = 1
		}
	}
}

// convForward runs conv + bias + ReLU + 2x2 max-pool for one image. kext is
// the kernel as [10][32]: rows ki*3+kj, then the bias. It keeps, for the
// backward pass, which of the four window positions won (0..3, row-major,
// the first of equal values, as TF's max-pool does).
//
//	conv[pos][c] = sum_t patch[pos][t] * kext[t][c]            (t = 0..9, bias last)
//	pooled[ph][pw][c] = max(0, max_{dy,dx} conv[(2ph+dy)*26 + 2pw+dx][c])
func convForward(x, kext, patch, conv, pooled []float32, arg []uint8) {
	im2col(x, patch)
	kernels.SgemmNN(convPos, filters, patchLen, patch, patchLen, kext, filters, conv, filters, false)
	pooled, arg = pooled[:flat], arg[:flat]
	for ph := range poolSide {
		for pw := range poolSide {
			top := conv[(2*ph*convSide+2*pw)*filters:][:2*filters]
			bot := conv[((2*ph+1)*convSide+2*pw)*filters:][:2*filters]
			out := pooled[(ph*poolSide+pw)*filters:][:filters]
			win := arg[(ph*poolSide+pw)*filters:][:filters]
			for c := range out {
				best, at := top[c], uint8(0)
				if v := top[filters+c]; v > best {
					best, at = v, 1
				}
				if v := bot[c]; v > best {
					best, at = v, 2
				}
				if v := bot[filters+c]; v > best {
					best, at = v, 3
				}
				out[c], win[c] = max(best, 0), at // ReLU commutes with max
			}
		}
	}
}

// convBackward turns one image's gradient at the pooled output into its
// share of the kernel and bias gradient, dk [10][32] (bias last).
// dPooled[f] is at dpooled[f*stride]. Max-pool sends the gradient to the
// winning position; ReLU passes it only where the winner was positive:
//
//	dconv[pos(f)][c] = dpooled[f] if pooled[f] > 0, else 0
//	dk[t][c] = sum_pos patch[pos][t] * dconv[pos][c]
func convBackward(x, patch, dconv, pooled []float32, arg []uint8, dpooled []float32, stride int, dk []float32) {
	im2col(x, patch)
	clear(dconv[:convPos*filters])
	pooled, arg = pooled[:flat], arg[:flat]
	for ph := range poolSide {
		for pw := range poolSide {
			cell := (ph*poolSide + pw) * filters
			for c := range filters {
				f := cell + c
				if pooled[f] <= 0 {
					continue
				}
				a := int(arg[f])
				pos := (2*ph+a>>1)*convSide + 2*pw + a&1
				dconv[pos*filters+c] = dpooled[f*stride]
			}
		}
	}
	kernels.SgemmTN(patchLen, filters, convPos, patch, patchLen, dconv, filters, dk, filters, false)
}
