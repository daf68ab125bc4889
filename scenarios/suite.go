package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// suiteFS holds the default suite: the *.yaml files beside this code.
//
//go:embed *.yaml
var suiteFS embed.FS

// suiteOrder is the order Suite and list present the scenarios in: the
// reference model from the framework baseline up to more hardware, then the
// quick smoke test. Files missing here come after, by file name.
var suiteOrder = []string{
	"reference-gorgonia",
	"reference-cpu1",
	"reference-multicore",
	"mirrored-cpu2",
	"mirrored-cpu2-canonical",
	"reference-gpu1",
	"mirrored-gpu2",
	"pytorch-cpu1",
	"pytorch-multicore",
	"pytorch-mirrored-cpu2",
	"pytorch-mirrored-gpu2",
	"smoke",
	"opencl-cl2",
}

// Suite parses the embedded default suite. Each call returns fresh copies.
func Suite() ([]*Scenario, error) {
	names, err := fs.Glob(suiteFS, "*.yaml")
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(names, func(a, b string) int { return suiteRank(a) - suiteRank(b) })
	var out []*Scenario
	for _, name := range names {
		data, err := suiteFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		s, err := Parse(path.Join("scenarios", name), data)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// suiteRank is a file's place in suiteOrder, or after all of it.
func suiteRank(file string) int {
	if i := slices.Index(suiteOrder, strings.TrimSuffix(file, ".yaml")); i >= 0 {
		return i
	}
	return len(suiteOrder)
}

// Lookup returns the suite scenario called name.
func Lookup(name string) (*Scenario, error) {
	suite, err := Suite()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range suite {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return nil, fmt.Errorf("unknown scenario %q; the suite has %s (or give a .yaml file)", name, strings.Join(names, ", "))
}

// Resolve turns a command-line argument into a scenario: an existing file,
// or anything ending in .yaml or .yml, is loaded; anything else is a suite
// name.
func Resolve(arg string) (*Scenario, error) {
	if isFile(arg) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		return Load(arg)
	}
	return Lookup(arg)
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
