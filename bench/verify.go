package bench

import (
	"context"
	"fmt"
	"maps"
	"math"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mirrorbench/mirrorbench/bench/frameworks"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// Tolerances for records made where bitwise equality is not promised (another
// architecture or kernel path): figures must agree this closely.
const (
	verifyLossRel = 1e-3  // relative, on losses
	verifyAccAbs  = 0.003 // absolute, on accuracies (30 of 10,000 test images)
)

// Verification is the outcome of re-running a recorded run.
type Verification struct {
	Notes   []string // differences of build, architecture or data, said before comparing
	Bitwise bool     // the fingerprint had to match exactly
	New     *results.Record
	Diff    string // empty when the records agree
}

// OK says whether the rerun reproduced the record.
func (v *Verification) OK() bool { return v.Diff == "" && v.New.Status != results.StatusFailed }

// Verify re-runs old's scenario with its seed, epochs, train limit and
// initial weights, and compares the new record with it. A framework run
// re-runs with the interpreter python names ("": the one a run would find:
// MIRRORBENCH_PYTHON, python3 on PATH, /usr/bin/python3), never with the one
// the record names: a record may come from anyone, and verifying it must
// not run a program it names. A note says so when the two differ.
func (e *Env) Verify(ctx context.Context, old *results.Record, python string) (*Verification, error) {
	if old.ScenarioYAML == "" {
		return nil, fmt.Errorf("record of %s holds no scenario_yaml: it cannot be re-run", old.Scenario)
	}
	sc, err := scenarios.Parse(old.ScenarioFile, []byte(old.ScenarioYAML))
	if err != nil {
		return nil, err
	}
	if sc.Hash != old.ScenarioHash {
		return nil, fmt.Errorf("record's scenario_yaml does not match its scenario_sha256: the record was edited")
	}
	sc.Seed, sc.Seeds = old.Seed, nil
	v := &Verification{Notes: e.provenanceNotes(old)}
	v.Bitwise = sameArithmetic(old.Build, e.Build) // a framework run decides below
	opt := Options{Epochs: old.EpochsPlanned, TrainLimit: old.TrainLimit, Python: python}
	if old.InitWeights != nil {
		opt.InitWeights = old.InitWeights.Path
	}
	if old.Framework != nil {
		v.Notes = append(v.Notes, e.interpreterNotes(ctx, old.Framework.Python, python)...)
	}
	v.New = e.Run(ctx, sc, opt)
	if old.Framework != nil {
		v.Bitwise = sameFramework(old, v.New)
		v.Notes = append(v.Notes, frameworkNotes(old, v.New, v.Bitwise)...)
	}
	v.Diff = diffRecords(old, v.New, v.Bitwise)
	return v, nil
}

// interpreterNotes say which interpreter re-runs a framework record, where
// it is not the one the record ran.
func (e *Env) interpreterNotes(ctx context.Context, recorded, python string) []string {
	using := strings.Join(frameworks.Interpreters(python), " or ")
	if rt, err := e.frameworkRuntime(ctx, python); err == nil { // Run finds the same
		using = rt.Python
	}
	if using == recorded {
		return nil
	}
	return []string{fmt.Sprintf("record ran %s; verifying with %s (pass --python to choose)", orNone(recorded), using)}
}

// sameFramework says whether a framework run promises the old run's bits:
// both deterministic, on the same architecture, with the same versions of
// everything the adapter reported (framework, BLAS, oneDNN, CUDA...).
func sameFramework(old, new *results.Record) bool {
	a, b := old.Framework, new.Framework
	return b != nil && a.Deterministic && b.Deterministic && old.Build.GOARCH == new.Build.GOARCH &&
		maps.Equal(a.Versions, b.Versions)
}

// frameworkNotes say how a framework run was compared, and why.
func frameworkNotes(old, new *results.Record, bitwise bool) []string {
	a, b := old.Framework, new.Framework
	switch {
	case bitwise:
		return []string{fmt.Sprintf("%s run, deterministic, same versions: fingerprint compared bit for bit", a.Name)}
	case b == nil:
		return []string{fmt.Sprintf("the %s rerun did not start (%s): nothing to compare", a.Name, new.Status)}
	}
	why := "versions differ"
	switch {
	case !a.Deterministic:
		why = "the record says it is not deterministic: " + a.DeterministicNote
	case !b.Deterministic:
		why = "the rerun is not deterministic: " + b.DeterministicNote
	case old.Build.GOARCH != new.Build.GOARCH:
		why = fmt.Sprintf("recorded on %s, re-run on %s", old.Build.GOARCH, new.Build.GOARCH)
	default:
		for k, v := range a.Versions {
			if b.Versions[k] != v {
				why = fmt.Sprintf("%s %s was %s", k, orNone(b.Versions[k]), orNone(v))
				break
			}
		}
	}
	return []string{fmt.Sprintf("%s run compared within a tolerance (losses %g relative, accuracies %g), fingerprint not compared: %s",
		a.Name, verifyLossRel, verifyAccAbs, why)}
}

func (e *Env) provenanceNotes(old *results.Record) []string {
	var notes []string
	b := e.Build
	if old.Framework == nil && !sameArithmetic(old.Build, b) { // a framework's arithmetic is its own
		notes = append(notes, fmt.Sprintf("recorded on %s with %s kernels, re-run on %s with %s kernels: figures compared within a tolerance (losses %g relative, accuracies %g), fingerprint not compared",
			old.Build.GOARCH, orNone(old.Build.Kernels), b.GOARCH, orNone(b.Kernels), verifyLossRel, verifyAccAbs))
	}
	if old.Build.GitCommit != b.GitCommit || old.Build.GitDirty || b.GitDirty {
		notes = append(notes, fmt.Sprintf("recorded by build %s (dirty %v), re-run by %s (dirty %v): a code change may change the result",
			short(old.Build.GitCommit), old.Build.GitDirty, short(b.GitCommit), b.GitDirty))
	}
	if old.Build.GoVersion != b.GoVersion {
		notes = append(notes, fmt.Sprintf("recorded with %s, re-run with %s", old.Build.GoVersion, b.GoVersion))
	}
	return notes
}

// sameArithmetic says whether two builds compute the same bits: kernels of
// the same numerics (avx2-fma, avx512 and neon all run "fma") on the same
// architecture, or on amd64 and arm64, whose paths of each numerics the
// tests pin to the same bits (trainer/golden_test.go, under emulation for
// arm64).
func sameArithmetic(a, b results.Build) bool {
	n := kernels.Numerics(a.Kernels)
	return n != "unknown" && n == kernels.Numerics(b.Kernels) &&
		(a.GOARCH == b.GOARCH || pinnedArch(a.GOARCH) && pinnedArch(b.GOARCH))
}

// pinnedArch: the architectures whose fingerprints the tests hold equal.
func pinnedArch(goarch string) bool { return goarch == "amd64" || goarch == "arm64" }

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return orNone(commit)
}

// diffRecords compares what a run decides (figures, targets, status,
// fingerprint, data), ignoring wall times and what depends on the host.
func diffRecords(old, new *results.Record, bitwise bool) string {
	opts := []cmp.Option{
		cmpopts.IgnoreFields(results.Record{}, "StartedAt", "FinishedAt", "WallSecs", "LoadAtStart", "Throughput",
			"Timing", "Efficiency", "Host", "Build", "ExportWeights", "Framework"),
		cmpopts.IgnoreFields(results.Epoch{}, "Seconds", "SamplesPerSecond"),
		cmpopts.IgnoreFields(results.TargetResult{}, "Seconds"),
		cmpopts.IgnoreFields(results.Dataset{}, "Dir"),
	}
	if !bitwise {
		opts = append(opts,
			cmpopts.IgnoreFields(results.Record{}, "Fingerprint"),
			cmp.FilterPath(isLoss, cmp.Comparer(relClose(verifyLossRel))),
			cmp.FilterPath(isAccuracy, cmp.Comparer(absClose(verifyAccAbs))))
	}
	return cmp.Diff(old, new, opts...)
}

func isLoss(p cmp.Path) bool {
	last := p.Last().String()
	return last == ".TrainLoss" || last == ".TestLoss"
}

func isAccuracy(p cmp.Path) bool {
	last := p.Last().String()
	return last == ".TrainAccuracy" || last == ".TestAccuracy"
}

func relClose(tol float64) func(a, b float64) bool {
	return func(a, b float64) bool { return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b)) }
}

func absClose(tol float64) func(a, b float64) bool {
	return func(a, b float64) bool { return math.Abs(a-b) <= tol }
}
