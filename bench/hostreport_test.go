package bench

import (
	"slices"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/hardware"
)

func TestCountsLine(t *testing.T) {
	vm := hardware.Host{CPUModel: "AMD EPYC", CPUIDModel: "Oxide Virtual Turin-like Processor",
		PhysicalCores: 2, Threads: 2, ThreadsFrom: hardware.FromOS, CoresFrom: hardware.FromSysfsTopology,
		OnlineCPUs: 2, AffinityCPUs: 2, CPUIDCores: 254, CPUIDThreads: 254}
	for _, tc := range []struct {
		name string
		h    hardware.Host
		want string
	}{
		{"vm", vm, "2 threads usable of 2 online, 2 in the affinity mask, no cgroup quota; cores from sysfs topology; " +
			"CPUID says 254 cores / 254 threads (the whole package, or what a hypervisor shows; not used)"},
		{"quota", func() hardware.Host {
			h := vm
			h.OnlineCPUs, h.AffinityCPUs, h.CgroupCPULimit, h.CPUIDCores, h.CPUIDThreads = 8, 8, 1.5, 2, 2
			return h
		}(), "2 threads usable of 8 online, 8 in the affinity mask, a cgroup quota of 1.5 CPUs; cores from sysfs topology"},
		{"cpuid", hardware.Host{PhysicalCores: 4, Threads: 8, ThreadsFrom: hardware.FromCPUID, CoresFrom: hardware.FromCPUID, CPUIDCores: 4, CPUIDThreads: 8},
			"8 threads from CPUID (the OS gave no count); cores from CPUID (the OS gave no topology)"},
		{"old record", hardware.Host{PhysicalCores: 254, Threads: 254}, ""},
	} {
		if got := countsLine(tc.h); got != tc.want {
			t.Errorf("%s: countsLine =\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

// The table's note names the profile whose overhead was fitted to a reported run, and the
// figure; the others are listed as assumed.
func TestOverheadNotes(t *testing.T) {
	profiles := []hardware.Profile{
		{ID: "old-gpu", StepOverheadUS: 8700, OverheadFittedTo: "doc-run"},
		{ID: "new-gpu", StepOverheadUS: 300},
		{ID: "cpu", StepOverheadUS: 50},
	}
	refs := []hardware.ReferenceResult{{ID: "other"}, {ID: "doc-run", SteadyUSPerSample: 275}}
	got := overheadNotes(profiles, refs)
	want := []string{
		"* old-gpu: per-step overhead 8700 µs fitted to the reported 275 µs/sample of doc-run, so this projection reproduces that figure by construction; it is not evidence for the model.",
		"per-step overheads assumed, neither measured nor fitted: new-gpu 300 µs, cpu 50 µs (why: each profile's notes in hardware/profiles.json; this-host's in `go doc ./hardware HostStepOverheadUS`).",
	}
	if !slices.Equal(got, want) {
		t.Errorf("overheadNotes =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The embedded profiles: the note names the gtx-1080-ti and the document's figure.
	ps, err := hardware.Profiles()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := hardware.ReferenceResults()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := writeProfiles(&b, hardware.Host{}, ps, nil, rs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "* gtx-1080-ti: per-step overhead 8700 µs fitted to the reported 275 µs/sample of keras-mnist-mirrored") ||
		!strings.Contains(b.String(), "274.1*") {
		t.Errorf("the profile table does not mark the fitted overhead:\n%s", b.String())
	}
}
