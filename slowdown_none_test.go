//go:build !slowdown

package main

import "time"

// injectSlowdown is a no-op in normal builds; see slowdown_test.go.
func injectSlowdown(int, time.Duration) {}
