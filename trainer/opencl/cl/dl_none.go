//go:build noopencl

package cl

import "errors"

// Built with -tags noopencl: no dynamic loading, so a CGO_ENABLED=0 binary
// stays statically linked (the arm64 tests under qemu-user need that). Open
// says why there is no OpenCL, and opencl scenarios are skipped.

var errNoOpenCL = errors.New("built with -tags noopencl: no OpenCL in this binary")

func dlopen(path string) (uintptr, error) { return 0, errNoOpenCL }

func dlsym(handle uintptr, name string) (uintptr, error) { return 0, errNoOpenCL }

func syscallN(fn uintptr, args ...uintptr) (r1, r2, err uintptr) { panic(errNoOpenCL) }
