package bench

import (
	"fmt"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/gorgoniaengine"
	"github.com/mirrorbench/mirrorbench/trainer/native"
	"github.com/mirrorbench/mirrorbench/trainer/opencl"
)

// Engines are the engines of this build, by scenario name.
var Engines = map[string]trainer.Engine{
	scenarios.EngineGorgonia: gorgoniaengine.New(),
	scenarios.EngineNative:   native.New(),
	scenarios.EngineOpenCL:   opencl.New(),
}

// engineNumerics says, for each engine's records, how its arithmetic departs
// from Keras's formulas (docs/reference.md, "One training step").
var engineNumerics = map[string]string{
	scenarios.EngineNative: "Keras's formulas in float32, rounding only: exp correctly rounded, " +
		"the batch mean's 1/N applied inside Adam (exact for a batch of 2^k), the harness's own summation orders",
	scenarios.EngineGorgonia: gorgoniaengine.Numerics,
	scenarios.EngineOpenCL:   opencl.Numerics,
	scenarios.EnginePyTorch: "Keras's formulas in float32 (bench/frameworks/PROTOCOL.md): torch's log_softmax, " +
		"exp and summation orders; Adam written out in TF's order",
}

// gpuSkipReason says exactly what is missing for a device kind that no engine
// of this build drives: the engine, and whether the GPUs are even there.
func gpuSkipReason(sc *scenarios.Scenario, d scenarios.DeviceSpec, host *hardware.Host) string {
	need := len(d.IDs)
	found := "no NVIDIA GPU found (nvidia-smi is not on PATH)"
	switch {
	case host == nil:
		found = "GPUs not detected"
	case len(host.GPUs) > 0:
		found = fmt.Sprintf("%d GPU(s) found (%s)", len(host.GPUs), host.GPUs[0].Name)
	case host.GPUNote != "":
		found = "no NVIDIA GPU found (" + host.GPUNote + ")"
	}
	reason := fmt.Sprintf("engine %q has no %s support in this build; devices %s", sc.Engine, d.Kind, d.String())
	if need > 0 {
		reason += fmt.Sprintf(" need %d GPU(s), %s", need, found)
	} else {
		reason += ": " + found
	}
	return reason
}
