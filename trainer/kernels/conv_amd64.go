//go:build amd64

package kernels

//go:noescape
func convPool512(x, k, pooled *float32, arg *int32)

//go:noescape
func convGrad512(x *float32, arg *int32, d, dk *float32)
