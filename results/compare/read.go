package compare

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorbench/mirrorbench/results"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// rowKey identifies a row: a full benchmark name and a tidied unit.
type rowKey struct{ name, unit string }

// sideSamples is what one side's files hold.
type sideSamples struct {
	label      string
	values     map[rowKey][]float64
	order      []rowKey            // first-seen order
	config     map[string][]string // file configuration key -> distinct values
	configKeys []string            // first-seen order
}

// benchReader reads both sides with one benchfmt.Reader, so that Unit
// metadata (better=higher) from either side applies to both, and metadata
// that contradicts itself is reported.
type benchReader struct {
	r          benchfmt.Reader
	proj       *benchproc.Projection
	name, unit *benchproc.Field
}

func newBenchReader() (*benchReader, error) {
	var p benchproc.ProjectionParser
	proj, unit, err := p.ParseWithUnit(".fullname", nil)
	if err != nil {
		return nil, err
	}
	return &benchReader{proj: proj, name: proj.Fields()[0], unit: unit}, nil
}

func (br *benchReader) readSide(label string, paths []string) (*sideSamples, error) {
	files, err := benchFiles(paths)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	s := &sideSamples{label: label, values: map[rowKey][]float64{}, config: map[string][]string{}}
	var errs []error
	for _, f := range files {
		errs = append(errs, br.readFile(f, s)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(s.order) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results in %s", label, strings.Join(files, ", "))
	}
	return s, nil
}

// readFile adds one file's results to s and returns its syntax errors
// (each reads file:line: message).
func (br *benchReader) readFile(path string, s *sideSamples) []error {
	f, err := os.Open(path)
	if err != nil {
		return []error{err}
	}
	defer f.Close()
	br.r.Reset(f, path)
	var errs []error
	for br.r.Scan() {
		switch rec := br.r.Result().(type) {
		case *benchfmt.SyntaxError:
			errs = append(errs, rec)
		case *benchfmt.Result:
			s.add(br, rec)
		}
	}
	if err := br.r.Err(); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func (s *sideSamples) add(br *benchReader, res *benchfmt.Result) {
	for i, key := range br.proj.ProjectValues(res) {
		k := rowKey{key.Get(br.name), key.Get(br.unit)}
		if _, ok := s.values[k]; !ok {
			s.order = append(s.order, k)
		}
		s.values[k] = append(s.values[k], res.Values[i].Value)
	}
	for _, c := range res.Config {
		if !c.File {
			continue
		}
		vals, seen := s.config[c.Key]
		if !seen {
			s.configKeys = append(s.configKeys, c.Key)
		}
		if v := string(c.Value); !slices.Contains(vals, v) {
			s.config[c.Key] = append(vals, v)
		}
	}
}

// benchFiles expands paths: a file stands for itself, a folder for the
// *.txt files directly in it, in name order. A file named twice (say,
// directly and through its folder) is read once: read twice, its samples
// would count double and overstate significance.
func benchFiles(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input paths")
	}
	var files []string
	seen := map[string]bool{}
	for _, p := range paths {
		found, err := expandPath(p)
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			key, err := filepath.Abs(f)
			if err != nil {
				key = filepath.Clean(f)
			}
			if !seen[key] {
				seen[key] = true
				files = append(files, f)
			}
		}
	}
	return files, nil
}

// expandPath is p itself, or the *.txt files of the folder p; a folder
// without any is an error, not an empty side.
func expandPath(p string) ([]string, error) {
	files, err := results.FilesAt(p, ".txt")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.txt files in the folder", p)
	}
	return files, nil
}

// rowPlan is one benchmark's row before the statistics: the samples of
// its verdict unit in file order, and what else it measured.
type rowPlan struct {
	name, unit     string
	old, new       []float64
	better         int
	accOld, accNew []float64 // test-acc, when the verdict unit is not
	other          []string  // units neither judged nor test-acc
}

func (p rowPlan) both() bool { return len(p.old) > 0 && len(p.new) > 0 }

// planRows makes one row per benchmark, in the order benchmarks first
// appear, old side first, each on the unit chooseUnit picks.
func planRows(oldS, newS *sideSamples, meta benchfmt.UnitMetadataMap) []rowPlan {
	var names []string
	units := map[string][]string{}
	for _, k := range rowOrder(oldS, newS) {
		if _, ok := units[k.name]; !ok {
			names = append(names, k.name)
		}
		units[k.name] = append(units[k.name], k.unit)
	}
	plans := make([]rowPlan, len(names))
	for i, name := range names {
		unit := chooseUnit(name, units[name], oldS, newS)
		p := rowPlan{name: name, unit: unit, better: betterOf(meta, unit),
			old: oldS.values[rowKey{name, unit}], new: newS.values[rowKey{name, unit}]}
		if unit != results.UnitTestAcc {
			acc := rowKey{name, results.UnitTestAcc}
			p.accOld, p.accNew = oldS.values[acc], newS.values[acc]
		}
		for _, u := range units[name] {
			if u != unit && u != results.UnitTestAcc {
				p.other = append(p.other, u)
			}
		}
		plans[i] = p
	}
	return plans
}

// chooseUnit picks a benchmark's verdict unit: the first of PreferredUnits
// that both sides measured, else the first other unit both measured,
// test-acc last; failing that (a benchmark on one side only), the same
// choice among the units either side measured.
func chooseUnit(name string, units []string, oldS, newS *sideSamples) string {
	has := func(s *sideSamples, u string) bool { return len(s.values[rowKey{name, u}]) > 0 }
	both := func(u string) bool { return has(oldS, u) && has(newS, u) }
	either := func(u string) bool { return has(oldS, u) || has(newS, u) }
	for _, ok := range []func(string) bool{both, either} {
		for _, p := range PreferredUnits {
			if u := tidyUnit(p); ok(u) {
				return u
			}
		}
		rest := slices.DeleteFunc(slices.Clone(units), func(u string) bool { return u == results.UnitTestAcc })
		for _, u := range append(rest, results.UnitTestAcc) {
			if ok(u) {
				return u
			}
		}
	}
	return units[0]
}

func tidyUnit(u string) string {
	_, tidy := benchunit.Tidy(1, u)
	return tidy
}

// alsoMeasured lists the units of all rows that no verdict judged.
func alsoMeasured(plans []rowPlan) []string {
	var units []string
	for _, p := range plans {
		for _, u := range p.other {
			if !slices.Contains(units, u) {
				units = append(units, u)
			}
		}
	}
	return units
}

// rowOrder lists the (benchmark, unit) keys of both sides: old's in its
// order, then those only new has.
func rowOrder(oldS, newS *sideSamples) []rowKey {
	keys := slices.Clone(oldS.order)
	for _, k := range newS.order {
		if _, ok := oldS.values[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// knownBetter holds this project's units that results.UnitBetter does not
// know: run records do not carry them, and `go test -bench` reports them
// without Unit metadata.
var knownBetter = map[string]int{results.UnitCPUNsPerSample: -1}

// betterOf says whether higher (+1) or lower (-1) values of a tidied unit
// are better: from the files' Unit metadata or benchfmt's defaults for go
// test's units (sec/op, B/op, allocs/op), else from this project's own
// units, which `go test -bench` output reports without metadata.
func betterOf(units benchfmt.UnitMetadataMap, unit string) int {
	if b := units.GetBetter(unit); b != 0 {
		return b
	}
	for _, u := range results.Units() {
		if tidyUnit(u) == unit {
			return results.UnitBetter(u)
		}
	}
	for u, b := range knownBetter {
		if tidyUnit(u) == unit {
			return b
		}
	}
	return 0
}

// configWarnings reports file configuration keys whose values differ
// between the sides: a different cpu makes speeds incomparable.
func configWarnings(oldS, newS *sideSamples) []string {
	keys := slices.Clone(oldS.configKeys)
	for _, k := range newS.configKeys {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	var warns []string
	for _, k := range keys {
		o, n := slices.Sorted(slices.Values(oldS.config[k])), slices.Sorted(slices.Values(newS.config[k]))
		if !slices.Equal(o, n) {
			warns = append(warns, fmt.Sprintf("file configuration %q differs: old %s, new %s; the numbers may not be comparable",
				k, quoteList(oldS.config[k]), quoteList(newS.config[k])))
		}
	}
	return warns
}

func quoteList(vals []string) string {
	if len(vals) == 0 {
		return "(none)"
	}
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}
