package cl

import (
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
)

// openOrSkip opens OpenCL or skips the test, saying why.
func openOrSkip(t *testing.T) *System {
	t.Helper()
	sys, err := Open()
	if err != nil {
		testdeps.Missing(t, testdeps.OpenCL, "no OpenCL here: %v", err)
	}
	return sys
}

func TestOpenListsDevices(t *testing.T) {
	sys := openOrSkip(t)
	t.Log(sys.Summary())
	for _, d := range sys.Devices {
		t.Logf("%s | %s | driver %s | %s | %s | units %d | correct div/sqrt %v | fma %v",
			d.Name, d.Vendor, d.DriverVersion, d.Version, d.CVersion, d.ComputeUnits, d.CorrectDivSqrt, d.FMA)
		if d.Name == "" {
			t.Errorf("device without a name")
		}
	}
}

const addSource = `
#pragma OPENCL FP_CONTRACT OFF
__kernel void muladd(__global float *y, __global const float *a, __global const float *b, float c, int n) {
	int i = get_global_id(0);
	if (i < n) y[i] = fma(a[i], b[i], c);
}`

// TestKernelRoundTrip builds a kernel, runs it and reads its result back,
// with a profiling event, on every device found.
func TestKernelRoundTrip(t *testing.T) {
	sys := openOrSkip(t)
	for _, d := range sys.Devices {
		runMulAdd(t, d)
	}
}

func runMulAdd(t *testing.T, d *Device) {
	c, err := NewCtx(d)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	p, err := c.Build(addSource, "-cl-std=CL1.2")
	if err != nil {
		t.Fatal(err)
	}
	defer c.ReleaseProgram(p)
	k, err := c.Kernel(p, "muladd")
	if err != nil {
		t.Fatal(err)
	}
	defer c.ReleaseKernel(k)
	const n = 100
	a, b, y := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range a {
		a[i], b[i] = float32(i)+0.1, 1+float32(i)/3
	}
	bufs := make([]Mem, 3)
	for i := range bufs {
		if bufs[i], err = c.Buffer(n); err != nil {
			t.Fatal(err)
		}
		defer c.ReleaseMem(bufs[i])
	}
	for i, src := range [][]float32{a, b} {
		ev, err := c.Write(bufs[i+1], 0, src, true)
		if err != nil {
			t.Fatal(err)
		}
		c.ReleaseEvent(ev)
	}
	if err := c.SetArgs(k, bufs[0], bufs[1], bufs[2], float32(0.5), int32(n)); err != nil {
		t.Fatal(err)
	}
	ev, err := c.Run(k, 128, 0)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := c.Read(bufs[0], 0, y)
	if err != nil {
		t.Fatal(err)
	}
	c.ReleaseEvent(rev)
	ns, err := c.Duration(ev)
	c.ReleaseEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	for i := range y {
		want := float32(float64(a[i])*float64(b[i]) + 0.5) // exact product in float64, one rounding
		if y[i] != want {
			t.Errorf("%s: y[%d] = %v, want fma's %v", d.Name, i, y[i], want)
		}
	}
	t.Logf("%s: kernel %d ns", d.Name, ns)
}

func TestBuildErrorNamesStatus(t *testing.T) {
	sys := openOrSkip(t)
	c, err := NewCtx(sys.Devices[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	_, err = c.Build("__kernel void broken( {", "")
	if err == nil {
		t.Fatal("a broken kernel built")
	}
	t.Log(err)
	if got := err.Error(); !strings.HasPrefix(got, "clBuildProgram: CL_BUILD_PROGRAM_FAILURE") {
		t.Errorf("error %q does not name clBuildProgram and CL_BUILD_PROGRAM_FAILURE", got)
	}
}

// TestVendorLibraryDirect loads pocl's ICD library without the loader, as
// NVIDIA's is loaded where no ICD file names it, and runs a kernel through
// its dispatch table.
func TestVendorLibraryDirect(t *testing.T) {
	const pocl = "libpocl.so.2"
	sys, err := OpenLibrary(pocl, true)
	if err != nil {
		testdeps.Missing(t, testdeps.OpenCL, "%s not loadable directly: %v", pocl, err)
	}
	t.Log(sys.Summary())
	if len(sys.Devices) == 0 {
		t.Fatal("no device through the dispatch table")
	}
	runMulAdd(t, sys.Devices[0])
}

func TestMissingLibraries(t *testing.T) {
	_, err := open("libOpenCL-not-here.so.1", "libnvidia-opencl-not-here.so.1")
	if err == nil {
		t.Fatal("opened libraries that do not exist")
	}
	t.Log(err)
	for _, want := range []string{"libOpenCL-not-here.so.1 not found", "libnvidia-opencl-not-here.so.1 not found"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestOpenNamed(t *testing.T) {
	if _, err := openNamed("/nonexistent/libOpenCL.so.1"); err == nil || !strings.Contains(err.Error(), LibraryEnv+"=/nonexistent/libOpenCL.so.1") {
		t.Errorf("a missing library: %v", err)
	}
	sys, err := openNamed("libpocl.so.2")
	if err != nil {
		testdeps.Missing(t, testdeps.OpenCL, "pocl not here: %v", err)
	}
	if !strings.Contains(sys.Note, "dispatch table") {
		t.Errorf("note %q does not say the vendor library was called through its dispatch table", sys.Note)
	}
}
