package history

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// noise draws a multiplicative factor with mean about 1 and the given
// coefficient of variation.
type noise func(rng *rand.Rand, cv float64) float64

// logNormal has coefficient of variation cv exactly.
func logNormal(rng *rand.Rand, cv float64) float64 {
	s := math.Sqrt(math.Log1p(cv * cv))
	return math.Exp(s*rng.NormFloat64() - s*s/2)
}

// gaussian is 1 + cv·N(0, 1), kept positive.
func gaussian(rng *rand.Rand, cv float64) float64 {
	return max(1+cv*rng.NormFloat64(), 1e-3)
}

// stepSeries is before points at 1000 and after points at 1000·ratio, each
// times independent noise, drawn from a PCG seeded with seed.
func stepSeries(seed uint64, before, after int, ratio, cv float64, nz noise) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0xdecafbad))
	v := make([]float64, before+after)
	for i := range v {
		level := 1000.0
		if i >= before {
			level *= ratio
		}
		v[i] = level * nz(rng, cv)
	}
	return v
}

// trial is what Detect found in one synthetic series with a step at an
// index.
type trial struct {
	changes int // changes reported
	err     int // distance from the step to the nearest change
}

// runTrials runs Detect on the series gen makes from seeds 0 to trials−1,
// in parallel, and returns the outcomes in seed order.
func runTrials(trials, at int, opt Options, gen func(seed uint64) []float64) []trial {
	out := make([]trial, trials)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				out[i] = judge(Detect(gen(uint64(i)), opt), at)
			}
		})
	}
	for i := range trials {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func judge(changes []Change, at int) trial {
	t := trial{changes: len(changes), err: math.MaxInt}
	for _, c := range changes {
		t.err = min(t.err, abs(c.Index-at))
	}
	return t
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
