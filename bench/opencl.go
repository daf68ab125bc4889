package bench

import (
	"fmt"
	"strings"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/opencl"
	"github.com/mirrorbench/mirrorbench/trainer/opencl/cl"
)

// openclDevices resolves an opencl scenario's devices against the OpenCL
// devices found here: the device index of each replica, or why the
// scenario cannot run (no library, no platform, too few devices), naming
// what was found.
func openclDevices(sc *scenarios.Scenario, d scenarios.DeviceSpec) ([]int, string) {
	devs, sys, err := opencl.Find(d.Kind)
	if err != nil {
		return nil, fmt.Sprintf("engine opencl, devices %s: %v", d.String(), err)
	}
	noun := "GPU(s)"
	if d.Kind == scenarios.DeviceCL {
		noun = "OpenCL device(s)"
	}
	if d.All {
		ids := make([]int, len(devs))
		for i := range ids {
			ids[i] = i
		}
		if sc.GlobalBatch%len(ids) != 0 {
			return nil, fmt.Sprintf("engine opencl, devices %s: %d %s found, which do not divide global_batch %d", d.String(), len(ids), noun, sc.GlobalBatch)
		}
		if sc.Reduction == scenarios.ReductionCanonical && (sc.GlobalBatch/sc.MicroShard)%len(ids) != 0 {
			return nil, fmt.Sprintf("engine opencl, devices %s: %d %s found, which do not divide the %d micro-shards", d.String(), len(ids), noun, sc.GlobalBatch/sc.MicroShard)
		}
		return ids, ""
	}
	for _, id := range d.IDs {
		if id >= len(devs) {
			return nil, fmt.Sprintf("engine opencl, devices %s: %s %d not found, %d %s found (%s)", d.String(), d.Kind, id, len(devs), noun, sys.Summary())
		}
	}
	return d.IDs, ""
}

// openclRecord describes an opencl run's devices and per-step device times.
func openclRecord(tr *trainer.Trainer, ids []int) *results.OpenCL {
	sys, err := cl.Open()
	if err != nil {
		return nil
	}
	out := &results.OpenCL{Library: sys.Library, Note: sys.Note}
	var opts []string
	for i, rep := range tr.Replicas() {
		r, ok := rep.(opencl.Reporter)
		if !ok {
			continue
		}
		d, st := r.Device(), r.Stats()
		if o := opencl.BuildOptions(d); !strings.Contains(strings.Join(opts, "|"), o) {
			opts = append(opts, o)
		}
		rr := results.OpenCLReplica{
			Device: d.Name, Type: d.TypeName(), Vendor: d.Vendor,
			Platform: d.Platform.Name, PlatformVersion: d.Platform.Version,
			DeviceVersion: d.Version, DriverVersion: d.DriverVersion, CVersion: d.CVersion,
			ComputeUnits: int(d.ComputeUnits), CorrectlyRoundedDivSqrt: d.CorrectDivSqrt,
			BuildSeconds: st.BuildTime.Seconds(),
			Steps:        st.Train.Calls, EvalCalls: st.Eval.Calls, EvalKernelSeconds: st.Eval.Kernels.Seconds(),
			KernelSeconds: map[string]float64{},
		}
		if i < len(ids) {
			rr.DeviceIndex = ids[i]
		}
		if n := st.Train.Calls; n > 0 {
			rr.HostSecondsPerStep = st.Train.Wall.Seconds() / float64(n)
			rr.KernelSecondsPerStep = st.Train.Kernels.Seconds() / float64(n)
			rr.TransferSecondsPerStep = st.Train.Transfers.Seconds() / float64(n)
			rr.UploadBytesPerStep = st.Train.Upload / int64(n)
			rr.DownloadBytesPerStep = st.Train.Download / int64(n)
			for k, v := range st.Train.PerKernel {
				rr.KernelSeconds[k] = v.Seconds() / float64(n)
			}
		}
		out.Replicas = append(out.Replicas, rr)
	}
	out.BuildOptions = strings.Join(opts, "; ")
	return out
}
