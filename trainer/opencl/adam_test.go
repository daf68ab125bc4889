package opencl

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
	"github.com/mirrorbench/mirrorbench/trainer/opencl/cl"
)

// TestAdamAndAddKernels runs the adam and add kernels on every OpenCL
// device and compares them, bit for bit, with kernels.Adam, kernels.AdamSum
// and kernels.Add on the host: values spread over many magnitudes, moments
// near the subnormal range (flushed to +0), steps 1 and 1000.
func TestAdamAndAddKernels(t *testing.T) {
	devs, _, err := Find(KindCL)
	if err != nil {
		testdeps.Missing(t, testdeps.OpenCL, "no OpenCL device: %v", err)
	}
	const n = 4099
	rng := rand.New(rand.NewPCG(1, 2))
	val := func() float32 {
		v := float32(math.Ldexp(rng.Float64(), -rng.IntN(140)))
		if rng.IntN(2) == 0 {
			v = -v
		}
		return v
	}
	w, m, v, g, g2 := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range w {
		w[i], m[i], v[i], g[i], g2[i] = val(), val(), float32(math.Abs(float64(val()))), val(), val()
	}
	for _, d := range devs {
		if !d.CorrectDivSqrt {
			t.Logf("%s: no correctly rounded divide and sqrt: Adam's kernel is not used there", d.Name)
			continue
		}
		c, err := cl.NewCtx(d)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		prog, err := c.Build(Source, BuildOptions(d))
		if err != nil {
			t.Fatal(err)
		}
		defer c.ReleaseProgram(prog)
		adam, err := c.Kernel(prog, "adam")
		if err != nil {
			t.Fatal(err)
		}
		defer c.ReleaseKernel(adam)
		add, err := c.Kernel(prog, "add")
		if err != nil {
			t.Fatal(err)
		}
		defer c.ReleaseKernel(add)
		bufs := make([]cl.Mem, 5)
		for i := range bufs {
			if bufs[i], err = c.Buffer(n); err != nil {
				t.Fatal(err)
			}
			defer c.ReleaseMem(bufs[i])
		}
		for _, step := range []int{1, 1000} {
			for _, has2 := range []int32{0, 1} {
				s := trainer.TFAdamStep(trainer.AdamConfig{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}, step)
				s.GradScale = 1.0 / 32
				hw, hm, hv := clone(w), clone(m), clone(v)
				if has2 == 1 {
					kernels.AdamSum(hw, hm, hv, g, g2, s)
				} else {
					kernels.Adam(hw, hm, hv, g, s)
				}
				for i, src := range [][]float32{w, m, v, g, g2} {
					if _, err := c.Write(bufs[i], 0, src, true); err != nil {
						t.Fatal(err)
					}
				}
				if err := c.SetArgs(adam, bufs[0], bufs[1], bufs[2], bufs[3], bufs[4], has2,
					s.GradScale, s.LR, s.OneMinusBeta1, s.OneMinusBeta2, s.Epsilon, int32(n)); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Run(adam, (n+63)/64*64, 64); err != nil {
					t.Fatal(err)
				}
				dw, dm, dv := make([]float32, n), make([]float32, n), make([]float32, n)
				for i, dst := range [][]float32{dw, dm, dv} {
					if _, err := c.Read(bufs[i], 0, dst); err != nil {
						t.Fatal(err)
					}
				}
				for _, x := range []struct {
					name      string
					got, want []float32
				}{{"w", dw, hw}, {"m", dm, hm}, {"v", dv, hv}} {
					if i := firstBitDiff(x.got, x.want); i >= 0 {
						t.Errorf("%s: adam step %d, has2 %d: %s[%d] = %v, host %v", d.Name, step, has2, x.name, i, x.got[i], x.want[i])
					}
				}
			}
		}
		// add: dst += src.
		hd := clone(g)
		kernels.Add(hd, g2)
		if _, err := c.Write(bufs[3], 0, g, true); err != nil {
			t.Fatal(err)
		}
		if err := c.SetArgs(add, bufs[3], bufs[4], int32(n)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Run(add, (n+63)/64*64, 64); err != nil {
			t.Fatal(err)
		}
		dd := make([]float32, n)
		if _, err := c.Read(bufs[3], 0, dd); err != nil {
			t.Fatal(err)
		}
		if i := firstBitDiff(dd, hd); i >= 0 {
			t.Errorf("%s: add [%d] = %v, host %v", d.Name, i, dd[i], hd[i])
		}
	}
}

func clone(x []float32) []float32 { return append([]float32(nil), x...) }

func firstBitDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}
