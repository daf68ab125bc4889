package testdeps

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Summary reads a file of recorded skips and returns one line per missing
// dependency: what is missing, how to install it, the tests skipped, by
// package (or the part of make test, for records of .ci/skipped), and why
// they said so. Lines it cannot read are counted in a last
// line rather than dropped.
func Summary(r io.Reader) ([]string, error) {
	type group struct {
		dep     Skip // Dep and Install
		reasons []string
		tests   map[string][]string // package -> tests
	}
	groups := map[string]*group{}
	bad := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		s, ok := parseSkip(sc.Text())
		if !ok {
			bad++
			continue
		}
		g := groups[s.Dep]
		if g == nil {
			g = &group{dep: s, tests: map[string][]string{}}
			groups[s.Dep] = g
		}
		if !slices.Contains(g.tests[s.Package], s.Test) {
			g.tests[s.Package] = append(g.tests[s.Package], s.Test)
		}
		if s.Reason != "" && !slices.Contains(g.reasons, s.Reason) {
			g.reasons = append(g.reasons, s.Reason)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var lines []string
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		g := groups[name]
		var byPkg []string
		for _, pkg := range slices.Sorted(maps.Keys(g.tests)) {
			tests := slices.Clone(g.tests[pkg])
			slices.Sort(tests)
			byPkg = append(byPkg, pkg+": "+strings.Join(tests, ", "))
		}
		slices.Sort(g.reasons)
		why := strings.Join(g.reasons, "; ")
		if len(g.reasons) > 2 {
			why = fmt.Sprintf("%s; and %d other reasons", strings.Join(g.reasons[:2], "; "), len(g.reasons)-2)
		}
		if why != "" {
			why = " (" + why + ")"
		}
		lines = append(lines, fmt.Sprintf("%s missing (%s): skipped %s%s",
			name, g.dep.Install, strings.Join(byPkg, "; "), why))
	}
	if bad > 0 {
		lines = append(lines, fmt.Sprintf("%s of recorded skips unreadable", plural(bad, "line")))
	}
	return lines, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
