package bench

import (
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// newRecord fills what the scenario and the invocation decide.
func newRecord(sc *scenarios.Scenario, e *Env) *results.Record {
	rec := &results.Record{
		SchemaVersion: results.SchemaVersion,
		Scenario:      sc.Name, Description: sc.Description,
		ScenarioFile: sc.File, ScenarioHash: sc.Hash, ScenarioYAML: sc.Source, Reference: sc.Reference,
		Engine: sc.Engine, Numerics: engineNumerics[sc.Engine], Strategy: sc.Strategy, Devices: sc.Devices,
		Reduction: sc.Reduction, GlobalBatch: sc.GlobalBatch, Seed: sc.Seed,
		Optimizer: results.Optimizer{
			Name: sc.Optimizer.Name, LearningRate: sc.Optimizer.LearningRate,
			Beta1: sc.Optimizer.Beta1, Beta2: sc.Optimizer.Beta2, Epsilon: sc.Optimizer.Epsilon,
		},
		Host: e.Host, Build: e.Build,
		Epochs: []results.Epoch{}, Targets: []results.TargetResult{},
	}
	if sc.Reduction == scenarios.ReductionCanonical {
		rec.MicroShard = sc.MicroShard
	}
	for _, t := range sc.Targets {
		rec.Targets = append(rec.Targets, results.TargetResult{Metric: t.Metric, Min: t.Min, ByEpoch: t.ByEpoch})
	}
	return rec
}

// startingRecord is the record of a run that has not started training: what
// its file holds until the first checkpoint replaces it.
func startingRecord(sc *scenarios.Scenario, e *Env) *results.Record {
	rec := newRecord(sc, e)
	rec.Status = results.StatusInterrupted
	rec.Reason = "the process stopped before training started"
	rec.StartedAt = time.Now().UTC().Format(time.RFC3339)
	return rec
}

func datasetInfo(ds *trainer.Dataset) results.Dataset {
	d := results.Dataset{Name: "mnist", Dir: ds.Dir, TrainImages: ds.Train.Len(), TestImages: ds.Test.Len()}
	for _, f := range ds.Files {
		d.Files = append(d.Files, results.DatasetFile{Name: f.Name, SHA256: f.SHA256})
	}
	return d
}

// BuildInfo describes this binary: Go version, module versions and, from
// the build's VCS stamp or else from git in the working folder, the commit.
func BuildInfo() results.Build {
	b := results.Build{GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		Modules: map[string]string{}, Kernels: kernels.Path()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.Module = bi.Main.Path
		for _, m := range bi.Deps {
			b.Modules[m.Path] = m.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.GitCommit = s.Value
			case "vcs.modified":
				b.GitDirty = s.Value == "true"
			}
		}
	}
	if b.GitCommit == "" { // `go run` and -buildvcs=false leave no stamp
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			b.GitCommit = strings.TrimSpace(string(out))
			st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
			b.GitDirty = err == nil && len(strings.TrimSpace(string(st))) > 0
		}
	}
	return b
}
