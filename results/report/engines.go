package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// layout is how a run used the CPUs or GPUs, whatever its engine: the key
// that puts the engines side by side.
type layout struct {
	kind              string // cpu or gpu
	replicas, threads int
}

func layoutOf(r *results.Record) layout {
	kind := "cpu"
	if strings.HasPrefix(r.Devices, "gpu") {
		kind = "gpu"
	}
	return layout{kind, max(r.Replicas, 1), max(r.ThreadsPerReplica, 1)}
}

func (l layout) String() string {
	if l.kind == "gpu" {
		return fmt.Sprintf("%d GPU(s)", l.replicas)
	}
	if l.replicas == 1 {
		return fmt.Sprintf("%d thread%s", l.threads, plural(l.threads))
	}
	return fmt.Sprintf("%d replicas x %d thread%s", l.replicas, l.threads, plural(l.threads))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// WriteEngines renders the engines side by side: one row per layout (1
// thread, 2 threads, 2 replicas, ...), for each engine the median
// steady-state µs/sample of its runs with their range, then native's
// speed-up over each other engine, and under the table each engine's
// scaling efficiency: samples/s of a layout over (processes x threads x
// samples/s of 1 thread). Runs that did not train (skipped, failed) are
// left out and listed under the table.
func WriteEngines(w io.Writer, records []*results.Record, markdown bool) error {
	speeds := map[layout]map[string][]float64{}
	var engines []string
	var layouts []layout
	for _, r := range records {
		if r.Throughput.USPerSample <= 0 {
			continue
		}
		l := layoutOf(r)
		if speeds[l] == nil {
			speeds[l] = map[string][]float64{}
			layouts = append(layouts, l)
		}
		speeds[l][r.Engine] = append(speeds[l][r.Engine], r.Throughput.USPerSample)
		if !slices.Contains(engines, r.Engine) {
			engines = append(engines, r.Engine)
		}
	}
	if len(layouts) == 0 {
		return fmt.Errorf("no run with a measured speed to compare")
	}
	slices.SortFunc(layouts, func(a, b layout) int { // cpu before gpu, then by cores, threads before replicas
		return cmp.Or(strings.Compare(a.kind, b.kind), cmp.Compare(a.replicas*a.threads, b.replicas*b.threads),
			cmp.Compare(a.replicas, b.replicas))
	})
	slices.SortFunc(engines, func(a, b string) int { // native first, then the others by name
		return cmp.Or(cmp.Compare(notNative(a), notNative(b)), strings.Compare(a, b))
	})

	opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off)}
	if markdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	}
	t := tablewriter.NewTable(w, opts...)
	header := []string{"layout"}
	for _, e := range engines {
		header = append(header, e+" µs/sample", e+" samples/s")
	}
	others := slices.DeleteFunc(slices.Clone(engines), func(e string) bool { return e == "native" })
	hasNative := len(others) < len(engines)
	if hasNative {
		for _, e := range others {
			header = append(header, "native speed-up vs "+e)
		}
	}
	t.Header(header)
	for _, l := range layouts {
		row := []string{l.String()}
		for _, e := range engines {
			row = append(row, speedCell(speeds[l][e]), spsCell(speeds[l][e]))
		}
		if hasNative {
			for _, e := range others {
				row = append(row, speedUp(speeds[l]["native"], speeds[l][e]))
			}
		}
		if err := t.Append(row); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	return writeEngineNotes(w, records, speeds, layouts, engines, markdown)
}

func notNative(engine string) int {
	if engine == "native" {
		return 0
	}
	return 1
}

func speedCell(us []float64) string {
	if len(us) == 0 {
		return "-"
	}
	if len(us) == 1 {
		return fmt.Sprintf("%.1f", us[0])
	}
	return fmt.Sprintf("%.1f [%.1f-%.1f] (n=%d)", results.Median(us), slices.Min(us), slices.Max(us), len(us))
}

func spsCell(us []float64) string {
	if len(us) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", 1e6/results.Median(us))
}

// speedUp is the other engine's median µs/sample over native's: above 1,
// native is faster.
func speedUp(native, other []float64) string {
	if len(native) == 0 || len(other) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", results.Median(other)/results.Median(native))
}

// writeEngineNotes explains the table: what a speed-up means, each engine's
// scaling efficiency against its own one-thread row, the frameworks'
// versions, and the runs left out.
func writeEngineNotes(w io.Writer, records []*results.Record, speeds map[layout]map[string][]float64, layouts []layout, engines []string, markdown bool) error {
	bullet := "  "
	if markdown {
		bullet = "- "
	}
	var b strings.Builder
	fmt.Fprintln(&b)
	fmt.Fprintf(&b, "%sµs/sample: median steady-state time per sample [min-max] of the runs (warm-up steps excluded); native speed-up = the other engine's µs/sample / native's (above 1: native is faster).\n", bullet)
	one := layout{"cpu", 1, 1}
	for _, e := range engines {
		base := speeds[one][e]
		if len(base) == 0 {
			continue
		}
		var parts []string
		for _, l := range layouts {
			if l == one || l.kind != "cpu" || len(speeds[l][e]) == 0 {
				continue
			}
			eff := results.Median(base) / results.Median(speeds[l][e]) / float64(l.replicas*l.threads)
			parts = append(parts, fmt.Sprintf("%s %.0f%%", l, 100*eff))
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, "%sscaling efficiency of %s against its own 1 thread (samples/s over cores x 1-thread samples/s): %s\n", bullet, e, strings.Join(parts, ", "))
		}
	}
	seen := map[string]bool{}
	for _, r := range records {
		if f := r.Framework; f != nil && !seen[f.Name+fmt.Sprint(f.Versions)] {
			seen[f.Name+fmt.Sprint(f.Versions)] = true
			fmt.Fprintf(&b, "%s%s: torch %s, Python %s, BLAS %s\n", bullet, f.Name, f.Versions["torch"], f.Versions["python"], orDash(f.Versions["blas"]))
		}
		if r.Throughput.USPerSample <= 0 {
			fmt.Fprintf(&b, "%s%s (%s) left out: %s %s\n", bullet, r.Scenario, r.Engine, r.Status, r.Reason)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
