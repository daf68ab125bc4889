package results

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Benchmark-format units written for every run. ns/sample rather than
// us/sample: benchstat rescales only ns-based units.
const (
	UnitSamplesPerSec = "samples/s"
	UnitNsPerSample   = "ns/sample"
	// UnitCPUNsPerSample is the process's CPU time per sample (all threads),
	// which BenchmarkTrain reports and compare prefers; run records do not
	// carry it.
	UnitCPUNsPerSample = "cpu-ns/sample"
	UnitTestAcc        = "test-acc"
	UnitSecToTarget    = "sec-to-target"
)

var unitBetter = []struct{ unit, better string }{
	{UnitSamplesPerSec, "higher"},
	{UnitNsPerSample, "lower"},
	{UnitTestAcc, "higher"},
	{UnitSecToTarget, "lower"},
}

// Units lists the units a run writes, in the order of the file's metadata.
func Units() []string {
	units := make([]string, len(unitBetter))
	for i, u := range unitBetter {
		units[i] = u.unit
	}
	return units
}

// UnitBetter says whether higher (+1) or lower (-1) values of a unit in
// Units are better; 0 for any other unit.
func UnitBetter(unit string) int {
	for _, u := range unitBetter {
		if u.unit == unit {
			if u.better == "higher" {
				return 1
			}
			return -1
		}
	}
	return 0
}

// BenchName is the benchmark name of a run, shared with `go test -bench .` at
// the root so both compare: Train/scenario=S/engine=E/devices=D/replicas=R.
func BenchName(scenario, engine, devices string, replicas int) string {
	return fmt.Sprintf("Train/scenario=%s/engine=%s/devices=%s/replicas=%d",
		scenario, engine, BenchDevices(devices), replicas)
}

// BenchDevices rewrites a devices string so that no name part ends in
// "-digits" (benchfmt would read it as a GOMAXPROCS suffix): cpu:0-1 becomes
// cpu0..1, gpu:0,1 becomes gpu0+1.
func BenchDevices(d string) string {
	return strings.NewReplacer(":", "", "-", "..", ",", "+").Replace(d)
}

// BenchFile renders runs in the Go benchmark format: file configuration lines,
// unit metadata, then one result line per finished run (skipped, failed and
// interrupted runs have no steady-state figures and are left out).
func BenchFile(records []*Record, cpu string) []byte {
	var buf bytes.Buffer
	w := benchfmt.NewWriter(&buf)
	for _, u := range unitBetter {
		w.Write(&benchfmt.UnitMetadata{
			UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u.unit, Key: "better"},
			OrigUnit:        u.unit, Value: u.better,
		})
	}
	for _, r := range records {
		if res := benchResult(r, cpu); res != nil {
			w.Write(res)
		}
	}
	return buf.Bytes()
}

func benchResult(r *Record, cpu string) *benchfmt.Result {
	if (r.Status != StatusOK && r.Status != StatusTargetMissed) || r.Throughput.Steps == 0 {
		return nil
	}
	res := &benchfmt.Result{
		Name:  benchfmt.Name(BenchName(r.Scenario, r.Engine, r.Devices, r.Replicas)),
		Iters: r.Throughput.Steps,
		Values: []benchfmt.Value{
			{Value: r.Throughput.SamplesPerSecond, Unit: UnitSamplesPerSec},
			{Value: 1e3 * r.Throughput.USPerSample, Unit: UnitNsPerSample},
			{Value: r.FinalTestAccuracy(), Unit: UnitTestAcc},
		},
	}
	for _, t := range r.Targets {
		if t.Reached && t.Metric == "test_accuracy" {
			res.Values = append(res.Values, benchfmt.Value{Value: t.Seconds, Unit: UnitSecToTarget})
			break
		}
	}
	res.SetConfig("goos", runtime.GOOS)
	res.SetConfig("goarch", runtime.GOARCH)
	res.SetConfig("pkg", "github.com/mirrorbench/mirrorbench")
	if cpu != "" {
		res.SetConfig("cpu", cpu)
	}
	for i := range res.Config {
		res.Config[i].File = true
	}
	return res
}
