// Command counted measures BenchmarkTrain by counting instead of timing: the
// instructions that the timed steps of a benchmark execute, counted by
// valgrind's cachegrind, per training sample. Counts do not depend on other
// load on the machine, so a change of a fraction of a percent is visible
// where wall-clock and CPU time vary by 10 % or more (docs/compare.md).
//
// cachegrind (valgrind 3.19) counts a whole process and has no request to
// start or stop counting, so each count is the difference of two runs, of 1
// and of 1+K timed steps (-test.benchtime 1x, (1+K)x): set-up, the first
// step, the untimed work around the loop and the exit are the same in both
// runs, and the difference of the two totals is the instruction count of
// steps 2 to K+1, exactly where the program is deterministic.
// BenchmarkTrain collects set-up's garbage before its loop so that no
// collection runs into the timed steps from outside.
//
// Only instructions outside the Go runtime count (see counts): the
// runtime's scheduler, timers and allocator do an amount of work that depends
// on time, and under valgrind time is long. The runs use GOMAXPROCS=1,
// GOGC=off (a collection running concurrently with the program changes the
// program's own instructions: write barriers) and
// GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off (valgrind 3.19 cannot decode
// RDTSCP, which Go's runtime uses where the CPU has it: SIGILL).
// valgrind's CPU has no AVX-512, so the kernels run their avx2-fma path, and
// only one-thread benchmarks count deterministically: a team of threads spins
// for as long as its partner takes, which depends on scheduling.
//
// Each benchmark is counted twice, on two kernel paths:
//
//   - avx2-fma, the path that runs natively, K steps (-k, 1 by default).
//     Under valgrind its step is about 1000 times slower than natively:
//     valgrind 3.19 has no FMA3 instruction selection on amd64 and computes
//     every lane of a vector FMA in a software fused multiply-add (about 60 ns
//     a lane, 75 million lanes a step), so it is counted over few steps.
//   - generic, the kernels' portable Go path (GODEBUG=cpu.fma=off, which
//     x/sys/cpu obeys), SPAN steps (-span, 20 by default): about 3.5 times
//     faster a step under valgrind, so that a whole period of a slowdown of
//     one step in SPAN is counted. Its line is named with /kernels=generic.
//
// docs/compare.md gives the figures.
//
// With -cache-sim, cachegrind also simulates the caches in the avx2-fma runs,
// and their line gets est-cycles/sample: Ir + 10 (I1mr + D1mr + D1mw) + 100 (ILmr + DLmr + DLmw),
// the usual cycle estimate from cachegrind's events (a model: no
// out-of-order overlap, no prefetching beyond its own, no AVX-512).
//
// Output is Go benchmark format, one line per benchmark, named as the
// benchmark names itself under GOMAXPROCS=1 (no -N suffix; `compare`
// matches it to the timed benchmark of the same name):
//
//	BenchmarkTrain/scenario=reference-cpu1/.../replicas=1  1  918049 instr/sample
//	BenchmarkTrain/scenario=reference-cpu1/.../replicas=1/kernels=generic  20  21346000 instr/sample
//
// Usage:
//
//	go run ./bench/internal/counted -bin x.test [-C dir] [-k 1] [-span 20] [-cache-sim] [-j 2] SCENARIO...
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/mirrorbench/mirrorbench/results/compare"
)

func main() {
	bin := flag.String("bin", "", "the test binary of the root package (go test -c)")
	dir := flag.String("C", "", "run the binary in this folder (default: the current one)")
	k := flag.Int("k", 1, "steps counted on the avx2-fma path: runs of 1 and 1+K steps")
	span := flag.Int("span", 20, "steps counted on the generic path: runs of 1 and 1+SPAN steps (0: not counted)")
	sim := flag.Bool("cache-sim", false, "simulate the caches in the avx2-fma runs and report est-cycles/sample")
	jobs := flag.Int("j", 2, "valgrind runs at once")
	keep := flag.String("keep", "", "keep cachegrind's output files and the runs' logs in this folder")
	flag.Parse()
	if *bin == "" || flag.NArg() == 0 || *k < 1 || *span < 0 {
		fmt.Fprintln(os.Stderr, "usage: counted -bin x.test [-C dir] [-k 1] [-span 20] [-cache-sim] [-j 2] [-keep dir] SCENARIO...")
		os.Exit(2)
	}
	c := counter{bin: *bin, dir: *dir, k: *k, span: *span, sim: *sim, keep: *keep}
	// Interrupted or terminated (make compare's clean-up), the valgrind runs
	// end too.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := c.run(ctx, flag.Args(), *jobs); err != nil {
		fmt.Fprintln(os.Stderr, "counted:", err)
		os.Exit(1)
	}
}

type counter struct {
	bin, dir, keep string
	k, span        int
	sim            bool
}

// A path is a kernel path counted: its GODEBUG settings, the suffix of its
// lines' names, and the steps it counts.
type path struct {
	name    string // as kernels.Path names it
	godebug string // added to GODEBUG
	suffix  string // added to the benchmark's name
	steps   int    // counted: the difference of runs of 1 and 1+steps steps
	sim     bool
}

// generic is the suffix of the generic path's lines.
const generic = "/kernels=generic"

func (c counter) paths() []path {
	ps := []path{{name: "avx2-fma", steps: c.k, sim: c.sim}}
	if c.span > 0 {
		// x/sys/cpu obeys GODEBUG=cpu.fma=off, and the kernels take their
		// assembly path only where it reports AVX2 and FMA.
		ps = append(ps, path{name: "generic", godebug: "cpu.fma=off", suffix: generic, steps: c.span})
	}
	return ps
}

// A count is one cachegrind run: its totals by event, and the benchmark
// line the binary printed.
type count struct {
	events map[string]float64
	line   benchLine
	header []string // goos, goarch, pkg, cpu
	asm    []string // assembly kernels that ran (trainer/kernels' .abi0 functions)
}

func (c counter) run(ctx context.Context, scenarios []string, jobs int) error {
	if _, err := exec.LookPath("valgrind"); err != nil {
		return errors.New("valgrind not found (apt-get install valgrind)")
	}
	bin, err := filepath.Abs(c.bin)
	if err != nil {
		return err
	}
	c.bin = bin
	work := c.keep
	if work == "" {
		if work, err = os.MkdirTemp("", "counted"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	type job struct {
		sc    string
		p     path
		steps int
	}
	var all []job
	for _, sc := range scenarios {
		for _, p := range c.paths() {
			all = append(all, job{sc, p, 1}, job{sc, p, 1 + p.steps})
		}
	}
	// The longest runs first, so that the last to end is a short one. CPU
	// seconds under cachegrind on a 2-core VM: set-up about 7, a step 1.3
	// (generic) or 4.3 (avx2-fma).
	cost := func(j job) float64 {
		if j.p.name == "generic" {
			return 7 + 1.3*float64(j.steps)
		}
		return 7 + 4.3*float64(j.steps)
	}
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cost(all[b]), cost(all[a])) })
	counts := make([]count, len(all))
	errs := make([]error, len(all))
	sem := make(chan struct{}, max(jobs, 1))
	var wg sync.WaitGroup
	for _, i := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			counts[i], errs[i] = c.count(ctx, all[i].sc, all[i].p, all[i].steps, work)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	for _, h := range counts[0].header {
		fmt.Fprintln(out, h)
	}
	var desc []string
	for _, p := range c.paths() {
		desc = append(desc, fmt.Sprintf("%s kernels steps 2-%d (runs of 1 and %d)", p.name, 1+p.steps, 1+p.steps))
	}
	fmt.Fprintf(out, "counter: cachegrind, the difference of two runs: %s\n", strings.Join(desc, ", "))
	for i := 0; i < len(all); i += 2 {
		l, err := all[i].p.line(counts[i], counts[i+1])
		if err != nil {
			return fmt.Errorf("%s, %s kernels: %w", all[i].sc, all[i].p.name, err)
		}
		fmt.Fprintln(out, l)
	}
	return out.Flush()
}

// count runs one benchmark for steps timed steps on path p under cachegrind.
func (c counter) count(ctx context.Context, sc string, p path, steps int, work string) (count, error) {
	tag := fmt.Sprintf("%s.%s.%d", sc, p.name, steps)
	outFile := filepath.Join(work, "cachegrind.out."+tag)
	sim := "no"
	if p.sim {
		sim = "yes"
	}
	if err := ctx.Err(); err != nil {
		return count{}, err
	}
	cmd := exec.CommandContext(ctx, "valgrind", "--tool=cachegrind", "--cache-sim="+sim, "--cachegrind-out-file="+outFile,
		c.bin, "-test.run", "^$", "-test.bench", "^BenchmarkTrain$/^scenario="+regexp.QuoteMeta(sc)+"$/",
		"-test.benchtime", fmt.Sprintf("%dx", steps), "-test.count", "1")
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "GOGC=off", "GODEBUG="+godebug(os.Getenv("GODEBUG"), p.godebug))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if c.keep != "" {
		os.WriteFile(filepath.Join(work, "log."+tag), append(stdout.Bytes(), stderr.Bytes()...), 0o644)
	}
	what := fmt.Sprintf("%s, %s kernels, %d steps", sc, p.name, steps)
	if err != nil {
		return count{}, fmt.Errorf("%s: %v\n%s%s", what, err, tail(stdout.String()), tail(stderr.String()))
	}
	var res count
	res.header, res.line, err = parseBenchOutput(stdout.String())
	if err != nil {
		return count{}, fmt.Errorf("%s: %v\n%s", what, err, tail(stdout.String()))
	}
	if res.line.n != steps {
		return count{}, fmt.Errorf("%s: the benchmark ran %d", what, res.line.n)
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		return count{}, err
	}
	if res.events, res.asm, err = parseCachegrind(string(data)); err != nil {
		return count{}, fmt.Errorf("%s: %w", outFile, err)
	}
	if p.name == "generic" && len(res.asm) > 0 {
		return count{}, fmt.Errorf("%s: GODEBUG=%s left the assembly kernels on (%s ran)", what, p.godebug, strings.Join(res.asm, ", "))
	}
	if p.name != "generic" && len(res.asm) == 0 {
		return count{}, fmt.Errorf("%s: no assembly kernel ran (valgrind's CPU without AVX2 or FMA?)", what)
	}
	return res, nil
}

// godebug adds the settings valgrind needs, and a path's, to the caller's
// GODEBUG.
func godebug(user, path string) string {
	return strings.Trim(user+",asyncpreemptoff=1,cpu.rdtscp=off,"+path, ",")
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n") + "\n"
}

// line is the benchmark line of the difference of two counts, of 1 and
// 1+p.steps steps.
func (p path) line(short, long count) (string, error) {
	if short.line.name != long.line.name {
		return "", fmt.Errorf("the runs name different benchmarks: %s, %s", short.line.name, long.line.name)
	}
	batch := long.line.samplesPerOp()
	if batch <= 0 {
		return "", fmt.Errorf("cannot tell the samples per step from %q", long.line.raw)
	}
	samples := float64(p.steps * batch)
	ir := long.events["Ir"] - short.events["Ir"]
	if ir <= 0 {
		return "", fmt.Errorf("1 step counted %.0f instructions, %d steps %.0f", short.events["Ir"], 1+p.steps, long.events["Ir"])
	}
	l := fmt.Sprintf("%s%s \t%d\t%.0f %s", long.line.name, p.suffix, p.steps, ir/samples, compare.UnitInstrPerSample)
	if p.sim {
		l += fmt.Sprintf("\t%.0f %s", (estCycles(long.events)-estCycles(short.events))/samples, compare.UnitEstCyclesPerSample)
	}
	return l, nil
}

// estCycles is the usual estimate from cachegrind's events: an instruction
// a cycle, 10 more for a first-level miss, 100 more for a last-level one.
func estCycles(ev map[string]float64) float64 {
	return ev["Ir"] + 10*(ev["I1mr"]+ev["D1mr"]+ev["D1mw"]) + 100*(ev["ILmr"]+ev["DLmr"]+ev["DLmw"])
}

// parseCachegrind reads a cachegrind output file and sums its events over
// the functions that count (see counts): its "events:" line names the
// columns, "fn=" lines start a function, and the lines after one are "line
// event...". It also lists the assembly kernels that ran (functions of a
// package .../kernels with the suffix .abi0).
func parseCachegrind(data string) (_ map[string]float64, asm []string, _ error) {
	var names []string
	sums := make([]float64, 0)
	in := false
	for _, l := range strings.Split(data, "\n") {
		switch {
		case strings.HasPrefix(l, "events:"):
			names = strings.Fields(l[len("events:"):])
			sums = make([]float64, len(names))
		case strings.HasPrefix(l, "fn="):
			fn := l[len("fn="):]
			in = counts(fn)
			if isAsmKernel(fn) && !slices.Contains(asm, fn) {
				asm = append(asm, fn)
			}
		case in && l != "" && l[0] >= '0' && l[0] <= '9':
			f := strings.Fields(l)
			for i := 1; i < len(f) && i-1 < len(sums); i++ {
				v, err := strconv.ParseUint(f[i], 10, 64)
				if err != nil {
					return nil, nil, fmt.Errorf("%q: %v", l, err)
				}
				sums[i-1] += float64(v)
			}
		}
	}
	if len(names) == 0 {
		return nil, nil, errors.New("no events line")
	}
	ev := map[string]float64{}
	for i, n := range names {
		ev[n] = sums[i]
	}
	if _, ok := ev["Ir"]; !ok {
		return nil, nil, errors.New("no Ir event")
	}
	return ev, asm, nil
}

// isAsmKernel reports whether fn is an assembly function of the kernels
// (github.com/.../trainer/kernels.kern6x16.abi0).
func isAsmKernel(fn string) bool {
	pkg, _, ok := strings.Cut(fn[strings.LastIndex(fn, "/")+1:], ".")
	return ok && pkg == "kernels" && strings.HasSuffix(fn, ".abi0")
}

// counts reports whether a function's instructions count: every function
// but the Go runtime's. The runtime's own work varies from run to run under
// valgrind, where a step takes seconds: sysmon wakes on a timer and asks the
// running goroutine to yield every 10 ms (the scheduler then runs), threads
// are started and stacks grown as syscalls happen to block, and memory is
// zeroed or not as pages happen to be reused. In two runs of 1 and 2 steps
// the runtime's part of the difference came out at -0.8M and +0.65M
// instructions (of 29.4M a step), the rest at 29380193 and 29381834. So
// package runtime, internal/runtime/..., and the runtime's assembly without
// a package prefix (gogo, memeqbody, gcWriteBarrier...) do not count, nor the
// vDSO: allocation, collection, scheduling, copies through runtime.memmove
// are not in the counts.
func counts(fn string) bool {
	if strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "runtime/") || strings.HasPrefix(fn, "internal/runtime/") {
		return false
	}
	last := fn[strings.LastIndex(fn, "/")+1:]
	return strings.Contains(last, ".")
}

// benchLine is one line of benchmark output: its name, iterations, and
// values by unit.
type benchLine struct {
	name   string
	n      int
	values map[string]float64
	raw    string
}

// samplesPerOp is the global batch: ns/op over ns/sample, rounded.
func (b benchLine) samplesPerOp() int {
	op, s := b.values["ns/op"], b.values["ns/sample"]
	if !(op > 0 && s > 0) {
		return 0
	}
	return int(math.Round(op / s))
}

// parseBenchOutput finds the header lines and the one benchmark line of a
// test binary's output.
func parseBenchOutput(out string) (header []string, line benchLine, _ error) {
	found := 0
	for _, l := range strings.Split(out, "\n") {
		for _, k := range []string{"goos:", "goarch:", "pkg:", "cpu:"} {
			if strings.HasPrefix(l, k) {
				header = append(header, l)
			}
		}
		if !strings.HasPrefix(l, "Benchmark") {
			continue
		}
		f := strings.Fields(l)
		if len(f) < 4 || len(f)%2 != 0 {
			continue // a benchmark's name alone, or a skip
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		line = benchLine{name: f[0], n: n, values: map[string]float64{}, raw: l}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, benchLine{}, fmt.Errorf("value %q in %q", f[i], l)
			}
			line.values[f[i+1]] = v
		}
		found++
	}
	switch {
	case found == 0:
		return nil, benchLine{}, errors.New("no benchmark line (skipped, or no such scenario?)")
	case found > 1:
		return nil, benchLine{}, fmt.Errorf("%d benchmark lines, want 1", found)
	}
	return header, line, nil
}
