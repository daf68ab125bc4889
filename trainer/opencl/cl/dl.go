//go:build !noopencl

package cl

import "github.com/ebitengine/purego"

// The three calls into the dynamic loader, through purego. Building with
// -tags noopencl leaves them (and purego) out: dl_none.go.

func dlopen(path string) (uintptr, error) {
	return purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
}

func dlsym(handle uintptr, name string) (uintptr, error) { return purego.Dlsym(handle, name) }

// syscallN calls the C function fn. Pointers passed as uintptr(unsafe.Pointer(p))
// stay valid for the call, as with syscall.Syscall.
//
//go:uintptrescapes
func syscallN(fn uintptr, args ...uintptr) (r1, r2, err uintptr) {
	return purego.SyscallN(fn, args...)
}
