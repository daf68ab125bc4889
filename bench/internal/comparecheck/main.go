// Command comparecheck measures the verdict of `mirrorbench compare` itself:
// how often it flags a regression that is there (power) and one that is not
// (false alarms). `make compare-check` runs it.
//
// Its input is a folder of benchmark files recorded by
// .ci/compare-check.sh: one file per condition (A1.txt and A2.txt: the same
// build; uniform-0.05.txt, lumpy-20.txt, ...: the same build with known work
// added to every timed step, see the root package's slowdown_test.go), each
// holding R rounds of the same benchmarks, the conditions of a round run
// back to back. A trial draws n of the R rounds without replacement and
// compares A1 with a condition on those rounds, paired by round, exactly as
// `make compare` would; the table gives, per condition, the share of trials
// that flag each benchmark, and that fail the comparison as a whole.
//
//	go run ./bench/internal/comparecheck [-n 20] [-trials 200] DIR
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mirrorbench/mirrorbench/results/compare"
)

func main() {
	n := flag.Int("n", 20, "rounds per trial (make compare's COUNT)")
	trials := flag.Int("trials", 200, "trials per condition")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: comparecheck [-n 20] [-trials 200] DIR")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *n, *trials); err != nil {
		fmt.Fprintln(os.Stderr, "comparecheck:", err)
		os.Exit(1)
	}
}

// rounds is one condition's file: the header lines, and per round its
// benchmark lines.
type rounds struct {
	header []string
	rounds [][]string
}

func run(dir string, n, trials int) error {
	base, err := readRounds(filepath.Join(dir, "A1.txt"))
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "comparecheck-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Printf("%d trials of %d paired rounds each, drawn from %d recorded rounds; share of trials that flag a regression\n\n", trials, n, len(base.rounds))
	for _, f := range files {
		cond := strings.TrimSuffix(filepath.Base(f), ".txt")
		if cond == "A1" {
			continue
		}
		other, err := readRounds(f)
		if err != nil {
			return err
		}
		line, err := evaluate(tmp, base, other, n, trials)
		if err != nil {
			return fmt.Errorf("%s: %w", cond, err)
		}
		fmt.Printf("%-14s %s\n", cond, line)
	}
	return nil
}

// evaluate runs the trials of one condition against the base.
func evaluate(tmp string, base, other *rounds, n, trials int) (string, error) {
	total := min(len(base.rounds), len(other.rounds))
	if total < n {
		return "", fmt.Errorf("%d rounds recorded, %d wanted per trial", total, n)
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	flagged := map[string]int{}
	failed := 0
	for range trials {
		pick := rng.Perm(total)[:n]
		slices.Sort(pick) // keep the recorded order of rounds
		oldPath, newPath := filepath.Join(tmp, "old.txt"), filepath.Join(tmp, "new.txt")
		if err := writeRounds(oldPath, base, pick); err != nil {
			return "", err
		}
		if err := writeRounds(newPath, other, pick); err != nil {
			return "", err
		}
		rep, err := compare.Compare([]string{oldPath}, []string{newPath}, compare.Options{Paired: true})
		if err != nil {
			return "", err
		}
		if rep.Failed {
			failed++
		}
		for _, c := range rep.Regressions {
			flagged[shortName(c.Name)]++
		}
	}
	var parts []string
	for _, line := range base.rounds[0] {
		name, _, _ := strings.Cut(line, " ")
		parts = append(parts, fmt.Sprintf("%s %3.0f%%", shortName(name), 100*float64(flagged[shortName(name)])/float64(trials)))
	}
	return fmt.Sprintf("suite fails %3.0f%%   %s", 100*float64(failed)/float64(trials), strings.Join(parts, "  ")), nil
}

// shortName is the scenario of a benchmark name.
func shortName(name string) string {
	_, after, ok := strings.Cut(name, "scenario=")
	if !ok {
		return name
	}
	before, _, _ := strings.Cut(after, "/")
	return before
}

// readRounds splits a file into its header and rounds: the k-th line of a
// benchmark belongs to round k.
func readRounds(path string) (*rounds, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := &rounds{}
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "Benchmark") {
			if len(r.rounds) == 0 && strings.Contains(line, ":") {
				r.header = append(r.header, line)
			}
			continue
		}
		name, _, _ := strings.Cut(line, " ")
		k := seen[name]
		seen[name]++
		for len(r.rounds) <= k {
			r.rounds = append(r.rounds, nil)
		}
		r.rounds[k] = append(r.rounds[k], line)
	}
	return r, sc.Err()
}

// writeRounds writes the picked rounds of r as a benchmark file.
func writeRounds(path string, r *rounds, pick []int) error {
	var b strings.Builder
	for _, h := range r.header {
		b.WriteString(h + "\n")
	}
	for _, k := range pick {
		for _, line := range r.rounds[k] {
			b.WriteString(line + "\n")
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
