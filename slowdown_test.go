//go:build slowdown

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// With -tags slowdown, MIRRORBENCH_SLOWDOWN adds known work to every timed
// step of BenchmarkTrain, to measure what `compare` can detect:
//
//	uniform:F  every step spins F times its own duration longer (F=0.05: +5 %)
//	lumpy:N    every N-th step spins as long again as it took (one step in N
//	           done twice: +1/N on average, the median unchanged)
//
// Normal builds compile slowdown_none_test.go instead: nothing is added.
var slowdown = parseSlowdown(os.Getenv("MIRRORBENCH_SLOWDOWN"))

type slowdownSpec struct {
	uniform float64
	every   int
}

func parseSlowdown(s string) slowdownSpec {
	kind, val, _ := strings.Cut(s, ":")
	switch kind {
	case "":
		return slowdownSpec{}
	case "uniform":
		if f, err := strconv.ParseFloat(val, 64); err == nil && f >= 0 {
			return slowdownSpec{uniform: f}
		}
	case "lumpy":
		if n, err := strconv.Atoi(val); err == nil && n > 0 {
			return slowdownSpec{every: n}
		}
	}
	panic(fmt.Sprintf("MIRRORBENCH_SLOWDOWN=%q: want uniform:F or lumpy:N", s))
}

func injectSlowdown(step int, took time.Duration) {
	extra := time.Duration(slowdown.uniform * float64(took))
	if slowdown.every > 0 && step%slowdown.every == slowdown.every-1 {
		extra += took
	}
	spin(extra)
}

// spin keeps the CPU busy for d, as real work would (sleeping would free the
// core and change what is measured). It does arithmetic between reads of the
// clock, so that, like a step's, its instructions grow with the time it
// takes also where they are counted: under valgrind (bench/internal/counted)
// a read of the clock is mostly runtime and vDSO code, which counts leave
// out, and a loop of reads alone counted as a tenth of the work it stands
// for (docs/compare.md). Natively a round of arithmetic takes about 1 µs.
func spin(d time.Duration) {
	x := uint64(1)
	for t0 := time.Now(); time.Since(t0) < d; {
		for range 1000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	spinSink = x
}

// spinSink keeps spin's arithmetic from being optimised away.
var spinSink uint64
