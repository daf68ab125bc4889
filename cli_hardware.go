package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"

	"github.com/mirrorbench/mirrorbench/bench"
	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// calibrate measures (or reads from the per-host cache) the native engine's
// sgemm at 1 and all threads, and memory bandwidth. The cache key names the
// kernel path and the build's commit, so a changed kernel is measured anew.
func calibrate(h *hardware.Host, build results.Build) error {
	threads := slices.Compact([]int{1, h.GOMAXPROCS})
	kernel := kernels.Path()
	if commit := build.GitCommit; len(commit) >= 12 {
		kernel += "@" + commit[:12]
	}
	c, err := hardware.CachedCalibration("", *h, kernel, sgemm, threads)
	if err != nil {
		return err
	}
	h.Calibration = &c
	return nil
}

// sgemm is the native engine's own kernel, single-threaded, C = A·B.
func sgemm(m, n, k int, a, b, c []float32) {
	kernels.SgemmNN(m, n, k, a, k, b, n, c, n, false)
}

func cmdHardware(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hardware", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("results", "", "a folder of run records: their measured µs/sample joins the table")
	if err := fs.Parse(args); err != nil {
		if flagExit(err) == 0 {
			return nil
		}
		return badUsage("hardware: %v", err)
	}
	h := hardware.Detect()
	if err := calibrate(&h, bench.BuildInfo()); err != nil {
		return err
	}
	printHost(stdout, h)
	profiles, err := hardware.Profiles()
	if err != nil {
		return err
	}
	measured, err := measuredByEngine(*dir)
	if err != nil {
		return err
	}
	return profileTable(stdout, h, profiles, measured)
}

func printHost(w io.Writer, h hardware.Host) {
	fmt.Fprintf(w, "host:        %s\n", h.Summary())
	fmt.Fprintf(w, "cpu:         %s %s, %d physical cores, %d threads, L1d %d KiB, L2 %d KiB, L3 %d KiB\n",
		h.CPUVendor, h.CPUModel, h.PhysicalCores, h.Threads, h.L1DataKB, h.L2KB, h.L3KB)
	fmt.Fprintf(w, "features:    %v\n", h.Features)
	fmt.Fprintf(w, "go:          GOMAXPROCS %d, NumCPU %d, %s/%s\n", h.GOMAXPROCS, h.NumCPU, h.OS, h.Arch)
	if h.CgroupCPULimit > 0 {
		fmt.Fprintf(w, "cgroup:      CPU limit %.2f cores\n", h.CgroupCPULimit)
	}
	if len(h.GPUs) == 0 {
		fmt.Fprintf(w, "gpus:        none%s\n", noteSuffix(h.GPUNote))
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
		hardware.TrainFLOPsPerSample()/1e6, hardware.ForwardFLOPsPerSample()/1e6)
}

func noteSuffix(note string) string {
	if note == "" {
		return " (nvidia-smi not found)"
	}
	return " (" + note + ")"
}

// hostProfile turns the calibrated host into a profile, so it is projected
// like the reference machines.
func hostProfile(h hardware.Host) *hardware.Profile {
	c := h.Calibration
	if c == nil {
		return nil
	}
	peak := 0.0
	for _, g := range c.SgemmGFLOPS {
		peak = max(peak, g)
	}
	return &hardware.Profile{
		ID: "this-host", Kind: "cpu", Model: h.CPUModel + " (calibrated)",
		FP32PeakGFLOPS: peak, BandwidthGBs: c.TriadGBs, StepOverheadUS: 50,
	}
}

func profileTable(w io.Writer, h hardware.Host, profiles []hardware.Profile, measured map[string]float64) error {
	ref, _ := hardware.LookupReference("keras-mnist-mirrored")
	if hp := hostProfile(h); hp != nil {
		profiles = append([]hardware.Profile{*hp}, profiles...)
	}
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header([]string{"profile", "kind", "FP32 peak", "bandwidth", "projected µs/sample", "bound", "projected s/epoch", "measured s/epoch"})
	for _, p := range profiles {
		pr := hardware.Project(p, hardware.DefaultBatch)
		meas := ""
		switch {
		case p.ID == "this-host" && len(measured) > 0:
			for engine, us := range measured {
				meas += fmt.Sprintf("%s %.1f s ", engine, us*hardware.TrainSamples/1e6)
			}
		case ref != nil && len(ref.HardwareProfiles) > 0 && ref.HardwareProfiles[0] == p.ID: // the machine that trained
			meas = fmt.Sprintf("%.0f s (reported, %s)", ref.Epochs[len(ref.Epochs)-1].Seconds, ref.Software.Framework)
		}
		t.Append([]string{p.ID, p.Kind, fmt.Sprintf("%.0f GFLOP/s", p.FP32PeakGFLOPS), fmt.Sprintf("%.0f GB/s", p.BandwidthGBs),
			fmt.Sprintf("%.1f", pr.USPerSample), pr.Bound, fmt.Sprintf("%.2f", pr.EpochSeconds), meas})
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nprojection = max(compute, memory) + per-step overhead / batch, batch 32; overheads are assumptions stated in each profile's notes.")
	return nil
}

// measuredByEngine reads the records in dir: the best steady µs/sample per
// engine/devices pair.
func measuredByEngine(dir string) (map[string]float64, error) {
	out := map[string]float64{}
	if dir == "" {
		return out, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		r, err := results.ReadRecord(f)
		if err != nil || r.Throughput.USPerSample <= 0 {
			continue
		}
		key := r.Engine + "/" + r.Devices
		if cur, ok := out[key]; !ok || r.Throughput.USPerSample < cur {
			out[key] = r.Throughput.USPerSample
		}
	}
	return out, nil
}
