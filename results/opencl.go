package results

// OpenCL is what engine opencl ran on and where its time went: the OpenCL
// library and how it was found, each replica's device, the kernels' build
// options, and per training step each replica's device time (from the
// queue's profiling events) beside its host wall time and transfers.
type OpenCL struct {
	Library string `json:"library"` // the library dlopen opened
	// Note says how the library was found when it was not the ICD loader's
	// plain route (NVIDIA's library loaded directly, no ICD file naming it).
	Note         string          `json:"note,omitempty"`
	BuildOptions string          `json:"build_options"`
	Replicas     []OpenCLReplica `json:"replicas"`
}

// OpenCLReplica is one replica's device and its per-step figures: means
// over the run's training steps (warm-up included), in seconds.
type OpenCLReplica struct {
	DeviceIndex     int    `json:"device_index"` // in the scenario's kind (gpu: or cl:)
	Device          string `json:"device"`
	Type            string `json:"type"` // gpu, cpu, accelerator
	Vendor          string `json:"vendor"`
	Platform        string `json:"platform"`
	PlatformVersion string `json:"platform_version"`
	DeviceVersion   string `json:"device_version"` // CL_DEVICE_VERSION
	DriverVersion   string `json:"driver_version"`
	CVersion        string `json:"opencl_c_version"`
	ComputeUnits    int    `json:"compute_units"`
	// CorrectlyRoundedDivSqrt is CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT.
	CorrectlyRoundedDivSqrt bool    `json:"correctly_rounded_divide_sqrt"`
	BuildSeconds            float64 `json:"build_seconds"` // compiling the kernels (host wall time)

	Steps                  int                `json:"steps"`
	HostSecondsPerStep     float64            `json:"host_seconds_per_step"`     // the replica's call, wall time
	KernelSecondsPerStep   float64            `json:"kernel_seconds_per_step"`   // all kernels, device time
	TransferSecondsPerStep float64            `json:"transfer_seconds_per_step"` // copies, device time
	UploadBytesPerStep     int64              `json:"upload_bytes_per_step"`
	DownloadBytesPerStep   int64              `json:"download_bytes_per_step"`
	KernelSeconds          map[string]float64 `json:"kernel_seconds_per_step_by_kernel"`
	EvalCalls              int                `json:"eval_calls"`
	EvalKernelSeconds      float64            `json:"eval_kernel_seconds"` // all evaluation calls
}
