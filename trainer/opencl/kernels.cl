// The reference CNN's training step in OpenCL C, bit for bit the native
// engine's "fma" numerics (trainer/native, trainer/kernels): every value is
// computed by one work-item, in the native engine's order, with fma()
// exactly where its SGEMM micro-kernels fuse a multiply-add and plain
// float operations everywhere else. Nothing here depends on the work-group
// size or on how many work-items run at once: there are no float atomics
// and no reductions across work-items.
//
// No contraction: a*b + c written below is two roundings, as in the CPU
// engine's Go code; fused multiply-adds are the explicit fma() calls.
#pragma OPENCL FP_CONTRACT OFF

// Shapes (trainer/model.go).
#define SIDE   28      // input 28x28x1
#define PIX    784
#define PSIDE  13      // after 2x2 max-pool of the 26x26 conv output
#define FILT   32      // conv filters
#define PATCH  10      // 3x3 taps and the bias
#define FLAT   5408    // 13*13*32, order (h, w, c)
#define HID    128     // dense units
#define CLS    10      // classes

// Parameters and gradients are one buffer each, the six tensors in Keras's
// order and layouts (trainer.Params): the conv kernel [9][32] followed by
// its bias [32] is the native engine's kext [10][32], bias last.
#define OFF_CONVW  0
#define OFF_CONVB  288
#define OFF_DENSEW 320
#define OFF_DENSEB 692544
#define OFF_OUTW   692672
#define OFF_OUTB   693952
#define NPARAM     693962

// Conv + bias + ReLU + 2x2 max-pool, one work-item per pooled value
// (b, cell, c), i = b*FLAT + cell*FILT + c. Each of the window's four conv
// values is the native SGEMM's chain over the patch: taps in order, then the
// bias times the patch's constant 1, from +0. The first largest wins (TF's
// max-pool); arg = -1 where the max is not positive (ReLU blocks the
// gradient) - kernels.MaxPool4.
__kernel void conv_forward(__global const float *x, __global const float *p,
                           __global float *pooled, __global int *arg, int n) {
	int i = get_global_id(0);
	if (i >= n * FLAT) return;
	int b = i / FLAT, f = i % FLAT, cell = f / FILT, c = f % FILT;
	int ph = cell / PSIDE, pw = cell % PSIDE;
	__global const float *img = x + b * PIX;
	float best = 0.0f;
	int at = 0;
	for (int o = 0; o < 4; o++) {
		__global const float *in = img + (2 * ph + (o >> 1)) * SIDE + 2 * pw + (o & 1);
		float acc = 0.0f;
		for (int t = 0; t < 9; t++)
			acc = fma(in[(t / 3) * SIDE + t % 3], p[OFF_CONVW + t * FILT + c], acc);
		acc = fma(1.0f, p[OFF_CONVB + c], acc);
		if (o == 0) {
			best = acc;
		} else if (acc > best) {
			best = acc;
			at = o;
		}
	}
	if (!(best > 0.0f)) {
		best = 0.0f;
		at = -1;
	}
	pooled[i] = best;
	arg[i] = at;
}

// relu is Go's max(v, 0): +0 for -0, NaN kept.
inline float relu(float v) { return v <= 0.0f ? 0.0f : v; }

// Hidden layer, one work-item per unit u and group of DF samples: DF
// independent chains (each (b, u)'s own, from the bias, f in order) share
// each load of the kernel's row. i = group*HID + u.
#define DF 4
__kernel void dense_forward(__global const float *pooled, __global const float *p,
                            __global float *h, int n) {
	int i = get_global_id(0);
	int groups = (n + DF - 1) / DF;
	if (i >= groups * HID) return;
	int b0 = (i / HID) * DF, u = i % HID;
	__global const float *w = p + OFF_DENSEW + u;
	// Rows past n repeat the last sample; their sums are not stored.
	__global const float *x0 = pooled + min(b0, n - 1) * FLAT;
	__global const float *x1 = pooled + min(b0 + 1, n - 1) * FLAT;
	__global const float *x2 = pooled + min(b0 + 2, n - 1) * FLAT;
	__global const float *x3 = pooled + min(b0 + 3, n - 1) * FLAT;
	float bias = p[OFF_DENSEB + u];
	float a0 = bias, a1 = bias, a2 = bias, a3 = bias;
	for (int f = 0; f < FLAT; f++) {
		float wf = w[f * HID];
		a0 = fma(x0[f], wf, a0);
		a1 = fma(x1[f], wf, a1);
		a2 = fma(x2[f], wf, a2);
		a3 = fma(x3[f], wf, a3);
	}
	h[b0 * HID + u] = relu(a0);
	if (b0 + 1 < n) h[(b0 + 1) * HID + u] = relu(a1);
	if (b0 + 2 < n) h[(b0 + 2) * HID + u] = relu(a2);
	if (b0 + 3 < n) h[(b0 + 3) * HID + u] = relu(a3);
}

// Logits, one work-item per (b, k), from the bias.
__kernel void output_forward(__global const float *h, __global const float *p,
                             __global float *logits, int n) {
	int i = get_global_id(0);
	if (i >= n * CLS) return;
	int b = i / CLS, k = i % CLS;
	float acc = p[OFF_OUTB + k];
	for (int u = 0; u < HID; u++)
		acc = fma(h[b * HID + u], p[OFF_OUTW + u * CLS + k], acc);
	logits[i] = acc;
}

// The backward pass. Parameter gradients are sums over samples, formed per
// micro-shard of `micro` samples into leaf s of `leaves` ([K][NPARAM]) and
// then added pairwise, level by level (tree_add).

// Output kernel's gradient: dw[u][k] = sum_b h[b][u] * dl[b][k], one fma chain
// over the shard's samples in order.
__kernel void out_w_leaf(__global const float *h, __global const float *dl,
                         __global float *leaves, int micro, int k_shards) {
	int i = get_global_id(0);
	if (i >= k_shards * HID * CLS) return;
	int s = i / (HID * CLS), r = i % (HID * CLS), u = r / CLS, k = r % CLS;
	float acc = 0.0f;
	for (int b = s * micro; b < (s + 1) * micro; b++)
		acc = fma(h[b * HID + u], dl[b * CLS + k], acc);
	leaves[s * NPARAM + OFF_OUTW + r] = acc;
}

// Output bias's gradient: plain additions in sample order, from +0.
__kernel void out_b_leaf(__global const float *dl, __global float *leaves, int micro, int k_shards) {
	int i = get_global_id(0);
	if (i >= k_shards * CLS) return;
	int s = i / CLS, k = i % CLS;
	float acc = 0.0f;
	for (int b = s * micro; b < (s + 1) * micro; b++)
		acc = acc + dl[b * CLS + k];
	leaves[s * NPARAM + OFF_OUTB + k] = acc;
}

// Gradient at the hidden layer's output: dh[b][u] = [h > 0] * sum_k w[u][k] * dl[b][k].
__kernel void hidden_grad(__global const float *h, __global const float *p,
                          __global const float *dl, __global float *dh, int n) {
	int i = get_global_id(0);
	if (i >= n * HID) return;
	int b = i / HID, u = i % HID;
	float acc = 0.0f;
	for (int k = 0; k < CLS; k++)
		acc = fma(p[OFF_OUTW + u * CLS + k], dl[b * CLS + k], acc);
	if (h[i] <= 0.0f) acc = 0.0f;
	dh[i] = acc;
}

// Dense bias's gradient: additions in sample order.
__kernel void dense_b_leaf(__global const float *dh, __global float *leaves, int micro, int k_shards) {
	int i = get_global_id(0);
	if (i >= k_shards * HID) return;
	int s = i / HID, u = i % HID;
	float acc = 0.0f;
	for (int b = s * micro; b < (s + 1) * micro; b++)
		acc = acc + dh[b * HID + u];
	leaves[s * NPARAM + OFF_DENSEB + u] = acc;
}

// Dense kernel's gradient: dw[f][u] = sum_b x[b][f] * dh[b][u], fma chain over
// the shard's samples.
__kernel void dense_w_leaf(__global const float *pooled, __global const float *dh,
                           __global float *leaves, int micro, int k_shards) {
	int i = get_global_id(0);
	if (i >= k_shards * FLAT * HID) return;
	int s = i / (FLAT * HID), r = i % (FLAT * HID), f = r / HID, u = r % HID;
	float acc = 0.0f;
	for (int b = s * micro; b < (s + 1) * micro; b++)
		acc = fma(pooled[b * FLAT + f], dh[b * HID + u], acc);
	leaves[s * NPARAM + OFF_DENSEW + r] = acc;
}

// Gradient at the dense input: dx[b][f] = sum_u w[f][u] * dh[b][u].
__kernel void dense_dx(__global const float *p, __global const float *dh,
                       __global float *dx, int n) {
	int i = get_global_id(0);
	if (i >= n * FLAT) return;
	int b = i / FLAT, f = i % FLAT;
	__global const float *w = p + OFF_DENSEW + f * HID;
	__global const float *d = dh + b * HID;
	float acc = 0.0f;
	for (int u = 0; u < HID; u++)
		acc = fma(w[u], d[u], acc);
	dx[i] = acc;
}

// Each sample's conv kernel+bias gradient dk[b][t][c]: one fma chain over the
// 676 conv positions in the native im2col's row order (window position o,
// then the pooled cell), every position included: the gradient is dx at the
// winning position and +0 elsewhere (kernels.Unpool4).
__kernel void conv_backward(__global const float *x, __global const int *arg,
                            __global const float *dx, __global float *dk, int n) {
	int i = get_global_id(0);
	if (i >= n * PATCH * FILT) return;
	int b = i / (PATCH * FILT), r = i % (PATCH * FILT), t = r / FILT, c = r % FILT;
	__global const float *img = x + b * PIX;
	__global const int *ab = arg + b * FLAT;
	__global const float *db = dx + b * FLAT;
	int dy = t / 3, dxo = t % 3;
	float acc = 0.0f;
	for (int o = 0; o < 4; o++) {
		for (int cell = 0; cell < PSIDE * PSIDE; cell++) {
			int ph = cell / PSIDE, pw = cell % PSIDE;
			float xv = 1.0f;
			if (t < 9) xv = img[(2 * ph + (o >> 1) + dy) * SIDE + 2 * pw + (o & 1) + dxo];
			int j = cell * FILT + c;
			float g = ab[j] == o ? db[j] : 0.0f;
			acc = fma(xv, g, acc);
		}
	}
	dk[i] = acc;
}

// Conv kernel+bias gradient of a shard: additions in sample order.
__kernel void conv_leaf(__global const float *dk, __global float *leaves, int micro, int k_shards) {
	int i = get_global_id(0);
	if (i >= k_shards * PATCH * FILT) return;
	int s = i / (PATCH * FILT), r = i % (PATCH * FILT);
	float acc = 0.0f;
	for (int b = s * micro; b < (s + 1) * micro; b++)
		acc = acc + dk[b * PATCH * FILT + r];
	leaves[s * NPARAM + OFF_CONVW + r] = acc;
}

// One level of the canonical tree: leaf q*2*stride += leaf q*2*stride+stride,
// for every q, element-wise (trainer's canonicalReduction, native's treeSum).
__kernel void tree_add(__global float *leaves, int stride, int pairs) {
	int i = get_global_id(0);
	if (i >= pairs * NPARAM) return;
	int q = i / NPARAM, j = i % NPARAM;
	int dst = q * 2 * stride;
	leaves[dst * NPARAM + j] = leaves[dst * NPARAM + j] + leaves[(dst + stride) * NPARAM + j];
}

// add is dst += src element-wise over n values (kernels.Add): the
// all-reduce's addition of two devices' gradients.
__kernel void add(__global float *dst, __global const float *src, int n) {
	int i = get_global_id(0);
	if (i >= n) return;
	dst[i] = dst[i] + src[i];
}

// flush is kernels.flushSubnormal: +0 for a subnormal or zero, else x.
inline float flush(float x) { return (as_uint(x) & 0x7fffffffu) < 0x00800000u ? 0.0f : x; }

// Adam, TF's ResourceApplyAdam in kernels.Adam's order, without fusion
// (FP_CONTRACT OFF), on the gradient (g + g2 when has2) * scale. sqrt and
// the division must be correctly rounded: the program is built with
// -cl-fp32-correctly-rounded-divide-sqrt where the device reports
// CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT, and the engine does not run this
// kernel elsewhere.
__kernel void adam(__global float *w, __global float *m, __global float *v,
                   __global const float *g, __global const float *g2, int has2,
                   float scale, float lr, float omb1, float omb2, float eps, int n) {
	int i = get_global_id(0);
	if (i >= n) return;
	float gj = g[i];
	if (has2) gj = gj + g2[i];
	gj = gj * scale;
	float mj = flush(m[i] + (gj - m[i]) * omb1);
	float gg = gj * gj;
	float vj = flush(v[i] + (gg - v[i]) * omb2);
	float den = sqrt(vj) + eps;
	w[i] = w[i] - (lr * mj) / den;
	m[i] = mj;
	v[i] = vj;
}
