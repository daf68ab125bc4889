package compare

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// Counted results: BenchmarkTrain measured by counting instead of timing
// (bench/internal/counted: valgrind's cachegrind, the difference of runs of 1
// and 1+K steps, instructions outside the Go runtime). A count does not vary
// with the machine's load; what it varies with was measured (docs/compare.md),
// so a counted benchmark gets a verdict of its own, beside the timed one, by a
// threshold instead of a test: its files hold one sample a side.
const (
	// UnitInstrPerSample is the counted verdict's unit: instructions of
	// the timed steps, outside the Go runtime, per training sample.
	UnitInstrPerSample = "instr/sample"
	// UnitEstCyclesPerSample is cachegrind's cycle estimate from its cache
	// simulation, per sample: reported, not judged (a model of one cache
	// hierarchy, not this machine's, whose misses include the evictions by
	// the runtime's threads: two runs of nearly the same code differed by 6.3 %).
	UnitEstCyclesPerSample = "est-cycles/sample"
)

// DefaultCountThreshold is the change of instructions per sample above which
// a counted regression fails (0.5 %). 44 counted runs of unchanged step code
// (two builds) lay within 0.030 % of each other on the avx2-fma row and
// 0.00011 % on the generic one (the map-hash seeds of set-up and the like), so
// the threshold is a choice of how much real change fails a pull request:
// half of 1 % of extra work in every step, a quarter of the 2 % slowdown
// that the timed verdict cannot see on a 2-core machine.
const DefaultCountThreshold = 0.005

// CountNoise is the change below which two counts are the same ("~"): 0.05 %,
// 1.7 times the range of the counts of unchanged step code measured, 3.6
// times the largest change between two of them compared as make compare does.
const CountNoise = 0.0005

// CountedUnits are the units that are counted, not timed: they never take
// part in a timed verdict.
var CountedUnits = []string{UnitInstrPerSample, UnitEstCyclesPerSample}

func isCounted(unit string) bool { return slices.Contains(CountedUnits, unit) }

// CountedComparison is one benchmark's counted verdict on one unit.
type CountedComparison struct {
	// Name is the timed benchmark's full name where one matches (counted
	// runs use GOMAXPROCS=1, so their names lack the -N suffix), else the
	// counted line's.
	Name       string
	Unit       string
	Old, New   float64 // medians of each side's counts (one, normally); NaN when absent
	OldN, NewN int
	// SpreadPct is the largest relative spread (max/min - 1, percent) of a
	// side's counts when a side has several; 0 with one each.
	SpreadPct float64
	DeltaPct  float64 // (new - old) / old, percent; NaN when a side has none
	Judged    bool    // instr/sample: the verdict can fail; est-cycles is reported
	Verdict   string  // VerdictRegression, VerdictImprovement, VerdictNoChange, VerdictOnlyOld, VerdictOnlyNew
	Failure   string  // why the row fails, or ""
}

// takeCounted removes the counted units' results from s and returns them
// as a side of their own.
func (s *sideSamples) takeCounted() *sideSamples {
	c := &sideSamples{label: s.label, values: map[rowKey][]float64{}}
	s.order = slices.DeleteFunc(s.order, func(k rowKey) bool {
		if !isCounted(k.unit) {
			return false
		}
		c.order = append(c.order, k)
		c.values[k] = s.values[k]
		delete(s.values, k)
		return true
	})
	return c
}

var procsSuffix = regexp.MustCompile(`-[0-9]+$`)

// baseName is a benchmark's name without go test's GOMAXPROCS suffix.
func baseName(name string) string { return procsSuffix.ReplaceAllString(name, "") }

// compareCounted makes the counted rows, named after the timed rows they
// match, and lists the timed benchmarks that have no count (judged on time
// alone). With no counted results on either side it returns nothing.
func compareCounted(oldC, newC *sideSamples, timed []Comparison, opt Options) (rows []CountedComparison, timeOnly []string) {
	keys := rowOrder(oldC, newC)
	if len(keys) == 0 {
		return nil, nil
	}
	timedName := map[string]string{}
	for _, t := range timed {
		timedName[baseName(t.Name)] = t.Name
	}
	counted := map[string]bool{}
	for _, k := range keys {
		name := k.name
		if t, ok := timedName[baseName(k.name)]; ok {
			name = t
		}
		counted[name] = true
		rows = append(rows, countedRow(name, k.unit, oldC.values[k], newC.values[k], opt))
	}
	for _, t := range timed {
		if !counted[t.Name] {
			timeOnly = append(timeOnly, t.Name)
		}
	}
	return rows, timeOnly
}

func countedRow(name, unit string, old, new []float64, opt Options) CountedComparison {
	c := CountedComparison{Name: name, Unit: unit, OldN: len(old), NewN: len(new), Judged: unit == UnitInstrPerSample,
		Old: median(old), New: median(new), DeltaPct: math.NaN()}
	c.SpreadPct = max(spreadPct(old), spreadPct(new))
	switch {
	case len(old) == 0:
		c.Verdict = VerdictOnlyNew
		return c
	case len(new) == 0:
		c.Verdict = VerdictOnlyOld
		return c
	}
	c.DeltaPct = deltaPct(c.Old, c.New)
	// Several counts a side: a change within their own spread is no change.
	noise := max(100*CountNoise, c.SpreadPct)
	switch {
	case c.DeltaPct > noise:
		c.Verdict = VerdictRegression // every counted unit is lower-is-better
	case c.DeltaPct < -noise:
		c.Verdict = VerdictImprovement
	default:
		c.Verdict = VerdictNoChange
	}
	if c.Judged && c.Verdict == VerdictRegression && c.DeltaPct > 100*opt.CountThreshold {
		c.Failure = fmt.Sprintf("%+.2f%% instructions, beyond the %g%% count threshold", c.DeltaPct, 100*opt.CountThreshold)
	}
	return c
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func spreadPct(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	lo, hi := slices.Min(v), slices.Max(v)
	if !(lo > 0) {
		return math.Inf(1)
	}
	return 100 * (hi/lo - 1)
}

// countedFailures are the counted rows that fail.
func (r *Report) countedFailures() []CountedComparison {
	var f []CountedComparison
	for _, c := range r.Counted {
		if c.Failure != "" {
			f = append(f, c)
		}
	}
	return f
}

// countedCriteria is the counted verdict's rule, as the verdict line says
// it.
func (r *Report) countedCriteria() string {
	return fmt.Sprintf("%s, threshold %g%%, counts differing by under %g%% are the same", UnitInstrPerSample,
		100*r.Options.CountThreshold, 100*CountNoise)
}

// countedLines are the counted section under the timed table: its table,
// which benchmarks were judged on time alone, and what counts cannot see.
func (r *Report) countedLines() (table [][]string, notes []string) {
	table = [][]string{{"benchmark", "unit", "old", "new", "change", "verdict"}}
	for _, c := range r.Counted {
		v := c.Verdict
		if !c.Judged && c.OldN > 0 && c.NewN > 0 {
			v = "not judged"
		}
		if c.Failure != "" {
			v += ": fails"
		}
		table = append(table, []string{c.Name, c.Unit, countText(c.Old), countText(c.New), countDelta(c.DeltaPct), v})
	}
	notes = append(notes,
		"counted: instructions of the timed steps outside the Go runtime, per sample, under valgrind's cachegrind "+
			"(the difference of runs of 1 and 1+K steps, one thread, GOMAXPROCS=1: K steps of the avx2-fma kernels, 1 by default, "+
			"and, on the lines named kernels=generic, K steps of the portable Go kernels, 20 by default, so that work done "+
			"in one step in 20 is counted); est-cycles adds cachegrind's cache "+
			"simulation (Ir + 10 per L1 miss + 100 per last-level miss), reported, not judged: the simulated caches are "+
			"shared with the runtime's threads, and two runs of nearly the same code (instructions within 0.015 %) differed by 6.3 % in it")
	if len(r.TimeOnly) > 0 {
		notes = append(notes, "judged on time alone (no count; make compare counts one-thread benchmarks only: several "+
			"threads spin and wait as scheduling goes, so their counts vary from run to run): "+strings.Join(r.TimeOnly, ", "))
	}
	notes = append(notes, "counts cannot see: the AVX-512 kernels (valgrind hides AVX-512: the avx2-fma path was counted), "+
		"time spent waiting, descheduled or spinning, the Go runtime (allocation, collection, scheduling), memory and "+
		"cache stalls beyond cachegrind's model, the CPU's frequency, and work in steps other than those counted "+
		"(a change of the assembly kernels alone that hits one step in 20 escapes the avx2-fma count of one step): "+
		"the timed verdict covers those")
	return table, notes
}

func countText(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return fmt.Sprintf("%.0f", v)
}

func countDelta(d float64) string {
	if math.IsNaN(d) {
		return ""
	}
	return fmt.Sprintf("%+.3f%%", d)
}
