package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mirrorbench/mirrorbench/hardware"
	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/store"
	"github.com/mirrorbench/mirrorbench/scenarios"
)

// Invocation is one `run` command: scenarios x seeds x count, records to Out.
type Invocation struct {
	Out        string
	Count      int
	RequireAll bool
	Options    Options
	Env        *Env
	Store      store.Store // where finished records also go; nil for none
}

// Outcome is what an invocation produced.
type Outcome struct {
	Records   []*results.Record
	BenchFile string // path of the benchmark-format file, "" when none
	Unmet     bool   // a target was missed, a run failed or was interrupted, or (RequireAll) skipped
}

// Runs expands the scenarios into the runs to do, in order.
func (inv *Invocation) Runs(scs []*scenarios.Scenario) []*scenarios.Scenario {
	var runs []*scenarios.Scenario
	for _, sc := range scs {
		for _, one := range sc.Expand() {
			for range max(inv.Count, 1) {
				runs = append(runs, one)
			}
		}
	}
	return runs
}

// Shard keeps runs i (0-based) with i mod N = I-1, for spec "I/N": N
// machines given 1/N .. N/N run the whole list exactly once between them.
// An empty spec keeps everything.
func Shard(runs []*scenarios.Scenario, spec string) ([]*scenarios.Scenario, error) {
	if spec == "" {
		return runs, nil
	}
	var i, n int
	if _, err := fmt.Sscanf(spec, "%d/%d", &i, &n); err != nil || n < 1 || i < 1 || i > n || fmt.Sprintf("%d/%d", i, n) != spec {
		return nil, fmt.Errorf("%q is not I/N with 1 <= I <= N", spec)
	}
	var out []*scenarios.Scenario
	for k, r := range runs {
		if k%n == i-1 {
			out = append(out, r)
		}
	}
	return out, nil
}

// Execute runs everything in order, writing each record as soon as its run
// ends (and the benchmark file after each run), so an interrupted invocation
// leaves complete files for every run it finished or stopped.
func (inv *Invocation) Execute(ctx context.Context, runs []*scenarios.Scenario) (*Outcome, error) {
	if inv.Options.NodeRank > 0 {
		return inv.executeOnWorker(ctx, runs), nil
	}
	if err := results.CheckWritable(inv.Out); err != nil {
		return nil, err
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	benchFile, err := results.CreateExclusive(inv.Out, "bench-"+stamp, ".txt")
	if err != nil {
		return nil, err
	}
	out := &Outcome{BenchFile: benchFile}
	for i, sc := range runs {
		if ctx.Err() != nil {
			break
		}
		inv.Env.Progress.Start("[%d/%d] %s (engine %s, devices %s, %s, batch %d, seed %d)",
			i+1, len(runs), sc.Name, sc.Engine, sc.Devices, sc.Strategy, sc.GlobalBatch, sc.Seed)
		path, err := results.CreateExclusive(inv.Out, fmt.Sprintf("%s-seed%d-%s-%02d", sc.Name, sc.Seed, stamp, i+1), ".json")
		if err != nil {
			return out, err
		}
		// The name is ours; fill it at once, so that even a run killed while
		// its data loads leaves a complete record, not an empty file.
		if err := results.WriteRecord(path, startingRecord(sc, inv.Env)); err != nil {
			return out, err
		}
		opt := inv.runOptions(sc, i, len(runs))
		opt.Checkpoint = func(r *results.Record) {
			addEfficiency(r, inv.Env.Host)
			if err := results.WriteRecord(path, r); err != nil {
				fmt.Fprintf(Stderr, "warning: checkpoint %s: %v\n", path, err)
			}
		}
		rec := inv.Env.Run(ctx, sc, opt)
		addEfficiency(rec, inv.Env.Host)
		if err := results.WriteRecord(path, rec); err != nil {
			return out, err
		}
		inv.store(ctx, rec)
		out.Records = append(out.Records, rec)
		inv.Env.Progress.Start("  %s: %s%s -> %s", sc.Name, rec.Status, reasonSuffix(rec), path)
		if err := results.WriteFileAtomic(out.BenchFile, results.BenchFile(out.Records, cpuName(inv.Env.Host))); err != nil {
			return out, err
		}
	}
	out.Unmet = unmet(out.Records, inv.RequireAll)
	return out, nil
}

// executeOnWorker runs this machine's ranks of multi-node runs. Node 0
// writes the records; a worker says how its part ended.
func (inv *Invocation) executeOnWorker(ctx context.Context, runs []*scenarios.Scenario) *Outcome {
	var recs []*results.Record
	o := inv.Options
	for i, sc := range runs {
		if ctx.Err() != nil {
			break
		}
		inv.Env.Progress.Start("[%d/%d] %s: node %d of %d (rendezvous %s); node 0 writes the record",
			i+1, len(runs), sc.Name, o.NodeRank, o.Nodes, o.Rendezvous)
		rec := inv.Env.Run(ctx, sc, o)
		recs = append(recs, rec)
		inv.Env.Progress.Start("  %s: node %d: %s%s", sc.Name, o.NodeRank, rec.Status, reasonSuffix(rec))
	}
	return &Outcome{Unmet: unmet(recs, inv.RequireAll)}
}

// store puts a finished run's record into the results store, if there is
// one, even after Ctrl-C. A store that fails costs a warning, not the run:
// the record's file is written and the exit status does not change.
func (inv *Invocation) store(ctx context.Context, rec *results.Record) {
	if inv.Store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := inv.Store.Put(ctx, rec); err != nil {
		fmt.Fprintf(Stderr, "warning: results store: %v\n", err)
	}
}

// runOptions gives each run its own weights file when several runs export.
func (inv *Invocation) runOptions(sc *scenarios.Scenario, i, n int) Options {
	opt := inv.Options
	if opt.ExportWeights != "" && n > 1 {
		base := strings.TrimSuffix(opt.ExportWeights, ".safetensors")
		opt.ExportWeights = fmt.Sprintf("%s-%s-seed%d-%02d.safetensors", base, sc.Name, sc.Seed, i+1)
	}
	return opt
}

func reasonSuffix(r *results.Record) string {
	if r.Reason == "" {
		return ""
	}
	return " (" + r.Reason + ")"
}

func cpuName(h *hardware.Host) string {
	if h == nil {
		return ""
	}
	return h.CPUModel
}

// unmet says whether any run fell short: a missed target, a failure, an
// interruption, or a skip when every run was required.
func unmet(recs []*results.Record, requireAll bool) bool {
	for _, r := range recs {
		switch r.Status {
		case results.StatusTargetMissed, results.StatusFailed, results.StatusInterrupted:
			return true
		case results.StatusSkipped:
			if requireAll {
				return true
			}
		}
	}
	return false
}

// Stderr is where warnings go (a package variable so tests can silence it).
var Stderr io.Writer = os.Stderr
