// Command counted measures BenchmarkTrain by counting instead of timing: the
// instructions that the timed steps of a benchmark execute, counted by
// valgrind's cachegrind, per training sample. Counts do not depend on other
// load on the machine, so a change of a fraction of a percent is visible
// where wall-clock and CPU time vary by 10 % or more (docs/compare.md).
//
// cachegrind (valgrind 3.19) counts a whole process and has no request to
// start or stop counting, so each benchmark runs twice, with K and with 2K
// timed steps (-test.benchtime Kx, 2Kx): set-up, the untimed work around the
// loop and the exit are the same in both runs, and the difference of the two
// totals is the instruction count of K timed steps, exactly where the
// program is deterministic. BenchmarkTrain collects set-up's garbage before
// its loop so that no collection runs into the timed steps from outside.
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
// Under valgrind a step is about 2000 times slower than natively: valgrind
// 3.19 has no FMA3 instruction selection on amd64 and computes every lane of
// a vector FMA in a software fused multiply-add, about 90 ns a lane. K is
// therefore small (1 by default); docs/compare.md gives the figures.
//
// With -cache-sim, cachegrind also simulates the caches and each line gets
// est-cycles/sample: Ir + 10 (I1mr + D1mr + D1mw) + 100 (ILmr + DLmr + DLmw),
// the usual cycle estimate from cachegrind's events (a model: no
// out-of-order overlap, no prefetching beyond its own, no AVX-512).
//
// Output is Go benchmark format, one line per benchmark, named as the
// benchmark names itself under GOMAXPROCS=1 (no -N suffix; `compare`
// matches it to the timed benchmark of the same name):
//
//	BenchmarkTrain/scenario=reference-cpu1/.../replicas=1  1  941582 instr/sample  1061245 est-cycles/sample
//
// Usage:
//
//	go run ./bench/internal/counted -bin x.test [-C dir] [-k 1] [-cache-sim] [-j 2] SCENARIO...
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/mirrorbench/mirrorbench/results/compare"
)

func main() {
	bin := flag.String("bin", "", "the test binary of the root package (go test -c)")
	dir := flag.String("C", "", "run the binary in this folder (default: the current one)")
	k := flag.Int("k", 1, "timed steps counted: runs of K and 2K steps")
	sim := flag.Bool("cache-sim", false, "simulate the caches too and report est-cycles/sample")
	jobs := flag.Int("j", 2, "valgrind runs at once")
	keep := flag.String("keep", "", "keep cachegrind's output files and the runs' logs in this folder")
	flag.Parse()
	if *bin == "" || flag.NArg() == 0 || *k < 1 {
		fmt.Fprintln(os.Stderr, "usage: counted -bin x.test [-C dir] [-k 1] [-cache-sim] [-j 2] [-keep dir] SCENARIO...")
		os.Exit(2)
	}
	c := counter{bin: *bin, dir: *dir, k: *k, sim: *sim, keep: *keep}
	if err := c.run(flag.Args(), *jobs); err != nil {
		fmt.Fprintln(os.Stderr, "counted:", err)
		os.Exit(1)
	}
}

type counter struct {
	bin, dir, keep string
	k              int
	sim            bool
}

// A count is one cachegrind run: its totals by event, and the benchmark
// line the binary printed.
type count struct {
	events map[string]float64
	line   benchLine
	header []string // goos, goarch, pkg, cpu
}

func (c counter) run(scenarios []string, jobs int) error {
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
		steps int
	}
	var all []job
	for _, sc := range scenarios {
		all = append(all, job{sc, c.k}, job{sc, 2 * c.k})
	}
	counts := make([]count, len(all))
	errs := make([]error, len(all))
	sem := make(chan struct{}, max(jobs, 1))
	var wg sync.WaitGroup
	for i, j := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			counts[i], errs[i] = c.count(j.sc, j.steps, work)
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
	fmt.Fprintf(out, "counter: cachegrind, timed steps %d and %d, difference\n", c.k, 2*c.k)
	for i := 0; i < len(all); i += 2 {
		l, err := c.line(counts[i], counts[i+1])
		if err != nil {
			return fmt.Errorf("%s: %w", all[i].sc, err)
		}
		fmt.Fprintln(out, l)
	}
	return out.Flush()
}

// count runs one benchmark for steps timed steps under cachegrind.
func (c counter) count(sc string, steps int, work string) (count, error) {
	tag := fmt.Sprintf("%s.%d", sc, steps)
	outFile := filepath.Join(work, "cachegrind.out."+tag)
	sim := "no"
	if c.sim {
		sim = "yes"
	}
	cmd := exec.Command("valgrind", "--tool=cachegrind", "--cache-sim="+sim, "--cachegrind-out-file="+outFile,
		c.bin, "-test.run", "^$", "-test.bench", "^BenchmarkTrain$/^scenario="+regexp.QuoteMeta(sc)+"$/",
		"-test.benchtime", fmt.Sprintf("%dx", steps), "-test.count", "1")
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "GOGC=off", "GODEBUG="+godebug(os.Getenv("GODEBUG")))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if c.keep != "" {
		os.WriteFile(filepath.Join(work, "log."+tag), append(stdout.Bytes(), stderr.Bytes()...), 0o644)
	}
	if err != nil {
		return count{}, fmt.Errorf("%s, %d steps: %v\n%s%s", sc, steps, err, tail(stdout.String()), tail(stderr.String()))
	}
	var res count
	res.header, res.line, err = parseBenchOutput(stdout.String())
	if err != nil {
		return count{}, fmt.Errorf("%s, %d steps: %v\n%s", sc, steps, err, tail(stdout.String()))
	}
	if res.line.n != steps {
		return count{}, fmt.Errorf("%s: asked for %d steps, the benchmark ran %d", sc, steps, res.line.n)
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		return count{}, err
	}
	if res.events, err = parseCachegrind(string(data)); err != nil {
		return count{}, fmt.Errorf("%s: %w", outFile, err)
	}
	return res, nil
}

// godebug adds the settings valgrind needs to the caller's GODEBUG.
func godebug(user string) string {
	return strings.Trim(user+",asyncpreemptoff=1,cpu.rdtscp=off", ",")
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n") + "\n"
}

// line is the benchmark line of the difference of two counts.
func (c counter) line(short, long count) (string, error) {
	if short.line.name != long.line.name {
		return "", fmt.Errorf("the runs name different benchmarks: %s, %s", short.line.name, long.line.name)
	}
	batch := long.line.samplesPerOp()
	if batch <= 0 {
		return "", fmt.Errorf("cannot tell the samples per step from %q", long.line.raw)
	}
	samples := float64(c.k * batch)
	ir := long.events["Ir"] - short.events["Ir"]
	if ir <= 0 {
		return "", fmt.Errorf("%d steps counted %.0f instructions, %d steps %.0f", c.k, short.events["Ir"], 2*c.k, long.events["Ir"])
	}
	l := fmt.Sprintf("%s \t%d\t%.0f %s", long.line.name, c.k, ir/samples, compare.UnitInstrPerSample)
	if c.sim {
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
// event...".
func parseCachegrind(data string) (map[string]float64, error) {
	var names []string
	sums := make([]float64, 0)
	in := false
	for _, l := range strings.Split(data, "\n") {
		switch {
		case strings.HasPrefix(l, "events:"):
			names = strings.Fields(l[len("events:"):])
			sums = make([]float64, len(names))
		case strings.HasPrefix(l, "fn="):
			in = counts(l[len("fn="):])
		case in && l != "" && l[0] >= '0' && l[0] <= '9':
			f := strings.Fields(l)
			for i := 1; i < len(f) && i-1 < len(sums); i++ {
				v, err := strconv.ParseUint(f[i], 10, 64)
				if err != nil {
					return nil, fmt.Errorf("%q: %v", l, err)
				}
				sums[i-1] += float64(v)
			}
		}
	}
	if len(names) == 0 {
		return nil, errors.New("no events line")
	}
	ev := map[string]float64{}
	for i, n := range names {
		ev[n] = sums[i]
	}
	if _, ok := ev["Ir"]; !ok {
		return nil, errors.New("no Ir event")
	}
	return ev, nil
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
