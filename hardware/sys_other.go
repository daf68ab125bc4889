//go:build !linux && !darwin

package hardware

// Memory size and kernel release are left unknown on other systems, and the CPU fields keep
// what the cpuid package reports: the benchmarks run on Linux and macOS, and an unknown field
// is reported as such rather than guessed.

func memoryBytes() uint64 { return 0 }

func kernelRelease() string { return "" }

func hostOSCPUs() osCPUs { return osCPUs{} }
