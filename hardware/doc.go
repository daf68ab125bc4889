// Package hardware knows the machine a benchmark runs on and the machines it is compared with.
//
// It does four things, and nothing else:
//
//   - Detect describes the host: CPU, caches, SIMD features, memory, kernel, cgroup CPU limit,
//     GOMAXPROCS and any NVIDIA GPUs. The CPU's model and its core and thread counts come from
//     the operating system first (on Linux /proc/cpuinfo, the online CPUs, the affinity mask,
//     the cgroup quota and the sysfs topology): in a virtual machine CPUID shows what the
//     hypervisor chooses. CPUID's brand and counts are kept beside them.
//   - Profiles and ReferenceResults return the reference machines and the document's reported
//     run. Both are JSON files embedded in the binary, each figure beside its source, so a
//     reader can check them without reading Go.
//   - Calibrate times a kernel handed in by the caller, with the shape worth timing (this
//     package knows no trainer), and the memory system, so a measured speed can be read against
//     what this host can do. Caching a calibration is the caller's business.
//   - Project estimates a workload's training time on a profile (the workload, too, is handed
//     in: the trainer states what the reference CNN costs) with a roofline model plus a per-step
//     overhead.
//
// The package is opinionated:
//
//   - A reported figure is not a measured one. The reference result says "reported" in its
//     data, and it carries its caveat (its accuracy is unusually high) as text meant to be shown.
//   - A projection is a model, not a measurement. Its per-step overheads are assumptions stated
//     in the profile data, not vendor figures. The document's GPU's overhead is fitted to the
//     document's own run (Profile.OverheadFittedTo), so that projection reproduces the reported
//     speed by construction, which is no evidence for the model; the tests check the
//     projection's arithmetic against figures worked out by hand instead.
//   - Detection never fails. A field it cannot learn stays zero or empty, and a failing
//     nvidia-smi is kept as a note beside an empty GPU list instead of an error. Where the OS
//     gives no count, CPUID's is used and the host says so (Host.ThreadsFrom, Host.CoresFrom).
//
// It imports no other package of this module.
package hardware
