//go:build !amd64

package kernels

// Without AVX-512 DirectConv is false and ConvPool and ConvGrad never call
// these; they exist so that conv.go builds everywhere.

func convPool512(x, k, pooled *float32, arg *int32) { panic("kernels: no direct convolution") }

func convGrad512(x *float32, arg *int32, d, dk *float32) { panic("kernels: no direct convolution") }
