package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteHostReport describes the calibrated host, then projects the reference
// CNN on it and on every reference profile. Records in recordsDir ("" for
// none) add their measured speed beside this host's projection; a published
// run adds its reported epoch time beside the machine that trained it.
func WriteHostReport(w io.Writer, h hardware.Host, recordsDir string) error {
	writeHost(w, h)
	profiles, err := hardware.Profiles()
	if err != nil {
		return err
	}
	measured := measuredByConfig(recordsDir)
	refs, err := hardware.ReferenceResults()
	if err != nil {
		return err
	}
	return writeProfiles(w, h, profiles, measured, refs)
}

func writeHost(w io.Writer, h hardware.Host) {
	fmt.Fprintf(w, "host:        %s\n", h.Summary())
	fmt.Fprintf(w, "cpu:         %s %s, %d physical cores, %d threads, L1d %d KiB, L2 %d KiB, L3 %d KiB\n",
		h.CPUVendor, h.ModelName(), h.PhysicalCores, h.Threads, h.L1DataKB, h.L2KB, h.L3KB)
	if line := countsLine(h); line != "" {
		fmt.Fprintf(w, "counts:      %s\n", line)
	}
	fmt.Fprintf(w, "features:    %v\n", h.Features)
	fmt.Fprintf(w, "go:          GOMAXPROCS %d, NumCPU %d, %s/%s\n", h.GOMAXPROCS, h.NumCPU, h.OS, h.Arch)
	if h.CgroupCPULimit > 0 {
		fmt.Fprintf(w, "cgroup:      CPU limit %.2f cores\n", h.CgroupCPULimit)
	}
	if len(h.GPUs) == 0 {
		note := h.GPUNote
		if note == "" {
			note = "nvidia-smi not found"
		}
		fmt.Fprintf(w, "gpus:        none (%s)\n", note)
	}
	for _, g := range h.GPUs {
		fmt.Fprintf(w, "gpu %d:       %s, %d MiB, driver %s, compute capability %s\n", g.Index, g.Name, g.MemoryMB, g.Driver, g.ComputeCapability)
	}
	if c := h.Calibration; c != nil {
		fmt.Fprintf(w, "calibration: kernel %s, sgemm %s:", c.Kernel, c.SgemmShape)
		for _, t := range slices.Sorted(maps.Keys(c.SgemmGFLOPS)) {
			fmt.Fprintf(w, " %.1f GFLOP/s on %d thread(s);", c.SgemmGFLOPS[t], t)
		}
		fmt.Fprintf(w, " memory copy %.1f GB/s, triad %.1f GB/s (cached %s)\n", c.CopyGBs, c.TriadGBs, c.CachedAt)
	}
	fmt.Fprintf(w, "model:       %.2f MFLOP per training sample (forward %.2f)\n\n",
		float64(trainer.TrainFLOPsPerSample)/1e6, float64(trainer.ForwardFLOPsPerSample)/1e6)
}

// countsLine says where the host's core and thread counts came from: the OS's figures
// that bound the usable count, and CPUID's, which a hypervisor can make up. "" for a
// host detected before the OS was asked.
func countsLine(h hardware.Host) string {
	if h.ThreadsFrom == "" {
		return ""
	}
	var s string
	if h.ThreadsFrom == hardware.FromCPUID {
		s = fmt.Sprintf("%d threads from CPUID (the OS gave no count)", h.Threads)
	} else {
		s = fmt.Sprintf("%d threads usable of", h.Threads)
		if h.OnlineCPUs > 0 {
			s += fmt.Sprintf(" %d online,", h.OnlineCPUs)
		}
		if h.AffinityCPUs > 0 {
			s += fmt.Sprintf(" %d in the affinity mask,", h.AffinityCPUs)
		}
		if h.CgroupCPULimit > 0 {
			s += fmt.Sprintf(" a cgroup quota of %.3g CPUs", h.CgroupCPULimit)
		} else {
			s += " no cgroup quota"
		}
	}
	if h.CoresFrom == hardware.FromCPUID {
		s += "; cores from CPUID (the OS gave no topology)"
	} else {
		s += "; cores from " + h.CoresFrom
	}
	if h.CPUIDThreads > 0 && (h.CPUIDThreads != h.Threads || h.CPUIDCores != h.PhysicalCores) {
		s += fmt.Sprintf("; CPUID says %d cores / %d threads (the whole package, or what a hypervisor shows; not used)", h.CPUIDCores, h.CPUIDThreads)
	}
	return s
}

func writeProfiles(w io.Writer, h hardware.Host, profiles []hardware.Profile, measured map[string]float64, refs []hardware.ReferenceResult) error {
	if hp := hardware.HostProfile(h); hp != nil {
		profiles = append([]hardware.Profile{*hp}, profiles...)
	}
	work := Workload()
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header([]string{"profile", "kind", "FP32 peak", "bandwidth", "projected µs/sample", "bound", "projected s/epoch", "measured s/epoch"})
	for _, p := range profiles {
		pr := hardware.Project(p, work)
		meas := ""
		if p.ID == hardware.HostProfileID {
			for _, config := range slices.Sorted(maps.Keys(measured)) {
				meas += fmt.Sprintf("%s %.1f s ", config, measured[config]*float64(work.SamplesPerEpoch)/1e6)
			}
		}
		for _, ref := range refs {
			if len(ref.HardwareProfiles) > 0 && ref.HardwareProfiles[0] == p.ID { // the machine that trained
				meas = fmt.Sprintf("%.0f s (reported, %s)", ref.Epochs[len(ref.Epochs)-1].Seconds, ref.Software.Framework)
			}
		}
		mark := ""
		if p.OverheadFittedTo != "" {
			mark = "*"
		}
		t.Append([]string{p.ID, p.Kind, fmt.Sprintf("%.0f GFLOP/s", p.FP32PeakGFLOPS), fmt.Sprintf("%.0f GB/s", p.BandwidthGBs),
			fmt.Sprintf("%.1f%s", pr.USPerSample, mark), pr.Bound, fmt.Sprintf("%.2f%s", pr.EpochSeconds, mark), meas})
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nprojection = max(compute, memory) + per-step overhead / batch, batch %d.\n", work.Batch)
	for _, line := range overheadNotes(profiles, refs) {
		fmt.Fprintln(w, line)
	}
	return nil
}

// overheadNotes says where the per-step overheads come from: one line per profile whose
// overhead was fitted to a reported run (its projection then matches that run by
// construction), then one for the assumed ones.
func overheadNotes(profiles []hardware.Profile, refs []hardware.ReferenceResult) []string {
	var lines, assumed []string
	for _, p := range profiles {
		if p.OverheadFittedTo == "" {
			assumed = append(assumed, fmt.Sprintf("%s %g µs", p.ID, p.StepOverheadUS))
			continue
		}
		reported := ""
		for _, r := range refs {
			if r.ID == p.OverheadFittedTo {
				reported = fmt.Sprintf(" %g µs/sample", r.SteadyUSPerSample)
			}
		}
		lines = append(lines, fmt.Sprintf("* %s: per-step overhead %g µs fitted to the reported%s of %s, so this projection reproduces that figure by construction; it is not evidence for the model.",
			p.ID, p.StepOverheadUS, reported, p.OverheadFittedTo))
	}
	if len(assumed) > 0 {
		lines = append(lines, "per-step overheads assumed, neither measured nor fitted: "+strings.Join(assumed, ", ")+
			" (why: each profile's notes in hardware/profiles.json; this-host's in `go doc ./hardware HostStepOverheadUS`).")
	}
	return lines
}

// measuredByConfig reads the records in dir: the best steady µs/sample per
// engine/devices pair. Unreadable records, and a dir that is not a folder,
// add nothing: the column is a convenience, the report stands without it.
func measuredByConfig(dir string) map[string]float64 {
	out := map[string]float64{}
	if dir == "" {
		return out
	}
	recs, _, err := results.ReadRecords([]string{dir})
	if err != nil {
		return out
	}
	for _, r := range recs {
		if r.Throughput.USPerSample <= 0 {
			continue
		}
		key := r.Engine + "/" + r.Devices
		if cur, ok := out[key]; !ok || r.Throughput.USPerSample < cur {
			out[key] = r.Throughput.USPerSample
		}
	}
	return out
}
