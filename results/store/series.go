package store

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
)

// SeriesKey is what a run's figures are comparable under: runs with equal
// keys measured the same thing on the same kind of machine, so a change
// between them is a change of the code (or of the machine's load), and runs
// with different keys belong to different series. It is the scenario, the
// host class (HostClass) and the configuration as run (Config): a
// `--epochs 1 --train-limit 640` run of a scenario is not a point of its
// full runs' series.
type SeriesKey struct {
	Scenario, HostClass string
	Config              Config
}

// Config is what, beside the scenario and the host class, decides what a
// run measures: the engine and how it ran here, the framework's versions,
// the devices, the epochs, the training images and the batch. A field left
// at its zero value is unknown (a run built by hand), and left out of
// String.
type Config struct {
	Engine string
	// Path is how the engine computed on this machine: the native engine's
	// SIMD kernels (avx512, avx2-fma, neon, generic), engine opencl's
	// devices; "" for the others.
	Path string
	// Versions is the framework's version for engines that are a
	// framework: "torch 2.1.2" (with ", cuda 12.1" on GPUs) for pytorch,
	// "gorgonia v0.9.18, tensor v0.9.24" for gorgonia; "" for the
	// harness's own engines, whose version is the commit.
	Versions    string
	Devices     string
	Replicas    int // processes, over all nodes
	Epochs      int
	TrainImages int // training images per epoch
	Batch       int // global batch
}

// Series is the run's series key.
func (r Run) Series() SeriesKey {
	return SeriesKey{Scenario: r.Scenario, HostClass: r.HostClass, Config: Config{
		Engine: r.Engine, Path: r.EnginePath, Versions: r.Versions, Devices: r.Devices, Replicas: r.Replicas,
		Epochs: r.Epochs, TrainImages: r.TrainImages, Batch: r.Batch,
	}}
}

// String is the key as people read it: "reference-cpu1 · AMD EPYC 9B45 · 2
// threads · amd64 · native avx512 on cpu:1 · 5 epochs, 60000 images, batch
// 32".
func (k SeriesKey) String() string {
	return join(k.Scenario, k.Line())
}

// Line is the key without the scenario: what tells one scenario's series
// apart ("AMD EPYC 9B45 · 2 threads · amd64 · native avx512 on cpu:1 · 1
// epoch, 6400 images, batch 32").
func (k SeriesKey) Line() string {
	return join(k.HostClass, k.Config.String())
}

// Compare orders keys by scenario, host class, then configuration.
func (k SeriesKey) Compare(o SeriesKey) int {
	return cmp.Or(cmp.Compare(k.Scenario, o.Scenario), cmp.Compare(k.HostClass, o.HostClass), k.Config.Compare(o.Config))
}

// Compare orders configurations by engine, path, versions, devices,
// replicas, epochs, images and batch.
func (c Config) Compare(o Config) int {
	return cmp.Or(cmp.Compare(c.Engine, o.Engine), cmp.Compare(c.Path, o.Path), cmp.Compare(c.Versions, o.Versions),
		cmp.Compare(c.Devices, o.Devices), cmp.Compare(c.Replicas, o.Replicas), cmp.Compare(c.Epochs, o.Epochs),
		cmp.Compare(c.TrainImages, o.TrainImages), cmp.Compare(c.Batch, o.Batch))
}

// String reads "native avx512 on cpu:1 · 5 epochs, 60000 images, batch 32",
// "pytorch (torch 2.1.2) on cpu:0-1 x2 · 1 epoch, 640 images, batch 32";
// unknown parts are left out, and a configuration with none is "".
func (c Config) String() string {
	var how []string
	if c.Engine != "" {
		how = append(how, c.Engine)
	}
	if c.Path != "" {
		how = append(how, c.Path)
	}
	if c.Versions != "" {
		how = append(how, "("+c.Versions+")")
	}
	if c.Devices != "" {
		how = append(how, "on "+c.Devices)
	}
	if c.Replicas > 1 {
		how = append(how, "x"+strconv.Itoa(c.Replicas))
	}
	var what []string
	if c.Epochs > 0 {
		what = append(what, plural(c.Epochs, "epoch"))
	}
	if c.TrainImages > 0 {
		what = append(what, strconv.Itoa(c.TrainImages)+" images")
	}
	if c.Batch > 0 {
		what = append(what, "batch "+strconv.Itoa(c.Batch))
	}
	return join(strings.Join(how, " "), strings.Join(what, ", "))
}

// join joins the non-empty parts with " · ".
func join(parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " · ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// setConfig copies into r what, beside the fields runOf copies, makes rec's
// series key (Run.Series). A record that lacks the epochs or the batch (one
// written before it held them) takes its scenario's: the scenario text it
// holds, else the embedded suite's scenario of its name, else the defaults
// (5 epochs, all images, batch 32).
func (r *Run) setConfig(rec *results.Record) {
	epochs, limit, batch := rec.EpochsPlanned, rec.TrainLimit, rec.GlobalBatch
	if epochs <= 0 || batch <= 0 {
		sc := scenarioOf(rec)
		if epochs <= 0 {
			epochs, limit = sc.Epochs, sc.TrainLimit // the limit went with the epochs
		}
		if batch <= 0 {
			batch = sc.GlobalBatch
		}
	}
	if limit <= 0 || limit > scenarios.TrainImages {
		limit = scenarios.TrainImages
	}
	r.Epochs, r.TrainImages, r.Batch = epochs, limit, batch
	r.EnginePath, r.Versions = enginePath(rec), frameworkVersions(rec)
}

// scenarioOf is the scenario rec ran, as far as it can tell, with its
// defaults applied.
func scenarioOf(rec *results.Record) *scenarios.Scenario {
	if rec.ScenarioYAML != "" {
		if sc, err := scenarios.Parse(rec.ScenarioFile, []byte(rec.ScenarioYAML)); err == nil {
			return sc
		}
	}
	if sc, err := scenarios.Lookup(rec.Scenario); err == nil {
		return sc
	}
	return &scenarios.Scenario{Epochs: 5, GlobalBatch: scenarios.KerasBatch}
}

// enginePath is Config.Path of rec.
func enginePath(rec *results.Record) string {
	switch rec.Engine {
	case scenarios.EngineNative:
		return rec.Build.Kernels
	case scenarios.EngineOpenCL:
		if rec.OpenCL == nil {
			return ""
		}
		var devices []string
		for _, d := range rec.OpenCL.Replicas {
			if !slices.Contains(devices, d.Device) {
				devices = append(devices, d.Device)
			}
		}
		return strings.Join(devices, " + ")
	}
	return ""
}

// frameworkVersions is Config.Versions of rec.
func frameworkVersions(rec *results.Record) string {
	var parts []string
	add := func(name, version string) {
		if version != "" {
			parts = append(parts, name+" "+version)
		}
	}
	switch {
	case rec.Framework != nil:
		v := rec.Framework.Versions
		add("torch", v["torch"])
		if strings.HasPrefix(rec.Devices, "gpu") {
			add("cuda", v["cuda"])
		}
	case rec.Engine == scenarios.EngineGorgonia:
		add("gorgonia", rec.Build.Modules["gorgonia.org/gorgonia"])
		add("tensor", rec.Build.Modules["gorgonia.org/tensor"])
	}
	return strings.Join(parts, ", ")
}
