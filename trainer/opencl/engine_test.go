package opencl

import (
	"fmt"
	"math"
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
	"github.com/mirrorbench/mirrorbench/trainer/native"
)

// devicesOrSkip returns every OpenCL device, or skips the test saying why
// there is none.
func devicesOrSkip(t testing.TB) []int {
	t.Helper()
	devs, _, err := Find(KindCL)
	if err != nil {
		testdeps.Missing(t, testdeps.OpenCL, "no OpenCL device: %v", err)
	}
	ids := make([]int, len(devs))
	for i := range ids {
		ids[i] = i
	}
	return ids
}

// needFMA skips a comparison with the native engine where this CPU has no
// fma path: the engine reproduces that path's numerics only.
func needFMA(t testing.TB) {
	t.Helper()
	if kernels.Numerics(kernels.Path()) != "fma" {
		testdeps.Missing(t, testdeps.AsmPath, "the native engine runs the %s path here, not fma", kernels.Path())
	}
}

func testData(t testing.TB, n int) trainer.Batch {
	t.Helper()
	ds, err := trainer.LoadMNIST()
	if err != nil {
		t.Fatal(err)
	}
	return ds.Train.Slice(0, n)
}

func initParams(seed uint64) *trainer.Params {
	p := trainer.NewParams()
	trainer.InitKeras(p, seed)
	return p
}

// firstDiff describes where two parameter sets first differ, or "".
func firstDiff(got, want *trainer.Params) string {
	for i := range got.T {
		for j, v := range got.T[i].Data {
			w := want.T[i].Data[j]
			if math.Float32bits(v) != math.Float32bits(w) {
				return fmt.Sprintf("%s[%d] = %v (%#08x), native %v (%#08x)", got.T[i].Name, j, v, math.Float32bits(v), w, math.Float32bits(w))
			}
		}
	}
	return ""
}

// TestGradientsMatchNative compares one call's gradient and loss with the
// native engine's, bit for bit, for one shard and for micro-shard trees.
func TestGradientsMatchNative(t *testing.T) {
	ids := devicesOrSkip(t)
	needFMA(t)
	const n = 32
	b := testData(t, n)
	p := initParams(1)
	nat, err := native.New().NewReplica(trainer.ReplicaConfig{Threads: 1, MaxBatch: n})
	if err != nil {
		t.Fatal(err)
	}
	defer nat.Close()
	rep, err := New().NewReplica(trainer.ReplicaConfig{Device: KindCL, DeviceIdx: ids[len(ids)-1], MaxBatch: n})
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Close()
	for _, micro := range []int{n, 8, 1} {
		want, got := trainer.NewParams(), trainer.NewParams()
		wres, err := nat.(trainer.TreeReplica).GradientsTree(p, b, micro, want)
		if err != nil {
			t.Fatal(err)
		}
		gres, err := rep.(trainer.TreeReplica).GradientsTree(p, b, micro, got)
		if err != nil {
			t.Fatal(err)
		}
		if d := firstDiff(got, want); d != "" {
			t.Errorf("micro-shards of %d: gradients differ first at %s", micro, d)
		}
		if gres != wres {
			t.Errorf("micro-shards of %d: result %+v, native %+v", micro, gres, wres)
		}
	}
	for _, m := range []int{n, 7, 1} { // whole and partial groups of dense_forward's samples
		wres, _ := nat.Evaluate(p, b.Slice(0, m))
		gres, err := rep.Evaluate(p, b.Slice(0, m))
		if err != nil || gres != wres {
			t.Errorf("Evaluate on %d samples = %+v, %v; native %+v", m, gres, err, wres)
		}
	}
	odd := b.Slice(0, 7)
	want, got := trainer.NewParams(), trainer.NewParams()
	wres, _ := nat.Gradients(p, odd, want)
	gres, err := rep.Gradients(p, odd, got)
	if err != nil || gres != wres {
		t.Errorf("Gradients on 7 samples = %+v, %v; native %+v", gres, err, wres)
	}
	if d := firstDiff(got, want); d != "" {
		t.Errorf("7 samples: gradients differ first at %s", d)
	}
	st := rep.(*replica).Stats()
	t.Logf("%s: build %v, %d gradient calls, kernels %v, transfers %v, wall %v", rep.(*replica).Device().Name, st.BuildTime, st.Train.Calls, st.Train.Kernels, st.Train.Transfers, st.Train.Wall)
	for name, d := range st.Train.PerKernel {
		t.Logf("  %-15s %v", name, d)
	}
}
