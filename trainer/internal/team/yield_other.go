//go:build !linux

package team

import "runtime"

// osYield lets other goroutines run; without sched_yield the OS's own
// scheduler decides when others get the core.
func osYield() { runtime.Gosched() }
