//go:build !unix

package main

import "time"

// processCPU is unknown here: BenchmarkTrain then reports no cpu-ns/sample.
func processCPU() time.Duration { return 0 }
