//go:build !amd64

package kernels

import "unsafe"

// Without AVX2 (simdPool is false) MaxPool4, Unpool4 and Transpose never call
// these; they exist so that pool.go and transpose.go build everywhere.

func maxPool4AVX(x, pooled *float32, arg *int32, n int) { panic("kernels: no assembly pool") }

func unpool4AVX(arg *int32, d *float32, stride int, grad *float32, n int) {
	panic("kernels: no assembly pool")
}

func transpose8AVX(src unsafe.Pointer, lds uintptr, dst unsafe.Pointer, ldd uintptr) {
	panic("kernels: no assembly transpose")
}
